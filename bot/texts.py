"""Chat wording: the shared names (services/wording.py) in the current locale, escaping and splitting."""
from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _

from models import Case, Person
from services import wording
from services.text import fitting, telegram_length

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CHUNK = 3500
BUTTON_LIMIT = 40


def esc(text: str | None) -> str:
    """Escape user text for HTML parse mode."""
    return html.escape(text or "", quote=False)


def split_plain(text: str, limit: int = CHUNK) -> list[str]:
    """Split plain text into pieces of at most `limit` characters as Telegram counts them, at line or word
    breaks."""
    text = text or ""
    pieces = []
    while telegram_length(text) > limit:
        fit = fitting(text, limit)
        cut = max(text.rfind("\n", 0, fit), text.rfind(" ", 0, fit))
        cut = cut if cut > fit // 2 else fit
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n ")
    pieces.append(text)
    return pieces


def short(text: str | None, limit: int) -> str:
    """Cut plain text to `limit` characters with an ellipsis."""
    text = (text or "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def when(moment: datetime | None, tz: ZoneInfo) -> str:
    """Show a UTC moment in local time, short."""
    return wording.when(moment, tz, _)


def status_name(status: str) -> str:
    return wording.status_name(status, _)


def disposition_name(disposition: str | None) -> str:
    return wording.disposition_name(disposition, _)


def rating_name(rating: str | None) -> str:
    return wording.rating_name(rating, _)


def level_name(level: str) -> str:
    return wording.level_name(level, _)


def role_name(role: str) -> str:
    return wording.role_name(role, _)


def event_name(kind: str) -> str:
    return wording.event_name(kind, _)


def person_label(person: Person | None) -> str:
    """Name and role of a staff member, escaped."""
    if person is None:
        return "—"
    return staff_label(person.name, person.role)


def staff_label(name: str, role: str) -> str:
    """Name and role of a staff member given as values, escaped."""
    return _("{name} ({role})").format(name=esc(name), role=role_name(role))


def reporter_label(case: Case) -> str:
    """The reporter's name for staff, or 'anonymous' when they asked for it."""
    return _("anonymous villager") if case.anonymous else esc(case.reporter.name)


def category_name(case: Case, language: str) -> str:
    return esc(case.category.name(language))
