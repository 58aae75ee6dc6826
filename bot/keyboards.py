"""Buttons and their callback data (each well under Telegram's 64 bytes)."""
from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import lru_cache, wraps
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot.buttons import Buttons
from bot.texts import disposition_name, rating_name, role_name, short
from models import Case, Person
from models.enums import Disposition, Level, Rating, Role, Status
from pydantic import Field
from services.lifecycle import OPEN_STATUSES, Action, allowed
from services.signoff_rules import is_dispute

BUTTON_TEXT = 40
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup
# Row ids are 32-bit integers in the database; a forged button with a larger number is just invalid.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]


def parse_id(text: str) -> int | None:
    """Return the row id a button carries as text, or None for anything that is not one."""
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ROW_ID else None


def parse_days(text: str, allowed: tuple[int, ...]) -> int | None:
    """Return the number of days a button offers, or None when it is not one of `allowed`."""
    value = parse_id(text)
    return value if value in allowed else None


class CaseCb(CallbackData, prefix="c"):
    """An action on one case; `arg` carries a disposition, rating or person id."""

    action: str
    case_id: RowId
    arg: str = ""


class PolicyCb(CallbackData, prefix="pol"):
    """Browse explainers: a topic by its position, or an explainer by its slug."""

    action: str
    slug: str = ""
    topic: Annotated[int, Field(ge=-1, le=999)] = -1


class PickCb(CallbackData, prefix="p"):
    """A choice inside a conversation step (township, village, category, yes/no)."""

    what: str
    value: str


def per_locale(build: Callable[..., Markup]) -> Callable[..., Markup]:
    """Build a keyboard once per language and arguments: the same buttons are sent again and again."""
    cached = lru_cache(maxsize=256)(lambda _locale, *args: build(*args))

    @wraps(build)
    def keyboard(*args: Hashable) -> Markup:
        return cached(get_i18n().current_locale, *args)

    return keyboard


def main_menu(person: Person) -> ReplyKeyboardMarkup:
    """The persistent menu under the text box."""
    return _main_menu(person.role == Role.villager)


@per_locale
def _main_menu(villager: bool) -> ReplyKeyboardMarkup:
    if villager:
        rows = [[KeyboardButton(text=_("📝 Report a problem")), KeyboardButton(text=_("📋 My cases"))],
                [KeyboardButton(text=_("📖 Policies")), KeyboardButton(text=_("❓ Help"))]]
    else:
        rows = [[KeyboardButton(text=_("📋 My open cases")), KeyboardButton(text=_("📓 Diary"))],
                [KeyboardButton(text=_("❓ Help"))]]
    return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True, is_persistent=True)


def picks(what: str, options: list[tuple[str, str]], columns: int = 2) -> InlineKeyboardMarkup:
    """Buttons for a list of (value, label) choices."""
    return _picks(what, tuple(options), columns)


@per_locale
def _picks(what: str, options: tuple[tuple[str, str], ...], columns: int) -> InlineKeyboardMarkup:
    kb = Buttons()
    for value, label in options:
        kb.button(text=short(label, BUTTON_TEXT), callback_data=PickCb(what=what, value=value))
    kb.adjust(columns)
    return kb.as_markup()


@per_locale
def describing() -> InlineKeyboardMarkup:
    kb = Buttons()
    kb.button(text=_("Next ▶"), callback_data=PickCb(what="desc", value="done"))
    kb.button(text=_("✖ Cancel"), callback_data=PickCb(what="intake", value="cancel"))
    return kb.as_markup()


@per_locale
def anonymity() -> InlineKeyboardMarkup:
    kb = Buttons()
    kb.button(text=_("Show my name"), callback_data=PickCb(what="anon", value="0"))
    kb.button(text=_("Stay anonymous"), callback_data=PickCb(what="anon", value="1"))
    kb.button(text=_("✖ Cancel"), callback_data=PickCb(what="intake", value="cancel"))
    kb.adjust(2, 1)
    return kb.as_markup()


@per_locale
def confirm() -> InlineKeyboardMarkup:
    kb = Buttons()
    kb.button(text=_("✅ Submit"), callback_data=PickCb(what="intake", value="submit"))
    kb.button(text=_("✏️ Start over"), callback_data=PickCb(what="intake", value="restart"))
    kb.button(text=_("✖ Cancel"), callback_data=PickCb(what="intake", value="cancel"))
    kb.adjust(1, 2)
    return kb.as_markup()


def case_actions(case: Case) -> InlineKeyboardMarkup | None:
    """The owner's buttons on a case card, for what its status allows."""
    kb = Buttons()
    if case.status == Status.assigned:
        kb.button(text=_("✋ Accept"), callback_data=CaseCb(action="acc", case_id=case.id))
    if case.status in OPEN_STATUSES:
        kb.button(text=_("✅ Resolve"), callback_data=CaseCb(action="res", case_id=case.id))
        if not case.confidential and case.level != Level.county:
            kb.button(text=_("⬆️ Escalate"), callback_data=CaseCb(action="esc", case_id=case.id))
        kb.button(text=_("↪️ Transfer"), callback_data=CaseCb(action="tr", case_id=case.id))
        kb.button(text=_("⏳ Extend"), callback_data=CaseCb(action="ext", case_id=case.id))
    if allowed(case.status, Action.mediate) and is_dispute(case.category):
        kb.button(text=_("🤝 Mediation"), callback_data=CaseCb(action="med", case_id=case.id))
    if allowed(case.status, Action.team):
        kb.button(text=_("👥 Team"), callback_data=CaseCb(action="team", case_id=case.id))
        kb.button(text=_("📝 Note"), callback_data=CaseCb(action="note", case_id=case.id))
    kb.button(text=_("🕘 Timeline"), callback_data=CaseCb(action="tl", case_id=case.id))
    kb.adjust(2)
    return kb.as_markup()


