"""What an owner does with a case: accept, resolve, escalate, transfer."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from models import Case, Person
from models import queries as q
from models.enums import Disposition, EventKind, Level, Role
from services import events
from services.config import ServiceConfig
from services.deadlines import can_escalate, set_deadlines, start_clock
from services.errors import CaseNotFound, InvalidInput, NotAllowed
from services.lifecycle import Action, next_status
from services.outbox import enqueue
from services.permissions import require_can
from services.routing import LEVEL_OF_ROLE, route_up
from services.supervisors import supervisors_of
from services.text import clean, is_blank

MAX_REASON = 1000


async def load_case(session: AsyncSession, case_id: int) -> Case:
    """Return the case or raise CaseNotFound."""
    case = await q.case_by_id(session, case_id)
    if case is None:
        raise CaseNotFound()
    return case


async def _authorized(session: AsyncSession, case_id: int, actor: Person, action: Action) -> Case:
    case = await load_case(session, case_id)
    require_can(actor, action, case, await q.helper_ids(session, case.id))
    return case


def _reason(text: str | None, required: bool = True) -> str | None:
    text = clean(text)
    if required and is_blank(text):
        raise InvalidInput("empty")
    if len(text) > MAX_REASON:
        raise InvalidInput("too_long")
    return text or None


async def accept_case(session: AsyncSession, *, case_id: int, actor: Person, now: datetime) -> Case:
    """Take the case on: it moves to in progress and the villager is told who handles it."""
    case = await _authorized(session, case_id, actor, Action.accept)
    case.status = next_status(case.status, Action.accept)
    event = await events.record(session, case, EventKind.accepted, now, actor=actor)
    enqueue(session, to=case.reporter, notice="case_update", key=f"update:{event.id}", now=now,
            case_id=case.id, what="accepted")
    await session.commit()
    return case


async def resolve_case(
    session: AsyncSession,
    config: ServiceConfig,
    *,
    case_id: int,
    actor: Person,
    disposition: Disposition,
    note: str,
    now: datetime,
    revisit_at: datetime | None = None,
) -> Case:
    """Settle the case with a disposition and ask the villager whether it is really solved."""
    case = await _authorized(session, case_id, actor, Action.resolve)
    resolved = next_status(case.status, Action.resolve)  # a case that moved on says so, whatever the note
    note = _reason(note)
    if disposition is Disposition.deferred and (revisit_at is None or revisit_at <= now):
        raise InvalidInput("revisit")
    case.status = resolved
    case.disposition = disposition
    case.resolution_note = note
    case.resolved_at = now
    case.revisit_at = revisit_at if disposition is Disposition.deferred else None
    case.followup_due = None if disposition is Disposition.deferred else now + config.followup_window
    case.followup_stage = 0
    if case.first_response_at is None:
        case.first_response_at = now
    event = await events.record(session, case, EventKind.resolved, now, actor=actor, note=note,
                                disposition=disposition)
    notice = "deferred_notice" if disposition is Disposition.deferred else "feedback_prompt"
    enqueue(session, to=case.reporter, notice=notice, key=f"feedback:{event.id}", now=now, case_id=case.id)
    await session.commit()
    return case


async def escalate_case(
    session: AsyncSession,
    config: ServiceConfig,
    *,
    case_id: int,
    actor: Person,
    reason: str,
    now: datetime,
) -> Case:
    """Hand the case up one level at its owner's request; the new owner gets the card."""
    case = await _authorized(session, case_id, actor, Action.escalate)
    await escalate(session, config, case, actor=actor, reason=_reason(reason), now=now)
    await session.commit()
    await session.refresh(case)
    return case


