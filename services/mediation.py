"""Mediation first (先行调解): the owner of a dispute records each mediation and how it ended.

The mediation rate (调解率) counts disputes closed with a successful recorded mediation
(services/metrics.py), so a mediation is a record with its parties, day, place and outcome, never a
guess from the disposition.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Case, Mediation, Person
from models import queries as q
from models.enums import EventKind, MediationNextStep, MediationOutcome
from services import events
from services.errors import InvalidInput
from services.handling import load_case
from services.lifecycle import Action, next_status
from services.permissions import require_can
from services.signoff_rules import is_dispute
from services.text import clean, is_blank

MAX_PARTIES = 500
MAX_PLACE = 200
MAX_AGREEMENT = 4000
_ISO = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_SHORT = re.compile(r"^(\d{1,2})[-/.月](\d{1,2})日?$")


@dataclass(frozen=True)
class MediationRecord:
    """What the owner says about one mediation, before it is checked and stored."""

    parties: str
    held_on: date
    place: str
    outcome: MediationOutcome
    agreement_text: str | None = None
    agreement_file_id: str | None = None
    next_step: MediationNextStep | None = None


def parse_day(text: str, today: date) -> date:
    """Read a day written as 2026-11-28, 11-28 or 11月28日 (this year); never one after today."""
    text = (text or "").strip().replace(" ", "")
    found = _ISO.match(text)
    try:
        if found:
            day = date(int(found[1]), int(found[2]), int(found[3]))
        elif (found := _SHORT.match(text)):
            day = date(today.year, int(found[1]), int(found[2]))
            if day > today:
                day = day.replace(year=today.year - 1)
        else:
            raise InvalidInput("day")
    except ValueError:
        raise InvalidInput("day") from None
    if day > today:
        raise InvalidInput("day")
    return day


def day_back(days: int, now: datetime, tz: ZoneInfo) -> date:
    """Return the local date `days` before today."""
    return (now.astimezone(tz) - timedelta(days=days)).date()


def _text(value: str | None, limit: int, required: bool = True) -> str | None:
    value = clean(value)
    if is_blank(value):
        if required:
            raise InvalidInput("empty")
        return None
    if len(value) > limit:
        raise InvalidInput("too_long")
    return value


async def check_mediation(session: AsyncSession, *, case_id: int, actor: Person) -> Case:
    """Return the dispute if its owner may record a mediation now; raise otherwise."""
    case = await load_case(session, case_id)
    require_can(actor, Action.mediate, case, await q.helper_ids(session, case.id))
    next_status(case.status, Action.mediate)
    if not is_dispute(case.category):
        raise InvalidInput("not_dispute")
    return case


async def record_mediation(session: AsyncSession, *, case_id: int, actor: Person, record: MediationRecord,
                           now: datetime, tz: ZoneInfo) -> tuple[Case, Mediation]:
    """Store a mediation of the dispute and note it in the timeline (event `mediated`)."""
    case = await check_mediation(session, case_id=case_id, actor=actor)
    parties = _text(record.parties, MAX_PARTIES)
    place = _text(record.place, MAX_PLACE)
    if record.held_on > now.astimezone(tz).date():
        raise InvalidInput("day")
    agreement = _text(record.agreement_text, MAX_AGREEMENT, required=False)
    if record.outcome is MediationOutcome.success and not (agreement or record.agreement_file_id):
        raise InvalidInput("agreement")
    if record.outcome is MediationOutcome.failure and record.next_step is None:
        raise InvalidInput("next_step")
    mediation = Mediation(
        case_id=case.id, parties=parties, held_on=record.held_on, place=place, outcome=record.outcome,
        agreement_text=agreement if record.outcome is MediationOutcome.success else None,
        agreement_file_id=record.agreement_file_id if record.outcome is MediationOutcome.success else None,
        next_step=record.next_step if record.outcome is MediationOutcome.failure else None,
        recorded_by_id=actor.id, at=now,
    )
    session.add(mediation)
    await session.flush()
    await events.record(session, case, EventKind.mediated, now, actor=actor, mediation_id=mediation.id,
                        outcome=record.outcome, next_step=mediation.next_step, held_on=record.held_on.isoformat())
    await session.commit()
    return case, mediation


async def mediations_of(session: AsyncSession, case_id: int) -> Sequence[Mediation]:
    """Return the mediations recorded for a case, oldest first (callers check who may see the case)."""
    return (await session.scalars(select(Mediation).where(Mediation.case_id == case_id).order_by(Mediation.id))).all()
