"""The deadline sweep as a table of (what happened, now) → what is sent, each once."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from models import Case, OutboxMessage, Person
from models.enums import Disposition, MessageKind, Rating
from scheduler.context import JobContext
from scheduler.jobs import send_daily_digest, sweep_deadlines
from services.conversation import add_message, rate_case
from services.handling import extend_case, resolve_case
from services.intake import Part, submit_case
from tests.conftest import START


async def person(session, name: str) -> Person:
    return await session.scalar(select(Person).where(Person.name == name))


async def new_villager(session, name="张大爷", village_code="sq01") -> Person:
    from services.intake import set_village
    from services.people import identify

    villager = await identify(session, channel="telegram", external_id="3001", name=name, language_code="zh",
                              now=START)
    await set_village(session, villager, village_code)
    return villager


async def file_case(session, config, category="environment", now=START) -> Case:
    villager = await new_villager(session)
    return await submit_case(session, config, reporter=villager, category_code=category,
                             parts=[Part(MessageKind.text, text="河水发黑")], anonymous=False, now=now)


async def sweep(sessionmaker, config, now) -> int:
    return await sweep_deadlines(JobContext(sessionmaker, config, lambda: now))


async def sent_since(session, after_id: int) -> list[tuple[str, str]]:
    rows = (await session.scalars(select(OutboxMessage).where(OutboxMessage.id > after_id)
                                  .order_by(OutboxMessage.id))).all()
    names = {p.id: p.name for p in (await session.scalars(select(Person))).all()}
    return [(names[r.person_id], r.payload["notice"] + ":" + str(r.payload.get("kind", ""))) for r in rows]


async def last_outbox_id(session) -> int:
    return await session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()).limit(1)) or 0


# environment: first contact within 24h, settle within 7 days; escalation 2 days after the deadline.
@pytest.mark.parametrize(("after", "expected"), [
    (timedelta(hours=1), []),
    (timedelta(hours=25), [("王建国", "reminder:first_contact")]),
    (timedelta(days=3, hours=13), [("王建国", "reminder:first_contact"), ("王建国", "reminder:half")]),
    (timedelta(days=5, hours=15), [("王建国", "reminder:first_contact"), ("王建国", "reminder:eighty")]),
    (timedelta(days=7), [("王建国", "reminder:first_contact"), ("王建国", "reminder:overdue"),
                         ("吴督查", "supervised_notice:")]),
    (timedelta(days=9), [("王建国", "reminder:first_contact"), ("刘书记", "case_card:"),
                         ("张大爷", "case_update:")]),
])
async def test_a_sweep_after_downtime_sends_only_the_latest_deadline_reminder(
        sessionmaker, session, config, county, after, expected):
    await file_case(session, config)
    before = await last_outbox_id(session)

    await sweep(sessionmaker, config, START + after)

    async with sessionmaker() as s:
        assert await sent_since(s, before) == expected


async def test_each_reminder_is_sent_once_as_time_passes_and_the_case_escalates(sessionmaker, session, config,
                                                                               county):
    case = await file_case(session, config)
    await add_message(session, case_id=case.id, author=await person(session, "王建国"),
                      part=Part(MessageKind.text, text="收到"), now=START + timedelta(hours=1))
    before = await last_outbox_id(session)

    for hours in (84, 85, 135, 136, 168, 169, 216, 217):
        await sweep(sessionmaker, config, START + timedelta(hours=hours))

    async with sessionmaker() as s:
        sent = await sent_since(s, before)
        escalated = await s.get(Case, case.id)
    assert sent == [("王建国", "reminder:half"), ("王建国", "reminder:eighty"), ("王建国", "reminder:overdue"),
                    ("吴督查", "supervised_notice:"), ("刘书记", "case_card:"), ("张大爷", "case_update:")]
    assert escalated.level == "township" and escalated.due_at == START + timedelta(hours=216, days=15)
    assert escalated.supervised is False


async def test_escalated_case_starts_a_fresh_clock_at_the_township(sessionmaker, session, config, county):
    await file_case(session, config)
    await sweep(sessionmaker, config, START + timedelta(days=9))
    before = await last_outbox_id(session)

    await sweep(sessionmaker, config, START + timedelta(days=9 + 7, hours=13))

    async with sessionmaker() as s:
        assert await sent_since(s, before) == [("刘书记", "reminder:half")]


async def test_a_county_case_past_its_deadline_stays_supervised_and_does_not_escalate(sessionmaker, session,
                                                                                      config, county):
    case = await file_case(session, config)
    for days in (9, 9 + 17, 9 + 17 + 32):
        await sweep(sessionmaker, config, START + timedelta(days=days))
    before = await last_outbox_id(session)

    await sweep(sessionmaker, config, START + timedelta(days=120))

    async with sessionmaker() as s:
        final = await s.get(Case, case.id)
        assert await sent_since(s, before) == []
    assert final.level == "county" and final.supervised is True and final.next_check_at is None


async def test_followup_reminds_the_villager_halfway_then_closes_the_case_as_no_answer(sessionmaker, session,
                                                                                       config, county):
    case = await file_case(session, config)
    await resolve_case(session, config, case_id=case.id, actor=await person(session, "王建国"),
                       disposition=Disposition.resolved, note="已处理", now=START + timedelta(hours=2))
    before = await last_outbox_id(session)

    await sweep(sessionmaker, config, START + timedelta(hours=2 + 36, minutes=1))
    await sweep(sessionmaker, config, START + timedelta(hours=2, days=3))

    async with sessionmaker() as s:
        closed = await s.get(Case, case.id)
        assert await sent_since(s, before) == [("张大爷", "followup_reminder:"), ("王建国", "case_closed:")]
    assert closed.status == "closed" and closed.close_reason == "no_answer" and closed.rating is None


async def test_a_verdict_before_the_window_ends_cancels_the_followup(sessionmaker, session, config, county):
    case = await file_case(session, config)
    villager = await session.get(Person, case.reporter_id)
    await resolve_case(session, config, case_id=case.id, actor=await person(session, "王建国"),
                       disposition=Disposition.resolved, note="已处理", now=START + timedelta(hours=2))
    await rate_case(session, case_id=case.id, villager=villager, rating=Rating.satisfied,
                    now=START + timedelta(hours=3))
    before = await last_outbox_id(session)

    handled = await sweep(sessionmaker, config, START + timedelta(days=10))

    async with sessionmaker() as s:
        assert await sent_since(s, before) == [] and handled == 0


async def test_a_deferred_case_reopens_to_its_owner_at_the_revisit_date(sessionmaker, session, config, county):
    case = await file_case(session, config)
    await resolve_case(session, config, case_id=case.id, actor=await person(session, "王建国"),
                       disposition=Disposition.deferred, note="明年有资金再修", now=START + timedelta(hours=2),
                       revisit_at=START + timedelta(days=30))
    before = await last_outbox_id(session)

    await sweep(sessionmaker, config, START + timedelta(days=29))
    await sweep(sessionmaker, config, START + timedelta(days=30))

    async with sessionmaker() as s:
        reopened = await s.get(Case, case.id)
        assert await sent_since(s, before) == [("王建国", "case_card:"), ("张大爷", "case_update:")]
    assert reopened.status == "in_progress" and reopened.due_at == START + timedelta(days=37)


async def test_an_extension_moves_the_deadline_and_tells_the_villager_and_supervisor(sessionmaker, session, config,
                                                                                    county):
    case = await file_case(session, config)
    before = await last_outbox_id(session)

    extended = await extend_case(session, config, case_id=case.id, actor=await person(session, "王建国"),
                                 by=timedelta(days=7), reason="等待检测报告", now=START + timedelta(days=6))

    async with sessionmaker() as s:
        assert await sent_since(s, before) == [("张大爷", "case_update:"), ("吴督查", "extension_notice:")]
    assert extended.due_at == START + timedelta(days=14) and extended.deadline_stage == 0


async def test_the_daily_digest_is_queued_once_per_supervisor_per_day(sessionmaker, session, config, county):
    await file_case(session, config)
    ctx = JobContext(sessionmaker, config, lambda: START + timedelta(days=8))

    first, second = await send_daily_digest(ctx), await send_daily_digest(ctx)

    assert (first, second) == (1, 0)
