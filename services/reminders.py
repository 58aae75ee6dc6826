"""The deadline sweep: remind, list for supervision, escalate, follow up, revisit — each once."""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Case
from models.delivery import PRIORITY_REMINDER
from models.enums import CloseReason, Disposition, EventKind, Level, Status
from services import events
from services.config import ServiceConfig
from services.deadlines import start_clock
from services.errors import NobodyToRoute, NotAllowed
from services.handling import escalate
from services.lifecycle import OPEN_STATUSES, Action, next_status
from services.outbox import enqueue
from services.schedule import ESCALATED, FOLLOWUP_REMINDED, SUPERVISED, followup_reminder_at, stage_times
from services.supervisors import supervisors_of

log = logging.getLogger(__name__)
STAGE_NAMES = {1: "half", 2: "eighty"}


async def sweep_due(session: AsyncSession, config: ServiceConfig, now: datetime, batch: int = 200) -> int:
    """Claim up to `batch` cases with something due, act on each once, commit; return how many."""
    # Claim ids alone, so the lock-and-limit query never drags the eager joins into its plan.
    query = select(Case.id).where(Case.next_check_at <= now).order_by(Case.next_check_at, Case.id).limit(batch)
    if session.bind.dialect.name == "postgresql":
        # Several bot processes may sweep at once; each case goes to exactly one of them.
        query = query.with_for_update(skip_locked=True)
    ids = (await session.scalars(query)).all()
    cases = (await session.scalars(select(Case).where(Case.id.in_(ids)).order_by(Case.next_check_at, Case.id))
             ).unique().all() if ids else []
    for case in cases:
        await handle_due(session, config, case, now)
    await session.commit()
    return len(cases)


async def handle_due(session: AsyncSession, config: ServiceConfig, case: Case, now: datetime) -> None:
    """Do what is due for one case; of several deadline reminders due at once, only the latest."""
    if case.status in OPEN_STATUSES:
        await _first_contact(session, case, now)
        await _deadline(session, config, case, now)
    elif case.status == Status.resolved:
        if case.disposition == Disposition.deferred:
            await _revisit(session, config, case, now)
        else:
            await _follow_up(session, case, now)


async def _first_contact(session: AsyncSession, case: Case, now: datetime) -> None:
    if case.first_response_at or case.first_contact_reminded or not case.first_response_due:
        return
    if case.first_response_due <= now:
        case.first_contact_reminded = True
        _remind(session, case, "first_contact", f"remind:{case.id}:first_contact", now)


async def _deadline(session: AsyncSession, config: ServiceConfig, case: Case, now: datetime) -> None:
    due = [stage for stage, at in stage_times(case).items() if at <= now and stage > case.deadline_stage]
    if not due:
        return
    target = max(due)
    epoch = int(case.deadline_started_at.timestamp())
    if target == ESCALATED:
        try:
            await escalate(session, config, case, actor=None, reason=None, now=now)
        except (NobodyToRoute, NotAllowed):
            log.warning("case %s is overdue and there is no level above to take it", case.id)
            case.deadline_stage = ESCALATED
        return
    case.deadline_stage = target
    if target == SUPERVISED:
        case.supervised = True
        event = await events.record(session, case, EventKind.supervised, now)
        _remind(session, case, "overdue", f"remind:{case.id}:overdue:{epoch}", now)
        for supervisor in await supervisors_of(session, case):
            enqueue(session, to=supervisor, notice="supervised_notice", key=f"supervised:{event.id}:{supervisor.id}",
                    now=now, case_id=case.id, priority=PRIORITY_REMINDER)
        return
    _remind(session, case, STAGE_NAMES[target], f"remind:{case.id}:{STAGE_NAMES[target]}:{epoch}", now)


async def _follow_up(session: AsyncSession, case: Case, now: datetime) -> None:
    if case.followup_due is None:
        return
    if case.followup_due <= now:
        case.status = next_status(case.status, Action.close)
        case.closed_at, case.close_reason = now, CloseReason.no_answer
        event = await events.record(session, case, EventKind.closed, now, reason=CloseReason.no_answer)
        enqueue(session, to=case.owner, notice="case_closed", key=f"closed:{event.id}", now=now, case_id=case.id,
                priority=PRIORITY_REMINDER, reason=CloseReason.no_answer)
    elif case.followup_stage < FOLLOWUP_REMINDED and followup_reminder_at(case) <= now:
        case.followup_stage = FOLLOWUP_REMINDED
        enqueue(session, to=case.reporter, notice="followup_reminder",
                key=f"followup:{case.id}:{int(case.resolved_at.timestamp())}", now=now, case_id=case.id,
                priority=PRIORITY_REMINDER)


async def _revisit(session: AsyncSession, config: ServiceConfig, case: Case, now: datetime) -> None:
    if case.revisit_at is None or case.revisit_at > now:
        return
    case.status = next_status(case.status, Action.reopen)
    case.disposition, case.resolved_at, case.revisit_at = None, None, None
    start_clock(case, now + config.deadlines.resolve_time(case.category, Level(case.level), escalated=False),
                config.deadlines, now)
    event = await events.record(session, case, EventKind.revisited, now)
    enqueue(session, to=case.owner, notice="case_card", key=f"card:{event.id}", now=now, case_id=case.id,
            reason="revisit", priority=PRIORITY_REMINDER)
    enqueue(session, to=case.reporter, notice="case_update", key=f"update:{event.id}", now=now, case_id=case.id,
            what="revisit", priority=PRIORITY_REMINDER)


def _remind(session: AsyncSession, case: Case, kind: str, key: str, now: datetime) -> None:
    enqueue(session, to=case.owner, notice="reminder", key=key, now=now, case_id=case.id, kind=kind,
            priority=PRIORITY_REMINDER)
