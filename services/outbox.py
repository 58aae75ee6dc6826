"""Queue notices to third parties in the same transaction as the change that caused them."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from models import OutboxMessage, Person
from models.delivery import PRIORITY_CONVERSATION


def enqueue(
    session: AsyncSession,
    *,
    to: Person,
    notice: str,
    key: str,
    now: datetime,
    case_id: int | None = None,
    priority: int = PRIORITY_CONVERSATION,
    not_before: datetime | None = None,
    **params,
) -> OutboxMessage:
    """Add one outbox row: a notice kind and its parameters, for one recipient, under a unique key."""
    row = OutboxMessage(
        key=key,
        person_id=to.id,
        priority=priority,
        payload={"notice": notice, **params},
        case_id=case_id,
        created_at=now,
        not_before=not_before or now,
        attempts=0,
    )
    session.add(row)
    return row


@dataclass(frozen=True)
class Notice:
    """One notice for one person, as `enqueue` takes it, to be queued with many others at once."""

    person_id: int
    notice: str
    key: str
    case_id: int | None = None
    priority: int = PRIORITY_CONVERSATION
    params: dict = field(default_factory=dict)


_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


async def enqueue_many(session: AsyncSession, notices: Sequence[Notice], now: datetime) -> None:
    """Add many outbox rows in one statement; a key already queued is skipped, so each goes out once."""
    if not notices:
        return
    rows = [{"key": n.key, "person_id": n.person_id, "priority": n.priority, "payload": {"notice": n.notice, **n.params},
             "case_id": n.case_id, "created_at": now, "not_before": now, "attempts": 0} for n in notices]
    insert = _INSERT[session.bind.dialect.name](OutboxMessage.__table__).on_conflict_do_nothing(index_elements=["key"])
    await session.execute(insert, rows)
