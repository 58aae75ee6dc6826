"""Supervision in chat: /stats (the rates), /rank (units by a composite score), /ledger (the spreadsheet)."""
from __future__ import annotations

import io

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot import notices_supervision  # noqa: F401  (registers the "briefing" notice wherever handlers load)
from bot.texts_supervision import area_name, dates, period_usage, rank_text, refusal, stats_text
from models import Person
from services import ledger, metrics, ranking
from services.config import ServiceConfig
from services.metrics import Cut
from services.periods import named_period

router = Router(name="supervision")

# What people type after /rank, in either language.
CUT_WORDS = {"township": Cut.township, "乡镇": Cut.township, "village": Cut.village, "村": Cut.village,
             "cadre": Cut.owner, "干部": Cut.owner, "category": Cut.category, "类别": Cut.category}
PERIOD_WORDS = {"week": "week", "本周": "week", "month": "month", "本月": "month", "year": "year", "本年": "year"}


async def _scope_or_refuse(message: Message, session: AsyncSession, person: Person) -> metrics.Scope | None:
    """Return the area the person supervises, or refuse politely when they supervise none."""
    scope = metrics.scope_for(person)
    if scope is None:
        await message.answer(refusal(person))
    elif person.township_id is not None:
        await session.refresh(person, ["township"])  # area_name shows it
    return scope


def _words(command: CommandObject) -> list[str]:
    """Return the words after the command, lower-cased."""
    return (command.args or "").lower().split()


@router.message(Command("stats"))
async def stats(message: Message, command: CommandObject, session: AsyncSession, person: Person,
                config: ServiceConfig, now):
    """Give a supervisor or leader the rates of their area for a period."""
    scope = await _scope_or_refuse(message, session, person)
    if scope is None:
        return
    words = _words(command)
    if len(words) > 1 or (words and words[0] not in PERIOD_WORDS):
        await message.answer(period_usage())
        return
    period = named_period(PERIOD_WORDS[words[0]] if words else None, now, config.tz)
    result = await metrics.compute(session, period, now, scope)
    await message.answer(stats_text(person, period, result, config.tz))


@router.message(Command("rank"))
async def rank(message: Message, command: CommandObject, session: AsyncSession, person: Person,
               config: ServiceConfig, now, rank_weights: ranking.RankWeights | None = None):
    """Rank the townships, villages or cadres of the area by the composite score over the last 30 days."""
    scope = await _scope_or_refuse(message, session, person)
    if scope is None:
        return
    words = _words(command)
    cuts = [CUT_WORDS[w] for w in words if w in CUT_WORDS]
    periods = [PERIOD_WORDS[w] for w in words if w in PERIOD_WORDS]
    if len(cuts) > 1 or len(periods) > 1 or len(cuts) + len(periods) != len(words):
        await message.answer(_("Usage: /rank [township|village|cadre] [week|month|year]"))
        return
    cut = cuts[0] if cuts else (Cut.township if scope.township_id is None else Cut.village)
    period = named_period(periods[0] if periods else None, now, config.tz)
    weights = rank_weights or ranking.RankWeights()
    ranked = await ranking.ranking(session, period, now, cut, scope, weights)
    await message.answer(rank_text(person, cut, period, ranked, weights, config.tz))


@router.message(Command("ledger"))
async def send_ledger(message: Message, command: CommandObject, session: AsyncSession, person: Person,
                      config: ServiceConfig, now):
    """Send the ledger of the area as a spreadsheet: every case, or those received in the period."""
    scope = await _scope_or_refuse(message, session, person)
    if scope is None:
        return
    words = _words(command)
    if len(words) > 1 or (words and words[0] not in PERIOD_WORDS):
        await message.answer(_("Usage: /ledger [week|month|year]; nothing means every case."))
        return
    period = named_period(PERIOD_WORDS[words[0]], now, config.tz) if words else None
    buffer = io.BytesIO()
    count = await ledger.write_ledger(session, buffer, scope=scope, period=period, now=now, tz=config.tz)
    name = f"ledger-{now.astimezone(config.tz):%Y%m%d-%H%M}.xlsx"
    caption = _("📒 Ledger · {area} · {dates} · {count} cases").format(
        area=area_name(person), dates=dates(period, config.tz) if period else _("all cases"), count=count)
    await message.answer_document(BufferedInputFile(buffer.getvalue(), name), caption=caption)

