"""Broadcasts: record them, fan each run out to one outbox row per household, count and report."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Broadcast, BroadcastRun, OutboxMessage, Person, PolicyArticle, Township, Village
from models.delivery import PRIORITY_BROADCAST
from models.enums import Role
from services.config import ServiceConfig
from services.cron import next_fire as cron_next_fire
from services.errors import InvalidInput, NotAllowed
from services.outbox import enqueue
from services.text import clean, is_blank, telegram_length

SENDERS = frozenset({Role.supervisor, Role.county_leader, Role.township_leader})
MAX_TEXT = 3500


@dataclass(frozen=True)
class Counts:
    queued: int
    delivered: int
    failed: int
    unreachable: int


def next_fire(cron: str, after: datetime, config: ServiceConfig) -> datetime | None:
    """Return the next moment a cron expression (local time) fires after `after`."""
    return cron_next_fire(cron, after, config.tz)


async def check_audience(session: AsyncSession, audience: str, by: Person | None = None) -> str:
    """Return the audience if it names a real area the sender may address; raise otherwise."""
    kind, _, value = audience.partition(":")
    if kind == "county" and not value:
        area_township = None
    elif kind == "township" and value:
        town = await session.scalar(select(Township).where(Township.name == value))
        if town is None:
            raise InvalidInput("audience")
        area_township = town.id
    elif kind == "village" and value:
        village = await session.scalar(select(Village).where(Village.code == value))
        if village is None:
            raise InvalidInput("audience")
        area_township = village.township_id
    else:
        raise InvalidInput("audience")
    if by is not None and by.township_id is not None and by.township_id != area_township:
        raise NotAllowed()
    return audience


def check_text(text: str) -> str:
    """Return a broadcast's own text cleaned, or refuse it when empty or too long."""
    text = clean(text)
    if is_blank(text):
        raise InvalidInput("empty")
    if telegram_length(text) > MAX_TEXT:
        raise InvalidInput("too_long")
    return text


async def create_broadcast(
    session: AsyncSession, config: ServiceConfig, *, by: Person | None, audience: str, now: datetime,
    text: str | None = None, policy_slug: str | None = None, at: datetime | None = None, cron: str | None = None,
    urgent: bool = False,
) -> Broadcast:
    """Record a broadcast (by None: the command line) and when it first runs."""
    if by is not None and by.role not in SENDERS:
        raise NotAllowed()
    text = check_text(text) if text is not None and not is_blank(text) else None
    if (text is None) == (policy_slug is None):
        raise InvalidInput("broadcast_content")
    if policy_slug and await session.get(PolicyArticle, policy_slug) is None:
        raise InvalidInput("policy")
    await check_audience(session, audience, by)
    if cron:
        try:
            first = next_fire(cron, at or now, config)
        except ValueError:
            raise InvalidInput("cron") from None
    else:
        first = at or now
    broadcast = Broadcast(created_at=now, created_by_id=by.id if by else None, text=text, policy_slug=policy_slug,
                          audience=audience, urgent=urgent, cron=cron, next_run_at=first, runs=0)
    session.add(broadcast)
    await session.commit()
    return broadcast


def _recipients(broadcast: Broadcast):
    query = select(Person.id).where(Person.role == Role.villager, Person.active.is_(True),
                                    Person.external_id.is_not(None), Person.unreachable_at.is_(None))
    if not broadcast.urgent:
        query = query.where(Person.subscribed.is_(True))
    kind, _, value = broadcast.audience.partition(":")
    if kind == "township":
        query = query.join(Township, Township.id == Person.township_id).where(Township.name == value)
    elif kind == "village":
        query = query.join(Village, Village.id == Person.village_id).where(Village.code == value)
    else:
        query = query.where(Person.village_id.is_not(None))
    return query.order_by(Person.id)


async def fan_out_due(session: AsyncSession, config: ServiceConfig, now: datetime) -> int:
    """Queue every due run of every broadcast, one outbox row per household; return rows queued."""
    query = select(Broadcast).where(Broadcast.next_run_at <= now, Broadcast.cancelled_at.is_(None)).limit(20)
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    queued = 0
    for broadcast in (await session.scalars(query)).all():
        broadcast.runs += 1
        run = BroadcastRun(broadcast_id=broadcast.id, run_no=broadcast.runs, created_at=now)
        people = (await session.scalars(_recipients(broadcast))).all()
        for person_id in people:
            # The key makes a second fan-out of the same run impossible: one message per household.
            session.add(OutboxMessage(key=f"bc:{broadcast.id}:{run.run_no}:{person_id}", person_id=person_id,
                                      priority=PRIORITY_BROADCAST, created_at=now, not_before=now, attempts=0,
                                      payload={"notice": "broadcast", "broadcast_id": broadcast.id}))
        run.recipients = len(people)
        session.add(run)
        broadcast.next_run_at = next_fire(broadcast.cron, now, config) if broadcast.cron else None
        queued += len(people)
    await session.commit()
    return queued


async def counts(session: AsyncSession, broadcast_id: int, run_no: int | None = None) -> Counts:
    """Count a broadcast's messages: queued, delivered, failed, unreachable."""
    prefix = f"bc:{broadcast_id}:{run_no}:" if run_no else f"bc:{broadcast_id}:"
    unreachable = OutboxMessage.last_error.like("unreachable%")
    row = (await session.execute(select(
        func.count().filter(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None)),
        func.count().filter(OutboxMessage.sent_at.is_not(None)),
        func.count().filter(OutboxMessage.failed_at.is_not(None), ~unreachable),
        func.count().filter(OutboxMessage.failed_at.is_not(None), unreachable),
    ).where(OutboxMessage.key.like(prefix + "%")))).one()
    return Counts(*row)


async def report_finished_runs(session: AsyncSession, now: datetime) -> int:
    """Tell each sender once that their run is finished, with its counts."""
    runs = (await session.scalars(select(BroadcastRun).where(BroadcastRun.reported_at.is_(None)))).all()
    reported = 0
    for run in runs:
        tally = await counts(session, run.broadcast_id, run.run_no)
        if tally.queued:
            continue
        run.reported_at = now
        broadcast = await session.get(Broadcast, run.broadcast_id)
        if broadcast.created_by_id is not None:
            enqueue(session, to=await session.get(Person, broadcast.created_by_id), notice="broadcast_report",
                    key=f"bcreport:{run.id}", now=now, broadcast_id=broadcast.id, run_no=run.run_no,
                    delivered=tally.delivered, failed=tally.failed, unreachable=tally.unreachable)
        reported += 1
    await session.commit()
    return reported


async def recent(session: AsyncSession, limit: int = 20) -> list[Broadcast]:
    """Return the scheduled and the most recent broadcasts."""
    return list((await session.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit))).all())


async def recent_in_area(session: AsyncSession, township: Township | None, limit: int = 50
                         ) -> list[tuple[Broadcast, Counts]]:
    """Return the latest broadcasts that reached an area (a township's own, its villages', the county's), counted."""
    query = select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)
    if township is not None:
        codes = select(literal("village:", String) + Village.code).where(Village.township_id == township.id)
        query = query.where((Broadcast.audience == "county") | (Broadcast.audience == f"township:{township.name}")
                            | Broadcast.audience.in_(codes))
    found = (await session.scalars(query)).all()
    return [(broadcast, await counts(session, broadcast.id)) for broadcast in found]


async def set_subscription(session: AsyncSession, person: Person, subscribed: bool) -> Person:
    """Stop or restart routine broadcasts for a villager."""
    person.subscribed = subscribed
    await session.commit()
    return person
