"""A person blocking or unblocking the bot in their private chat (Telegram's my_chat_member update)."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.types import ChatMemberUpdated
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import Magic
from models import Person
from services.people import note_reachability

router = Router(name="membership")
GONE = (ChatMemberStatus.KICKED, ChatMemberStatus.LEFT)


@router.my_chat_member(Magic(F.chat.type == ChatType.PRIVATE))
async def blocked_or_unblocked(event: ChatMemberUpdated, session: AsyncSession, person: Person, now):
    """Mark a person who blocked the bot unreachable, and reachable again when they unblock it."""
    await note_reachability(session, person, blocked=event.new_chat_member.status in GONE, now=now)
