"""Filters that look something up before a handler runs."""
from __future__ import annotations

from aiogram.filters import BaseFilter
from aiogram.types import Message
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
