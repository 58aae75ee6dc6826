"""Fixtures: a sandbox served on a free port, an aiogram Bot pointed at it, the control client, an echo bot."""
from __future__ import annotations

import asyncio
import html
import contextlib

import httpx
import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from sandbox import serve_in_thread
from sandbox.client import SandboxClient

TOKEN = "7000000001:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


class LocalSession(AiohttpSession):
    """aiogram's session without the 250 ms it waits on close for TLS to shut down; plain local HTTP needs none."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def make_bot(base_url: str, token: str = TOKEN) -> Bot:
    """Return an aiogram Bot that talks to the sandbox at base_url exactly as to Telegram."""
    session = LocalSession(api=TelegramAPIServer.from_base(base_url))
    return Bot(token=token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


@pytest.fixture(scope="session")
def sandbox_server():
    """One sandbox for the whole run, in its own thread: starting uvicorn per test would cost more than the test."""
    server = serve_in_thread()
    server.http = httpx.Client(base_url=server.base_url)
    yield server
    server.http.close()
    server.stop()


@pytest.fixture
def sandbox(sandbox_server):
    """The session's sandbox, wiped clean for this test."""
    sandbox_server.http.post("/sandbox/reset", json={}).raise_for_status()
    return sandbox_server


@pytest.fixture
async def bot_factory():
    """Make aiogram Bots pointed at a sandbox (closed after the test): bot_factory(base_url, token=TOKEN)."""
    bots: list[Bot] = []

    def factory(base_url: str, token: str = TOKEN) -> Bot:
        bots.append(make_bot(base_url, token))
        return bots[-1]

    yield factory
    for made in bots:
        await made.session.close()


@pytest.fixture
async def bot(sandbox, bot_factory):
    return bot_factory(sandbox.base_url)


@pytest.fixture
async def client(sandbox):
    async with SandboxClient(sandbox.base_url) as client:
        yield client


@pytest.fixture
async def villager(client):
    """A villager who has started the bot (so the bot may write to them)."""
    person = await client.person(1001, "张大爷", label="村民 · 石桥村")
    await person.start()
    return person


ECHO_KEYBOARD = InlineKeyboardMarkup(inline_keyboard=[
    [InlineKeyboardButton(text="好的，知道了", callback_data="ok"), InlineKeyboardButton(text="再说一遍", callback_data="again")],
])


async def echo_bot(bot: Bot) -> None:
    """Answer every text with '收到：<text>' and a keyboard; answer presses and edit the pressed message."""
    offset = None
    while True:
        for update in await bot.get_updates(offset=offset, timeout=1):
            offset = update.update_id + 1
            if update.message and update.message.text:
                await bot.send_message(update.message.chat.id, f"收到：<b>{html.escape(update.message.text)}</b>",
                                       reply_markup=ECHO_KEYBOARD)
            elif update.message:
                await bot.send_message(update.message.chat.id, "收到一条非文字消息")
            elif update.callback_query:
                query = update.callback_query
                await bot.answer_callback_query(query.id, text="已收到")
                await bot.edit_message_text(f"你按了：{query.data}", chat_id=query.message.chat.id,
                                            message_id=query.message.message_id)


@pytest.fixture
async def echo(bot):
    """Run the echo bot against the sandbox for the length of a test."""
    task = asyncio.create_task(echo_bot(bot))
    yield task
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
