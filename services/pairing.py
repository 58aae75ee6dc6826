"""结对帮扶: remind a cadre of a paired household not visited for PAIR_VISIT_EVERY, and name who is behind.

A household is due for a visit a PAIR_VISIT_EVERY after its paired cadre's last visit to it (or after
the pairing began). Each period past that brings one reminder, under a key that names the household,
the cadre, the moment counted from and the period, so a job run twice queues it once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import DiaryEntry, Household, OutboxMessage, Person, Village
from models.delivery import PRIORITY_REMINDER
from services.outbox import enqueue

BEHIND_SHOWN = 20


def periods_overdue(since: datetime, every: timedelta, now: datetime) -> int:
    """Return how many whole periods have passed since the last visit (0: not due yet)."""
    return max(int((now - since) / every), 0) if every > timedelta(0) else 0


@dataclass(frozen=True)
class PairStatus:
    household_id: int
    cadre_id: int
    since: datetime  # the last visit by the paired cadre, or the start of the pairing
    village_id: int


def _last_visit():
    return (select(func.max(DiaryEntry.visited_at))
            .where(DiaryEntry.household_id == Household.id, DiaryEntry.cadre_id == Household.paired_cadre_id)
            .scalar_subquery())


async def pair_statuses(session: AsyncSession, township_id: int | None = None) -> list[PairStatus]:
    """Return every paired household with the moment its visit clock counts from."""
    query = (select(Household.id, Household.paired_cadre_id, Household.paired_at, Household.created_at,
                    _last_visit(), Household.village_id)
             .join(Person, and_(Person.id == Household.paired_cadre_id, Person.active.is_(True))))
    if township_id is not None:
        query = query.join(Village, Village.id == Household.village_id).where(Village.township_id == township_id)
    rows = (await session.execute(query)).all()
    return [PairStatus(hid, cadre, max(t for t in (paired, created, last) if t is not None), village)
            for hid, cadre, paired, created, last, village in rows]


async def queue_pair_reminders(session: AsyncSession, every: timedelta, now: datetime) -> int:
    """Queue one reminder per paired household and period without a visit; return how many were queued."""
    due = {}
    for status in await pair_statuses(session):
        n = periods_overdue(status.since, every, now)
        if n:
            due[f"pair:{status.household_id}:{status.cadre_id}:{int(status.since.timestamp())}:{n}"] = status
    if not due:
        return 0
    done = set((await session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.in_(list(due))))).all())
    queued = 0
    for key, status in due.items():
        if key in done:
            continue
        cadre = await session.get(Person, status.cadre_id)
        enqueue(session, to=cadre, notice="pair_visit_due", key=key, now=now, priority=PRIORITY_REMINDER,
                household_id=status.household_id, since=status.since.isoformat())
        queued += 1
    await session.commit()
    return queued


async def behind_on_visits(session: AsyncSession, every: timedelta, now: datetime, township_id: int | None = None
                           ) -> list[dict]:
    """Return the cadres with paired households overdue for a visit: name and how many, most first."""
    behind: dict[int, int] = {}
    for status in await pair_statuses(session, township_id):
        if periods_overdue(status.since, every, now):
            behind[status.cadre_id] = behind.get(status.cadre_id, 0) + 1
    if not behind:
        return []
    names = dict((await session.execute(select(Person.id, Person.name).where(Person.id.in_(list(behind))))).all())
    rows = [{"cadre": names.get(cadre, "—"), "households": count} for cadre, count in behind.items()]
    return sorted(rows, key=lambda r: (-r["households"], r["cadre"]))[:BEHIND_SHOWN]
