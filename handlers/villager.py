"""A villager's own cases: the list, the timeline, the verdict after an answer."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import MenuButton
from bot import keyboards
from bot.cards import case_line
from bot.keyboards import CaseCb
from bot.parts import part_of
from bot.screens import set_buttons, where
from models import Person
from models.enums import Rating
from services import views
from services.config import ServiceConfig
from services.conversation import add_message, rate_case

router = Router(name="villager")


class Verdict(StatesGroup):
    words = State()


@router.message(Command("mycases"))
@router.message(MenuButton(__("📋 My cases")))
async def my_cases(message: Message, session: AsyncSession, person: Person, config: ServiceConfig):
    """List the villager's cases with their status."""
    cases = list(await views.cases_of_reporter(session, person))
    if not cases:
        await message.answer(_("You have not reported anything yet. /new"))
        return
    text = _("<b>Your cases</b>") + "\n\n" + "\n\n".join(case_line(c, config.tz) for c in cases)
    await message.answer(text, reply_markup=keyboards.case_list(cases))


@router.callback_query(CaseCb.filter(F.action == "rate"))
async def rate(query: CallbackQuery, callback_data: CaseCb, session: AsyncSession, person: Person,
               state: FSMContext, now):
    """Record the verdict; after "not satisfied", ask what is still wrong."""
    if callback_data.arg not in set(Rating):
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    case = await rate_case(session, case_id=callback_data.case_id, villager=person,
                           rating=Rating(callback_data.arg), now=now)
    await query.answer(_("Thank you."))
    await set_buttons(query)
    if Rating(callback_data.arg) is Rating.unsatisfied:
        await state.set_state(Verdict.words)
        await state.set_data({"case_id": case.id})
        await where(query).answer(_("Case {number} is reopened. Please tell us what is still not solved; we pass "
                                     "it to the person in charge.").format(number=case.number))
    else:
        await where(query).answer(_("Case {number} is closed. Thank you for your verdict.").format(
            number=case.number))


@router.message(StateFilter(Verdict.words))
async def words_after_verdict(message: Message, session: AsyncSession, person: Person, state: FSMContext, now):
    """Pass the villager's words on to the owner of the reopened case."""
    part = part_of(message)
    if part is None:
        await message.answer(_("Please write it as text, or /cancel."))
        return
    data = await state.get_data()
    await add_message(session, case_id=data["case_id"], author=person, part=part, now=now)
    await state.clear()
    await message.answer(_("Passed on to the person in charge."))
