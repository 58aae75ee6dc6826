"""Buttons of the campaign's tools: the team, mediation, the diary, 并单 (each under 64 bytes of data)."""
from __future__ import annotations

from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from pydantic import Field

from bot.buttons import Buttons
from bot.keyboards import BUTTON_TEXT, MAX_ROW_ID, CaseCb
from bot.texts import role_name, short
from bot.texts_campaign import next_step_name, visit_name
from models import Household, Person
from models.enums import MediationNextStep, VisitKind

HOUSEHOLDS_SHOWN = 12


class DiaryCb(CallbackData, prefix="d"):
    """A step of the diary: `action`, a row id (household, village, entry) or 0, and a word."""

    action: str
    id: Annotated[int, Field(ge=0, le=MAX_ROW_ID)] = 0
    arg: str = ""


def team(case_id: int, helpers: list[Person]) -> InlineKeyboardMarkup:
    """The owner's view of the team: remove a helper, add one."""
    kb = Buttons()
    for person in helpers[:20]:
        kb.button(text=short(_("➖ {name}").format(name=person.name), BUTTON_TEXT),
                  callback_data=CaseCb(action="hdel", case_id=case_id, arg=str(person.id)))
    kb.button(text=_("➕ Add a helper"), callback_data=CaseCb(action="hadd", case_id=case_id))
    kb.button(text=_("✖ Close"), callback_data=CaseCb(action="stop", case_id=case_id))
    kb.adjust(1)
    return kb.as_markup()


def helper_candidates(case_id: int, people: list[Person]) -> InlineKeyboardMarkup:
    kb = Buttons()
    for p in people[:30]:
        kb.button(text=short(f"{p.name} · {role_name(p.role)}", BUTTON_TEXT),
                  callback_data=CaseCb(action="hput", case_id=case_id, arg=str(p.id)))
    kb.button(text=_("✖ Cancel"), callback_data=CaseCb(action="stop", case_id=case_id))
    kb.adjust(1)
    return kb.as_markup()


def mediation_days(case_id: int) -> InlineKeyboardMarkup:
    kb = Buttons()
    for days, label in ((0, _("Today")), (1, _("Yesterday")), (2, _("The day before"))):
        kb.button(text=label, callback_data=CaseCb(action="mday", case_id=case_id, arg=str(days)))
    kb.button(text=_("Another day…"), callback_data=CaseCb(action="mday", case_id=case_id, arg="other"))
    kb.button(text=_("✖ Cancel"), callback_data=CaseCb(action="stop", case_id=case_id))
    kb.adjust(3, 1, 1)
    return kb.as_markup()


def mediation_outcomes(case_id: int) -> InlineKeyboardMarkup:
    kb = Buttons()
    kb.button(text=_("✅ Settled by mediation"), callback_data=CaseCb(action="mout", case_id=case_id, arg="success"))
    kb.button(text=_("❌ Mediation failed"), callback_data=CaseCb(action="mout", case_id=case_id, arg="failure"))
    kb.button(text=_("✖ Cancel"), callback_data=CaseCb(action="stop", case_id=case_id))
    kb.adjust(2, 1)
    return kb.as_markup()


def mediation_next_steps(case_id: int) -> InlineKeyboardMarkup:
    kb = Buttons()
    for step in MediationNextStep:
        kb.button(text=next_step_name(step), callback_data=CaseCb(action="mnext", case_id=case_id, arg=step.value))
    kb.button(text=_("✖ Cancel"), callback_data=CaseCb(action="stop", case_id=case_id))
    kb.adjust(1)
    return kb.as_markup()


def link_offer(case_id: int) -> InlineKeyboardMarkup:
    kb = Buttons()
    kb.button(text=_("🔗 Link them as one matter"), callback_data=CaseCb(action="link", case_id=case_id))
    kb.button(text=_("Open the case"), callback_data=CaseCb(action="open", case_id=case_id))
    kb.adjust(1)
    return kb.as_markup()


def diary_menu() -> InlineKeyboardMarkup:
    kb = Buttons()
    kb.button(text=_("➕ Log a visit"), callback_data=DiaryCb(action="new"))
    return kb.as_markup()


def households(options: list[tuple[Household, str]]) -> InlineKeyboardMarkup:
    """Households to pick (paired ones first, labelled by the caller), and another household by name."""
    kb = Buttons()
    for household, label in options[:HOUSEHOLDS_SHOWN]:
        kb.button(text=short(label, BUTTON_TEXT), callback_data=DiaryCb(action="hh", id=household.id))
    kb.button(text=_("✏️ Another household"), callback_data=DiaryCb(action="other"))
    kb.button(text=_("✖ Cancel"), callback_data=DiaryCb(action="stop"))
    kb.adjust(1)
    return kb.as_markup()


def villages(options: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    kb = Buttons()
    for village_id, name in options[:30]:
        kb.button(text=short(name, BUTTON_TEXT), callback_data=DiaryCb(action="vil", id=village_id))
    kb.button(text=_("✖ Cancel"), callback_data=DiaryCb(action="stop"))
    kb.adjust(3)
    return kb.as_markup()


def visit_kinds() -> InlineKeyboardMarkup:
    kb = Buttons()
    for kind in VisitKind:
        kb.button(text=visit_name(kind), callback_data=DiaryCb(action="kind", arg=kind.value))
    kb.button(text=_("✖ Cancel"), callback_data=DiaryCb(action="stop"))
    kb.adjust(2, 2, 1)
    return kb.as_markup()


def visit_notes() -> InlineKeyboardMarkup:
    kb = Buttons()
    kb.button(text=_("✅ Done"), callback_data=DiaryCb(action="save"))
    kb.button(text=_("✖ Cancel"), callback_data=DiaryCb(action="stop"))
    return kb.as_markup()


def after_visit(entry_id: int) -> InlineKeyboardMarkup:
    kb = Buttons()
    kb.button(text=_("📝 Report for the household"), callback_data=DiaryCb(action="case", id=entry_id))
    kb.button(text=_("➕ Log another visit"), callback_data=DiaryCb(action="new"))
    kb.adjust(1)
    return kb.as_markup()


def visit_household(household_id: int) -> InlineKeyboardMarkup:
    kb = Buttons()
    kb.button(text=_("➕ Log a visit"), callback_data=DiaryCb(action="hh", id=household_id))
    return kb.as_markup()


def behalf_categories(entry_id: int, options: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    """The categories for a case filed from a visit (the suggestion first), by code."""
    kb = Buttons()
    for code, label in options:
        kb.button(text=short(label, BUTTON_TEXT), callback_data=DiaryCb(action="cat", id=entry_id, arg=code))
    kb.button(text=_("✖ Cancel"), callback_data=DiaryCb(action="stop"))
    kb.adjust(2)
    return kb.as_markup()


def behalf_anonymity(entry_id: int, code: str) -> InlineKeyboardMarkup:
    kb = Buttons()
    kb.button(text=_("Show the household's name"), callback_data=DiaryCb(action="named", id=entry_id, arg=code))
    kb.button(text=_("Keep it anonymous"), callback_data=DiaryCb(action="anon", id=entry_id, arg=code))
    kb.button(text=_("✖ Cancel"), callback_data=DiaryCb(action="stop"))
    kb.adjust(1)
    return kb.as_markup()
