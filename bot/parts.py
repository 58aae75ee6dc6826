"""Turn an incoming Telegram message into a channel-neutral Part."""
from __future__ import annotations

from aiogram.types import Message

from models.enums import MessageKind
from services.intake import Part


def part_of(message: Message) -> Part | None:
    """Return the message as a Part, or None for what a case cannot carry (stickers, polls...)."""
    if message.text is not None:
        return Part(MessageKind.text, text=message.text)
    if message.photo:
        return Part(MessageKind.photo, file_id=message.photo[-1].file_id, text=message.caption)
    if message.voice:
        return Part(MessageKind.voice, file_id=message.voice.file_id, text=message.caption)
    if message.video:
        return Part(MessageKind.video, file_id=message.video.file_id, text=message.caption)
    if message.document:
        return Part(MessageKind.document, file_id=message.document.file_id, text=message.caption)
    if message.location:
        return Part(MessageKind.location, latitude=message.location.latitude,
                    longitude=message.location.longitude)
    return None
