"""The deadline sweep: remind, list for supervision, escalate, follow up, revisit — each once."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Case
from models import queries as q
from models.delivery import PRIORITY_REMINDER
from services import events
from services.config import ServiceConfig
from services.errors import NobodyToRoute, NotAllowed
from services.handling import escalate
from services.outbox import enqueue_rows, outbox_row
from services.schedule import ESCALATED
from services.supervisors import supervisors_for
from services.sweep_plan import CASE_COLUMNS, DueCase, Plan, To, plan_due

log = logging.getLogger(__name__)


async def sweep_due(session: AsyncSession, config: ServiceConfig, now: datetime, batch: int = 500) -> int:
    """Claim up to `batch` cases with something due, act on each once, commit; return how many."""
    # A batch costs a handful of statements however many cases it holds: one select, the plans in
    # plain Python, then one write per kind of change. Only escalations go case by case.
    cases = [DueCase.from_row(row._mapping) for row in await q.due_cases(session, now, batch, CASE_COLUMNS)]
    plans = [plan_due(case, now, config) for case in cases]
    for plan in plans:
        if plan.stuck_at_top:
            log.warning("case %s is overdue and there is no level above to take it", plan.case_id)
    await q.update_cases(session, [{"id": plan.case_id, **plan.changes} for plan in plans if plan.changes])
    with_event = [plan for plan in plans if plan.event]
    event_ids = await events.append_rows_with_ids(
        session, [events.event_row(p.case_id, p.event, now, **p.event_data) for p in with_event])
    notices = await _notices(session, cases, plans, dict(zip((p.case_id for p in with_event), event_ids)), now)
    await enqueue_rows(session, notices)
    await _escalate(session, config, [plan.case_id for plan in plans if plan.escalate], now)
    await session.commit()
    return len(cases)


async def _notices(session: AsyncSession, cases: Sequence[DueCase], plans: Sequence[Plan],
                   event_ids: dict[int, int], now: datetime) -> list[dict]:
    supervisors: dict[tuple[int, bool], list[int]] = {}  # looked up once per township in a batch
    notices = []
    for case, plan in zip(cases, plans):
        for send in plan.sends:
            if send.to is To.supervisors:
                where = (case.township_id, case.confidential)
                if where not in supervisors:
                    found = await supervisors_for(session, case.township_id, confidential=case.confidential)
                    supervisors[where] = [person.id for person in found]
                people = supervisors[where]
            else:
                people = [case.owner_id if send.to is To.owner else case.reporter_id]
            notices += [outbox_row(person, send.notice, send.key.format(event=event_ids.get(case.id), person=person),
                                   now, case.id, PRIORITY_REMINDER, **send.params)
                        for person in people if person is not None]
    return notices


async def _escalate(session: AsyncSession, config: ServiceConfig, case_ids: list[int], now: datetime) -> None:
    # Rare, and routed through the directory: case by case, exactly as an owner's own escalation goes.
    if not case_ids:
        return
    for case in (await session.scalars(select(Case).where(Case.id.in_(case_ids)).order_by(Case.id))).unique():
        try:
            await escalate(session, config, case, actor=None, reason=None, now=now)
        except (NobodyToRoute, NotAllowed):
            log.warning("case %s is overdue and there is no level above to take it", case.id)
            case.deadline_stage = ESCALATED
