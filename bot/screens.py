"""Answer a button press whatever became of the message it was on.

Telegram may hand a press over with the message inaccessible (too old, deleted) or missing;
such a message can still be answered in its chat but never edited.
"""
from __future__ import annotations

import logging
from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Chat, InaccessibleMessage, Message
from aiogram.utils.i18n import gettext as _

log = logging.getLogger(__name__)


def where(query: CallbackQuery) -> Message | InaccessibleMessage:
    """Return something to `.answer()` in the chat of the press, even when its message is gone."""
    if query.message is not None:
        return query.message
    chat = Chat(id=query.from_user.id, type="private")
    return InaccessibleMessage(chat=chat, message_id=0).as_(query.bot)


async def edit(query: CallbackQuery, text: str, **kwargs: Any) -> None:
    """Replace the text of the pressed message, or say it anew when that message cannot be edited."""
    if isinstance(query.message, Message) and query.message.text is not None:
        try:
            await query.message.edit_text(text, **kwargs)
            return
        except TelegramBadRequest as exc:
            if "not modified" in str(exc):
                return
            log.info("could not edit message %s (%s); sending anew", query.message.message_id, exc.message)
    await where(query).answer(text, **kwargs)


async def set_buttons(query: CallbackQuery, reply_markup: Any = None) -> None:
    """Change or drop the buttons of the pressed message, when it can still be edited."""
    if not isinstance(query.message, Message):
        return
    try:
        await query.message.edit_reply_markup(reply_markup=reply_markup)
    except TelegramBadRequest as exc:
        log.info("could not change the buttons of message %s (%s)", query.message.message_id, exc.message)


async def expect_text(message: Message) -> None:
    """Ask again for a step's words: neither a command nor a sticker is taken as them."""
    if (message.text or "").startswith("/"):
        await message.answer(_("You are in the middle of a step; a command is not taken as its text. Write it, "
                               "or /cancel."))
        return
    await message.answer(_("Please write it as text, or /cancel."))
