"""Loose messages: unknown commands, and words that reply to nothing, given a home."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import Buttons
from bot.filters import Magic
from bot import keyboards
from bot.keyboards import CaseCb, PickCb
from bot.parts import part_of
from bot.texts import BUTTON_LIMIT, short
from bot.screens import edit, where
from handlers.intake import Intake, show_categories, suggest_for
from handlers.moderation import refuse_at_cap
from services.config import ServiceConfig
from models import Person
from models.enums import Role
from services import views
from services.conversation import add_message
from services.intake import Part, check_part
from services.suggest import CategorySuggester

router = Router(name="conversation")


@router.message(StateFilter(None), Magic(F.text.startswith("/")))
async def unknown_command(message: Message):
    """Answer a command the bot does not know."""
    await message.answer(_("I do not know that command. /help lists what I can do."))


@router.message(StateFilter(None))
async def loose_message(message: Message, session: AsyncSession, person: Person, state: FSMContext,
                        suggester: CategorySuggester, now):
    """Ask a villager where a message that replies to nothing belongs; remind staff to reply."""
    if person.role != Role.villager:
        await message.answer(_("To answer a villager, reply to the case card or to their message. "
                               "Your open cases: /cases"))
        return
    part = part_of(message)
    if part is None:
        await message.answer(_("Stickers and the like cannot be used here. Please send text, a photo, a voice "
                               "message or a location."), reply_markup=keyboards.main_menu(person))
        return
    part = check_part(part)
    if person.village_id is None:
        await message.answer(_("Please choose your village first: /start"))
        return
    cases = list(await views.open_cases_of_reporter(session, person))
    if not cases:
        await state.set_state(Intake.category)
        await state.set_data({"parts": [part.as_dict()]})
        await show_categories(message, session, person, await suggest_for(session, suggester, [part.as_dict()], now))
        return
    await state.set_data({"loose": part.as_dict()})
    kb = Buttons()
    for case in cases[:5]:
        kb.button(text=short(_("Add to {number} {summary}").format(number=case.number, summary=case.summary),
                             BUTTON_LIMIT), callback_data=CaseCb(action="add", case_id=case.id))
    kb.button(text=_("📝 It is a new problem"), callback_data=PickCb(what="loose", value="new"))
    kb.adjust(1)
    await message.answer(_("Is this about one of your cases, or a new problem?"), reply_markup=kb.as_markup())


@router.callback_query(CaseCb.filter(F.action == "add"))
async def add_loose_to_case(query: CallbackQuery, callback_data: CaseCb, session: AsyncSession, person: Person,
                            state: FSMContext, now):
    """Add the kept message to the chosen case."""
    data = await state.get_data()
    if "loose" not in data:
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    await state.set_data({})
    relayed = await add_message(session, case_id=callback_data.case_id, author=person,
                                part=Part.from_dict(data["loose"]), now=now)
    await query.answer()
    await edit(query, _("✓ Added to case {number} and passed to the person in charge.").format(
        number=relayed.number))


@router.callback_query(PickCb.filter((F.what == "loose") & (F.value == "new")))
async def loose_is_new_report(query: CallbackQuery, session: AsyncSession, person: Person, state: FSMContext,
                              suggester: CategorySuggester, config: ServiceConfig, now):
    """Start a report with the kept message as its first part, the category its words suggest first."""
    if await refuse_at_cap(where(query), session, person, config):
        await query.answer()
        return
    data = await state.get_data()
    parts = [data["loose"]] if "loose" in data else []
    await state.set_state(Intake.category)
    await state.set_data({"parts": parts})
    await query.answer()
    await show_categories(where(query), session, person, await suggest_for(session, suggester, parts, now))
