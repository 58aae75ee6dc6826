"""Sign-off (销号): which cases a supervisor must sign off, and the supervisor's two answers.

A case the villager is content with closes at once, unless it needs a supervisor's sign-off: then
it waits in `awaiting_signoff` until a supervisor of its area agrees (同意销号, closed with reason
`signed_off`) or sends it back to its owner with a reason (退回, back to `in_progress`).
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Case, CaseEvent, Person, Village
from models import queries as q
from models.enums import CloseReason, EventKind, Role, Status
from services import events
from services.errors import InvalidInput, NotAllowed
from services.handling import load_case
from services.lifecycle import Action, next_status
from services.outbox import enqueue
from services.permissions import require_can
from services.signoff_rules import SignoffPolicy, category_requires
from services.supervisors import supervisors_of
from services.text import clean, is_blank

MAX_REASON = 1000
LIST_LIMIT = 30


async def was_supervised(session: AsyncSession, case: Case) -> bool:
    """Tell whether the case is, or ever was, listed for supervision (挂牌督办)."""
    if case.supervised:
        return True
    return await session.scalar(select(CaseEvent.id).where(
        CaseEvent.case_id == case.id, CaseEvent.kind == EventKind.supervised).limit(1)) is not None


async def needs_signoff(session: AsyncSession, case: Case, policy: SignoffPolicy) -> bool:
    """Tell whether closing the case needs a supervisor's sign-off (never for the inspector's cases)."""
    if case.confidential:
        return False
    by_category = category_requires(case.category, policy)
    if by_category is not None:
        return by_category
    return policy.supervised and await was_supervised(session, case)


async def request_signoff(session: AsyncSession, case: Case, villager: Person, now: datetime) -> bool:
    """Put the case before the supervisors of its area; False when there is none to sign (no commit)."""
    supervisors = await supervisors_of(session, case)
    if not supervisors:
        return False
    case.status = next_status(case.status, Action.await_signoff)
    event = await events.record(session, case, EventKind.signoff_requested, now, actor=villager)
    for supervisor in supervisors:
        enqueue(session, to=supervisor, notice="signoff_request", key=f"signoff:{event.id}:{supervisor.id}",
                now=now, case_id=case.id)
    enqueue(session, to=case.owner, notice="signoff_pending", key=f"signoff:{event.id}:owner", now=now,
            case_id=case.id)
    return True


async def _authorized(session: AsyncSession, case_id: int, actor: Person, action: Action) -> Case:
    case = await load_case(session, case_id)
    require_can(actor, action, case, await q.helper_ids(session, case.id))
    next_status(case.status, action)
    return case


async def check_signoff(session: AsyncSession, *, case_id: int, actor: Person, action: Action) -> Case:
    """Return the case if the actor may sign it off or send it back now; raise otherwise."""
    return await _authorized(session, case_id, actor, action)


async def sign_off(session: AsyncSession, *, case_id: int, actor: Person, now: datetime) -> Case:
    """Agree to strike the case off (同意销号): it closes with reason signed_off; owner and villager are told."""
    case = await _authorized(session, case_id, actor, Action.sign_off)
    case.status = next_status(case.status, Action.sign_off)
    case.closed_at, case.close_reason = now, CloseReason.signed_off
    event = await events.record(session, case, EventKind.closed, now, actor=actor, reason=CloseReason.signed_off)
    enqueue(session, to=case.owner, notice="case_closed", key=f"closed:{event.id}", now=now, case_id=case.id,
            reason=CloseReason.signed_off)
    enqueue(session, to=case.reporter, notice="case_update", key=f"update:{event.id}", now=now, case_id=case.id,
            what="signed_off")
    await session.commit()
    return case


async def send_back(session: AsyncSession, *, case_id: int, actor: Person, reason: str, now: datetime) -> Case:
    """Send the case back to its owner (退回) with the supervisor's reason; it is in progress again."""
    reason = clean(reason)
    if is_blank(reason):
        raise InvalidInput("empty")
    if len(reason) > MAX_REASON:
        raise InvalidInput("too_long")
    case = await _authorized(session, case_id, actor, Action.send_back)
    case.status = next_status(case.status, Action.send_back)
    case.disposition, case.resolved_at = None, None
    event = await events.record(session, case, EventKind.returned, now, actor=actor, note=reason)
    enqueue(session, to=case.owner, notice="case_card", key=f"card:{event.id}", now=now, case_id=case.id,
            reason="returned", note=reason)
    await session.commit()
    return case


async def awaiting(session: AsyncSession, viewer: Person) -> Sequence[Case]:
    """List the cases of the supervisor's area that wait for sign-off, oldest first."""
    if viewer.role != Role.supervisor:
        raise NotAllowed()
    query = select(Case).where(Case.status == Status.awaiting_signoff, Case.confidential.is_(False))
    if viewer.township_id is not None:
        query = query.join(Village, Village.id == Case.village_id).where(Village.township_id == viewer.township_id)
    return (await session.scalars(query.order_by(Case.resolved_at, Case.id).limit(LIST_LIMIT))).unique().all()

