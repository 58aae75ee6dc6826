"""Mediation first (先行调解) in chat: parties → day → place → outcome → the agreement or the next step."""
from __future__ import annotations

from datetime import date

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, MaybeInaccessibleMessage, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, keyboards_campaign
from bot.buttons import Buttons
from bot.filters import Magic
from bot.keyboards import CaseCb
from bot.screens import edit, expect_text, where
from bot.texts_campaign import next_step_name, outcome_name
from models import Person
from models.enums import MediationNextStep, MediationOutcome
from services.config import ServiceConfig
from services.mediation import MediationRecord, check_mediation, day_back, parse_day, record_mediation

router = Router(name="mediation")
DAYS_BACK = (0, 1, 2)


class Mediating(StatesGroup):
    parties = State()
    day = State()
    day_text = State()
    place = State()
    outcome = State()
    agreement = State()
    next_step = State()


@router.callback_query(CaseCb.filter(F.action == "med"))
async def begin(query: CallbackQuery, callback_data: CaseCb, session: AsyncSession, person: Person,
                state: FSMContext):
    """Start recording a mediation of the dispute: first the parties."""
    case = await check_mediation(session, case_id=callback_data.case_id, actor=person)
    await state.set_state(Mediating.parties)
    await state.set_data({"case_id": case.id})
    await query.answer()
    await where(query).answer(_("🤝 Mediation of case {number}.\nWho are the parties? For example: 张三、李四").format(
        number=case.number), reply_markup=keyboards.cancel_step(case.id))


@router.message(StateFilter(Mediating.parties), Magic(F.text & ~F.text.startswith("/")))
async def parties(message: Message, state: FSMContext):
    """Keep the parties and ask for the day."""
    data = await state.update_data(parties=message.text)
    await state.set_state(Mediating.day)
    await message.answer(_("When was the mediation held?"), reply_markup=keyboards_campaign.mediation_days(
        data["case_id"]))


@router.callback_query(StateFilter(Mediating.day), CaseCb.filter(F.action == "mday"))
async def pick_day(query: CallbackQuery, callback_data: CaseCb, state: FSMContext, config: ServiceConfig, now):
    """Keep today, yesterday or the day before; or ask for another day in words."""
    await query.answer()
    if callback_data.arg == "other":
        await state.set_state(Mediating.day_text)
        await edit(query, _("Write the day, for example 11-28 or 2026-11-28."),
                   reply_markup=keyboards.cancel_step(callback_data.case_id))
        return
    days = {str(n): n for n in DAYS_BACK}.get(callback_data.arg)
    if days is None:
        await where(query).answer(_("This button is no longer valid."))
        return
    await ask_place(where(query), state, day_back(days, now, config.tz))


@router.message(StateFilter(Mediating.day_text), Magic(F.text & ~F.text.startswith("/")))
async def typed_day(message: Message, state: FSMContext, config: ServiceConfig, now):
    """Read the day the owner wrote."""
    await ask_place(message, state, parse_day(message.text, now.astimezone(config.tz).date()))


async def ask_place(message: MaybeInaccessibleMessage, state: FSMContext, day: date) -> None:
    data = await state.update_data(held_on=day.isoformat())
    await state.set_state(Mediating.place)
    await message.answer(_("Where was it held? For example: 村委会"), reply_markup=keyboards.cancel_step(
        data["case_id"]))


@router.message(StateFilter(Mediating.place), Magic(F.text & ~F.text.startswith("/")))
async def place(message: Message, state: FSMContext):
    """Keep the place and ask how it ended."""
    data = await state.update_data(place=message.text)
    await state.set_state(Mediating.outcome)
    await message.answer(_("How did it end?"), reply_markup=keyboards_campaign.mediation_outcomes(data["case_id"]))


@router.callback_query(StateFilter(Mediating.outcome), CaseCb.filter(F.action == "mout"))
async def outcome(query: CallbackQuery, callback_data: CaseCb, state: FSMContext):
    """Ask for the agreement after a success, for the next step after a failure."""
    if callback_data.arg not in set(MediationOutcome):
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    await state.update_data(outcome=callback_data.arg)
    await query.answer()
    if callback_data.arg == MediationOutcome.success:
        await state.set_state(Mediating.agreement)
        await edit(query, _("Send the agreement: its text, or a photo of the signed paper."),
                   reply_markup=keyboards.cancel_step(callback_data.case_id))
        return
    await state.set_state(Mediating.next_step)
    await edit(query, _("What comes next?"), reply_markup=keyboards_campaign.mediation_next_steps(
        callback_data.case_id))


@router.message(StateFilter(Mediating.agreement), Magic((F.text & ~F.text.startswith("/")) | F.photo))
async def agreement(message: Message, session: AsyncSession, person: Person, state: FSMContext,
                    config: ServiceConfig, now):
    """Record a successful mediation with its agreement."""
    file_id = message.photo[-1].file_id if message.photo else None
    text = message.text if message.text is not None else message.caption
    await finish(message, session, person, state, config, now, agreement_text=text, agreement_file_id=file_id)


@router.callback_query(StateFilter(Mediating.next_step), CaseCb.filter(F.action == "mnext"))
async def next_step(query: CallbackQuery, callback_data: CaseCb, session: AsyncSession, person: Person,
                    state: FSMContext, config: ServiceConfig, now):
    """Record a failed mediation with what comes next."""
    if callback_data.arg not in set(MediationNextStep):
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    # Answered after the checks of recording: a refusal must still be able to answer the press.
    await finish(where(query), session, person, state, config, now, next_step=MediationNextStep(callback_data.arg))
    await query.answer()


async def finish(message: MaybeInaccessibleMessage, session: AsyncSession, person: Person, state: FSMContext,
                 config: ServiceConfig, now, **details) -> None:
    data = await state.get_data()
    record = MediationRecord(parties=data["parties"], held_on=date.fromisoformat(data["held_on"]),
                             place=data["place"], outcome=MediationOutcome(data["outcome"]), **details)
    case, mediation = await record_mediation(session, case_id=data["case_id"], actor=person, record=record,
                                             now=now, tz=config.tz)
    await state.clear()
    text = _("🤝 Mediation of case {number} recorded: {outcome}.").format(
        number=case.number, outcome=outcome_name(mediation.outcome))
    markup = None
    if mediation.next_step:
        text += "\n" + _("Next step: {step}").format(step=next_step_name(mediation.next_step))
        if mediation.next_step == MediationNextStep.escalate:
            markup = _escalate_button(case.id)
    await message.answer(text, reply_markup=markup)


def _escalate_button(case_id: int) -> InlineKeyboardMarkup:
    kb = Buttons()
    kb.button(text=_("⬆️ Escalate"), callback_data=CaseCb(action="esc", case_id=case_id))
    return kb.as_markup()


@router.message(StateFilter(Mediating.agreement))
async def expecting_agreement(message: Message):
    """Ask for the agreement as text or a photo."""
    await message.answer(_("Please send the agreement as text or as a photo, or /cancel."))


@router.message(StateFilter(Mediating.parties, Mediating.day_text, Mediating.place))
async def expecting_words(message: Message):
    """Ask for the step's words as text."""
    await expect_text(message)


@router.message(StateFilter(Mediating.day, Mediating.outcome, Mediating.next_step))
async def expecting_button(message: Message):
    """Point at the buttons when the step needs a choice."""
    await message.answer(_("Please use the buttons above, or /cancel to stop."))
