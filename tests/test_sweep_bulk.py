"""One sweep over a mixed batch of due cases: exactly the notices, events and case fields of the per-case rules."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from models import Case, CaseEvent, OutboxMessage, Person
from models.enums import Disposition, MessageKind, Rating
from services.conversation import add_message, rate_case
from services.handling import resolve_case, transfer_case
from services.intake import Part
from services.schedule import next_check
from tests.conftest import START
from tests.test_reminders import file_case, last_outbox_id, person, sweep

NOW = START + timedelta(days=40)  # the sweep's clock; every case below is filed relative to it
H, D = timedelta(hours=1), timedelta(days=1)


async def arrange(session, config) -> dict[str, Case]:
    """File one case per situation, each at the time that puts its step due at NOW."""
    wang, huang = await person(session, "王建国"), await person(session, "黄县长")

    async def filed(ago, category="environment", contact=False) -> Case:
        case = await file_case(session, config, category=category, now=NOW - ago)
        if contact:
            await add_message(session, case_id=case.id, author=wang, part=Part(MessageKind.text, text="收到"),
                              now=NOW - ago + H)
        return case

    async def resolved(ago, disposition=Disposition.resolved, revisit_at=None) -> Case:
        case = await filed(ago + H, contact=True)
        return await resolve_case(session, config, case_id=case.id, actor=wang, disposition=disposition,
                                  note="已处理", now=NOW - ago, revisit_at=revisit_at)

    cases = {
        "not due": await filed(H),
        "first contact": await filed(25 * H),
        "half": await filed(3 * D + 13 * H, contact=True),
        "eighty, not half": await filed(5 * D + 15 * H),
        "overdue": await filed(7 * D, contact=True),
        "escalates": await filed(9 * D),
        "at the top": await filed(9 * D),
        "confidential overdue": await filed(15 * D, category="conduct"),
        "follow-up": await resolved(36 * H + timedelta(minutes=1)),
        "no answer": await resolved(3 * D),
        "revisit": await resolved(20 * D, Disposition.deferred, revisit_at=NOW),
        "rated": await resolved(3 * D),
    }
    # Handed to the county leader: the level above is gone but the escalation time stays.
    await transfer_case(session, case_id=cases["at the top"].id, actor=wang, to_person_id=huang.id, reason="县里管",
                        now=NOW - 8 * D)
    reporter = await session.get(Person, cases["rated"].reporter_id)
    await rate_case(session, case_id=cases["rated"].id, villager=reporter, rating=Rating.satisfied,
                    now=NOW - 2 * D)
    return cases


# (case, recipient, notice, key, payload beyond the notice, priority); {id} the case, {epoch} its clock's
# start, {event} the id of the case's one event of this sweep, {wu} the supervisor. The sweep's own notices
# go at reminder priority; an escalation tells the new owner as any escalation does (conversation priority).
EXPECTED_OUTBOX = [
    ("first contact", "王建国", "reminder", "remind:{id}:first_contact", {"kind": "first_contact"}, 5),
    ("half", "王建国", "reminder", "remind:{id}:half:{epoch}", {"kind": "half"}, 5),
    ("eighty, not half", "王建国", "reminder", "remind:{id}:first_contact", {"kind": "first_contact"}, 5),
    ("eighty, not half", "王建国", "reminder", "remind:{id}:eighty:{epoch}", {"kind": "eighty"}, 5),
    ("overdue", "王建国", "reminder", "remind:{id}:overdue:{epoch}", {"kind": "overdue"}, 5),
    ("overdue", "吴督查", "supervised_notice", "supervised:{event}:{wu}", {}, 5),
    ("escalates", "王建国", "reminder", "remind:{id}:first_contact", {"kind": "first_contact"}, 5),
    ("escalates", "刘书记", "case_card", "card:{event}", {"reason": "escalated", "note": None}, 0),
    ("escalates", "张大爷", "case_update", "update:{event}", {"what": "escalated"}, 0),
    ("at the top", "黄县长", "reminder", "remind:{id}:first_contact", {"kind": "first_contact"}, 5),
    ("confidential overdue", "郑纪检", "reminder", "remind:{id}:first_contact", {"kind": "first_contact"}, 5),
    ("confidential overdue", "郑纪检", "reminder", "remind:{id}:overdue:{epoch}", {"kind": "overdue"}, 5),
    ("follow-up", "张大爷", "followup_reminder", "followup:{id}:{resolved}", {}, 5),
    ("no answer", "王建国", "case_closed", "closed:{event}", {"reason": "no_answer"}, 5),
    ("revisit", "王建国", "case_card", "card:{event}", {"reason": "revisit"}, 5),
    ("revisit", "张大爷", "case_update", "update:{event}", {"what": "revisit"}, 5),
]

EXPECTED_EVENTS = {
    "overdue": ("supervised", {}),
    "escalates": ("escalated", {"from_owner": "王建国", "to_owner": "刘书记", "from_level": "village",
                                "to_level": "township", "automatic": True}),
    "confidential overdue": ("supervised", {}),
    "no answer": ("closed", {"reason": "no_answer"}),
    "revisit": ("revisited", {}),
}

# (status, level, owner, deadline_stage, supervised, first_contact_reminded, followup_stage, close_reason)
EXPECTED_CASES = {
    "not due": ("assigned", "village", "王建国", 0, False, False, 0, None),
    "first contact": ("assigned", "village", "王建国", 0, False, True, 0, None),
    "half": ("in_progress", "village", "王建国", 1, False, False, 0, None),
    "eighty, not half": ("assigned", "village", "王建国", 2, False, True, 0, None),
    "overdue": ("in_progress", "village", "王建国", 3, True, False, 0, None),
    "escalates": ("assigned", "township", "刘书记", 0, False, True, 0, None),
    "at the top": ("assigned", "county", "黄县长", 4, False, True, 0, None),
    "confidential overdue": ("assigned", "county", "郑纪检", 3, True, True, 0, None),
    "follow-up": ("resolved", "village", "王建国", 0, False, False, 1, None),
    "no answer": ("closed", "village", "王建国", 0, False, False, 0, "no_answer"),
    "revisit": ("in_progress", "village", "王建国", 0, False, False, 0, None),
    "rated": ("closed", "village", "王建国", 0, False, False, 0, "confirmed"),
}


@pytest.fixture
async def swept(sessionmaker, session, config, county):
    cases = await arrange(session, config)
    before_outbox = await last_outbox_id(session)
    before_event = await session.scalar(select(func.max(CaseEvent.id)))
    handled = await sweep(sessionmaker, config, NOW)
    return cases, handled, before_outbox, before_event


async def names(session) -> dict[int, str]:
    return {p.id: p.name for p in (await session.scalars(select(Person))).all()}


async def test_a_mixed_sweep_queues_exactly_the_notices_each_case_is_due(sessionmaker, swept):
    cases, _, before_outbox, before_event = swept
    label = {case.id: name for name, case in cases.items()}

    async with sessionmaker() as s:
        who = await names(s)
        wu = await person(s, "吴督查")
        event_of = {e.case_id: e.id for e in await s.scalars(select(CaseEvent).where(CaseEvent.id > before_event))}
        rows = (await s.scalars(select(OutboxMessage).where(OutboxMessage.id > before_outbox))).all()

    def key(name, template):
        case = cases[name]
        return template.format(id=case.id, epoch=int((NOW - _ago(name)).timestamp()), event=event_of.get(case.id),
                               wu=wu.id, resolved=int(case.resolved_at.timestamp()) if case.resolved_at else None)

    got = sorted((label[r.case_id], who[r.person_id], r.payload["notice"], r.key,
                  {k: v for k, v in r.payload.items() if k != "notice"}, r.priority) for r in rows)
    assert got == sorted((name, to, notice, key(name, template), params, priority)
                         for name, to, notice, template, params, priority in EXPECTED_OUTBOX)


async def test_a_mixed_sweep_records_one_event_per_change_of_a_case(sessionmaker, swept):
    cases, _, _, before_event = swept
    label = {case.id: name for name, case in cases.items()}

    async with sessionmaker() as s:
        who = await names(s)
        recorded = (await s.scalars(select(CaseEvent).where(CaseEvent.id > before_event))).all()

    def readable(data):
        return {k: who.get(v, v) if k.endswith("owner") else v for k, v in data.items()}

    assert {label[e.case_id]: (e.kind, readable(e.data)) for e in recorded} == EXPECTED_EVENTS
    assert len(recorded) == len(EXPECTED_EVENTS) and all(e.actor_id is None and e.at == NOW for e in recorded)


async def test_a_mixed_sweep_leaves_every_case_with_its_fields_and_next_check_right(sessionmaker, swept):
    cases, handled, _, _ = swept

    async with sessionmaker() as s:
        who = await names(s)
        after = {name: await s.get(Case, case.id) for name, case in cases.items()}

    assert handled == len(cases) - 2  # all but the one not yet due and the closed one
    assert {name: (c.status, c.level, who[c.owner_id], c.deadline_stage, c.supervised, c.first_contact_reminded,
                   c.followup_stage, c.close_reason) for name, c in after.items()} == EXPECTED_CASES
    assert {name: c.next_check_at for name, c in after.items()} == {name: next_check(c) for name, c in after.items()}
    assert after["revisit"].due_at == NOW + 7 * D and after["escalates"].due_at == NOW + 15 * D


async def test_a_second_sweep_at_the_same_moment_finds_nothing_due(sessionmaker, config, swept):
    cases, _, before_outbox, _ = swept

    again = await sweep(sessionmaker, config, NOW)

    async with sessionmaker() as s:
        queued = await s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.id > before_outbox))
    assert again == 0 and queued == len(EXPECTED_OUTBOX)


async def test_a_reminder_already_queued_under_its_key_is_not_queued_again(sessionmaker, session, config, county):
    case = await file_case(session, config, now=START)
    await sweep(sessionmaker, config, START + timedelta(days=3, hours=13))
    async with sessionmaker() as s:
        # As if the sweep's record of the reminder were lost: the case is due for it again.
        await s.execute(update(Case).where(Case.id == case.id).values(deadline_stage=0, first_contact_reminded=False,
                                                                      next_check_at=START))
        await s.commit()

    handled = await sweep(sessionmaker, config, START + timedelta(days=3, hours=14))

    async with sessionmaker() as s:
        keys = (await s.scalars(select(OutboxMessage.key).where(OutboxMessage.key.like(f"remind:{case.id}:%")))).all()
        again = await s.get(Case, case.id)
    assert handled == 1 and sorted(keys) == sorted([f"remind:{case.id}:first_contact",
                                                    f"remind:{case.id}:half:{int(START.timestamp())}"])
    assert again.deadline_stage == 1 and again.next_check_at == next_check(again)


async def test_an_overdue_case_nobody_can_take_stays_put_and_is_not_swept_again(sessionmaker, session, config, county):
    case = await file_case(session, config, now=START)
    await session.execute(update(Person).where(Person.name.in_(["刘书记", "黄县长"])).values(active=False))
    await session.commit()
    before = await last_outbox_id(session)

    await sweep(sessionmaker, config, START + timedelta(days=9))

    async with sessionmaker() as s:
        stuck = await s.get(Case, case.id)
        notices = (await s.scalars(select(OutboxMessage.key).where(OutboxMessage.id > before))).all()
    assert (stuck.level, stuck.owner_id, stuck.deadline_stage) == ("village", case.owner_id, 4)
    assert notices == [f"remind:{case.id}:first_contact"] and stuck.next_check_at is None


def _ago(name: str) -> timedelta:
    # When each case's clock started, before NOW (see `arrange`).
    return {"first contact": 25 * H, "half": 3 * D + 13 * H, "eighty, not half": 5 * D + 15 * H, "overdue": 7 * D,
            "escalates": 9 * D, "at the top": 9 * D, "confidential overdue": 15 * D}.get(name, timedelta(0))
