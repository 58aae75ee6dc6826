"""The team on a case (一支队伍): the owner adds and removes helpers; the team keeps internal notes."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, keyboards_campaign
from bot.filters import Magic
from bot.keyboards import CaseCb, parse_id
from bot.screens import edit, expect_text, where
from bot.texts import esc
from models import Person
from services import team

router = Router(name="team")


class TeamNote(StatesGroup):
    text = State()


def _team_text(number: str, helpers: list[Person]) -> str:
    names = "、".join(esc(p.name) for p in helpers) or _("nobody yet")
    return _("<b>Team of case {number}</b>\nHelpers: {names}\n\nHelpers see the card, may answer the villager "
             "and add notes; only you resolve, escalate or transfer.").format(number=number, names=names)


@router.callback_query(CaseCb.filter(F.action == "team"))
async def show_team(query: CallbackQuery, callback_data: CaseCb, session: AsyncSession, person: Person):
    """Show the case's helpers with buttons to remove one or add one."""
    case, helpers = await team.team_view(session, case_id=callback_data.case_id, actor=person)
    await query.answer()
    await where(query).answer(_team_text(case.number, list(helpers)),
                               reply_markup=keyboards_campaign.team(case.id, list(helpers)))


@router.callback_query(CaseCb.filter(F.action == "hadd"))
async def choose_helper(query: CallbackQuery, callback_data: CaseCb, session: AsyncSession, person: Person):
    """Offer the people of the township and the county leaders who may join."""
    case, pool = await team.candidates(session, case_id=callback_data.case_id, actor=person)
    await query.answer()
    if not pool:
        await edit(query, _("There is nobody else who could join the team."))
        return
    await edit(query, _("Who should help on case {number}?").format(number=case.number),
               reply_markup=keyboards_campaign.helper_candidates(case.id, pool))


@router.callback_query(CaseCb.filter(F.action == "hput"))
async def add_helper(query: CallbackQuery, callback_data: CaseCb, session: AsyncSession, person: Person, now):
    """Add the chosen helper; they get the card."""
    helper_id = parse_id(callback_data.arg)
    if helper_id is None:
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    case, helper = await team.add_helper(session, case_id=callback_data.case_id, actor=person,
                                         person_id=helper_id, now=now)
    await query.answer(_("Added."))
    helpers = list(await team.team_of(session, case.id))
    await edit(query, _team_text(case.number, helpers), reply_markup=keyboards_campaign.team(case.id, helpers))


@router.callback_query(CaseCb.filter(F.action == "hdel"))
async def remove_helper(query: CallbackQuery, callback_data: CaseCb, session: AsyncSession, person: Person, now):
    """Take the helper off the team."""
    helper_id = parse_id(callback_data.arg)
    if helper_id is None:
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    case, _helper = await team.remove_helper(session, case_id=callback_data.case_id, actor=person,
                                             person_id=helper_id, now=now)
    await query.answer(_("Removed."))
    helpers = list(await team.team_of(session, case.id))
    await edit(query, _team_text(case.number, helpers), reply_markup=keyboards_campaign.team(case.id, helpers))


@router.callback_query(CaseCb.filter(F.action == "note"))
async def ask_note(query: CallbackQuery, callback_data: CaseCb, session: AsyncSession, person: Person,
                   state: FSMContext):
    """Ask for the note; it stays in the staff timeline and is never sent to the villager."""
    case = await team.check_note(session, case_id=callback_data.case_id, actor=person)
    await state.set_state(TeamNote.text)
    await state.set_data({"case_id": case.id})
    await query.answer()
    await where(query).answer(_("Write a note for the team on case {number}. The villager does not see it.").format(
        number=case.number), reply_markup=keyboards.cancel_step(case.id))


@router.message(StateFilter(TeamNote.text), Magic(F.text & ~F.text.startswith("/")))
async def save_note(message: Message, session: AsyncSession, person: Person, state: FSMContext, now):
    """Keep the note in the timeline and tell the rest of the team."""
    data = await state.get_data()
    case = await team.add_note(session, case_id=data["case_id"], actor=person, text=message.text, now=now)
    await state.clear()
    await message.answer(_("📝 Note kept on case {number}.").format(number=case.number))


@router.message(StateFilter(TeamNote.text))
async def expecting_note(message: Message):
    """Ask for the note as text."""
    await expect_text(message)
