"""The test helpers in sandbox.client, played against a tiny echo bot."""
from __future__ import annotations

import pytest

KEYBOARD = {"inline_keyboard": [[{"text": "好的，知道了", "callback_data": "ok"},
                                 {"text": "再说一遍", "callback_data": "again"}]]}


async def test_wait_for_returns_the_bots_answer(echo, villager):
    await villager.say("水管爆了")

    answer = await villager.wait_for("水管爆了")

    assert answer["text"] == "收到：水管爆了"
    assert answer["entities"] == [{"type": "bold", "offset": 3, "length": 4}]


async def test_wait_for_returns_only_messages_newer_than_the_last_one_consumed(echo, villager):
    await villager.wait_for("/start")
    await villager.say("第一句")
    first = await villager.wait_for("收到")

    await villager.say("第二句")
    second = await villager.wait_for("收到")

    assert (first["text"], second["text"]) == ("收到：第一句", "收到：第二句")


async def test_wait_for_takes_a_predicate(echo, villager):
    await villager.send_sticker()

    answer = await villager.wait_for(predicate=lambda m: "非文字" in m["text"])

    assert answer["text"] == "收到一条非文字消息"


async def test_wait_for_times_out_with_what_the_chat_received(bot, villager):
    await bot.send_message(villager.id, "别的话", reply_markup={"inline_keyboard": [[{"text": "好", "callback_data": "ok"}]]})

    with pytest.raises(AssertionError) as raised:
        await villager.wait_for("案件编号", timeout=0.3)

    report = str(raised.value)
    assert "案件编号" in report and "别的话" in report and "['好']" in report


async def test_a_timeout_report_lists_the_calls_telegram_refused(bot, villager):
    with pytest.raises(Exception):
        await bot.send_message(villager.id, "<b>坏的")

    with pytest.raises(AssertionError, match="can't parse entities"):
        await villager.wait_for(timeout=0.2)


async def test_press_finds_a_button_by_exact_text_then_substring_then_data(bot, client, villager):
    card = await bot.send_message(villager.id, "请选择", reply_markup=KEYBOARD)

    by_text = await villager.press(card, "再说一遍")
    by_part = await villager.press(card, "好的")
    by_data = await villager.press(card, "again")
    queries = {q["id"]: q["data"] for q in await client.request("GET", "/callbacks")}

    assert [queries[q] for q in (by_text, by_part, by_data)] == ["again", "ok", "again"]


async def test_press_names_the_buttons_when_none_matches(bot, villager):
    card = await bot.send_message(villager.id, "请选择", reply_markup={
        "inline_keyboard": [[{"text": "满意", "callback_data": "rate:5"}]]})

    with pytest.raises(AssertionError, match=r"no button '不存在'.*满意.*rate:5"):
        await villager.press(card, "不存在")


async def test_pressing_then_waiting_for_the_edit_sees_the_new_text(echo, client, villager):
    await villager.say("你好")
    card = await villager.wait_for("你好")

    await villager.press(card, "好的")
    edited = await villager.wait_for_edit(card, contains="你按了")

    assert edited["text"] == "你按了：ok" and "reply_markup" not in edited
    assert await client.unanswered() == []


async def test_a_reply_keyboard_button_is_pressed_by_sending_its_text(bot, villager):
    card = await bot.send_message(villager.id, "请选择", reply_markup={
        "keyboard": [[{"text": "我要反映问题"}]], "resize_keyboard": True})

    sent = await villager.press(card, "我要反映问题")

    assert sent["text"] == "我要反映问题" and sent["from_bot"] is False


async def test_reply_sends_a_reply_to_the_given_message(echo, villager):
    card = await bot_card(villager)

    sent = await villager.reply(card, "补充一下")

    assert sent["reply_to_message"]["message_id"] == card["message_id"]


async def bot_card(person) -> dict:
    await person.say("问题")
    return await person.wait_for("问题")


async def test_the_echo_bot_made_no_call_telegram_would_refuse(echo, client, villager):
    await villager.say("<script>alert(1)</script> & 你好")

    await villager.wait_for("script")

    assert await client.refusals() == []
