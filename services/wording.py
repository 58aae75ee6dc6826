"""Words chat and web share: names of statuses, dispositions, ratings, levels, roles and events, local times.

Framework-free: each function takes the gettext of the reader's language (aiogram's in chat, Babel's
Translations over the same compiled catalogs on the web), so both say the same thing in the same words.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from models.enums import Disposition, EventKind, Level, Rating, Role, Status

Gettext = Callable[[str], str]

LOCALES = Path(__file__).resolve().parent.parent / "locales"
COMPILED = LOCALES.parent / "build" / "locales"
DOMAIN = "messages"
DEFAULT_LOCALE = "zh_CN"
LANGUAGES = ("zh_CN", "en")
NO_VALUE = "—"


def compile_catalogs(source: Path = LOCALES, target: Path = COMPILED) -> Path:
    """Compile each `<locale>/LC_MESSAGES/messages.po` to a .mo under `target` with Babel."""
    for po in sorted(source.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        locale = po.parent.parent.name
        mo = target / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as f:
            catalog = read_po(f, locale=locale)
        mo.parent.mkdir(parents=True, exist_ok=True)
        tmp = mo.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as f:
            write_mo(f, catalog)
        tmp.replace(mo)  # atomic, so parallel processes never read half a file
    return target


@lru_cache(maxsize=None)
def translations(locale: str) -> Translations:
    """Return the compiled catalog of a language (Chinese for anything but English)."""
    locale = locale if locale in LANGUAGES else DEFAULT_LOCALE
    return Translations.load(str(compile_catalogs()), [locale], domain=DOMAIN)


def when(moment: datetime | None, tz: ZoneInfo, _: Gettext) -> str:
    """Show a UTC moment in local time, short."""
    if moment is None:
        return NO_VALUE
    local = moment.astimezone(tz)
    return _("{month}/{day} {hm}").format(month=local.month, day=local.day, hm=local.strftime("%H:%M"))


def local_time(moment: datetime | None, tz: ZoneInfo) -> str:
    """Show a UTC moment as a full local date and time, the same in every language."""
    return NO_VALUE if moment is None else f"{moment.astimezone(tz):%Y-%m-%d %H:%M}"


def pct(rate: float | None, _: Gettext) -> str:
    """Show a rate as a percentage with one decimal, or "no data"."""
    return _("no data") if rate is None else f"{rate * 100:.1f}%"


def span(seconds: float | None, _: Gettext) -> str:
    """Show a duration in hours below two days, in days above."""
    if seconds is None:
        return _("no data")
    if seconds < 2 * 86400:
        return _("{hours} h").format(hours=f"{seconds / 3600:.1f}")
    return _("{days} d").format(days=f"{seconds / 86400:.1f}")


def status_name(status: str, _: Gettext) -> str:
    return {
        Status.submitted: _("submitted"),
        Status.assigned: _("waiting to be taken on"),
        Status.in_progress: _("in progress"),
        Status.resolved: _("answered, awaiting your verdict"),
        Status.awaiting_signoff: _("awaiting the supervisor's sign-off"),
        Status.closed: _("closed"),
    }[Status(status)]


def disposition_name(disposition: str | None, _: Gettext) -> str:
    if disposition is None:
        return NO_VALUE
    return {
        Disposition.resolved: _("solved"),
        Disposition.explained: _("explained"),
        Disposition.assisted: _("helped"),
        Disposition.referred_to_law: _("handled according to law"),
        Disposition.deferred: _("deferred until conditions allow"),
    }[Disposition(disposition)]


def rating_name(rating: str | None, _: Gettext) -> str:
    if rating is None:
        return NO_VALUE
    return {Rating.satisfied: _("satisfied"), Rating.basically: _("basically satisfied"),
            Rating.unsatisfied: _("not satisfied")}[Rating(rating)]


def level_name(level: str, _: Gettext) -> str:
    return {Level.village: _("village"), Level.township: _("township"), Level.county: _("county")}[Level(level)]


def role_name(role: str, _: Gettext) -> str:
    return {
        Role.villager: _("villager"), Role.cadre: _("village cadre"), Role.township_leader: _("township leader"),
        Role.county_leader: _("county leader"), Role.supervisor: _("supervisor"),
        Role.inspector: _("discipline inspector"),
    }[Role(role)]


def event_name(kind: str, _: Gettext) -> str:
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


class Words:
    """The shared words in one reader's language and time zone, for templates."""

    def __init__(self, locale: str, tz: ZoneInfo):
        self.locale = locale if locale in LANGUAGES else DEFAULT_LOCALE
        self.tz = tz
        self.gettext: Gettext = translations(self.locale).gettext

    def status(self, status: str) -> str:
        return status_name(status, self.gettext)

    def disposition(self, disposition: str | None) -> str:
        return disposition_name(disposition, self.gettext)

    def rating(self, rating: str | None) -> str:
        return rating_name(rating, self.gettext)

    def level(self, level: str) -> str:
        return level_name(level, self.gettext)

    def role(self, role: str) -> str:
        return role_name(role, self.gettext)

    def event(self, kind: str) -> str:
        return event_name(kind, self.gettext)

    def when(self, moment: datetime | None) -> str:
        return when(moment, self.tz, self.gettext)

    def time(self, moment: datetime | None) -> str:
        return local_time(moment, self.tz)

    def pct(self, rate: float | None) -> str:
        return pct(rate, self.gettext)

    def span(self, seconds: float | None) -> str:
        return span(seconds, self.gettext)
