"""The case lifecycle as data: statuses, open and closed sets, one transition table."""
from __future__ import annotations

from enum import StrEnum

from models.enums import Status
from services.errors import InvalidTransition


class Action(StrEnum):
    assign = "assign"
    accept = "accept"
    reply = "reply"
    resolve = "resolve"
    reopen = "reopen"
    close = "close"
    escalate = "escalate"
    transfer = "transfer"
    extend = "extend"


OPEN_STATUSES = frozenset({Status.submitted, Status.assigned, Status.in_progress})
AWAITING_FEEDBACK = frozenset({Status.resolved})
CLOSED_STATUSES = frozenset({Status.closed})
ACTIVE_STATUSES = OPEN_STATUSES | AWAITING_FEEDBACK

# (status, action) -> next status. The only place that decides what may follow what.
TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.submitted, Action.assign): Status.assigned,
    (Status.assigned, Action.accept): Status.in_progress,
    (Status.assigned, Action.reply): Status.in_progress,
    (Status.in_progress, Action.reply): Status.in_progress,
    (Status.assigned, Action.resolve): Status.resolved,
    (Status.in_progress, Action.resolve): Status.resolved,
    (Status.assigned, Action.escalate): Status.assigned,
    (Status.in_progress, Action.escalate): Status.assigned,
    (Status.assigned, Action.transfer): Status.assigned,
    (Status.in_progress, Action.transfer): Status.assigned,
    (Status.assigned, Action.extend): Status.assigned,
    (Status.in_progress, Action.extend): Status.in_progress,
    (Status.resolved, Action.reopen): Status.in_progress,
    (Status.resolved, Action.close): Status.closed,
}


def next_status(current: str, action: Action) -> Status:
    """Return the status that follows `action`, or raise InvalidTransition."""
    try:
        return TRANSITIONS[(Status(current), action)]
    except KeyError:
        raise InvalidTransition(current, action) from None


def allowed(current: str, action: Action) -> bool:
    """Tell whether `action` may be taken on a case in `current` status."""
    return (Status(current), action) in TRANSITIONS
