"""The Bot API session: calls go as JSON (files as a form), and the poller's held updates are not read again."""
from __future__ import annotations

import json

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import GetUpdates
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup
from aiohttp import web

from bot.api_session import BotApiSession, updates_held
from bot.sandbox_run import SANDBOX_TOKEN

SENT = {"message_id": 7, "date": 1_790_000_000, "chat": {"id": 42, "type": "private"}, "text": "x"}


async def recording_server():
    """Serve a Bot API stand-in that records each request's content type and parameters."""
    seen: list[tuple[str, dict]] = []

    async def call(request: web.Request) -> web.Response:
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = {k: (v if isinstance(v, str) else "<file>") for k, v in (await request.post()).items()}
        seen.append((request.content_type, params))
        return web.json_response({"ok": True, "result": SENT})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", call)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}", seen


async def test_a_call_goes_as_json_with_defaults_applied_and_a_file_as_a_form():
    runner, base, seen = await recording_server()
    bot = Bot(SANDBOX_TOKEN, session=BotApiSession(api=TelegramAPIServer.from_base(base)),
              default=DefaultBotProperties(parse_mode="HTML"))
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="接单", callback_data="c:1:take")]])
    try:
        sent = await bot.send_message(42, "<b>新案件</b> 村口的河", reply_markup=markup, disable_notification=False)
        await bot.send_photo(42, BufferedInputFile(b"\x89PNG", "river.png"), caption="照片")
    finally:
        await bot.session.close()
        await runner.cleanup()

    (json_type, params), (form_type, form) = seen
    assert sent.message_id == 7
    assert json_type == "application/json"
    assert params == {"chat_id": 42, "text": "<b>新案件</b> 村口的河", "parse_mode": "HTML",
                      "disable_notification": False,
                      "reply_markup": {"inline_keyboard": [[{"text": "接单", "callback_data": "c:1:take"}]]}}
    assert form_type == "multipart/form-data"
    assert form["caption"] == "照片" and form["photo"].startswith("attach://") and "<file>" in form.values()


def test_the_updates_the_poller_holds_are_left_out_of_a_getupdates_answer():
    session = BotApiSession()
    updates = [{"update_id": uid, "message": {"message_id": uid, "date": 1_790_000_000, "text": f"第{uid}条",
                                             "chat": {"id": 42, "type": "private"}}} for uid in (101, 102, 103)]
    content = json.dumps({"ok": True, "result": updates})
    bot = Bot(SANDBOX_TOKEN)

    with updates_held(lambda uid: uid == 102):
        fresh = session.check_response(bot, GetUpdates(), 200, content).result
    every = session.check_response(bot, GetUpdates(), 200, content).result

    assert [u.update_id for u in fresh] == [101, 103]
    assert [u.update_id for u in every] == [101, 102, 103]
    assert fresh[1].message.text == "第103条"
