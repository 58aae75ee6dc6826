"""Random faults (chaos): seeded draws, every kind as the bot sees it, counted, off again."""
from __future__ import annotations

import asyncio

import pytest
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError

from sandbox.chaos import KINDS, Chaos


async def settled_calls(client) -> list[dict]:
    """Return the sendMessage calls once the last has its outcome (a held call has one when its hold ends)."""
    for _ in range(50):
        calls = await client.calls("sendMessage")
        if calls and calls[-1].get("status") is not None:
            return calls
        await asyncio.sleep(0.1)
    return calls


def test_the_same_seed_draws_the_same_faults():
    first, second = Chaos(), Chaos()
    first.configure(rate=0.3, seed=7)
    second.configure(rate=0.3, seed=7)

    draws = [first.draw("sendMessage") for _ in range(200)]

    assert draws == [second.draw("sendMessage") for _ in range(200)]
    assert {kind for kind in draws if kind} == set(KINDS)


def test_draws_are_counted_by_kind_and_calls():
    chaos = Chaos()
    chaos.configure(rate=0.5, seed=1)

    draws = [chaos.draw("getUpdates") for _ in range(100)]

    public = chaos.public()
    assert public["calls"] == 100
    assert sum(public["injected"].values()) == sum(1 for kind in draws if kind) > 0


@pytest.mark.parametrize("rate, methods, method, fails", [
    (0.0, None, "sendMessage", False),
    (1.0, None, "sendMessage", True),
    (1.0, ["sendPhoto"], "sendMessage", False),
    (1.0, ["sendPhoto"], "sendphoto", True),
])
def test_chaos_strikes_only_at_its_rate_and_on_its_methods(rate, methods, method, fails):
    chaos = Chaos()
    chaos.configure(rate=rate, methods=methods, seed=3)

    kind = chaos.draw(method)

    assert (kind is not None) == fails


def test_unknown_kinds_are_refused():
    with pytest.raises(ValueError, match="chaos kinds"):
        Chaos().configure(kinds=["teapot"])


@pytest.mark.parametrize("kind, error", [
    ("429", TelegramRetryAfter), ("500", TelegramServerError), ("502", TelegramServerError),
    ("reset", TelegramNetworkError), ("timeout", TelegramNetworkError),
])
async def test_each_kind_reaches_the_bot_as_telegram_trouble_and_sends_nothing(bot, client, villager, kind, error):
    await client.chaos(1.0, seed=5, kinds=[kind], hold=1.0, retry_after=2)

    with pytest.raises(error):
        await bot.send_message(villager.id, "一", request_timeout=0.5)

    calls = await settled_calls(client)
    assert [m for m in await client.messages(villager.id) if m["from_bot"]] == []
    assert calls[-1]["status"] == (int(kind) if kind.isdigit() else kind)
    assert (await client.chaos_counts())[kind] == 1


async def test_a_429_from_chaos_carries_its_retry_after(bot, client, villager):
    await client.chaos(1.0, kinds=["429"], retry_after=3)

    with pytest.raises(TelegramRetryAfter) as raised:
        await bot.send_message(villager.id, "一")

    assert raised.value.retry_after == 3


async def test_chaos_off_lets_calls_through_and_keeps_the_counts(bot, client, villager):
    await client.chaos(1.0, seed=2, kinds=["500"])
    with pytest.raises(TelegramServerError):
        await bot.send_message(villager.id, "一")

    settings = await client.chaos(0.0)
    sent = await bot.send_message(villager.id, "二")

    assert sent.text == "二"
    assert settings["injected"]["500"] == 1 and settings["rate"] == 0.0


async def test_chaos_faults_are_not_counted_as_refusals(bot, client, villager):
    await client.chaos(1.0, seed=9, kinds=["502", "reset"])
    for _ in range(4):
        with pytest.raises((TelegramServerError, TelegramNetworkError)):
            await bot.send_message(villager.id, "一")

    assert await client.refusals() == []


async def test_a_bad_chaos_setting_is_refused_by_the_control_api(client):
    with pytest.raises(AssertionError) as raised:
        await client.faults(chaos={"rate": 0.1, "kinds": ["teapot"]})

    assert "answered 422" in str(raised.value)
