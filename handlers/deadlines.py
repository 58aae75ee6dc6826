"""Deadlines in chat: a cadre asks for more time; supervisors see the overdue list."""
from __future__ import annotations

from datetime import timedelta
from itertools import groupby

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import Magic
from bot import keyboards
from bot.keyboards import CaseCb, parse_days
from bot.screens import edit, expect_text, where
from bot.texts import esc, person_label, short, when
from models import Person
from services import digest, handling
from services.config import ServiceConfig
from services.lifecycle import Action

router = Router(name="deadlines")


class Extending(StatesGroup):
    reason = State()


@router.callback_query(CaseCb.filter(F.action == "ext"))
async def choose_extension(query: CallbackQuery, callback_data: CaseCb, session: AsyncSession, person: Person,
                           config: ServiceConfig):
    """Offer how much more time to ask for."""
    case = await handling.check_action(session, case_id=callback_data.case_id, actor=person, action=Action.extend)
    await query.answer()
    await where(query).answer(_("Extend the deadline of case {number} (now {due}) by:").format(
        number=case.number, due=when(case.due_at, config.tz)), reply_markup=keyboards.extension_choices(case.id))


@router.callback_query(CaseCb.filter(F.action == "extd"))
async def ask_extension_reason(query: CallbackQuery, callback_data: CaseCb, session: AsyncSession,
                               person: Person, state: FSMContext):
    """Remember the extension and ask for the reason the villager will be told."""
    case = await handling.check_action(session, case_id=callback_data.case_id, actor=person, action=Action.extend)
    days = parse_days(callback_data.arg, keyboards.EXTENSION_DAYS)
    if days is None:
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    await state.set_state(Extending.reason)
    await state.set_data({"case_id": case.id, "days": days})
    await query.answer()
    await edit(query, _("Why does case {number} need {days} more days? The villager and the supervisor will be "
                        "told.").format(number=case.number, days=days), reply_markup=keyboards.cancel_step(case.id))


@router.message(StateFilter(Extending.reason), Magic(F.text & ~F.text.startswith("/")))
async def extend(message: Message, session: AsyncSession, person: Person, state: FSMContext,
                 config: ServiceConfig, now):
    """Move the deadline."""
    data = await state.get_data()
    case = await handling.extend_case(session, config, case_id=data["case_id"], actor=person,
                                      by=timedelta(days=data["days"]), reason=message.text, now=now)
    await state.clear()
    await message.answer(_("The deadline of case {number} is now {due}.").format(
        number=case.number, due=when(case.due_at, config.tz)))


@router.message(StateFilter(Extending.reason))
async def expecting_reason(message: Message):
    """Ask for the reason as text, not as a command or a sticker."""
    await expect_text(message)


@router.message(Command("overdue"))
async def overdue(message: Message, session: AsyncSession, person: Person, config: ServiceConfig, now):
    """List the overdue cases of the supervisor's area, grouped by owner, with days late."""
    rows = await digest.overdue_cases(session, person, now)
    if not rows:
        await message.answer(_("No overdue cases. 👍"))
        return
    lines = [_("<b>Overdue cases</b> ({count})").format(count=len(rows))]
    for _owner, group in groupby(sorted(rows, key=lambda r: (r.case.owner_id or 0, -r.days_late)),
                                   key=lambda r: r.case.owner_id):
        group = list(group)
        lines.append("")
        lines.append(f"<b>{person_label(group[0].case.owner)}</b>")
        lines += [_("{number} · {village} · {days} days late · {summary}").format(
            number=r.case.number, village=esc(r.case.village.name), days=r.days_late,
            summary=esc(short(r.case.summary, 40))) for r in group]
    await message.answer("\n".join(lines))
