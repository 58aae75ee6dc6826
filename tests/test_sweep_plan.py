"""The sweep's decision for one due case, as a table: (the case, time since its clock started) → what is due."""
from __future__ import annotations

from datetime import timedelta

import pytest

from models.enums import CloseReason, EventKind, Status
from services.config import ServiceConfig
from services.schedule import next_check
from services.sweep_plan import CategoryClock, DueCase, To, plan_due
from tests.conftest import START

WEEK = timedelta(days=7)
EPOCH = int(START.timestamp())


def due_case(**values) -> DueCase:
    """An assigned village case filed at START: first contact within 24 h, settled within 7 days."""
    fields = dict(
        id=7, status=Status.assigned, disposition=None, level="village", confidential=False, owner_id=11,
        reporter_id=31, first_response_due=START + timedelta(hours=24), first_response_at=None,
        first_contact_reminded=False, deadline_started_at=START, due_at=START + WEEK,
        escalate_at=START + WEEK + timedelta(days=2), deadline_stage=0, supervised=False, resolved_at=None,
        revisit_at=None, followup_due=None, followup_stage=0, closed_at=None, close_reason=None, next_check_at=None,
        township_id=1, category=CategoryClock(resolve_s=int(WEEK.total_seconds())),
    ) | values
    case = DueCase(**fields)
    case.next_check_at = next_check(case)
    return case


CONTACTED = {"first_response_at": START + timedelta(hours=1)}
RESOLVED = {"status": Status.resolved, "disposition": "resolved", "first_response_at": START + timedelta(hours=1),
            "resolved_at": START, "followup_due": START + timedelta(days=3)}
DEFERRED = {"status": Status.resolved, "disposition": "deferred", "first_response_at": START + timedelta(hours=1),
            "resolved_at": START, "revisit_at": START + timedelta(days=30)}


def sent(plan) -> list[tuple[str, str, str]]:
    return [(send.to, send.notice, send.key) for send in plan.sends]


@pytest.mark.parametrize(("values", "after", "expected"), [
    ({}, timedelta(hours=1), []),
    ({}, timedelta(hours=24), [(To.owner, "reminder", "remind:7:first_contact")]),
    (CONTACTED, timedelta(hours=24), []),
    ({"first_contact_reminded": True}, timedelta(hours=30), []),
    (CONTACTED, timedelta(days=3, hours=12), [(To.owner, "reminder", f"remind:7:half:{EPOCH}")]),
    ({}, timedelta(days=3, hours=12), [(To.owner, "reminder", "remind:7:first_contact"),
                                       (To.owner, "reminder", f"remind:7:half:{EPOCH}")]),
    (CONTACTED | {"deadline_stage": 1}, timedelta(days=5, hours=15), [(To.owner, "reminder", f"remind:7:eighty:{EPOCH}")]),
    (CONTACTED, timedelta(days=5, hours=15), [(To.owner, "reminder", f"remind:7:eighty:{EPOCH}")]),
    (CONTACTED, timedelta(days=7), [(To.owner, "reminder", f"remind:7:overdue:{EPOCH}"),
                                    (To.supervisors, "supervised_notice", "supervised:{event}:{person}")]),
    (CONTACTED | {"deadline_stage": 3, "supervised": True}, timedelta(days=8), []),
    (CONTACTED, timedelta(days=9), []),
    ({}, timedelta(days=9), [(To.owner, "reminder", "remind:7:first_contact")]),
    (CONTACTED | {"level": "county"}, timedelta(days=9), []),
    (RESOLVED, timedelta(days=1), []),
    (RESOLVED, timedelta(days=1, hours=12), [(To.reporter, "followup_reminder", f"followup:7:{EPOCH}")]),
    (RESOLVED | {"followup_stage": 1}, timedelta(days=2), []),
    (RESOLVED, timedelta(days=3), [(To.owner, "case_closed", "closed:{event}")]),
    (DEFERRED, timedelta(days=29), []),
    (DEFERRED, timedelta(days=30), [(To.owner, "case_card", "card:{event}"), (To.reporter, "case_update", "update:{event}")]),
    ({"status": Status.closed, "first_response_at": START}, timedelta(days=40), []),
], ids=["nothing-yet", "first-contact", "contacted", "first-contact-once", "half", "first-contact-and-half",
        "eighty", "only-the-latest-stage", "overdue", "supervised-waits", "escalates", "escalates-after-first-contact",
        "county-has-no-level-above", "followup-waits", "followup-reminder", "followup-once", "no-answer-closes",
        "deferred-waits", "revisit-reopens", "closed-stays"])
