"""Filters that look something up before a handler runs."""
from __future__ import annotations

from aiogram.enums import ChatType
from aiogram.filters import BaseFilter
from aiogram.types import CallbackQuery, Chat, Message, User
from sqlalchemy.ext.asyncio import AsyncSession

from models import queries as q


class RepliesToCase(BaseFilter):
    """Match a reply to a message that belongs to a case; pass its id as `case_id`."""

    async def __call__(self, message: Message, session: AsyncSession) -> bool | dict:
        original = message.reply_to_message
        if original is None:
            return False
        case = await q.case_by_link(session, str(message.chat.id), original.message_id)
        return {"case_id": case.id} if case else False


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
