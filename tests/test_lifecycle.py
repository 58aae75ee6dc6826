"""The case lifecycle as a table: every (status, action) pair either moves on or is refused."""
from __future__ import annotations

import itertools

import pytest

from models.enums import Status
from services.errors import InvalidTransition
from services.lifecycle import (
    ACTIVE_STATUSES, AWAITING_FEEDBACK, AWAITING_SIGNOFF, CLOSED_STATUSES, OPEN_STATUSES, TRANSITIONS, Action,
    allowed, next_status,
)

S, A = Status, Action
REFUSED = InvalidTransition

# The whole rule set written out by hand, so a change to TRANSITIONS has to change this table too.
EXPECTED: dict[tuple[Status, Action], Status] = {
    (S.submitted, A.assign): S.assigned,
    (S.assigned, A.accept): S.in_progress,
    (S.assigned, A.reply): S.in_progress,
    (S.in_progress, A.reply): S.in_progress,
    (S.assigned, A.resolve): S.resolved,
    (S.in_progress, A.resolve): S.resolved,
    (S.assigned, A.escalate): S.assigned,
    (S.in_progress, A.escalate): S.assigned,
    (S.assigned, A.transfer): S.assigned,
    (S.in_progress, A.transfer): S.assigned,
    (S.assigned, A.extend): S.assigned,
    (S.in_progress, A.extend): S.in_progress,
    (S.resolved, A.reopen): S.in_progress,
    (S.resolved, A.close): S.closed,
    (S.resolved, A.await_signoff): S.awaiting_signoff,
    (S.awaiting_signoff, A.reply): S.awaiting_signoff,
    (S.awaiting_signoff, A.sign_off): S.closed,
    (S.awaiting_signoff, A.send_back): S.in_progress,
    (S.assigned, A.mediate): S.assigned,
    (S.in_progress, A.mediate): S.in_progress,
    (S.resolved, A.mediate): S.resolved,
    (S.assigned, A.note): S.assigned,
    (S.in_progress, A.note): S.in_progress,
    (S.resolved, A.note): S.resolved,
    (S.awaiting_signoff, A.note): S.awaiting_signoff,
    (S.assigned, A.team): S.assigned,
    (S.in_progress, A.team): S.in_progress,
    (S.resolved, A.team): S.resolved,
    (S.awaiting_signoff, A.team): S.awaiting_signoff,
    (S.assigned, A.link): S.assigned,
    (S.in_progress, A.link): S.in_progress,
    (S.resolved, A.link): S.resolved,
    (S.awaiting_signoff, A.link): S.awaiting_signoff,
}

TABLE = [
    pytest.param(status, action, EXPECTED.get((status, action), REFUSED), id=f"{status}-{action}")
    for status, action in itertools.product(Status, Action)
]


@pytest.mark.parametrize(("status", "action", "expected"), TABLE)
def test_each_status_and_action_moves_to_the_listed_status_or_is_refused(status, action, expected):
    if expected is REFUSED:
        with pytest.raises(InvalidTransition) as raised:
            next_status(status, action)
        assert (raised.value.status, raised.value.action) == (status, action)
        assert allowed(status, action) is False
    else:
        result = next_status(status, action)

        assert result is expected
        assert allowed(status, action) is True


def test_the_hand_written_table_is_exactly_the_transition_table():
    assert TRANSITIONS == EXPECTED


def test_status_given_as_plain_text_is_accepted_as_stored_in_the_database():
    assert next_status("resolved", Action.close) is Status.closed


def test_a_closed_case_accepts_no_action_at_all():
    permitted = [action for action in Action if allowed(Status.closed, action)]

    assert permitted == []


def test_open_and_closed_sets_are_disjoint():
    assert not OPEN_STATUSES & CLOSED_STATUSES
    assert not AWAITING_FEEDBACK & (OPEN_STATUSES | CLOSED_STATUSES)
    assert not AWAITING_SIGNOFF & (OPEN_STATUSES | AWAITING_FEEDBACK | CLOSED_STATUSES)


def test_open_awaiting_feedback_awaiting_signoff_and_closed_cover_every_status():
    assert OPEN_STATUSES | AWAITING_FEEDBACK | AWAITING_SIGNOFF | CLOSED_STATUSES == set(Status)
    assert ACTIVE_STATUSES == set(Status) - CLOSED_STATUSES


def test_every_status_but_closed_can_be_left_and_closed_can_be_reached():
    leavable = {status for status, _ in TRANSITIONS}
    reachable = set(TRANSITIONS.values())

    assert leavable == set(Status) - CLOSED_STATUSES
    assert Status.closed in reachable


@pytest.mark.parametrize(("action", "expected"), [(A.sign_off, S.closed), (A.send_back, S.in_progress)])
def test_a_case_awaiting_signoff_is_closed_or_sent_back_by_the_supervisor(action, expected):
    assert next_status(S.awaiting_signoff, action) is expected


def test_a_villager_cannot_rate_again_while_the_supervisor_decides():
    assert not allowed(S.awaiting_signoff, A.close) and not allowed(S.awaiting_signoff, A.reopen)
