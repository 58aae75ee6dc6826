"""A cadre's work on a case: list, open, accept, resolve, escalate, transfer."""
from __future__ import annotations

from datetime import timedelta

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, MaybeInaccessibleMessage, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import Magic, MenuButton
from bot import keyboards
from bot.cards import card, case_line, staff_timeline, villager_view
from bot.keyboards import CaseCb, parse_days, parse_id
from bot.texts import person_label
from bot.texts_abuse import with_reporter_button
from bot.screens import edit, expect_text, set_buttons, where
from models import Person
from models.enums import Disposition, Role
from services import handling, views
from services.config import ServiceConfig
from services.conversation import remember_message
from services.lifecycle import Action

router = Router(name="cadre")


class Resolving(StatesGroup):
    note = State()


class Escalating(StatesGroup):
    reason = State()


class Transferring(StatesGroup):
    reason = State()


@router.message(Command("cases"))
@router.message(MenuButton(__("📋 My open cases")))
async def list_open_cases(message: Message, session: AsyncSession, person: Person, config: ServiceConfig):
    """List the person's open cases, nearest deadline first."""
    cases = list(await views.open_cases_of_owner(session, person))
    if not cases:
        await message.answer(_("You have no open cases."))
        return
    text = _("<b>Your open cases</b> (nearest deadline first)") + "\n\n" + "\n\n".join(
        case_line(c, config.tz) for c in cases)
    await message.answer(text, reply_markup=keyboards.case_list(cases))


@router.callback_query(CaseCb.filter(F.action == "open"))
async def open_case(query: CallbackQuery, callback_data: CaseCb, session: AsyncSession, person: Person,
                    config: ServiceConfig):
    """Show the case again: the card for staff, the timeline for its reporter."""
    if person.role == Role.villager:
        case, events = await views.timeline(session, callback_data.case_id, person)
        await query.answer()
        sent = await where(query).answer(villager_view(case, events, person.language, config.tz))
        remember_message(session, chat=str(sent.chat.id), message_id=sent.message_id, case_id=case.id)
        return
    shown = await views.staff_card(session, callback_data.case_id, person)
    case = shown.case
    await query.answer()
    markup = keyboards.signoff_actions(case.id) if shown.signs_off else keyboards.staff_actions(
        case, person.id, shown.helper)
    markup = with_reporter_button(markup, case, person)
    sent = await where(query).answer(card(case, shown.parts, person.language, config.tz, extras=shown.extras),
                                     reply_markup=markup)
    remember_message(session, chat=str(sent.chat.id), message_id=sent.message_id, case_id=case.id)


@router.callback_query(CaseCb.filter(F.action == "tl"))
async def show_timeline(query: CallbackQuery, callback_data: CaseCb, session: AsyncSession, person: Person,
                        config: ServiceConfig):
    """Show every event of the case to staff; its reporter sees their own timeline, without the team's notes."""
    case, events = await views.timeline(session, callback_data.case_id, person)
    await query.answer()
    if case.reporter_id == person.id:
        await where(query).answer(villager_view(case, events, person.language, config.tz))
        return
    await where(query).answer(staff_timeline(case, events, config.tz))


@router.callback_query(CaseCb.filter(F.action == "acc"))
async def accept(query: CallbackQuery, callback_data: CaseCb, session: AsyncSession, person: Person, now):
    """Take the case on."""
    case = await handling.accept_case(session, case_id=callback_data.case_id, actor=person, now=now)
    await query.answer(_("Taken on. The villager has been told."))
    await set_buttons(query, keyboards.case_actions(case))


@router.callback_query(CaseCb.filter(F.action == "res"))
async def choose_disposition(query: CallbackQuery, callback_data: CaseCb, session: AsyncSession, person: Person):
    """Ask how the case was settled."""
    case = await handling.check_action(session, case_id=callback_data.case_id, actor=person, action=Action.resolve)
    await query.answer()
    await where(query).answer(_("How was case {number} settled?").format(number=case.number),
                               reply_markup=keyboards.dispositions(case.id))


@router.callback_query(CaseCb.filter(F.action == "disp"))
async def pick_disposition(query: CallbackQuery, callback_data: CaseCb, session: AsyncSession, person: Person,
                           state: FSMContext):
    """Remember the disposition; a deferral first needs its revisit date."""
    case = await handling.check_action(session, case_id=callback_data.case_id, actor=person, action=Action.resolve)
    disposition = Disposition(callback_data.arg) if callback_data.arg in set(Disposition) else None
    if disposition is None:
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    await query.answer()
    if disposition is Disposition.deferred:
        await edit(query, _("When should case {number} be taken up again?").format(number=case.number),
                                      reply_markup=keyboards.revisit_choices(case.id))
        return
    await ask_for_note(where(query), session, person, state, case.id, disposition.value, None)


@router.callback_query(CaseCb.filter(F.action == "rev"))
async def pick_revisit(query: CallbackQuery, callback_data: CaseCb, session: AsyncSession, person: Person,
                       state: FSMContext):
    """Remember the revisit date of a deferral and ask for the explanation."""
    await handling.check_action(session, case_id=callback_data.case_id, actor=person, action=Action.resolve)
    days = parse_days(callback_data.arg, keyboards.REVISIT_DAYS)
    if days is None:
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    await query.answer()
    await ask_for_note(where(query), session, person, state, callback_data.case_id, Disposition.deferred.value, days)


