"""The outbox sender is woken by an update only when that update queued something for it to send."""
from __future__ import annotations

import json

import pytest
from aiogram.methods import SendMessage

from bot.api_session import BotApiSession, sender_reads_ids
from tests.harness import Harness
from tests.test_case_loop import ZHANG

# Each step of a report and a reply to its receipt, and whether the sender is woken after it.
STEPS = [
    ("say", "/start v_sq01", False),
    ("say", "/new", False),
    ("press", "环境污染", False),
    ("say", "村口的河被排污染黑了", False),
    ("press", "下一步", False),
    ("press", "显示我的名字", False),
    ("press", "提交", True),  # the cadre's new-case card is queued
    ("reply", "补充：今天又排了一次", True),  # the relay to the cadre is queued
    ("say", "/help", False),
]


async def test_only_an_update_that_queued_a_message_wakes_the_sender(sessionmaker, clock, config, county):
    pokes: list[int] = []
    chat = Harness(sessionmaker, clock, config, on_commit=lambda: pokes.append(1))
    woken = []

    for action, what, _ in STEPS:
        before = len(pokes)
        if action == "press":
            await chat.press(ZHANG, what)
        elif action == "reply":
            await chat.say(ZHANG, what, reply_to=chat.find(ZHANG, "案件编号"))
        else:
            await chat.say(ZHANG, what)
        woken.append(len(pokes) > before)

    assert woken == [expected for *_, expected in STEPS]


def answer(result: dict, ok: bool = True) -> str:
    return json.dumps({"ok": ok, "result": result})


SENT = {"message_id": 77, "date": 1_790_000_000, "chat": {"id": 42, "type": "private", "first_name": "王建国"},
        "from": {"id": 1, "is_bot": True, "first_name": "bot"}, "text": "【2026-0001】村民：补充",
        "reply_to_message": {"message_id": 5, "date": 1_790_000_000, "chat": {"id": 42, "type": "private"},
                             "text": "🆕 新案件"},
        "reply_markup": {"inline_keyboard": [[{"text": "接单", "callback_data": "c:1:take"}]]}}


async def test_the_sender_reads_a_sent_message_as_its_id_and_chat_only(chat):
    session = BotApiSession()
    method = SendMessage(chat_id=42, text="x")

    with sender_reads_ids():
        light = session.check_response(chat.bot, method, 200, answer(SENT)).result
    full = session.check_response(chat.bot, method, 200, answer(SENT)).result

    assert (light.message_id, light.chat.id, light.date) == (full.message_id, full.chat.id, full.date)
    assert (light.text, light.reply_to_message) == (None, None)
    assert (full.text, full.reply_to_message.message_id) == (SENT["text"], 5)


@pytest.mark.parametrize(("status", "body", "error"), [
    (429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 3",
           "parameters": {"retry_after": 3}}, "TelegramRetryAfter"),
    (403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
     "TelegramForbiddenError"),
    (400, {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"}, "TelegramBadRequest"),
    (502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}, "TelegramServerError"),
])
async def test_a_refused_send_raises_as_aiogram_would_for_the_sender_too(chat, status, body, error):
    session = BotApiSession()

    with sender_reads_ids(), pytest.raises(Exception) as raised:
        session.check_response(chat.bot, SendMessage(chat_id=42, text="x"), status, json.dumps(body))

    assert type(raised.value).__name__ == error
