"""Anything outside a private chat with a person: groups, channels, other bots. No case data goes there."""
from __future__ import annotations

from aiogram import Bot, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.filters import OutsidePrivateChat

router = Router(name="outside")
router.message.filter(OutsidePrivateChat())
router.callback_query.filter(OutsidePrivateChat())


def _private_only() -> str:
    return _("I serve people one by one in a private chat, to keep their cases private. Please write to me "
             "directly.")


@router.message()
async def message_outside(message: Message, bot: Bot):
    """Point a command or a reply to the bot in a group at the private chat; ignore other chatter."""
    original = message.reply_to_message
    replies_to_me = original is not None and original.from_user is not None and original.from_user.id == bot.id
    if (message.text or "").startswith("/") or replies_to_me:
        await message.reply(_private_only())


@router.callback_query()
async def press_outside(query: CallbackQuery):
    """Refuse a button pressed outside a private chat."""
    await query.answer(_private_only()[:190], show_alert=True)