async def ask_for_note(message: MaybeInaccessibleMessage, session: AsyncSession, person: Person, state: FSMContext,
                       case_id: int, disposition: str, revisit_days: int | None) -> None:
    await state.set_state(Resolving.note)
    await state.set_data({"case_id": case_id, "disposition": disposition, "revisit_days": revisit_days})
    last = await views.last_reply_of(session, case_id, person)
    markup = keyboards.use_last_reply(case_id) if last else keyboards.cancel_step(case_id)
    await message.answer(_("Write the result in a few sentences; the villager will see it and be asked whether "
                           "the problem is solved."), reply_markup=markup)


@router.callback_query(StateFilter(Resolving.note), CaseCb.filter(F.action == "last"))
async def resolve_with_last_reply(query: CallbackQuery, callback_data: CaseCb, session: AsyncSession,
                                  person: Person, state: FSMContext, config: ServiceConfig, now):
    """Resolve with the cadre's last answer as the result."""
    note = await views.last_reply_of(session, callback_data.case_id, person)
    # Answered after the checks of resolving: a refusal must still be able to answer the press.
    await finish_resolve(where(query), note or "", session, person, state, config, now)
    await query.answer()


@router.message(StateFilter(Resolving.note), Magic(F.text & ~F.text.startswith("/")))
async def resolve_with_note(message: Message, session: AsyncSession, person: Person, state: FSMContext,
                            config: ServiceConfig, now):
    """Resolve with the written result."""
    await finish_resolve(message, message.text, session, person, state, config, now)


async def finish_resolve(message: MaybeInaccessibleMessage, note: str, session: AsyncSession, person: Person,
                         state: FSMContext, config: ServiceConfig, now) -> None:
    data = await state.get_data()
    revisit = now + timedelta(days=data["revisit_days"]) if data.get("revisit_days") else None
    case = await handling.resolve_case(session, config, case_id=data["case_id"], actor=person,
                                       disposition=Disposition(data["disposition"]), note=note, now=now,
                                       revisit_at=revisit)
    await state.clear()
    await message.answer(_("Case {number} is resolved. The villager is asked whether it is really solved.").format(
        number=case.number))


@router.callback_query(CaseCb.filter(F.action == "esc"))
async def ask_escalation_reason(query: CallbackQuery, callback_data: CaseCb, session: AsyncSession,
                                person: Person, state: FSMContext):
    """Ask why the case goes up a level."""
    case = await handling.check_action(session, case_id=callback_data.case_id, actor=person, action=Action.escalate)
    await state.set_state(Escalating.reason)
    await state.set_data({"case_id": case.id})
    await query.answer()
    await where(query).answer(_("Why must case {number} go up a level? Write the reason.").format(
        number=case.number), reply_markup=keyboards.cancel_step(case.id))


@router.message(StateFilter(Escalating.reason), Magic(F.text & ~F.text.startswith("/")))
async def escalate(message: Message, session: AsyncSession, person: Person, state: FSMContext,
                   config: ServiceConfig, now):
    """Hand the case up one level."""
    data = await state.get_data()
    case = await handling.escalate_case(session, config, case_id=data["case_id"], actor=person,
                                        reason=message.text, now=now)
    await state.clear()
    await message.answer(_("Case {number} was escalated to {owner}.").format(
        number=case.number, owner=person_label(case.owner)))


@router.callback_query(CaseCb.filter(F.action == "tr"))
async def choose_transfer_target(query: CallbackQuery, callback_data: CaseCb, session: AsyncSession,
                                 person: Person):
    """Offer the people the case may be handed to."""
    case = await handling.check_action(session, case_id=callback_data.case_id, actor=person, action=Action.transfer)
    candidates = list(await handling.transfer_candidates(session, case, person))
    await query.answer()
    if not candidates:
        await where(query).answer(_("There is nobody to hand this case to."))
        return
    await where(query).answer(_("Hand case {number} to whom?").format(number=case.number),
                               reply_markup=keyboards.people(case.id, candidates))


@router.callback_query(CaseCb.filter(F.action == "to"))
async def ask_transfer_reason(query: CallbackQuery, callback_data: CaseCb, session: AsyncSession,
                              person: Person, state: FSMContext):
    """Remember the target and ask for the reason."""
    case = await handling.check_action(session, case_id=callback_data.case_id, actor=person, action=Action.transfer)
    target_id = parse_id(callback_data.arg)
    if target_id is None:
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    await state.set_state(Transferring.reason)
    await state.set_data({"case_id": case.id, "to": target_id})
    await query.answer()
    await edit(query, _("Why is case {number} handed over? Write the reason.").format(
        number=case.number), reply_markup=keyboards.cancel_step(case.id))


@router.message(StateFilter(Transferring.reason), Magic(F.text & ~F.text.startswith("/")))
async def transfer(message: Message, session: AsyncSession, person: Person, state: FSMContext, now):
    """Hand the case to the chosen person."""
    data = await state.get_data()
    case = await handling.transfer_case(session, case_id=data["case_id"], actor=person, to_person_id=data["to"],
                                        reason=message.text, now=now)
    await state.clear()
    await message.answer(_("Case {number} was handed to {owner}.").format(
        number=case.number, owner=person_label(case.owner)))


@router.callback_query(CaseCb.filter(F.action == "stop"))
async def stop_step(query: CallbackQuery, state: FSMContext):
    """Leave the resolve, escalate or transfer step."""
    await state.clear()
    await query.answer(_("Cancelled."))
    await set_buttons(query)


@router.message(StateFilter(Resolving.note))
@router.message(StateFilter(Escalating.reason))
@router.message(StateFilter(Transferring.reason))
async def expecting_text(message: Message):
    """Ask for words when something else (a command, a sticker) was sent during a step."""
    await expect_text(message)
