"""Sign-off (销号): which cases need it, the supervisor's two answers, and the chat around them."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from models import Case, Category
from models.enums import CloseReason, EventKind, Rating, Status
from models import queries as q
from services.conversation import rate_case
from services.errors import CaseNotFound, InvalidInput, InvalidTransition, NotAllowed
from services.metrics import Scope, compute
from services.periods import Period
from services.signoff import awaiting, needs_signoff, send_back, sign_off
from services.signoff_rules import SignoffPolicy
from tests.campaign_support import answered, file, notices, staff, villager
from tests.harness import Harness
from tests.test_case_loop import report

ZHANG = Harness.person(3001, "张大爷")
SUN = Harness.person(2004, "孙丽")  # cadre of 石桥村 for land and property disputes
WANG = Harness.person(2001, "王建国")
WU = Harness.person(2301, "吴督查")  # the county's supervisor


@pytest.fixture
async def zhang(session, county, clock):
    return await villager(session, "张大爷", "3001", "sq01", clock())


@pytest.mark.parametrize(("text", "expected"), [
    (None, SignoffPolicy()),
    ("disputes,supervised", SignoffPolicy(disputes=True, supervised=True)),
    ("all", SignoffPolicy(disputes=False, supervised=False, everything=True)),
    ("none", SignoffPolicy(disputes=False, supervised=False)),
    ("subsistence, disputes", SignoffPolicy(disputes=True, supervised=False, categories=frozenset({"subsistence"}))),
])
def test_signoff_required_is_read_as_words_and_category_codes(text, expected):
    assert SignoffPolicy.parse(text) == expected


def test_none_cannot_be_combined_with_other_words():
    with pytest.raises(ValueError):
        SignoffPolicy.parse("none,disputes")


@pytest.mark.parametrize(("category", "column", "policy", "supervised", "expected"), [
    ("property", None, "disputes,supervised", False, True),  # a dispute, by default
    ("environment", None, "disputes,supervised", False, False),
    ("environment", None, "disputes,supervised", True, True),  # listed for supervision once
    ("environment", True, "none", False, True),  # the category's own column wins
    ("property", False, "disputes,supervised", True, False),
    ("environment", None, "all", False, True),
    ("subsistence", None, "subsistence", False, True),
    ("conduct", True, "all", True, False),  # the inspector's cases never go to a supervisor
])
async def test_whether_a_case_needs_signoff_follows_its_category_then_the_setting(
        session, config, zhang, clock, category, column, policy, supervised, expected):
    row = await session.get(Category, category)
    row.needs_signoff = column
    case = await file(session, config, zhang, category, "邻居占了我家宅基地", clock())
    case.supervised = supervised

    assert await needs_signoff(session, case, SignoffPolicy.parse(policy)) is expected


async def test_a_content_verdict_on_a_dispute_puts_it_before_the_supervisor_not_closed(session, config, zhang, clock):
    case = await answered(session, config, await file(session, config, zhang, "property", "宅基地纠纷", clock()),
                          clock())

    await rate_case(session, case_id=case.id, villager=zhang, rating=Rating.satisfied, now=clock.advance(hours=1))

    assert (case.status, case.closed_at, case.rating) == (Status.awaiting_signoff, None, Rating.satisfied)
    sent = [(who, kind) for who, kind, _p in await notices(session)][-2:]
    assert sent == [("吴督查", "signoff_request"), ("孙丽", "signoff_pending")]


async def test_a_content_verdict_on_an_ordinary_case_still_closes_it_at_once(session, config, zhang, clock):
    case = await answered(session, config, await file(session, config, zhang, "environment", "河水发臭", clock()),
                          clock())

    await rate_case(session, case_id=case.id, villager=zhang, rating=Rating.basically, now=clock())

    assert (case.status, case.close_reason) == (Status.closed, CloseReason.confirmed)


async def test_an_unsatisfied_verdict_on_a_dispute_reopens_it_as_before(session, config, zhang, clock):
    case = await answered(session, config, await file(session, config, zhang, "land", "承包地纠纷", clock()), clock())

    await rate_case(session, case_id=case.id, villager=zhang, rating=Rating.unsatisfied, now=clock())

    assert case.status == Status.in_progress


@pytest.fixture
async def waiting(session, config, zhang, clock) -> Case:
    case = await answered(session, config, await file(session, config, zhang, "property", "宅基地纠纷", clock()),
                          clock.advance(days=2))
    await rate_case(session, case_id=case.id, villager=zhang, rating=Rating.satisfied, now=clock.advance(hours=1))
    return case


async def test_the_supervisor_signs_off_and_the_case_closes_as_signed_off(session, waiting, clock):
    wu = await staff(session, "吴督查")

    await sign_off(session, case_id=waiting.id, actor=wu, now=clock.advance(hours=2))

    closed = [e for e in await q.events_of(session, waiting.id) if e.kind == EventKind.closed]
    assert (waiting.status, waiting.close_reason, waiting.closed_at) == (Status.closed, CloseReason.signed_off,
                                                                          clock())
    assert closed[0].actor_id == wu.id
    sent = [(who, kind, p.get("reason") or p.get("what")) for who, kind, p in await notices(session)][-2:]
    assert sent == [("孙丽", "case_closed", "signed_off"), ("张大爷", "case_update", "signed_off")]


async def test_a_signed_off_close_counts_as_closed_in_the_metrics(session, waiting, clock):
    await sign_off(session, case_id=waiting.id, actor=await staff(session, "吴督查"), now=clock())

    metrics = await compute(session, Period(clock() - timedelta(days=30), clock()), clock(), Scope())

    assert (metrics.received, metrics.closed, metrics.satisfied) == (1, 1, 1)


async def test_sending_back_returns_the_case_to_its_owner_with_the_reason(session, waiting, clock):
    await send_back(session, case_id=waiting.id, actor=await staff(session, "吴督查"), reason="协议还没签字",
                    now=clock())

    card = (await notices(session, "case_card"))[-1]
    assert (waiting.status, waiting.disposition, waiting.closed_at) == (Status.in_progress, None, None)
    assert (card[0], card[2]["reason"], card[2]["note"]) == ("孙丽", "returned", "协议还没签字")
    assert (await q.events_of(session, waiting.id))[-1].kind == EventKind.returned


async def test_sending_back_needs_a_reason(session, waiting, clock):
    with pytest.raises(InvalidInput):
        await send_back(session, case_id=waiting.id, actor=await staff(session, "吴督查"), reason="  ", now=clock())


@pytest.mark.parametrize("who", ["孙丽", "王建国", "刘书记", "郑纪检"])
async def test_only_a_supervisor_of_the_area_may_sign_off(session, waiting, clock, who):
    with pytest.raises((NotAllowed, CaseNotFound)):
        await sign_off(session, case_id=waiting.id, actor=await staff(session, who), now=clock())

    assert waiting.status == Status.awaiting_signoff


async def test_a_case_cannot_be_signed_off_twice(session, waiting, clock):
    wu = await staff(session, "吴督查")
    await sign_off(session, case_id=waiting.id, actor=wu, now=clock())

    with pytest.raises(InvalidTransition):
        await sign_off(session, case_id=waiting.id, actor=wu, now=clock())


async def test_without_any_supervisor_a_content_verdict_closes_the_case(session, config, zhang, clock):
    (await staff(session, "吴督查")).active = False
    case = await answered(session, config, await file(session, config, zhang, "property", "宅基地纠纷", clock()),
                          clock())

    await rate_case(session, case_id=case.id, villager=zhang, rating=Rating.satisfied, now=clock())

    assert (case.status, case.close_reason) == (Status.closed, CloseReason.confirmed)


async def test_the_supervisor_lists_what_waits_and_others_may_not(session, waiting):
    assert [c.number for c in await awaiting(session, await staff(session, "吴督查"))] == [waiting.number]
    with pytest.raises(NotAllowed):
        await awaiting(session, await staff(session, "刘书记"))


async def test_a_dispute_is_signed_off_in_chat_and_everyone_is_told(chat, sessionmaker):
    await report(chat, ZHANG, "产权纠纷", "邻居把围墙砌到我家宅基地上")
    await chat.press(SUN, "办结")
    await chat.press(SUN, "解决到位")
    await chat.say(SUN, "已调解，邻居同意拆除围墙")
    await chat.press(ZHANG, "满意")

    request = chat.find(WU, contains="待您审核销号")
    await chat.press(WU, "同意销号", message=request)

    async with sessionmaker() as s:
        case = await s.scalar(select(Case))
    assert "已调解，邻居同意拆除围墙" in request.text and "张大爷" not in request.text
    assert any("督查组复核后销号" in t for t in chat.texts(ZHANG))
    assert (case.status, case.close_reason) == ("closed", "signed_off")
    assert "予以销号" in chat.last(ZHANG).text
    assert "经督查组同意，已销号" in chat.last(SUN).text
    assert chat.refusals() == [] and chat.unanswered() == []


async def test_a_supervisor_sends_a_case_back_in_chat_with_the_reason(chat, sessionmaker):
    await report(chat, ZHANG, "山林土地流转纠纷", "邻村砍了我们组的杉木", anonymous=True)
    await chat.press(SUN, "办结")
    await chat.press(SUN, "解释到位")
    await chat.say(SUN, "已解释林权边界")
    await chat.press(ZHANG, "基本满意")
    await chat.press(WU, "退回")
    await chat.say(WU, "没有调解记录，请先组织调解")
    await chat.say(WU, "/signoff")

    async with sessionmaker() as s:
        case = await s.scalar(select(Case))
    assert case.status == "in_progress"
    returned = chat.find(SUN, contains="督查组退回")
    assert "没有调解记录" in returned.text and "张大爷" not in returned.text
    assert "没有待您销号的案件" in chat.last(WU).text
