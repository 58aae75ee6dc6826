"""Replies inside a case conversation, relayed to the other side."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import Magic, RepliesToCase
from bot.parts import part_of
from models import Person
from services.conversation import add_message

router = Router(name="replies")


@router.message(RepliesToCase(), Magic(~F.text.startswith("/")))
async def relay_reply(message: Message, case_id: int, session: AsyncSession, person: Person, now):
    """Add the reply to its case and pass it to the other side."""
    part = part_of(message)
    if part is None:
        await message.answer(_("That kind of message cannot be passed on. Please send text, a photo, a voice "
                               "message or a location."))
        return
    relayed = await add_message(session, case_id=case_id, author=person, part=part, now=now)
    await message.reply(_("✓ Sent ({number}).").format(number=relayed.number))
