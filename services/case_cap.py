"""The open-case cap: a villager files at most MAX_OPEN_CASES open cases at once, unless a supervisor allows more."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Case, Person
from models.enums import PersonEventKind
from services import events
from services.errors import TooManyOpenCases
from services.lifecycle import OPEN_STATUSES
from services.moderation import Target, clean_reason, require_may_moderate

# What counts against the cap: cases still being handled (not those answered and waiting for a verdict).
COUNTED = sorted(OPEN_STATUSES)
MAX_EXTRA = 20


async def open_count(session: AsyncSession, person: Person) -> int:
    """Count the person's own cases still being handled."""
    return await session.scalar(select(func.count()).select_from(Case).where(
        Case.reporter_id == person.id, Case.status.in_(COUNTED))) or 0


async def open_cases(session: AsyncSession, person: Person, limit: int = 10) -> Sequence[Case]:
    """List the person's cases still being handled, newest first."""
    return (await session.scalars(select(Case).where(Case.reporter_id == person.id, Case.status.in_(COUNTED))
                                  .order_by(Case.id.desc()).limit(limit))).all()


def over_cap(count: int, cap: int | None, extra: int) -> bool:
    """Tell whether one more case would pass the cap, counting the extra cases a supervisor allowed."""
    return cap is not None and count >= cap + max(extra, 0)


async def check_cap(session: AsyncSession, person: Person, cap: int | None) -> int:
    """Return the person's open case count, or raise TooManyOpenCases when a new one would pass the cap."""
    if cap is None:
        return 0
    count = await open_count(session, person)
    if over_cap(count, cap, person.extra_cases or 0):
        raise TooManyOpenCases(count)
    return count


async def take_slot(session: AsyncSession, person: Person, cap: int | None) -> None:
    """Check the cap before a case is filed; a case filed over it uses one extra case a supervisor allowed."""
    count = await check_cap(session, person, cap)
    if cap is not None and count >= cap:
        person.extra_cases = max((person.extra_cases or 0) - 1, 0)


async def allow_extra_case(session: AsyncSession, *, actor: Person, target: Target, note: str,
                           now: datetime) -> Person:
    """Let the villager file one more case beyond the cap, with the supervisor's note, logged as a person event."""
    person = target.person
    require_may_moderate(actor, person)
    note = clean_reason(note)
    person.extra_cases = min((person.extra_cases or 0) + 1, MAX_EXTRA)
    events.append_person(session, person, PersonEventKind.extra_case, now, actor, note, extra=person.extra_cases,
                         **({"case": target.case_number, "anonymous": target.anonymous} if target.case_number else {}))
    await session.commit()
    return person
