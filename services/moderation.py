"""Muting (禁言): a supervisor pauses a villager's messages, with a reason, and lifts it; both are person events."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Case, Person, PersonEvent
from models import queries as q
from models.enums import PersonEventKind, Role
from services import events
from services.outbox import enqueue_rows, outbox_row
from services.errors import InvalidInput, NotAllowed, PersonNotFound
from services.permissions import require_visible

CASE_NUMBER = re.compile(r"^\d{4}-\d{6}$")
USERNAME = re.compile(r"^@?([A-Za-z][A-Za-z0-9_]{3,31})$")
MAX_REASON = 500
# The reasons a supervisor picks from a button; anything else is typed.
MUTE_REASONS = ("flood", "abuse", "false")
MUTED_SHOWN = 30


@dataclass(frozen=True)
class Target:
    """A person a supervisor acts on, and how they were named: through a case (anonymous or not) or directly."""

    person: Person
    case_number: str | None = None
    anonymous: bool = False


def require_moderator(actor: Person) -> None:
    """Raise NotAllowed unless the actor is a supervisor (the roles table: supervision is theirs alone)."""
    if actor.role != Role.supervisor:
        raise NotAllowed()


def may_moderate(actor: Person, target: Person) -> bool:
    """Tell whether the actor may mute or unmute the target: a supervisor, a villager of their area."""
    if actor.role != Role.supervisor or target.role != Role.villager:
        return False
    return actor.township_id is None or actor.township_id == target.township_id


def require_may_moderate(actor: Person, target: Person) -> None:
    """Raise NotAllowed unless `may_moderate`."""
    if not may_moderate(actor, target):
        raise NotAllowed()


def clean_reason(text: str | None) -> str:
    """Return the reason as stored: trimmed, required, at most MAX_REASON characters."""
    reason = (text or "").strip()
    if not reason:
        raise InvalidInput("reason")
    if len(reason) > MAX_REASON:
        raise InvalidInput("too_long")
    return reason


async def find_target(session: AsyncSession, actor: Person, who: str) -> Target:
    """Find the person named by a case number (its reporter), an @username or a Telegram id, for a supervisor."""
    require_moderator(actor)
    who = (who or "").strip()
    if CASE_NUMBER.match(who):
        # A case the supervisor may not see (an inspector's, another township's) looks like a missing one.
        case = require_visible(actor, await session.scalar(select(Case).where(Case.number == who)))
        return Target(case.reporter, case.number, case.anonymous)
    person = None
    if who.isascii() and who.isdigit() and len(who) <= 20:
        person = await q.person_by_external(session, "telegram", who)
    elif USERNAME.match(who):
        name = USERNAME.match(who).group(1).lower()
        person = await session.scalar(select(Person).where(Person.username == name).order_by(Person.id.desc()))
    if person is None or not may_moderate(actor, person):
        # Staff, or a villager of another area: nothing to act on here.
        raise PersonNotFound()
    return Target(person)


async def target_by_id(session: AsyncSession, actor: Person, person_id: int, case_id: int | None = None) -> Target:
    """Find the person a button names (by row id, and the case it was pressed on), checking the actor may act."""
    require_moderator(actor)
    case = require_visible(actor, await q.case_by_id(session, case_id)) if case_id else None
    if case is not None:
        if case.reporter_id != person_id:
            raise PersonNotFound()
        person = case.reporter
    else:
        person = await session.get(Person, person_id)
    if person is None or not may_moderate(actor, person):
        raise PersonNotFound()
    return Target(person, case.number if case else None, case.anonymous if case else False)


async def mute(session: AsyncSession, *, actor: Person, target: Target, reason: str, now: datetime) -> Person:
    """Pause the villager's messages with a reason, and log it as a person event."""
    person = target.person
    require_may_moderate(actor, person)
    reason = clean_reason(reason)
    person.muted_at, person.mute_reason = now, reason
    events.append_person(session, person, PersonEventKind.muted, now, actor, reason, **_via(target))
    await session.commit()
    return person


async def unmute(session: AsyncSession, *, actor: Person, target: Target, reason: str | None,
                 now: datetime) -> Person:
    """Take the villager's messages again, log it as a person event (a reason is optional) and tell them."""
    person = target.person
    require_may_moderate(actor, person)
    if person.muted_at is None:
        raise InvalidInput("not_muted")
    person.muted_at = person.mute_reason = None
    note = (reason or "").strip()[:MAX_REASON] or None
    events.append_person(session, person, PersonEventKind.unmuted, now, actor, note, **_via(target))
    # The villager is told they are heard again (they were told of the pause when they wrote).
    await enqueue_rows(session, [outbox_row(person.id, "unmuted", f"unmuted:{person.id}:{now.isoformat()}", now)])
    await session.commit()
    return person


def _via(target: Target) -> dict:
    """What a person event keeps of how the person was named (an anonymous reporter stays unnamed in lists)."""
    return {"case": target.case_number, "anonymous": target.anonymous} if target.case_number else {}


@dataclass(frozen=True)
class MutedEntry:
    """One muted person as a supervisor's list shows them."""

    person: Person
    since: datetime
    reason: str
    by: str | None
    case_number: str | None
    anonymous: bool


async def muted_people(session: AsyncSession, actor: Person) -> list[MutedEntry]:
    """List the villagers of the supervisor's area who are muted now, newest first, with who muted them."""
    require_moderator(actor)
    query = select(Person).where(Person.muted_at.is_not(None), Person.role == Role.villager)
    if actor.township_id is not None:
        query = query.where(Person.township_id == actor.township_id)
    people = (await session.scalars(query.order_by(Person.muted_at.desc(), Person.id).limit(MUTED_SHOWN))).all()
    if not people:
        return []
    latest = (select(func.max(PersonEvent.id)).where(PersonEvent.person_id.in_([p.id for p in people]),
                                                      PersonEvent.kind == PersonEventKind.muted)
              .group_by(PersonEvent.person_id))
    found = {e.person_id: e for e in (await session.scalars(select(PersonEvent).where(PersonEvent.id.in_(latest))))}
    entries = []
    for person in people:
        event = found.get(person.id)
        data = event.data if event else {}
        entries.append(MutedEntry(person, person.muted_at, person.mute_reason or "",
                                  event.actor.name if event and event.actor else None, data.get("case"),
                                  bool(data.get("anonymous"))))
    return entries


async def history(session: AsyncSession, person: Person, limit: int = 10) -> Sequence[PersonEvent]:
    """Return the person's latest events, oldest first."""
    rows = (await session.scalars(select(PersonEvent).where(PersonEvent.person_id == person.id)
                                  .order_by(PersonEvent.id.desc()).limit(limit))).all()
    return list(reversed(rows))


async def who_to_call(session: AsyncSession, person: Person) -> Person | None:
    """Return whom a muted villager may call instead: their village's cadre, else their township's leader."""
    if person.village_id is not None:
        cadre = await q.assigned_cadre(session, person.village_id, None)
        if cadre is not None:
            return cadre
    if person.township_id is not None:
        return await q.first_with_role(session, Role.township_leader, person.township_id)
    return None
