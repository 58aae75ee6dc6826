"""Append case events and person events; the only writer of the case_events and person_events tables."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from models import Case, CaseEvent, Person, PersonEvent
from models.enums import EventKind, PersonEventKind

_INSERT = insert(CaseEvent.__table__)


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
    event = CaseEvent(**event_row(case.id, kind, now, actor, note, **data))
    session.add(event)
    return event


def event_row(case_id: int, kind: EventKind, now: datetime, actor: Person | None = None, note: str | None = None,
              **data) -> dict:
    """Return the values of one event, for `append` or for `append_rows`."""
    return {"case_id": case_id, "at": now, "actor_id": actor.id if actor else None, "kind": kind, "note": note,
            "data": data}


async def append_rows(session: AsyncSession, rows: list[dict]) -> None:
    """Append events made by `event_row` in one statement (no ORM objects: the hot paths)."""
    if rows:
        await session.execute(_INSERT, rows)


async def append_rows_with_ids(session: AsyncSession, rows: list[dict]) -> list[int]:
    """Append events made by `event_row` in one statement and return their ids, in the rows' order."""
    if not rows:
        return []
    result = await session.execute(_INSERT.returning(_INSERT.table.c.id, sort_by_parameter_order=True), rows)
    return list(result.scalars())


def append_person(session: AsyncSession, person: Person, kind: PersonEventKind, now: datetime,
                  actor: Person | None = None, note: str | None = None, **data) -> PersonEvent:
    """Append one event to a person's history (a mute, an extra case allowed); written with the next flush."""
    event = PersonEvent(person_id=person.id, at=now, actor_id=actor.id if actor else None, kind=kind, note=note,
                        data=data)
    session.add(event)
    return event
