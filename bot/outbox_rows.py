"""The sender's statements on the outbox: claim due rows in one go, record many outcomes in a few."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, any_, bindparam, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from models import MessageLink, OutboxMessage, Person

OUTBOX, PEOPLE, LINKS = OutboxMessage.__table__, Person.__table__, MessageLink.__table__
# pg_advisory_xact_lock key that serialises claims across processes (see `claim`).
CLAIM_LOCK = 0x6D6C6F62


@dataclass(slots=True)
class Recipient:
    """What rendering and sending need of the person a row is for."""

    id: int
    external_id: str | None
    language: str
    unreachable_at: datetime | None


@dataclass(slots=True, eq=False)
class Claimed:
    """A claimed outbox row with its recipient, its lease and, once rendered, its calls."""

    id: int
    priority: int
    payload: dict
    case_id: int | None
    attempts: int
    lease: datetime
    person: Recipient
    calls: list = field(default_factory=list)
    render_error: str | None = None
    unwritten: Outcomes | None = None  # the last link and the sending, to write once the chat is free
    expires: float = 0.0  # monotonic moment after which the lease is too close to its end to send

    @property
    def parts_sent(self) -> int:
        return int(self.payload.get("_parts_sent", 0))


@dataclass
class Outcomes:
    """What became of sent rows, gathered to be written together."""

    sent: list[int] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)
    changes: dict[int, dict[str, Any]] = field(default_factory=dict)
    unreachable: list[int] = field(default_factory=list)
    released: list[tuple[int, datetime]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.sent or self.links or self.changes or self.unreachable or self.released)

    def change(self, row: Claimed, **values: Any) -> None:
        """Set columns of one row."""
        self.changes.setdefault(row.id, {}).update(values)

    def merge(self, older: Outcomes) -> None:
        """Take back outcomes that could not be written, before the ones gathered since."""
        self.sent[:0], self.links[:0], self.unreachable[:0] = older.sent, older.links, older.unreachable
        self.released[:0] = older.released
        for row_id, values in older.changes.items():
            self.changes[row_id] = {**values, **self.changes.get(row_id, {})}


def pending(table) -> Any:
    return and_(table.c.sent_at.is_(None), table.c.failed_at.is_(None))


class OutboxRows:
    """Claim and record outbox rows with Core statements built once for a dialect."""

    def __init__(self, dialect: str):
        self.dialect = dialect
        self.claim_ids = self._claim_statement()
        self.fetch = (
            select(OUTBOX.c.id, OUTBOX.c.priority, OUTBOX.c.payload, OUTBOX.c.case_id, OUTBOX.c.attempts,
                   OUTBOX.c.person_id, PEOPLE.c.external_id, PEOPLE.c.language, PEOPLE.c.unreachable_at)
            .join(PEOPLE, PEOPLE.c.id == OUTBOX.c.person_id)
            .where(self._one_of(OUTBOX.c.id, "ids")))
        self.mark_sent = (update(OUTBOX).where(self._one_of(OUTBOX.c.id, "ids"))
                          .values(sent_at=bindparam("now"), claimed_until=None))
        self.mark_unreachable = (update(PEOPLE).where(self._one_of(PEOPLE.c.id, "ids"))
                                 .values(unreachable_at=bindparam("now")))
        self.release = (update(OUTBOX).where(OUTBOX.c.id == bindparam("row_id"),
                                             OUTBOX.c.claimed_until == bindparam("lease"))
                        .values(claimed_until=None))
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        upsert = insert(LINKS)
        # A message id seen again (a reset test server) must not undo the delivery record.
        self.link = upsert.on_conflict_do_update(index_elements=[LINKS.c.chat, LINKS.c.message_id],
                                                 set_={"case_id": upsert.excluded.case_id})
        self._changes: dict[frozenset, Any] = {}

    def _one_of(self, column, name: str):
        # One array parameter on PostgreSQL keeps the statement text (and asyncpg's prepared statement) the same
        # whatever the number of ids; SQLite expands the list.
        if self.dialect == "postgresql":
            return column == any_(bindparam(name, type_=postgresql.ARRAY(column.type)))
        return column.in_(bindparam(name, expanding=True))

    def _claim_statement(self):
        earlier = OUTBOX.alias("earlier")
        # A row waits while an earlier row (in claim order) for the same person is pending and cannot go now:
        # put off (a backoff, a 429, the per-chat pace) or held by another sender. Rows this sender holds for
        # the person (`mine`) are queued in front of it here, in order, and do not hold it back.
        held_back = exists().where(
            earlier.c.person_id == OUTBOX.c.person_id, pending(earlier), earlier.c.id != OUTBOX.c.id,
            or_(earlier.c.priority < OUTBOX.c.priority,
                and_(earlier.c.priority == OUTBOX.c.priority, earlier.c.id < OUTBOX.c.id)),
            or_(earlier.c.not_before > bindparam("now"),
                and_(earlier.c.claimed_until >= bindparam("now"), ~self._one_of(OUTBOX.c.person_id, "mine"))),
        )
        due = (
            select(OUTBOX.c.id)
            .join(PEOPLE, PEOPLE.c.id == OUTBOX.c.person_id)
            .where(pending(OUTBOX), OUTBOX.c.not_before <= bindparam("now"), PEOPLE.c.external_id.is_not(None),
                   or_(OUTBOX.c.claimed_until.is_(None), OUTBOX.c.claimed_until < bindparam("now")), ~held_back)
            .order_by(OUTBOX.c.priority, OUTBOX.c.id)
            .limit(bindparam("limit"))
        )
        if self.dialect == "postgresql":
            due = due.with_for_update(skip_locked=True, of=OUTBOX)
        return (update(OUTBOX).where(OUTBOX.c.id.in_(due.scalar_subquery()))
                .values(claimed_until=bindparam("lease")).returning(OUTBOX.c.id))

    async def claim(self, session: AsyncSession, *, now: datetime, lease: datetime, limit: int,
                    mine: list[int]) -> list[Claimed]:
        """Lease up to `limit` due rows until `lease`, in claim order, with their recipients; do not commit."""
        conn = await session.connection()
        if self.dialect == "postgresql":
            # Claims take turns, so each sees the leases the one before committed: two senders never hold
            # rows of one chat at once. (SQLite writes one at a time anyway.)
            await conn.execute(select(func.pg_advisory_xact_lock(CLAIM_LOCK)))
        ids = (await conn.execute(self.claim_ids, {"now": now, "lease": lease, "limit": limit,
                                                   "mine": mine})).scalars().all()
        if not ids:
            return []
        recipients: dict[int, Recipient] = {}
        rows = []
        for r in await conn.execute(self.fetch, {"ids": list(ids)}):
            person = recipients.get(r.person_id)
            if person is None:
                person = recipients[r.person_id] = Recipient(r.person_id, r.external_id, r.language,
                                                             r.unreachable_at)
            rows.append(Claimed(r.id, r.priority, r.payload, r.case_id, r.attempts, lease, person))
        rows.sort(key=lambda row: (row.priority, row.id))
        return rows

    async def record(self, session: AsyncSession, outcomes: Outcomes, now: datetime) -> None:
        """Write gathered outcomes: one statement per kind, many rows each; do not commit."""
        conn = await session.connection()
        if outcomes.sent:
            await conn.execute(self.mark_sent, {"ids": outcomes.sent, "now": now})
        if outcomes.links:
            await conn.execute(self.link, outcomes.links)
        if outcomes.unreachable:
            await conn.execute(self.mark_unreachable, {"ids": sorted(set(outcomes.unreachable)), "now": now})
        if outcomes.released:
            await conn.execute(self.release, [{"row_id": i, "lease": lease} for i, lease in outcomes.released])
        groups: dict[frozenset, list[dict]] = defaultdict(list)
        for row_id, values in outcomes.changes.items():
            groups[frozenset(values)].append({"row_id": row_id, **{f"v_{k}": v for k, v in values.items()}})
        for columns, params in groups.items():
            await conn.execute(self._change(columns), params)

    def _change(self, columns: frozenset):
        statement = self._changes.get(columns)
        if statement is None:
            statement = self._changes[columns] = (
                update(OUTBOX).where(OUTBOX.c.id == bindparam("row_id"))
                .values({name: bindparam(f"v_{name}") for name in sorted(columns)}))
        return statement

    async def release_all(self, session: AsyncSession) -> int:
        """Free every lease on a pending row; do not commit."""
        result = await session.execute(
            update(OUTBOX).where(pending(OUTBOX), OUTBOX.c.claimed_until.is_not(None)).values(claimed_until=None))
        return result.rowcount or 0