async def escalate(session: AsyncSession, config: ServiceConfig, case: Case, *, actor: Person | None,
                   reason: str | None, now: datetime) -> None:
    """Move the case one level up with a fresh deadline (actor None: the deadline did it); no commit."""
    if not can_escalate(case):
        raise NotAllowed()
    route = await route_up(session, case.village, Level(case.level))
    case.status = next_status(case.status, Action.escalate)
    previous_owner, previous_level = case.owner_id, case.level
    case.owner_id, case.level = route.owner.id, route.level
    set_deadlines(case, case.category, route.level, config.deadlines, now)
    event = await events.record(session, case, EventKind.escalated, now, actor=actor, note=reason,
                                from_owner=previous_owner, to_owner=route.owner.id,
                                from_level=previous_level, to_level=route.level, automatic=actor is None)
    case.owner = route.owner
    _tell_new_owner(session, case, route.owner, event.id, "escalated", reason, now)


async def transfer_candidates(session: AsyncSession, case: Case, actor: Person) -> Sequence[Person]:
    """List the people the case may be handed to: staff of its township and the county leaders."""
    require_can(actor, Action.transfer, case, await q.helper_ids(session, case.id))
    if case.confidential:
        pool = await q.people_with_role(session, Role.inspector)
    else:
        pool = [
            p for p in await q.staff_of_township(session, case.village.township_id)
            if p.role in (Role.cadre, Role.township_leader)
        ] + list(await q.people_with_role(session, Role.county_leader))
    return [p for p in pool if p.id != case.owner_id]


async def transfer_case(
    session: AsyncSession,
    *,
    case_id: int,
    actor: Person,
    to_person_id: int,
    reason: str,
    now: datetime,
) -> Case:
    """Hand the case to another person, with a reason; never close it as "not ours"."""
    case = await load_case(session, case_id)
    candidates = {p.id: p for p in await transfer_candidates(session, case, actor)}
    target = candidates.get(to_person_id)
    if target is None:
        raise NotAllowed()
    reason = _reason(reason)
    case.status = next_status(case.status, Action.transfer)
    previous_owner = case.owner_id
    case.owner_id, case.level = target.id, LEVEL_OF_ROLE[Role(target.role)]
    event = await events.record(session, case, EventKind.transferred, now, actor=actor, note=reason,
                                from_owner=previous_owner, to_owner=target.id)
    _tell_new_owner(session, case, target, event.id, "transferred", reason, now)
    await session.commit()
    await session.refresh(case)
    return case


def _tell_new_owner(session, case: Case, owner: Person, event_id: int, why: str, reason: str | None, now) -> None:
    enqueue(session, to=owner, notice="case_card", key=f"card:{event_id}", now=now, case_id=case.id,
            reason=why, note=reason)
    enqueue(session, to=case.reporter, notice="case_update", key=f"update:{event_id}", now=now,
            case_id=case.id, what=why)


async def check_action(session: AsyncSession, *, case_id: int, actor: Person, action: Action) -> Case:
    """Return the case if the actor may take `action` on it now; raise otherwise."""
    case = await _authorized(session, case_id, actor, action)
    next_status(case.status, action)
    if action is Action.escalate and not can_escalate(case):
        raise NotAllowed()
    return case


async def extend_case(
    session: AsyncSession,
    config: ServiceConfig,
    *,
    case_id: int,
    actor: Person,
    by: timedelta,
    reason: str,
    now: datetime,
) -> Case:
    """Move the deadline later by `by`, with a reason; the villager and the supervisors are told."""
    case = await _authorized(session, case_id, actor, Action.extend)
    reason = _reason(reason)
    new_due = max(now, case.due_at or now) + by
    if by <= timedelta(0):
        raise InvalidInput("revisit")
    case.status = next_status(case.status, Action.extend)
    previous = case.due_at
    start_clock(case, new_due, config.deadlines, now)
    event = await events.record(session, case, EventKind.extended, now, actor=actor, note=reason,
                                previous_due=previous.isoformat() if previous else None, new_due=new_due.isoformat())
    enqueue(session, to=case.reporter, notice="case_update", key=f"update:{event.id}", now=now, case_id=case.id,
            what="extended", note=reason)
    for supervisor in await supervisors_of(session, case):
        enqueue(session, to=supervisor, notice="extension_notice", key=f"extended:{event.id}:{supervisor.id}",
                now=now, case_id=case.id, note=reason)
    await session.commit()
    return case
