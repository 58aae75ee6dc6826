"""Early warning (风险研判): the three rules as a table, flags at intake, alerts, /risks and 并单."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from models import Case
from models.enums import EventKind, RiskFlag
from models import queries as q
from services.errors import NotAllowed
from services.linking import link_matter
from services.risk import DEFAULT_DANGER_WORDS, Report, assess, clustered, dangerous, flagged_cases, parse_words, \
    repeated
from tests.campaign_support import file, notices, report_more, staff, villager
from tests.harness import Harness
from tests.test_case_loop import report

T0 = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)
D = timedelta(days=1)


def r(id: int, reporter: int, days_before: float = 0, village: int = 1, category: str = "land",
      anonymous: bool = False) -> Report:
    return Report(id, reporter, village, category, T0 - days_before * D, anonymous)


NEW = r(100, reporter=1)


@pytest.mark.parametrize(("earlier", "expected"), [
    ([r(1, 1, days_before=29)], (1,)),
    ([r(1, 1, days_before=31)], ()),  # outside the 30 days
    ([r(1, 2, days_before=3)], ()),  # another villager
    ([r(1, 1, days_before=3, category="environment")], ()),  # another category
    ([r(1, 1, days_before=3, anonymous=True)], ()),  # an anonymous report is never tied to its reporter
    ([r(1, 1, days_before=3), r(2, 1, days_before=10)], (1, 2)),
])
def test_the_same_villager_reporting_the_same_category_within_30_days_is_a_repeat(earlier, expected):
    assert repeated(NEW, earlier) == expected


def test_a_new_anonymous_report_is_never_a_repeat():
    assert repeated(r(100, 1, anonymous=True), [r(1, 1, days_before=2)]) == ()


@pytest.mark.parametrize(("recent", "expected"), [
    ([r(1, 2, 1), r(2, 3, 2)], (2, 1, 100)),  # three villagers within 7 days, oldest first
    ([r(1, 2, 1), r(2, 2, 2)], ()),  # two villagers only
    ([r(1, 2, 1), r(2, 3, 8)], ()),  # one of them too long ago
    ([r(1, 2, 1), r(2, 3, 2, village=2)], ()),  # another village
    ([r(1, 2, 1), r(2, 3, 2, category="security")], ()),
    ([r(1, 2, 1, anonymous=True), r(2, 3, 2, anonymous=True)], (2, 1, 100)),  # anonymity does not hide numbers
])
def test_three_villagers_of_one_village_reporting_one_category_within_7_days_is_a_cluster(recent, expected):
    assert clustered(NEW, recent) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("他说再不解决就去上访", ("上访",)),
    ("邻居扬言要喝药，还要打架", ("喝药", "打架")),
    ("有人要强拆我家房子", ("强拆",)),
    ("河水发臭", ()),
])
def test_danger_words_are_found_in_the_words(text, expected):
    assert dangerous(text, DEFAULT_DANGER_WORDS) == expected


def test_danger_words_are_configurable_and_default_to_the_shipped_list():
    assert parse_words("上访， 聚集,,断水") == ("上访", "聚集", "断水")
    assert parse_words("") == DEFAULT_DANGER_WORDS


def test_the_priority_is_the_highest_of_the_flags():
    both = assess(NEW, "要去上访", [r(1, 1, 3)], [], DEFAULT_DANGER_WORDS)

    assert (both.flags, both.priority) == ((RiskFlag.repeat, RiskFlag.danger), 2)
    assert assess(NEW, "承包地", [], [], DEFAULT_DANGER_WORDS).priority == 0


@pytest.fixture
async def people(session, county, clock):
    return [await villager(session, name, str(3000 + i), "sq01", clock())
            for i, name in enumerate(["张大爷", "李大妈", "王小明"], start=1)]


async def test_a_repeat_report_is_flagged_raised_and_the_supervisor_alerted(session, config, people, clock):
    zhang = people[0]
    await file(session, config, zhang, "land", "邻居占了承包地", clock())

    second = await file(session, config, zhang, "land", "承包地的事还没解决", clock.advance(days=20))

    alert = (await notices(session, "risk_alert"))[-1]
    assert (second.risk_flags, second.priority) == (["repeat"], 1)
    assert (await q.events_of(session, second.id))[-1].kind == EventKind.flagged
    assert (alert[0], alert[2]["flags"]) == ("吴督查", ["repeat"])


async def test_a_report_31_days_later_is_no_repeat(session, config, people, clock):
    await file(session, config, people[0], "land", "邻居占了承包地", clock())

    later = await file(session, config, people[0], "land", "又占了", clock.advance(days=31))

    assert (later.risk_flags, later.priority) == ([], 0)
    assert await notices(session, "risk_alert") == []


async def test_the_third_villager_flags_the_matter_and_offers_the_owner_to_link_it(session, config, people, clock):
    cases = [await file(session, config, person, "environment", f"河水发臭{i}", clock.advance(days=1))
             for i, person in enumerate(people)]

    for case in cases:
        await session.refresh(case)
    offer = (await notices(session, "cluster_offer"))[-1]
    assert [c.risk_flags for c in cases] == [["cluster"], ["cluster"], ["cluster"]]
    assert (offer[0], offer[2]["cases"]) == ("王建国", [c.id for c in cases])


async def test_danger_words_flag_the_case_urgently_even_when_anonymous(session, config, people, clock):
    case = await file(session, config, people[0], "security", "邻居说要放火烧我家，还要喝药", clock(), anonymous=True)

    alert = (await notices(session, "risk_alert"))[-1]
    assert (case.risk_flags, case.priority) == (["danger"], 2)
    assert alert[2]["words"] == ["喝药", "放火"]
    assert "张大爷" not in str(alert[2])


async def test_the_owner_links_the_matter_to_its_first_case(session, config, people, clock):
    cases = [await file(session, config, person, "environment", "河水发臭", clock.advance(hours=1)) for person in people]
    wang = await staff(session, "王建国")

    primary, linked = await link_matter(session, case_id=cases[-1].id, actor=wang, now=clock())

    assert primary.id == cases[0].id
    assert [c.linked_to_id for c in linked] == [cases[0].id, cases[0].id]
    kinds = [[e.kind for e in await q.events_of(session, c.id)][-1] for c in cases]
    assert kinds == [EventKind.linked] * 3


async def test_flagged_cases_are_listed_for_the_area_only(session, config, people, clock):
    case = await file(session, config, people[0], "security", "有人要来打架", clock())

    assert [c.number for c in await flagged_cases(session, await staff(session, "吴督查"))] == [case.number]
    assert [c.number for c in await flagged_cases(session, await staff(session, "刘书记"))] == [case.number]
    assert await flagged_cases(session, await staff(session, "周乡长")) == []
    with pytest.raises(NotAllowed):
        await flagged_cases(session, await staff(session, "王建国"))


ZHANG, LI, MING = (Harness.person(3001, "张大爷"), Harness.person(3002, "李大妈"), Harness.person(3003, "王小明"))
WANG, WU = Harness.person(2001, "王建国"), Harness.person(2301, "吴督查")


async def test_an_anonymous_reporter_is_named_nowhere_in_alerts_cards_risks_or_link_offers(chat, sessionmaker):
    await report(chat, ZHANG, "环境污染", "化工厂排污，再不管就去上访", anonymous=True)
    await report(chat, LI, "环境污染", "河水发黑", anonymous=True)
    await report(chat, MING, "环境污染", "鱼都死了", anonymous=True)
    await chat.say(WU, "/risks")
    risks = chat.last(WU).text
    await chat.press(WANG, "并单")

    seen = " ".join(chat.texts(WU) + chat.texts(WANG))
    async with sessionmaker() as s:
        linked = (await s.scalars(select(Case.linked_to_id).order_by(Case.id))).all()
    assert "风险预警" in chat.find(WU, contains="上访").text
    assert "2026-000001" in risks and "含危险词" in risks and "多人反映同一事项" in risks
    assert "7 天内石桥村有 3 位村民反映" in chat.find(WANG, contains="可并单办理").text
    assert not any(name in seen for name in ("张大爷", "李大妈", "王小明"))
    assert linked == [None, 1, 1]
    assert "🔴" in chat.find(WANG, contains="化工厂排污").text
    assert chat.refusals() == [] and chat.unanswered() == []


async def test_a_repeat_report_shows_on_the_owners_card(chat):
    await report(chat, ZHANG, "环境污染", "村口垃圾没人清")
    await report_more(chat, ZHANG, "环境污染", "垃圾还是没人清")

    assert "30天内重复反映" in chat.find(WANG, contains="垃圾还是没人清").text


@pytest.mark.parametrize(("recent", "forms"), [
    ([r(1, 2, 1), r(2, 3, 2)], True),  # the third villager
    ([r(1, 2, 1), r(2, 3, 2), r(3, 4, 3)], False),  # already a cluster before
    ([r(1, 2, 1), r(2, 1, 2)], False),  # the reporter was one of the two already
])
def test_only_the_report_that_makes_the_cluster_forms_it(recent, forms):
    assert assess(NEW, "河水发臭", [], recent, DEFAULT_DANGER_WORDS).forms_cluster is forms


async def test_a_fourth_report_of_a_cluster_is_flagged_without_a_second_alert_or_offer(session, config, people,
                                                                                       clock):
    others = [await villager(session, "赵四", "3010", "sq01", clock())]
    for person in people + others:
        last = await file(session, config, person, "environment", "河水发臭", clock.advance(hours=1))

    assert last.risk_flags == ["cluster"]
    assert len(await notices(session, "cluster_offer")) == 1
    assert len(await notices(session, "risk_alert")) == 1
