"""Early warning in chat (风险研判): /risks lists the flagged cases of an area; 并单 links one matter."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.keyboards import CaseCb
from bot.screens import set_buttons, where
from bot.texts import esc, person_label, short
from bot.texts_campaign import flags_line, priority_mark
from models import Person
from services import linking, risk
from services.config import ServiceConfig

router = Router(name="risks")


@router.message(Command("risks"))
async def flagged(message: Message, session: AsyncSession, person: Person, config: ServiceConfig):
    """List the flagged cases of the supervisor's area still being handled, highest priority first."""
    cases = list(await risk.flagged_cases(session, person))
    if not cases:
        await message.answer(_("No early warnings in your area. 👍"))
        return
    lines = [_("<b>🚩 Early warnings</b> ({count})").format(count=len(cases))]
    for case in cases:
        lines.append("")
        lines.append(f"{priority_mark(case.priority)}<b>{case.number}</b> · {esc(case.village.name)} · "
                     f"{esc(case.category.name(person.language))}")
        lines.append(_("{flags} · {owner}").format(flags=flags_line(case.risk_flags), owner=person_label(case.owner)))
        lines.append(esc(short(case.summary, 60)))
    await message.answer("\n".join(lines), reply_markup=keyboards.case_list(cases))


@router.callback_query(CaseCb.filter(F.action == "link"))
async def link(query: CallbackQuery, callback_data: CaseCb, session: AsyncSession, person: Person, now):
    """Link the reports of one matter to the first of them (并单)."""
    primary, linked = await linking.link_matter(session, case_id=callback_data.case_id, actor=person, now=now)
    await query.answer(_("Linked."))
    await set_buttons(query)
    await where(query).answer(_("🔗 Linked to case {number} as one matter: {cases}").format(
        number=primary.number, cases="、".join(c.number for c in linked)))
