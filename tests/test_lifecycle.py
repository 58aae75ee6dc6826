"""The case lifecycle as a table: every (status, action) pair either moves on or is refused."""
from __future__ import annotations

import itertools

import pytest

from models.enums import Status
from services.errors import InvalidTransition
from services.lifecycle import (
    ACTIVE_STATUSES, AWAITING_FEEDBACK, CLOSED_STATUSES, OPEN_STATUSES, TRANSITIONS, Action, allowed,
    next_status,
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


def test_open_awaiting_feedback_and_closed_cover_every_status():
    assert OPEN_STATUSES | AWAITING_FEEDBACK | CLOSED_STATUSES == set(Status)
    assert ACTIVE_STATUSES == set(Status) - CLOSED_STATUSES


def test_every_status_but_closed_can_be_left_and_closed_can_be_reached():
    leavable = {status for status, _ in TRANSITIONS}
    reachable = set(TRANSITIONS.values())

    assert leavable == set(Status) - CLOSED_STATUSES
    assert Status.closed in reachable
