"""Whatever no other handler took: stale buttons and messages in the middle of a step."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.filters import Magic

router = Router(name="fallback")


@router.callback_query()
async def stale_button(query: CallbackQuery):
    """Answer a button that no longer means anything."""
    await query.answer(_("This button is no longer valid."), show_alert=True)


@router.message()
async def unexpected_message(message: Message):
    """Answer anything else with the way out."""
    await message.answer(_("I did not understand that here. /cancel stops the current step; /help lists "
                           "what I can do."))


@router.edited_message(Magic(F.chat.type == ChatType.PRIVATE))
async def edited_message(message: Message):
    """Say that a change to a message already sent is not taken."""
    await message.answer(_("I do not see changes to a message already sent. Please send the correction as a new "
                           "message."))
