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
    await_signoff = "await_signoff"  # the villager is content; a supervisor must sign off (销号)
    sign_off = "sign_off"  # 同意销号
    send_back = "send_back"  # 退回, with a reason to the owner
    note = "note"  # an internal note of the team
    team = "team"  # add or remove a helper (一支队伍)
    mediate = "mediate"  # record a mediation (先行调解)
    link = "link"  # 并单: link cases of one matter


OPEN_STATUSES = frozenset({Status.submitted, Status.assigned, Status.in_progress})
AWAITING_FEEDBACK = frozenset({Status.resolved})
AWAITING_SIGNOFF = frozenset({Status.awaiting_signoff})
CLOSED_STATUSES = frozenset({Status.closed})
ACTIVE_STATUSES = OPEN_STATUSES | AWAITING_FEEDBACK | AWAITING_SIGNOFF
# Where the team may still work on a case: notes, helpers, links.
WORKING = (Status.assigned, Status.in_progress, Status.resolved, Status.awaiting_signoff)

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
    (Status.resolved, Action.await_signoff): Status.awaiting_signoff,
    (Status.awaiting_signoff, Action.reply): Status.awaiting_signoff,
    (Status.awaiting_signoff, Action.sign_off): Status.closed,
    (Status.awaiting_signoff, Action.send_back): Status.in_progress,
    # A mediation is recorded while the dispute is being handled, or just after the answer.
    (Status.assigned, Action.mediate): Status.assigned,
    (Status.in_progress, Action.mediate): Status.in_progress,
    (Status.resolved, Action.mediate): Status.resolved,
    **{(status, action): status for status in WORKING for action in (Action.note, Action.team, Action.link)},
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
