"""Queue notices to third parties in the same transaction as the change that caused them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from models import OutboxMessage, Person
from models.delivery import PRIORITY_CONVERSATION
from models.enums import HOUSEHOLD_CHANNEL

# Channels that receive nothing: a household without an account of its own, and the stand-in reporter of a
# case posted by another system over Open311 (followed there by polling the API); nothing could be sent.
SILENT_CHANNELS = frozenset({HOUSEHOLD_CHANNEL, "open311"})


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
) -> OutboxMessage | None:
    """Add one outbox row: a notice kind and its parameters, for one recipient, under a unique key.

    Nobody on a silent channel is written to: a household a cadre reports for, without an account of its
    own, hears from the cadre in person (services/diary.py); another system's case is followed there.
    """
    if to.channel in SILENT_CHANNELS:
        return None
    row = OutboxMessage(**outbox_row(to.id, notice, key, now, case_id, priority, not_before, **params))
    session.add(row)
    return row


def outbox_row(person_id: int, notice: str, key: str, now: datetime, case_id: int | None = None,
               priority: int = PRIORITY_CONVERSATION, not_before: datetime | None = None, **params) -> dict:
    """Return the values of one outbox row, for `enqueue` or for `enqueue_rows`."""
    return {"key": key, "person_id": person_id, "priority": priority, "payload": {"notice": notice, **params},
            "case_id": case_id, "created_at": now, "not_before": not_before or now, "attempts": 0}


async def enqueue_rows(session: AsyncSession, rows: list[dict]) -> None:
    """Add outbox rows made by `outbox_row` in one statement; a key already queued is skipped (sent once)."""
    if rows:
        await session.execute(_INSERTS[session.bind.dialect.name], rows)


_INSERTS = {name: insert(OutboxMessage.__table__).on_conflict_do_nothing(index_elements=["key"])
            for name, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))}
