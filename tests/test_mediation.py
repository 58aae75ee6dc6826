"""Mediation first (先行调解): recorded by the owner of a dispute, counted by the mediation rate."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from models import Case, Mediation
from models.enums import EventKind, MediationNextStep, MediationOutcome
from models import queries as q
from services.errors import InvalidInput, NotAllowed
from services.mediation import MediationRecord, parse_day, record_mediation
from services.metrics import Scope, compute
from tests.campaign_support import file, report_more, staff, villager
from tests.conftest import START
from tests.harness import Harness
from tests.supervision_builders import PERIOD, Spec, add_cases
from tests.test_case_loop import report

ZHANG = Harness.person(3001, "张大爷")
SUN = Harness.person(2004, "孙丽")
TODAY = date(2026, 11, 30)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11-28", date(2026, 11, 28)),
    ("2026年11月28日", date(2026, 11, 28)),
    ("11-28", date(2026, 11, 28)),
    ("11月2日", date(2026, 11, 2)),
    ("12-25", date(2025, 12, 25)),  # after today: last year's
    (" 11/30 ", date(2026, 11, 30)),
])
def test_a_day_is_read_as_people_write_it(text, expected):
    assert parse_day(text, TODAY) == expected


@pytest.mark.parametrize("text", ["", "明天", "2026-13-01", "2026-12-01", "11-31", "abc"])
def test_a_day_that_is_no_day_or_still_to_come_is_refused(text):
    with pytest.raises(InvalidInput):
        parse_day(text, TODAY)


@pytest.fixture
async def dispute(session, config, county, clock) -> Case:
    zhang = await villager(session, "张大爷", "3001", "sq01", clock())
    return await file(session, config, zhang, "land", "邻居占了承包地", clock())


def record(outcome=MediationOutcome.success, **changes) -> MediationRecord:
    values = dict(parties="张大爷、李四", held_on=date(2026, 11, 29), place="村委会", outcome=outcome,
                  agreement_text="李四退还占用的承包地" if outcome is MediationOutcome.success else None,
                  next_step=MediationNextStep.law if outcome is MediationOutcome.failure else None)
    return MediationRecord(**(values | changes))


@pytest.mark.parametrize("outcome", list(MediationOutcome))
async def test_the_owner_records_a_mediation_and_the_timeline_notes_it(session, config, dispute, clock, outcome):
    _case, mediation = await record_mediation(session, case_id=dispute.id, actor=dispute.owner,
                                              record=record(outcome), now=clock(), tz=config.tz)

    event = (await q.events_of(session, dispute.id))[-1]
    assert (event.kind, event.data["outcome"]) == (EventKind.mediated, outcome)
    assert (mediation.outcome, mediation.recorded_by_id) == (outcome, dispute.owner_id)


@pytest.mark.parametrize(("changes", "error"), [
    ({"parties": " "}, "empty"),
    ({"place": ""}, "empty"),
    ({"agreement_text": None}, "agreement"),
    ({"held_on": date(2026, 12, 1)}, "day"),
])
async def test_a_mediation_missing_what_it_needs_is_refused(session, config, dispute, clock, changes, error):
    with pytest.raises(InvalidInput) as raised:
        await record_mediation(session, case_id=dispute.id, actor=dispute.owner, record=record(**changes),
                               now=clock(), tz=config.tz)

    assert str(raised.value) == error


async def test_a_failed_mediation_needs_its_next_step(session, config, dispute, clock):
    with pytest.raises(InvalidInput):
        await record_mediation(session, case_id=dispute.id, actor=dispute.owner,
                               record=record(MediationOutcome.failure, next_step=None), now=clock(), tz=config.tz)


async def test_only_the_owner_records_a_mediation(session, config, dispute, clock):
    with pytest.raises(NotAllowed):
        await record_mediation(session, case_id=dispute.id, actor=await staff(session, "刘书记"), record=record(),
                               now=clock(), tz=config.tz)


async def test_a_case_that_is_no_dispute_has_no_mediation(session, config, county, clock):
    zhang = await villager(session, "张大爷", "3001", "sq01", clock())
    case = await file(session, config, zhang, "environment", "河水发臭", clock())

    with pytest.raises(InvalidInput):
        await record_mediation(session, case_id=case.id, actor=case.owner, record=record(), now=clock(),
                               tz=config.tz)


D = timedelta(days=1)
DISPUTES = [
    # closed, mediated successfully: counts
    Spec("sq01", "孙丽", "land", contact=D, closed=3 * D, disposition="resolved", mediation="success"),
    # closed "resolved" without a recorded mediation: no longer counts as mediated
    Spec("sq01", "孙丽", "property", contact=D, closed=3 * D, disposition="resolved"),
    # closed after a failed mediation
    Spec("sq01", "孙丽", "property", contact=D, closed=3 * D, disposition="referred_to_law", mediation="failure"),
    # mediated successfully but still open: not a closed dispute
    Spec("sq02", "李秀英", "demolition", contact=D, status="in_progress", mediation="success"),
    # a closed complaint that is no dispute, with no mediation
    Spec("sq02", "李秀英", "environment", contact=D, closed=3 * D, disposition="explained"),
]


async def test_the_mediation_rate_counts_recorded_successful_mediations_of_closed_disputes(session, sessionmaker,
                                                                                        county):
    await add_cases(sessionmaker, DISPUTES)

    metrics = await compute(session, PERIOD, START, Scope())

    assert (metrics.mediated, metrics.disputes_closed) == (1, 3)
    assert metrics.mediation_rate == pytest.approx(1 / 3)


async def test_a_mediation_is_recorded_in_chat_step_by_step(chat, sessionmaker):
    await report(chat, ZHANG, "山林土地流转纠纷", "邻居占了我家的承包地")
    await chat.press(SUN, "调解")
    await chat.say(SUN, "张大爷、李四")
    await chat.press(SUN, "昨天")
    await chat.say(SUN, "村委会")
    await chat.press(SUN, "调解成功")
    await chat.say(SUN, photo="agreement-photo", caption="签字的调解协议")

    async with sessionmaker() as s:
        mediation = await s.scalar(select(Mediation))
    assert (mediation.parties, mediation.place, mediation.outcome) == ("张大爷、李四", "村委会", "success")
    assert mediation.held_on == date(2026, 11, 29)
    assert mediation.agreement_file_id == "agreement-photo"
    assert "调解成功" in chat.last(SUN).text
    assert chat.refusals() == [] and chat.unanswered() == []


async def test_a_failed_mediation_in_chat_offers_to_escalate(chat, sessionmaker):
    await report(chat, ZHANG, "产权纠纷", "兄弟争老屋")
    await chat.press(SUN, "调解")
    await chat.say(SUN, "张大爷、张二")
    await chat.press(SUN, "其他日期")
    await chat.say(SUN, "11-27")
    await chat.say(SUN, "祠堂")
    await chat.press(SUN, "调解不成")
    await chat.press(SUN, "上报上级")

    async with sessionmaker() as s:
        mediation = await s.scalar(select(Mediation))
    assert (mediation.outcome, mediation.next_step, mediation.held_on) == ("failure", "escalate", date(2026, 11, 27))
    assert "上报" in [b.text for row in chat.last(SUN).reply_markup.inline_keyboard for b in row][0]


async def test_the_mediation_button_is_on_disputes_only(chat):
    await report(chat, ZHANG, "环境污染", "河水发臭")
    await report_more(chat, ZHANG, "产权纠纷", "围墙占地")

    wang_card = chat.find(Harness.person(2001, "王建国"), contains="河水发臭")
    sun_card = chat.find(SUN, contains="围墙占地")
    assert not any("调解" in b.text for row in wang_card.reply_markup.inline_keyboard for b in row)
    assert any("调解" in b.text for row in sun_card.reply_markup.inline_keyboard for b in row)
