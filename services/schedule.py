"""When something is next due for a case: derived from its row, kept in `next_check_at`."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Session

from models import Case
from models.enums import Disposition, Status
from services.lifecycle import OPEN_STATUSES

# Deadline stages, in order; a sweep that finds several due sends only the latest.
HALF, EIGHTY, SUPERVISED, ESCALATED = 1, 2, 3, 4
STAGE_SHARE = {HALF: 0.5, EIGHTY: 0.8}
FOLLOWUP_REMINDED = 1


def stage_times(case: Case) -> dict[int, datetime]:
    """Return when each deadline stage of the current clock falls due."""
    if case.due_at is None or case.deadline_started_at is None:
        return {}
    span = case.due_at - case.deadline_started_at
    times = {stage: case.deadline_started_at + span * share for stage, share in STAGE_SHARE.items()}
    times[SUPERVISED] = case.due_at
    if case.escalate_at is not None:
        times[ESCALATED] = case.escalate_at
    return times


def followup_reminder_at(case: Case) -> datetime | None:
    """Return the halfway point of the villager's follow-up window."""
    if case.followup_due is None or case.resolved_at is None:
        return None
    return case.resolved_at + (case.followup_due - case.resolved_at) / 2


def next_check(case: Case) -> datetime | None:
    """Return the earliest moment a sweep has something to do for this case."""
    # Reads only the case's own columns, so the sweep applies it to its plain rows (DueCase) too,
    # whose bulk UPDATEs the flush hook below never sees.
    pending: list[datetime] = []
    if case.status in OPEN_STATUSES:
        if case.first_response_at is None and not case.first_contact_reminded and case.first_response_due:
            pending.append(case.first_response_due)
        pending += [at for stage, at in stage_times(case).items() if stage > case.deadline_stage]
    elif case.status == Status.resolved:
        if case.disposition == Disposition.deferred:
            if case.revisit_at is not None:
                pending.append(case.revisit_at)
        elif case.followup_due is not None:
            if case.followup_stage < FOLLOWUP_REMINDED:
                pending.append(followup_reminder_at(case))
            pending.append(case.followup_due)
    return min(pending) if pending else None


@event.listens_for(Session, "before_flush")
def _refresh_next_check(session: Session, _context, _instances) -> None:
    # Every change of a case passes here, so the sweep index can never go stale.
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Case):
            value = next_check(obj)
            if obj.next_check_at != value:
                obj.next_check_at = value
