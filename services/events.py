"""Append case events; the only writer of the case_events table."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import Case, CaseEvent, Person
from models.enums import EventKind


async def record(
    session: AsyncSession,
    case: Case,
    kind: EventKind,
    now: datetime,
    actor: Person | None = None,
    note: str | None = None,
    **data,
) -> CaseEvent:
    """Append one event to the case's history and return it with its id."""
    event = append(session, case, kind, now, actor, note, **data)
    await session.flush()
    return event


def append(
    session: AsyncSession,
    case: Case,
    kind: EventKind,
    now: datetime,
    actor: Person | None = None,
    note: str | None = None,
    **data,
) -> CaseEvent:
    """Append one event to the case's history; it is written (and gets its id) with the next flush."""
    event = CaseEvent(
        case_id=case.id, at=now, actor_id=actor.id if actor else None, kind=kind, note=note, data=data
    )
    session.add(event)
    return event
