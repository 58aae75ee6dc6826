"""Sign-off in chat (销号): a supervisor strikes a case off or sends it back; /signoff lists what waits."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.cards import case_line
from bot.filters import Magic
from bot.keyboards import CaseCb
from bot.screens import expect_text, set_buttons, where
from models import Person
from services import signoff
from services.config import ServiceConfig
from services.lifecycle import Action

router = Router(name="signoff")


class SendingBack(StatesGroup):
    reason = State()


@router.message(Command("signoff"))
async def waiting_for_signoff(message: Message, session: AsyncSession, person: Person, config: ServiceConfig):
    """List the cases of the supervisor's area that wait for sign-off."""
    cases = list(await signoff.awaiting(session, person))
    if not cases:
        await message.answer(_("No case waits for your sign-off. 👍"))
        return
    text = _("<b>Waiting for sign-off (销号)</b> ({count})").format(count=len(cases)) + "\n\n" + "\n\n".join(
        case_line(c, config.tz) for c in cases)
    await message.answer(text, reply_markup=keyboards.case_list(cases))


@router.callback_query(CaseCb.filter(F.action == "so"))
async def agree(query: CallbackQuery, callback_data: CaseCb, session: AsyncSession, person: Person, now):
    """Strike the case off (同意销号)."""
    case = await signoff.sign_off(session, case_id=callback_data.case_id, actor=person, now=now)
    await query.answer(_("Struck off."))
    await set_buttons(query)
    await where(query).answer(_("✅ Case {number} is signed off and struck off the ledger. The owner and the "
                                 "villager are told.").format(number=case.number))


@router.callback_query(CaseCb.filter(F.action == "sb"))
async def ask_reason(query: CallbackQuery, callback_data: CaseCb, session: AsyncSession, person: Person,
                     state: FSMContext):
    """Ask why the case goes back to its owner (退回)."""
    case = await signoff.check_signoff(session, case_id=callback_data.case_id, actor=person,
                                       action=Action.send_back)
    await state.set_state(SendingBack.reason)
    await state.set_data({"case_id": case.id})
    await query.answer()
    await where(query).answer(_("Why does case {number} go back to its owner? Write what is still to be done; "
                                 "the owner is told.").format(number=case.number),
                               reply_markup=keyboards.cancel_step(case.id))


@router.message(StateFilter(SendingBack.reason), Magic(F.text & ~F.text.startswith("/")))
async def send_back(message: Message, session: AsyncSession, person: Person, state: FSMContext, now):
    """Send the case back to its owner with the reason."""
    data = await state.get_data()
    case = await signoff.send_back(session, case_id=data["case_id"], actor=person, reason=message.text, now=now)
    await state.clear()
    await message.answer(_("↩️ Case {number} went back to {owner}.").format(
        number=case.number, owner=case.owner.name if case.owner else "—"))


@router.message(StateFilter(SendingBack.reason))
async def expecting_reason(message: Message):
    """Ask for the reason as text."""
    await expect_text(message)
