"""Fault injection through the control API: rate limits, blocked people, failing calls, latency."""
from __future__ import annotations

import pytest
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter, TelegramServerError


async def test_calls_past_a_methods_rate_limit_get_429_with_retry_after(bot, client, villager):
    await client.faults(rate_limit={"sendMessage": 2}, retry_after=3)
    await bot.send_message(villager.id, "一")
    await bot.send_message(villager.id, "二")

    with pytest.raises(TelegramRetryAfter) as raised:
        await bot.send_message(villager.id, "三")

    assert raised.value.retry_after == 3
    assert "Too Many Requests: retry after 3" in raised.value.message


async def test_a_rate_limit_applies_only_to_its_method(bot, client, villager):
    await client.faults(rate_limit={"sendMessage": 1})
    await bot.send_message(villager.id, "一")

    me = await bot.get_me()

    assert me.username == "massline_demo_bot"


async def test_a_blocked_person_gets_forbidden_for_sends(bot, client, villager):
    await client.faults(block=[villager.id])

    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(villager.id, "提醒：您的案件已超期")


async def test_unblocking_lets_sends_through_again(bot, client, villager):
    await client.faults(block=[villager.id])
    await client.faults(unblock=[villager.id])

    sent = await bot.send_message(villager.id, "您好")

    assert sent.text == "您好"


async def test_the_next_calls_fail_with_a_server_error_then_recover(bot, client, villager):
    await client.faults(fail_next={"count": 2, "status": 502})

    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.send_message(villager.id, "一")
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.send_message(villager.id, "一")
    sent = await bot.send_message(villager.id, "一")

    assert sent.text == "一"


async def test_a_failure_can_target_one_method(bot, client, villager):
    await client.faults(fail_next={"count": 1, "status": 500, "method": "sendPhoto"})
    await bot.send_message(villager.id, "文字照常")

    with pytest.raises(TelegramServerError, match="Internal Server Error"):
        await bot.send_photo(villager.id, "SBXphoto-000001-AgADsandbox")


async def test_injected_faults_are_not_counted_as_refusals(bot, client, villager):
    await client.faults(block=[villager.id], fail_next={"count": 1, "status": 500})
    for _ in range(2):
        with pytest.raises((TelegramServerError, TelegramForbiddenError)):
            await bot.send_message(villager.id, "一")

    refusals = await client.refusals()
    statuses = [c["status"] for c in await client.calls("sendMessage")]

    assert refusals == []
    assert statuses == [500, 403]


async def test_latency_is_set_and_calls_still_succeed(bot, client, villager):
    settings = await client.faults(latency=0.05)

    sent = await bot.send_message(villager.id, "慢一点")

    assert settings["latency"] == 0.05 and sent.text == "慢一点"


async def test_clear_removes_every_fault(bot, client, villager):
    await client.faults(block=[villager.id], rate_limit={"sendMessage": 1}, latency=1.0)

    settings = await client.faults(clear=True)
    sent = [await bot.send_message(villager.id, str(i)) for i in range(3)]

    assert {k: v for k, v in settings.items() if k != "chaos"} == {
        "rate_limits": {}, "retry_after": 1, "blocked": [], "fail_next": [], "latency": 0.0,
        "duplicate_updates": False}
    assert settings["chaos"]["rate"] == 0.0
    assert len(sent) == 3


async def test_reset_forgets_faults_and_people(bot, client, villager):
    await client.faults(block=[villager.id])

    await client.reset()

    assert await client.users() == []
    assert (await client.request("GET", "/faults"))["blocked"] == []
