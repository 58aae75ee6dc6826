"""The case services against a real database: intake, conversation, verdict, escalation, transfer."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import Case, OutboxMessage, Person
from models import queries as q
from models.enums import CloseReason, Disposition, Level, MessageKind, Rating, Status
from services.conversation import add_message, rate_case
from services.errors import CaseNotFound, InvalidTransition, NotAllowed
from services.handling import accept_case, escalate_case, resolve_case, transfer_case, transfer_candidates
from services.intake import Part, set_village, submit_case
from services.outbox import enqueue
from services.people import identify


def text(words: str) -> Part:
    return Part(MessageKind.text, text=words)


async def staff(session, name: str) -> Person:
    return await session.scalar(select(Person).where(Person.name == name))


async def outbox(session) -> list[tuple[str, str, str | None]]:
    rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    names = {p.id: p.name for p in (await session.scalars(select(Person))).all()}
    return [(names[r.person_id], r.payload["notice"], r.payload.get("reason") or r.payload.get("what"))
            for r in rows]


@pytest.fixture
async def zhang(session, county, clock) -> Person:
    person = await identify(session, channel="telegram", external_id="3001", name="张大爷", language_code="zh",
                            now=clock())
    await set_village(session, person, "sq01")
    return person


@pytest.fixture
async def report(session, config, zhang, clock):
    async def report(category: str = "environment", anonymous: bool = False, now: datetime | None = None) -> Case:
        return await submit_case(session, config, reporter=zhang, category_code=category,
                                 parts=[text("村口的河被排污染黑了")], anonymous=anonymous, now=now or clock())
    return report


async def test_cases_are_numbered_in_order_within_the_year(report):
    first, second = await report(), await report()

    assert (first.number, second.number) == ("2026-000001", "2026-000002")


async def test_the_case_number_follows_the_year_in_shanghai_not_in_utc(report, clock):
    new_year_in_shanghai = datetime(2026, 12, 31, 17, 0, tzinfo=timezone.utc)

    before = await report(now=clock())
    after = await report(now=new_year_in_shanghai)

    assert before.number == "2026-000001"
    assert after.number == "2027-000001"


@pytest.mark.parametrize(
    ("category", "first_contact", "settle"),
    [
        ("hazard", timedelta(hours=2), timedelta(days=7)),
        ("environment", timedelta(hours=24), timedelta(days=7)),
        ("policy", timedelta(hours=24), timedelta(days=3)),
    ],
)
async def test_deadlines_come_from_the_category(report, clock, category, first_contact, settle):
    case = await report(category)

    assert case.first_response_due == clock() + first_contact
    assert case.due_at == clock() + settle


async def test_a_new_case_is_assigned_with_two_events_and_one_card_for_its_owner(session, report):
    case = await report()

    kinds = [e.kind for e in await q.events_of(session, case.id)]
    assert (case.status, case.owner.name, case.level) == (Status.assigned, "王建国", Level.village)
    assert kinds == ["submitted", "assigned"]
    assert await outbox(session) == [("王建国", "case_card", "new")]


@pytest.mark.parametrize("anonymous", [True, False])
async def test_the_reporter_s_choice_of_anonymity_is_kept(session, report, anonymous):
    case = await report(anonymous=anonymous)

    submitted = (await q.events_of(session, case.id))[0]
    assert case.anonymous is anonymous
    assert submitted.data["anonymous"] is anonymous


async def test_a_confidential_complaint_is_anonymous_even_when_the_reporter_gave_their_name(session, report):
    case = await report("conduct", anonymous=False)

    assert (case.confidential, case.anonymous) == (True, True)
    assert case.owner.name == "郑纪检"
    assert await outbox(session) == [("郑纪检", "case_card", "new")]


async def test_the_first_answer_of_the_cadre_is_recorded_as_first_contact_only_once(session, report, clock):
    case = await report()
    wang = await staff(session, "王建国")
    first_at = clock()

    await add_message(session, case_id=case.id, author=wang, part=text("明天去看"), now=first_at)
    await add_message(session, case_id=case.id, author=wang, part=text("已到现场"), now=clock.advance(hours=3))

    kinds = [e.kind for e in await q.events_of(session, case.id)]
    assert case.status == Status.in_progress
    assert case.first_response_at == first_at
    assert kinds.count("first_contact") == 1
    assert (await outbox(session))[1:] == [("张大爷", "relay", None), ("张大爷", "relay", None)]


async def test_a_message_of_the_villager_is_relayed_to_the_owner_and_is_no_first_contact(session, report, zhang):
    case = await report()

    await add_message(session, case_id=case.id, author=zhang, part=text("还在排"), now=case.created_at)

    assert case.first_response_at is None and case.status == Status.assigned
    assert (await outbox(session))[-1] == ("王建国", "relay", None)


async def resolved(session, config, case: Case, now: datetime) -> Case:
    wang = await staff(session, "王建国")
    return await resolve_case(session, config, case_id=case.id, actor=wang, disposition=Disposition.resolved,
                              note="工厂已停止排污", now=now)


async def test_resolving_asks_the_villager_whether_it_is_really_solved(session, config, report, clock):
    case = await report()

    await resolved(session, config, case, clock())

    assert (case.status, case.disposition) == (Status.resolved, Disposition.resolved)
    assert (await outbox(session))[-1] == ("张大爷", "feedback_prompt", None)


@pytest.mark.parametrize("rating", [Rating.satisfied, Rating.basically])
async def test_a_satisfied_villager_closes_the_case_as_confirmed(session, config, report, zhang, clock, rating):
    case = await resolved(session, config, await report(), clock())

    await rate_case(session, case_id=case.id, villager=zhang, rating=rating, now=clock.advance(hours=1))

    assert (case.status, case.close_reason, case.rating) == (Status.closed, CloseReason.confirmed, rating)
    assert case.closed_at == clock()
    assert (await outbox(session))[-1] == ("王建国", "case_closed", None)


async def test_an_unsatisfied_villager_reopens_the_case_and_the_owner_gets_the_card_again(
    session, config, report, zhang, clock
):
    case = await resolved(session, config, await report(), clock())

    await rate_case(session, case_id=case.id, villager=zhang, rating=Rating.unsatisfied, now=clock.advance(hours=1))

    assert (case.status, case.disposition, case.closed_at) == (Status.in_progress, None, None)
    assert (await outbox(session))[-1] == ("王建国", "case_card", "reopened")


async def test_escalating_hands_the_case_to_the_township_leader_with_a_township_deadline(session, config, report,
                                                                                         clock):
    case = await report()
    wang = await staff(session, "王建国")

    await escalate_case(session, config, case_id=case.id, actor=wang, reason="涉及多村", now=clock.advance(days=2))

    assert (case.owner.name, case.level, case.status) == ("刘书记", Level.township, Status.assigned)
    assert case.due_at == clock() + timedelta(days=15)
    assert (await outbox(session))[-2:] == [("刘书记", "case_card", "escalated"), ("张大爷", "case_update", "escalated")]


async def test_a_confidential_case_is_never_escalated_up_the_village_chain(session, config, report, clock):
    case = await report("conduct")
    inspector = await staff(session, "郑纪检")

    with pytest.raises(NotAllowed):
        await escalate_case(session, config, case_id=case.id, actor=inspector, reason="请上级处理", now=clock())


async def test_the_owner_may_transfer_the_case_to_a_candidate(session, report, clock):
    case = await report()
    wang, li = await staff(session, "王建国"), await staff(session, "李秀英")

    candidates = {p.name for p in await transfer_candidates(session, case, wang)}
    await transfer_case(session, case_id=case.id, actor=wang, to_person_id=li.id, reason="属柳树村", now=clock())

    assert candidates == {"孙丽", "李秀英", "刘书记", "黄县长"}
    assert (case.owner.name, case.level) == ("李秀英", Level.village)
    assert (await outbox(session))[-2:] == [("李秀英", "case_card", "transferred"),
                                            ("张大爷", "case_update", "transferred")]


async def test_a_transfer_to_someone_outside_the_candidates_is_refused(session, report, clock):
    case = await report()
    wang, zhao = await staff(session, "王建国"), await staff(session, "赵志强")
    case_id, wang_id = case.id, wang.id

    with pytest.raises(NotAllowed):
        await transfer_case(session, case_id=case_id, actor=wang, to_person_id=zhao.id, reason="试试", now=clock())
    await session.rollback()
    assert (await session.get(Case, case_id)).owner_id == wang_id


async def test_a_cadre_who_does_not_own_the_case_cannot_accept_it(session, report, clock):
    case = await report()

    with pytest.raises(CaseNotFound):
        await accept_case(session, case_id=case.id, actor=await staff(session, "孙丽"), now=clock())


async def test_a_case_not_yet_resolved_cannot_be_rated(session, report, zhang, clock):
    case = await report()

    with pytest.raises(InvalidTransition):
        await rate_case(session, case_id=case.id, villager=zhang, rating=Rating.satisfied, now=clock())


async def test_a_closed_case_refuses_further_messages(session, config, report, zhang, clock):
    case = await resolved(session, config, await report(), clock())
    await rate_case(session, case_id=case.id, villager=zhang, rating=Rating.satisfied, now=clock())

    with pytest.raises(InvalidTransition):
        await add_message(session, case_id=case.id, author=zhang, part=text("再说一句"), now=clock())


async def test_the_same_outbox_key_cannot_be_queued_twice(session, report, zhang, clock):
    await report()

    enqueue(session, to=zhang, notice="relay", key="relay:1:1", now=clock())
    await session.commit()
    enqueue(session, to=zhang, notice="relay", key="relay:1:1", now=clock())

    with pytest.raises(IntegrityError):
        await session.commit()
