"""The bot's log, at DEBUG, over whole scenarios: never the token, a phone number or an anonymous reporter's name.

The bot runs in this process against the sandbox over real HTTP (aiogram's aiohttp session, the token
in every URL), with the log set up as `python -m bot` sets it up (bot/logs.py), every logger at the
levels that setup leaves them. The sandbox's own log is Telegram's side, not the bot's, and is left out.
"""
from __future__ import annotations

import asyncio
import io
import logging
import time
from datetime import datetime, timezone

import pytest
from aiohttp import web

from bot.logs import QUIET, configure, redact
from bot.sandbox_run import SANDBOX_TOKEN, register_people
from tests.e2e.test_case_loop_e2e import report

SECRET = SANDBOX_TOKEN.split(":", 1)[1]
PHONE_IN_TEXT, PHONE_SHARED = "13812345678", "+86 139 0000 1111"
ANONYMOUS = "李大妈"


@pytest.fixture
def captured():
    """The bot's log set up at DEBUG into a buffer; everything as it was afterwards."""
    root = logging.getLogger()
    saved = root.level, {name: logging.getLogger(name).level for name in QUIET}
    sandbox_log = logging.getLogger("sandbox")
    buffer = io.StringIO()
    handler = configure("DEBUG", secrets=[SANDBOX_TOKEN], stream=buffer)
    sandbox_log.propagate = False
    yield buffer
    sandbox_log.propagate = True
    root.removeHandler(handler)
    root.setLevel(saved[0])
    for name, level in saved[1].items():
        logging.getLogger(name).setLevel(level)


def leaks(log: str) -> list[str]:
    digits = "".join(ch for ch in PHONE_SHARED if ch.isdigit())
    found = [what for what in (SANDBOX_TOKEN, SECRET, PHONE_IN_TEXT, PHONE_SHARED, digits[2:], ANONYMOUS)
             if what in log]
    return found


async def until(check, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := await check():
            return result
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


@pytest.mark.parametrize("text, masked", [
    ("电话13812345678", "电话<phone>"),
    ("call +86 138-1234-5678 now", "call <phone> now"),
    ("office 0731-84561234", "office <phone>"),
    ("+44 20 7946 0958", "<phone>"),
    (f"POST /bot{SANDBOX_TOKEN}/sendMessage", "POST /bot<token>/sendMessage"),
    ("update 123456789 by bot id=7000000001 took 12 ms", "update 123456789 by bot id=7000000001 took 12 ms"),
])
def test_tokens_and_phone_numbers_are_masked_and_ids_are_not(text, masked):
    assert redact(text) == masked


async def test_a_day_of_reports_replies_broadcasts_and_sweeps_logs_no_secret(captured, tmp_path):
    from bot.app import build_app
    from bot.commands import serve
    from bot.demo import load_demo
    from bot.migrate import upgrade
    from bot.settings import Settings
    from models.db import make_engine, make_sessionmaker
    from sandbox.client import SandboxClient
    from sandbox.server import serve as serve_sandbox
    from services.broadcasts import create_broadcast

    url = f"sqlite:///{tmp_path / 'bot.db'}"
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    async with make_sessionmaker(engine)() as session:
        await load_demo(session, datetime.now(timezone.utc))
    running = await serve_sandbox()
    await register_people(running.base_url)
    settings = Settings(_env_file=None, database_url=url, bot_api_base=running.base_url, sweep_interval="1s",
                        dashboard_listen="", log_level="DEBUG")
    app = await build_app(settings, SANDBOX_TOKEN)
    bot_task = asyncio.create_task(serve(app))
    client = SandboxClient(running.base_url)
    try:
        zhang, li = await client.person(3001, "张大爷"), await client.person(3002, ANONYMOUS)
        wang = await client.person(2001, "王建国")
        _, receipt = await report(client, zhang, "环境污染", f"河水发黑，有事打我电话{PHONE_IN_TEXT}")
        message = {"message_id": running.state.new_message_id(3001), "date": int(time.time()),
                   "chat": running.state.people[3001].chat(), "from": running.state.people[3001].user(),
                   "contact": {"phone_number": PHONE_SHARED, "first_name": "张大爷", "user_id": 3001}}
        running.state.add_message(3001, message, from_bot=False)
        running.state.queue_update("message", message)
        await report(client, li, "社会治安", "晚上有人偷电动车", anonymous=True)
        card = await wang.wait_for("河水发黑")
        await client.faults(fail_next={"method": "sendMessage", "status": 502})  # the relay fails once
        await wang.reply(card, "明天上午去现场查看")
        await zhang.wait_for("明天上午去现场查看", timeout=20)
        async with make_sessionmaker(engine)() as session:
            await create_broadcast(session, app.config, by=None, audience="county", text="明天上午停水",
                                   now=datetime.now(timezone.utc))
            await session.commit()
        await zhang.wait_for("明天上午停水", timeout=20)
        await asyncio.sleep(2.5)  # a few sweep ticks with nothing due
    finally:
        bot_task.cancel()
        await asyncio.gather(bot_task, return_exceptions=True)
        await client.aclose()
        await running.stop()
        await engine.dispose()
    log = captured.getvalue()

    assert "is handled" in log and "DEBUG" in log  # the whole run was captured, at DEBUG
    assert leaks(log) == []
    assert "Running job" not in log and "executed successfully" not in log
    assert log.count("broadcasts: queued") == 1
    assert "deadline sweep" not in log  # nothing was due: the ticks left no line


async def test_a_bot_api_call_failing_with_the_token_in_its_url_logs_it_masked(captured):
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram import Bot, Dispatcher

    from bot.polling import Polling

    async def loop_back(request: web.Request) -> web.Response:
        if request.path.endswith("/getMe"):
            return web.json_response({"ok": True, "result": {"id": 7000000001, "is_bot": True,
                                                             "first_name": "bot", "username": "massline_demo_bot"}})
        raise web.HTTPFound(str(request.rel_url))  # a misconfigured proxy: redirects for ever, URL and all

    server = web.Application()
    server.router.add_route("*", "/{tail:.*}", loop_back)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
    bot = Bot(SANDBOX_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(base)))
    polling = Polling(Dispatcher(), bot, first_delay=0.01)
    stop = asyncio.Event()
    task = asyncio.create_task(polling.run(stop))
    try:
        await until(lambda: asyncio.sleep(0, result=polling.fetch_failures >= 1))
    finally:
        stop.set()
        await task
        await bot.session.close()
        await runner.cleanup()
    log = captured.getvalue()

    assert "TooManyRedirects" in log and "/bot<token>/getUpdates" in log
    assert leaks(log) == []