def helper_actions(case: Case) -> InlineKeyboardMarkup:
    """A helper's buttons: a note for the team and the timeline; answering is by reply, as for the owner."""
    kb = Buttons()
    if allowed(case.status, Action.note):
        kb.button(text=_("📝 Note"), callback_data=CaseCb(action="note", case_id=case.id))
    kb.button(text=_("🕘 Timeline"), callback_data=CaseCb(action="tl", case_id=case.id))
    kb.adjust(2)
    return kb.as_markup()


def signoff_actions(case_id: int) -> InlineKeyboardMarkup:
    """The supervisor's answers to a case awaiting sign-off."""
    kb = Buttons()
    kb.button(text=_("✅ Agree to strike off"), callback_data=CaseCb(action="so", case_id=case_id))
    kb.button(text=_("↩️ Send back"), callback_data=CaseCb(action="sb", case_id=case_id))
    kb.button(text=_("🕘 Timeline"), callback_data=CaseCb(action="tl", case_id=case_id))
    kb.adjust(2, 1)
    return kb.as_markup()


def staff_actions(case: Case, viewer_id: int, helper: bool) -> InlineKeyboardMarkup | None:
    """The buttons a staff member gets on a card: the owner's, a helper's, a supervisor's sign-off, or none."""
    if case.owner_id == viewer_id:
        return case_actions(case)
    if helper:
        return helper_actions(case)
    return None


def dispositions(case_id: int) -> InlineKeyboardMarkup:
    kb = Buttons()
    for d in Disposition:
        kb.button(text=disposition_name(d), callback_data=CaseCb(action="disp", case_id=case_id, arg=d.value))
    kb.button(text=_("✖ Cancel"), callback_data=CaseCb(action="stop", case_id=case_id))
    kb.adjust(2)
    return kb.as_markup()


REVISIT_DAYS = (7, 30, 90)
EXTENSION_DAYS = (3, 7, 15)


def day_choices(case_id: int, action: str, days: tuple[int, ...], label: str) -> InlineKeyboardMarkup:
    """Buttons for a number of days from now (a deferral's revisit, an extension), and cancel."""
    kb = Buttons()
    for n in days:
        kb.button(text=label.format(days=n), callback_data=CaseCb(action=action, case_id=case_id, arg=str(n)))
    kb.button(text=_("✖ Cancel"), callback_data=CaseCb(action="stop", case_id=case_id))
    kb.adjust(3, 1)
    return kb.as_markup()


def extension_choices(case_id: int) -> InlineKeyboardMarkup:
    return day_choices(case_id, "extd", EXTENSION_DAYS, _("+{days} days"))


def revisit_choices(case_id: int) -> InlineKeyboardMarkup:
    return day_choices(case_id, "rev", REVISIT_DAYS, _("in {days} days"))


def use_last_reply(case_id: int) -> InlineKeyboardMarkup:
    kb = Buttons()
    kb.button(text=_("Use my last reply"), callback_data=CaseCb(action="last", case_id=case_id))
    kb.button(text=_("✖ Cancel"), callback_data=CaseCb(action="stop", case_id=case_id))
    return kb.as_markup()


def cancel_step(case_id: int) -> InlineKeyboardMarkup:
    kb = Buttons()
    kb.button(text=_("✖ Cancel"), callback_data=CaseCb(action="stop", case_id=case_id))
    return kb.as_markup()


def people(case_id: int, candidates: list[Person]) -> InlineKeyboardMarkup:
    kb = Buttons()
    for p in candidates[:30]:
        kb.button(text=short(f"{p.name} · {role_name(p.role)}", BUTTON_TEXT),
                  callback_data=CaseCb(action="to", case_id=case_id, arg=str(p.id)))
    kb.button(text=_("✖ Cancel"), callback_data=CaseCb(action="stop", case_id=case_id))
    kb.adjust(1)
    return kb.as_markup()


def ratings(case_id: int) -> InlineKeyboardMarkup:
    kb = Buttons()
    for r in Rating:
        kb.button(text=rating_name(r), callback_data=CaseCb(action="rate", case_id=case_id, arg=r.value))
    kb.adjust(3)
    return kb.as_markup()


def case_list(cases: list[Case], action: str = "open") -> InlineKeyboardMarkup:
    kb = Buttons()
    for case in cases:
        kb.button(text=short(f"{case.number} {case.summary}", BUTTON_TEXT),
                  callback_data=CaseCb(action=action, case_id=case.id))
    kb.adjust(1)
    return kb.as_markup()


def open_card(case_id: int) -> InlineKeyboardMarkup:
    kb = Buttons()
    kb.button(text=_("Open the case"), callback_data=CaseCb(action="open", case_id=case_id))
    return kb.as_markup()