def test_a_due_case_gets_only_what_is_due_at_that_moment(values, after, expected):
    case = due_case(**values)

    plan = plan_due(case, START + after, ServiceConfig())

    assert sent(plan) == expected


@pytest.mark.parametrize(("values", "after", "changes"), [
    ({}, timedelta(hours=24), {"first_contact_reminded": True, "next_check_at": START + timedelta(days=3, hours=12)}),
    (CONTACTED, timedelta(days=3, hours=12), {"deadline_stage": 1, "next_check_at": START + WEEK * 0.8}),
    (CONTACTED, timedelta(days=5, hours=15), {"deadline_stage": 2, "next_check_at": START + WEEK}),
    (CONTACTED, timedelta(days=7), {"deadline_stage": 3, "supervised": True,
                                    "next_check_at": START + WEEK + timedelta(days=2)}),
    (CONTACTED | {"level": "county"}, timedelta(days=9), {"deadline_stage": 4, "next_check_at": None}),
    (RESOLVED, timedelta(days=1, hours=12), {"followup_stage": 1, "next_check_at": START + timedelta(days=3)}),
    (RESOLVED, timedelta(days=3), {"status": Status.closed, "closed_at": START + timedelta(days=3),
                                   "close_reason": CloseReason.no_answer, "next_check_at": None}),
    (DEFERRED, timedelta(days=30), {
        "status": Status.in_progress, "disposition": None, "resolved_at": None, "revisit_at": None,
        "deadline_started_at": START + timedelta(days=30), "due_at": START + timedelta(days=37),
        "escalate_at": START + timedelta(days=39), "next_check_at": START + timedelta(days=33, hours=12)}),
], ids=["first-contact", "half", "eighty", "overdue", "stuck-at-county", "followup-reminder", "no-answer-closes",
        "revisit-reopens"])
def test_the_plan_writes_the_changed_columns_and_the_next_check(values, after, changes):
    case = due_case(**values)

    plan = plan_due(case, START + after, ServiceConfig())

    assert plan.changes == changes


@pytest.mark.parametrize(("values", "after", "event", "escalate", "stuck"), [
    (CONTACTED, timedelta(days=3, hours=12), None, False, False),
    (CONTACTED, timedelta(days=7), EventKind.supervised, False, False),
    (CONTACTED, timedelta(days=9), None, True, False),
    (CONTACTED | {"level": "county"}, timedelta(days=9), None, False, True),
    (CONTACTED | {"confidential": True}, timedelta(days=9), None, False, True),
    (RESOLVED, timedelta(days=3), EventKind.closed, False, False),
    (DEFERRED, timedelta(days=30), EventKind.revisited, False, False),
], ids=["reminder", "supervised", "escalation", "county", "confidential", "closed", "revisited"])
def test_status_changes_and_supervision_are_recorded_as_events(values, after, event, escalate, stuck):
    case = due_case(**values)

    plan = plan_due(case, START + after, ServiceConfig())

    assert (plan.event, plan.escalate, plan.stuck_at_top) == (event, escalate, stuck)


def test_an_escalation_leaves_the_next_check_to_the_escalation_itself():
    case = due_case(**CONTACTED)

    plan = plan_due(case, START + timedelta(days=9), ServiceConfig())

    assert plan.escalate and plan.changes == {}


def test_a_no_answer_close_records_its_reason_on_the_event_and_the_notice():
    case = due_case(**RESOLVED)

    plan = plan_due(case, START + timedelta(days=3), ServiceConfig())

    assert plan.event_data == {"reason": CloseReason.no_answer}
    assert plan.sends[0].params == {"reason": CloseReason.no_answer}


def test_planning_leaves_the_case_it_was_given_unchanged():
    case = due_case(**CONTACTED)
    before = repr(case)

    plan_due(case, START + timedelta(days=7), ServiceConfig())

    assert repr(case) == before
