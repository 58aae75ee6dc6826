"""An in-process stand-in for Telegram: records every call the bot makes and answers like Telegram."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from aiogram import Bot
from aiogram.client.default import Default, DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.enums import ParseMode
from aiogram.methods import (
    AnswerCallbackQuery, CopyMessage, EditMessageReplyMarkup, EditMessageText, GetMe, SendDocument, SendMessage,
    SendPhoto, SendVenue, SendVideo, SendVoice, TelegramMethod,
)
from pydantic import BaseModel
from aiogram.types import Chat, Location, Message, PhotoSize, User, Venue, Voice

BOT_USER = User(id=7000000001, is_bot=True, first_name="群众路线助手", username="massline_demo_bot")
TOKEN = "7000000001:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    refusal: str | None = None


@dataclass
class FakeTelegram(BaseSession):
    """Answer the bot's calls, keep each chat's messages, and note what Telegram would refuse."""

    calls: list[Call] = field(default_factory=list)
    chats: dict[int, list[Message]] = field(default_factory=dict)
    answered: set[str] = field(default_factory=set)
    fail_next: list[Exception] = field(default_factory=list)
    # The next call of a method fails with the given error (once).
    fail_on: dict[str, Exception] = field(default_factory=dict)

    def __post_init__(self):
        BaseSession.__init__(self)
        self._ids = itertools.count(1000)

    async def close(self) -> None:
        return None

    async def stream_content(self, *args, **kwargs):  # pragma: no cover - not used by the bot
        raise NotImplementedError

    async def make_request(self, bot: Bot, method: TelegramMethod, timeout: int | None = None) -> Any:
        name = method.__api_method__
        params = plain_params(bot, method)
        call = Call(name, params, refusal=refusal_of(name, params, self))
        self.calls.append(call)
        if self.fail_next:
            raise self.fail_next.pop(0)
        if name in self.fail_on:
            raise self.fail_on.pop(name)
        if isinstance(method, GetMe):  # asked when a command names a bot: /new@massline_demo_bot
            return BOT_USER
        if isinstance(method, AnswerCallbackQuery):
            self.answered.add(method.callback_query_id)
            return True
        if isinstance(method, (SendMessage, SendPhoto, SendVoice, SendVenue, SendDocument, SendVideo,
                               CopyMessage)):
            return self._store(method)
        if isinstance(method, (EditMessageText, EditMessageReplyMarkup)):
            return self._edit(method)
        return True

    def _store(self, method) -> Message:
        chat_id = int(method.chat_id)
        extra: dict[str, Any] = {}
        if isinstance(method, SendPhoto):
            extra["photo"] = [PhotoSize(file_id=str(method.photo), file_unique_id="u", width=1, height=1)]
            extra["caption"] = method.caption
        if isinstance(method, SendVoice):
            extra["voice"] = Voice(file_id=str(method.voice), file_unique_id="v", duration=1)
            extra["caption"] = method.caption
        if isinstance(method, SendVenue):
            extra["venue"] = Venue(location=Location(latitude=method.latitude, longitude=method.longitude),
                                   title=method.title, address=method.address)
        message = Message(
            message_id=next(self._ids), date=datetime.now(timezone.utc), from_user=BOT_USER,
            chat=Chat(id=chat_id, type="private"), text=getattr(method, "text", None),
            reply_markup=getattr(method, "reply_markup", None)
            if getattr(getattr(method, "reply_markup", None), "inline_keyboard", None) else None,
            **extra,
        )
        self.chats.setdefault(chat_id, []).append(message)
        return message

    def _edit(self, method) -> Message:
        chat = self.chats.get(int(method.chat_id), [])
        for i, old in enumerate(chat):
            if old.message_id == method.message_id:
                changes: dict[str, Any] = {"reply_markup": method.reply_markup}
                if isinstance(method, EditMessageText):
                    changes["text"] = method.text
                chat[i] = old.model_copy(update=changes)
                return chat[i]
        raise AssertionError(f"edit of unknown message {method.message_id}")


def plain_params(bot: Bot, method: TelegramMethod) -> dict[str, Any]:
    """Return the call's fields as Telegram would receive them, bot defaults applied."""
    return {k: v for k, v in plain(bot, method).items() if v is not None}


def plain(bot: Bot, value: Any) -> Any:
    if isinstance(value, Default):
        value = bot.default[value.name] if bot.default else None
    if isinstance(value, BaseModel):
        fields = {name: plain(bot, getattr(value, name)) for name in type(value).model_fields}
        return {k: v for k, v in fields.items() if v is not None}
    if isinstance(value, list):
        return [plain(bot, v) for v in value]
    if isinstance(value, datetime):
        return int(value.timestamp())
    return value


def refusal_of(method: str, params: dict, fake: FakeTelegram) -> str | None:
    """Return why Telegram would refuse this call, using the sandbox's rules when present."""
    try:
        from sandbox.rules import check_call
    except ImportError:  # the sandbox package is optional for these tests
        return None
    refusal = check_call(method, params)
    return None if refusal is None else str(getattr(refusal, "description", refusal))


def make_bot(session: FakeTelegram) -> Bot:
    """Return a Bot that talks to the fake."""
    return Bot(token=TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
