"""Filters that look something up before a handler runs."""
from __future__ import annotations

from typing import Any

from aiogram.enums import ChatType
from aiogram.filters import BaseFilter
from babel.support import LazyProxy
from magic_filter import MagicFilter
from aiogram.types import CallbackQuery, Chat, Message, User
from sqlalchemy.ext.asyncio import AsyncSession

from models import queries as q


class MenuButton(BaseFilter):
    """Match a press of the menu button with this label, in the person's language."""

    def __init__(self, label: LazyProxy):
        self.label = label

    def matches(self, text: str | None) -> bool:
        """Say whether the text is this button's label."""
        return text == str(self.label)

    async def __call__(self, message: Message) -> bool:
        return self.matches(message.text)


class Magic(BaseFilter):
    """Check a magic filter (`F.text == ...`) in place: aiogram would run it on a worker thread, each time."""

    def __init__(self, magic: MagicFilter):
        self.magic = magic

    async def __call__(self, event: Message | CallbackQuery) -> Any:
        return self.magic.resolve(event)


class RepliesToCase(BaseFilter):
    """Match a reply to a message that belongs to a case; pass its id as `case_id`."""

    async def __call__(self, message: Message, session: AsyncSession) -> bool | dict:
        original = message.reply_to_message
        if original is None:
            return False
        case_id = await q.case_id_by_link(session, str(message.chat.id), original.message_id)
        return {"case_id": case_id} if case_id else False


class OutsidePrivateChat(BaseFilter):
    """Match what does not come from a person in a private chat: groups, channels, bot accounts."""

    async def __call__(self, event: Message | CallbackQuery) -> bool:
        return not serves(event.from_user, chat_of(event))


def chat_of(event: Message | CallbackQuery) -> Chat | None:
    """Return the chat an incoming message or button press happened in."""
    if isinstance(event, Message):
        return event.chat
    return event.message.chat if event.message is not None else None


def serves(user: User | None, chat: Chat | None) -> bool:
    """Say whether the bot serves this sender here: a person, in their private chat."""
    return user is not None and not user.is_bot and chat is not None and chat.type == ChatType.PRIVATE
