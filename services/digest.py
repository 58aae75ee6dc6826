"""The overdue list and the supervisors' daily digest."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Case, OutboxMessage, Person, Village
from models.delivery import PRIORITY_REMINDER
from models.enums import Role
from services.config import ServiceConfig
from services.errors import NotAllowed
from services.lifecycle import OPEN_STATUSES
from services.outbox import enqueue

OVERDUE_LIMIT = 50
VIEWERS = frozenset({Role.supervisor, Role.township_leader, Role.county_leader})


@dataclass(frozen=True)
class OverdueCase:
    case: Case
    days_late: int


def _area(query, viewer: Person):
    if viewer.township_id is not None:
        query = query.join(Village, Village.id == Case.village_id).where(Village.township_id == viewer.township_id)
    return query


async def overdue_cases(session: AsyncSession, viewer: Person, now: datetime) -> list[OverdueCase]:
    """List the viewer's area's open cases past their deadline, most overdue first."""
    if viewer.role not in VIEWERS:
        raise NotAllowed()
    query = _area(select(Case), viewer).where(
        Case.status.in_(list(OPEN_STATUSES)), Case.due_at < now, Case.confidential.is_(False)
    ).order_by(Case.due_at).limit(OVERDUE_LIMIT)
    cases = (await session.scalars(query)).unique().all()
    return [OverdueCase(c, (now - c.due_at).days) for c in cases]


@dataclass(frozen=True)
class DayCounts:
    new: int
    settled: int
    overdue: int


async def day_counts(session: AsyncSession, viewer: Person, now: datetime) -> DayCounts:
    """Count the area's new and settled cases of the last day, and those overdue now."""
    since = now - timedelta(days=1)

    async def count(*conditions) -> int:
        query = _area(select(func.count(Case.id)), viewer).where(Case.confidential.is_(False), *conditions)
        return await session.scalar(query) or 0

    return DayCounts(
        new=await count(Case.created_at >= since, Case.created_at < now),
        settled=await count(Case.closed_at >= since, Case.closed_at < now),
        overdue=await count(Case.status.in_(list(OPEN_STATUSES)), Case.due_at < now),
    )


async def queue_daily_digests(session: AsyncSession, config: ServiceConfig, now: datetime) -> int:
    """Queue one digest per supervisor for the local day; a second run the same day adds nothing."""
    day = now.astimezone(config.tz).date().isoformat()
    supervisors = (await session.scalars(
        select(Person).where(Person.role == Role.supervisor, Person.active.is_(True)))).all()
    queued = 0
    for supervisor in supervisors:
        key = f"digest:{day}:{supervisor.id}"
        if await session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key)):
            continue
        enqueue(session, to=supervisor, notice="digest", key=key, now=now, priority=PRIORITY_REMINDER,
                at=now.isoformat())
        queued += 1
    await session.commit()
    return queued

