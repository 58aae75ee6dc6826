"""What the deadline sweep does for one due case, decided from the case's values and the clock alone."""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from models.enums import CloseReason, Disposition, EventKind, Level, Status
from services.config import ServiceConfig
from services.deadlines import can_escalate, start_clock
from services.lifecycle import OPEN_STATUSES, Action, next_status
from services.schedule import ESCALATED, FOLLOWUP_REMINDED, SUPERVISED, followup_reminder_at, next_check, stage_times

STAGE_NAMES = {1: "half", 2: "eighty"}


@dataclass(frozen=True, slots=True)
class CategoryClock:
    """The part of a category the deadline rules read."""

    resolve_s: int


@dataclass(slots=True)
class DueCase:
    """A due case as the sweep reads it, under Case's own names so the schedule and deadline rules apply."""

    id: int
    status: str
    disposition: str | None
    level: str
    confidential: bool
    owner_id: int | None
    reporter_id: int
    first_response_due: datetime | None
    first_response_at: datetime | None
    first_contact_reminded: bool
    deadline_started_at: datetime | None
    due_at: datetime | None
    escalate_at: datetime | None
    deadline_stage: int
    supervised: bool
    resolved_at: datetime | None
    revisit_at: datetime | None
    followup_due: datetime | None
    followup_stage: int
    closed_at: datetime | None
    close_reason: str | None
    next_check_at: datetime | None
    # Not columns of the case: where it is and what its category allows.
    township_id: int
    category: CategoryClock

    @classmethod
    def from_row(cls, row: Any) -> DueCase:
        """Build from a row of CASE_COLUMNS plus `township_id` and `resolve_s`."""
        values = {name: row[name] for name in CASE_COLUMNS}
        return cls(**values, township_id=row["township_id"], category=CategoryClock(row["resolve_s"]))


# The columns of `cases` the sweep reads; it writes back only those its plan changed.
CASE_COLUMNS = tuple(f.name for f in fields(DueCase) if f.name not in ("township_id", "category"))


class To(StrEnum):
    owner = "owner"
    reporter = "reporter"
    supervisors = "supervisors"


@dataclass(frozen=True)
class Send:
    """A notice to queue; in `key`, {event} stands for the plan's event id and {person} for the recipient's."""

    to: To
    notice: str
    key: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """What to do for one due case: change these columns, record this event, queue these notices."""

    case_id: int
    changes: dict[str, Any] = field(default_factory=dict)
    sends: tuple[Send, ...] = ()
    event: EventKind | None = None
    event_data: dict = field(default_factory=dict)
    # Route the case one level up: the directory decides who takes it (services.handling.escalate).
    escalate: bool = False
    # Due to escalate with no level above (county, confidential): it stays where it is, not checked again.
    stuck_at_top: bool = False


def plan_due(case: DueCase, now: datetime, config: ServiceConfig) -> Plan:
    """Decide what is due for the case at `now`; of several deadline reminders due at once, only the latest."""
    after = replace(case)
    if case.status in OPEN_STATUSES:
        sends, outcome = _open(after, now)
    elif case.status == Status.resolved and case.disposition == Disposition.deferred:
        sends, outcome = _revisit(after, now, config)
    elif case.status == Status.resolved:
        sends, outcome = _follow_up(after, now)
    else:
        sends, outcome = [], {}
    if not outcome.get("escalate"):
        # An escalation restarts the clock through the ORM, where the flush hook keeps next_check_at.
        after.next_check_at = next_check(after)
    changes = {name: getattr(after, name) for name in CASE_COLUMNS if getattr(after, name) != getattr(case, name)}
    return Plan(case.id, changes, tuple(sends), **outcome)


def _open(case: DueCase, now: datetime) -> tuple[list[Send], dict]:
    sends = []
    if case.first_response_at is None and not case.first_contact_reminded and case.first_response_due \
            and case.first_response_due <= now:
        case.first_contact_reminded = True
        sends.append(_reminder("first_contact", f"remind:{case.id}:first_contact"))
    due = [stage for stage, at in stage_times(case).items() if at <= now and stage > case.deadline_stage]
    if not due:
        return sends, {}
    target = max(due)
    if target == ESCALATED:
        if can_escalate(case):
            return sends, {"escalate": True}
        case.deadline_stage = ESCALATED
        return sends, {"stuck_at_top": True}
    case.deadline_stage = target
    epoch = int(case.deadline_started_at.timestamp())
    if target == SUPERVISED:
        case.supervised = True
        sends += [_reminder("overdue", f"remind:{case.id}:overdue:{epoch}"),
                  Send(To.supervisors, "supervised_notice", "supervised:{event}:{person}")]
        return sends, {"event": EventKind.supervised}
    name = STAGE_NAMES[target]
    return sends + [_reminder(name, f"remind:{case.id}:{name}:{epoch}")], {}


def _follow_up(case: DueCase, now: datetime) -> tuple[list[Send], dict]:
    if case.followup_due is None:
        return [], {}
    if case.followup_due <= now:
        case.status = next_status(case.status, Action.close)
        case.closed_at, case.close_reason = now, CloseReason.no_answer
        return ([Send(To.owner, "case_closed", "closed:{event}", {"reason": CloseReason.no_answer})],
                {"event": EventKind.closed, "event_data": {"reason": CloseReason.no_answer}})
    if case.followup_stage < FOLLOWUP_REMINDED and followup_reminder_at(case) <= now:
        case.followup_stage = FOLLOWUP_REMINDED
        return [Send(To.reporter, "followup_reminder", f"followup:{case.id}:{int(case.resolved_at.timestamp())}")], {}
    return [], {}


def _revisit(case: DueCase, now: datetime, config: ServiceConfig) -> tuple[list[Send], dict]:
    if case.revisit_at is None or case.revisit_at > now:
        return [], {}
    case.status = next_status(case.status, Action.reopen)
    case.disposition, case.resolved_at, case.revisit_at = None, None, None
    start_clock(case, now + config.deadlines.resolve_time(case.category, Level(case.level), escalated=False),
                config.deadlines, now)
    return ([Send(To.owner, "case_card", "card:{event}", {"reason": "revisit"}),
             Send(To.reporter, "case_update", "update:{event}", {"what": "revisit"})],
            {"event": EventKind.revisited})


def _reminder(kind: str, key: str) -> Send:
    return Send(To.owner, "reminder", key, {"kind": kind})
