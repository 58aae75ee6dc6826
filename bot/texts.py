"""Shared wording: names of statuses and dispositions, times, escaping and splitting."""
from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _

from models import Case, Person
from models.enums import Disposition, EventKind, Level, Rating, Role, Status

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CHUNK = 3500
BUTTON_LIMIT = 40


def esc(text: str | None) -> str:
    """Escape user text for HTML parse mode."""
    return html.escape(text or "", quote=False)


def split_plain(text: str, limit: int = CHUNK) -> list[str]:
    """Split plain text into pieces of at most `limit` characters, at line or word breaks."""
    text = text or ""
    pieces = []
    while len(text) > limit:
        cut = max(text.rfind("\n", 0, limit), text.rfind(" ", 0, limit))
        cut = cut if cut > limit // 2 else limit
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
    if moment is None:
        return "—"
    local = moment.astimezone(tz)
    return _("{month}/{day} {hm}").format(month=local.month, day=local.day, hm=local.strftime("%H:%M"))


def status_name(status: str) -> str:
    return {
        Status.submitted: _("submitted"),
        Status.assigned: _("waiting to be taken on"),
        Status.in_progress: _("in progress"),
        Status.resolved: _("answered, awaiting your verdict"),
        Status.awaiting_signoff: _("awaiting the supervisor's sign-off"),
        Status.closed: _("closed"),
    }[Status(status)]


def disposition_name(disposition: str | None) -> str:
    if disposition is None:
        return "—"
    return {
        Disposition.resolved: _("solved"),
        Disposition.explained: _("explained"),
        Disposition.assisted: _("helped"),
        Disposition.referred_to_law: _("handled according to law"),
        Disposition.deferred: _("deferred until conditions allow"),
    }[Disposition(disposition)]


def rating_name(rating: str | None) -> str:
    if rating is None:
        return "—"
    return {Rating.satisfied: _("satisfied"), Rating.basically: _("basically satisfied"),
            Rating.unsatisfied: _("not satisfied")}[Rating(rating)]


def level_name(level: str) -> str:
    return {Level.village: _("village"), Level.township: _("township"), Level.county: _("county")}[Level(level)]


def role_name(role: str) -> str:
    return {
        Role.villager: _("villager"), Role.cadre: _("village cadre"), Role.township_leader: _("township leader"),
        Role.county_leader: _("county leader"), Role.supervisor: _("supervisor"),
        Role.inspector: _("discipline inspector"),
    }[Role(role)]


def event_name(kind: str) -> str:
    return {
        EventKind.submitted: _("reported"), EventKind.assigned: _("assigned"),
        EventKind.accepted: _("taken on"), EventKind.message: _("message"),
        EventKind.first_contact: _("first contact"), EventKind.resolved: _("answered"),
        EventKind.rated: _("rated"), EventKind.reopened: _("reopened"), EventKind.closed: _("closed"),
        EventKind.escalated: _("escalated"), EventKind.transferred: _("transferred"),
        EventKind.extended: _("deadline extended"), EventKind.supervised: _("listed for supervision"),
        EventKind.revisited: _("taken up again"),
        EventKind.signoff_requested: _("sent for sign-off"), EventKind.returned: _("sent back by the supervisor"),
        EventKind.helper_added: _("helper added"), EventKind.helper_removed: _("helper removed"),
        EventKind.note: _("note"), EventKind.mediated: _("mediation recorded"),
        EventKind.flagged: _("flagged (early warning)"), EventKind.linked: _("linked as one matter"),
    }[EventKind(kind)]


def person_label(person: Person | None) -> str:
    """Name and role of a staff member, escaped."""
    if person is None:
        return "—"
    return _("{name} ({role})").format(name=esc(person.name), role=role_name(person.role))


def reporter_label(case: Case) -> str:
    """The reporter's name for staff, or 'anonymous' when they asked for it."""
    return _("anonymous villager") if case.anonymous else esc(case.reporter.name)


def category_name(case: Case, language: str) -> str:
    return esc(case.category.name(language))
