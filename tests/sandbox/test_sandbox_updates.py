"""getUpdates long polling, as aiogram's polling loop uses it."""
from __future__ import annotations

import asyncio

import pytest
from aiogram.exceptions import TelegramConflictError


async def test_a_message_a_person_sends_is_returned_by_get_updates(bot, client):
    person = await client.person(1001, "张大爷")
    sent = await person.say("村口的桥裂了")

    updates = await bot.get_updates(timeout=0)

    assert [u.message.text for u in updates] == ["村口的桥裂了"]
    assert updates[0].message.message_id == sent["message_id"]
    assert updates[0].message.from_user.first_name == "张大爷"


async def test_an_offset_confirms_the_updates_before_it(bot, villager):
    await villager.say("第二条")
    first = await bot.get_updates(timeout=0)

    after = await bot.get_updates(offset=first[0].update_id + 1, timeout=0)

    assert [u.message.text for u in first] == ["/start", "第二条"]
    assert [u.message.text for u in after] == ["第二条"]


async def test_unconfirmed_updates_are_returned_again(bot, villager):
    first = await bot.get_updates(timeout=0)

    again = await bot.get_updates(timeout=0)

    assert [u.update_id for u in again] == [u.update_id for u in first]


async def test_a_long_poll_with_nothing_to_return_answers_an_empty_list_after_its_timeout(bot):
    updates = await bot.get_updates(timeout=1)

    assert updates == []


async def test_a_long_poll_returns_an_update_that_arrives_while_it_waits(bot, client):
    person = await client.person(1001, "张大爷")
    poll = asyncio.create_task(bot.get_updates(timeout=20))
    await asyncio.sleep(0.05)

    await person.say("在吗")
    updates = await poll

    assert [u.message.text for u in updates] == ["在吗"]


async def test_limit_caps_how_many_updates_come_back(bot, villager):
    for text in ("一", "二", "三"):
        await villager.say(text)

    updates = await bot.get_updates(limit=2, timeout=0)

    assert [u.message.text for u in updates] == ["/start", "一"]


async def test_allowed_updates_drops_the_kinds_the_bot_did_not_ask_for(bot, villager):
    sent = await bot.send_message(villager.id, "请选择", reply_markup={
        "inline_keyboard": [[{"text": "好", "callback_data": "ok"}]]})
    await villager.press(sent, "好")

    updates = await bot.get_updates(allowed_updates=["callback_query"], timeout=0)

    assert [u.callback_query.data for u in updates] == ["ok"]


async def test_a_pressed_button_arrives_as_a_callback_query_with_its_message(bot, villager):
    sent = await bot.send_message(villager.id, "是否解决？", reply_markup={
        "inline_keyboard": [[{"text": "满意", "callback_data": "rate:5"}, {"text": "不满意", "callback_data": "rate:1"}]]})

    query_id = await villager.press(sent, "不满意")
    updates = await bot.get_updates(timeout=0)

    query = updates[-1].callback_query
    assert (query.id, query.data, query.from_user.id) == (query_id, "rate:1", villager.id)
    assert query.message.message_id == sent.message_id and query.message.text == "是否解决？"


async def test_get_updates_is_refused_while_a_webhook_is_set(bot):
    await bot.set_webhook("https://bot.example.org/telegram")

    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates(timeout=0)
    await bot.delete_webhook()
    assert await bot.get_updates(timeout=0) == []


async def test_a_second_poller_terminates_the_first(bot):
    first = asyncio.create_task(bot.get_updates(timeout=20))
    await asyncio.sleep(0.05)

    second = asyncio.create_task(bot.get_updates(timeout=0))

    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await first
    assert await second == []
