"""The diary (民情日记), households of the five kinds and pairing (结对帮扶): services, import, reminders, chat."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import Case, DiaryEntry, Household, OutboxMessage, Person
from models.enums import HOUSEHOLD_CHANNEL, HouseholdKind, VisitKind
from services.diary import Visit, open_case_for_visit, record_visit, visits_of
from services.diary_stats import visits_per_cadre
from services.directory import import_directory
from services.errors import DirectoryError, InvalidInput, NotAllowed
from services.households import households_for, parse_kinds, visible_kinds
from services.metrics import Scope
from services.pairing import behind_on_visits, periods_overdue, queue_pair_reminders
from services.periods import Period
from tests.campaign_support import notices, staff
from tests.harness import Harness

WANG = Harness.person(2001, "王建国")
WU = Harness.person(2301, "吴督查")
EVERY = timedelta(days=30)


async def household(session, head: str) -> Household:
    return await session.scalar(select(Household).where(Household.head == head))


@pytest.mark.parametrize(("text", "expected"), [
    ("poor;relocated", [HouseholdKind.poor, HouseholdKind.relocated]),
    ("受过处理；对政策有疑议的人", [HouseholdKind.sanctioned, HouseholdKind.policy_doubt]),
    ("有威信的人、有威信", [HouseholdKind.influential]),
    ("", []),
])
def test_the_five_kinds_are_read_as_codes_or_chinese_names(text, expected):
    assert parse_kinds(text) == expected


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        parse_kinds("poor;rich")


@pytest.mark.parametrize(("viewer", "sees_sanctioned"), [
    ("王建国", True),  # the paired cadre
    ("吴督查", True),  # the county's supervisor
    ("孙丽", False),  # another cadre of the same village
    ("刘书记", False),  # the township leader
    ("赵志强", False),
])
async def test_once_sanctioned_is_shown_only_to_the_paired_cadre_and_supervisors(session, county, viewer,
                                                                                   sees_sanctioned):
    yang = await household(session, "杨老三")

    kinds = visible_kinds(yang, await staff(session, viewer))

    assert (HouseholdKind.sanctioned in kinds) is sees_sanctioned
    assert HouseholdKind.policy_doubt in kinds


async def test_the_demo_households_are_imported_with_their_pairing(session, county, clock):
    rows = (await session.scalars(select(Household).order_by(Household.id))).all()

    assert len(rows) == 7
    assert {h.head: h.paired_cadre.name for h in rows}["何春花"] == "赵志强"
    assert all(h.paired_at == clock() for h in rows)


@pytest.mark.parametrize(("row", "problem"), [
    ({"village": "xx99", "head": "甲"}, "unknown village"),
    ({"village": "sq01", "head": "甲", "kinds": "rich"}, "unknown kind"),
    ({"village": "sq01", "head": "甲", "paired_cadre": "没这人"}, "no staff member is named"),
    ({"village": "sq01", "head": "甲", "paired_cadre": "999"}, "no staff member has telegram_id"),
    ({"village": "sq01", "head": ""}, "village and head are required"),
    ({"village": "sq01", "head": "甲", "telegram_id": "2001"}, "belongs to a staff member"),
])
async def test_a_bad_household_row_is_reported_and_nothing_is_applied(session, county, clock, row, problem):
    before = await session.scalar(select(func.count(Household.id)))

    with pytest.raises(DirectoryError) as raised:
        await import_directory(session, {"households": [(2, row)]}, clock())

    await session.rollback()
    assert problem in raised.value.problems[0] and "households row 2" in raised.value.problems[0]
    assert await session.scalar(select(func.count(Household.id))) == before


async def test_reimporting_a_household_updates_it_and_a_new_pairing_restarts_its_clock(session, county, clock):
    row = {"village": "sq01", "head": "陈德福", "phone": "13900000011", "kinds": "poor", "paired_cadre": "孙丽"}

    await import_directory(session, {"households": [(2, row)]}, clock.advance(days=3))

    chen = await household(session, "陈德福")
    assert (chen.kinds, chen.paired_cadre.name, chen.paired_at) == (["poor"], "孙丽", clock())
    assert await session.scalar(select(func.count(Household.id))) == 7


async def test_a_household_with_its_own_account_reports_as_itself(session, county, clock):
    row = {"village": "sq02", "head": "马大叔", "kinds": "poor", "paired_cadre": "2002", "telegram_id": "3100"}

    await import_directory(session, {"households": [(2, row)]}, clock())

    ma = await household(session, "马大叔")
    person = await session.get(Person, ma.person_id)
    assert (person.external_id, person.role, person.village_id) == ("3100", "villager", ma.village_id)


async def test_households_to_visit_list_the_cadres_paired_ones_first(session, county, clock):
    sun = await staff(session, "孙丽")
    await import_directory(session, {"households": [(2, {"village": "sq01", "head": "杨老三", "phone": "13900000013",
                                                          "kinds": "sanctioned", "paired_cadre": "孙丽"})]}, clock())

    heads = [h.head for h in await households_for(session, sun)]

    assert heads[0] == "杨老三" and sorted(heads[1:]) == sorted(["刘桂兰", "陈德福"])


async def test_a_visit_is_logged_and_listed(session, county, clock):
    wang, chen = await staff(session, "王建国"), await household(session, "陈德福")

    entry = await record_visit(session, cadre=wang, now=clock(), visit=Visit(
        VisitKind.production, notes="茶叶销路不好", photos=("p1",), latitude=30.1, longitude=120.2,
        household_id=chen.id))

    assert [e.id for e in await visits_of(session, wang)] == [entry.id]
    assert (entry.village_id, entry.kind, entry.photos) == (chen.village_id, "production", ["p1"])


@pytest.mark.parametrize(("visit", "error"), [
    (Visit(VisitKind.life, notes=" "), InvalidInput),
    (Visit(VisitKind.life, notes="好", household_name="外村人", village_id=None), NotAllowed),
])
async def test_an_empty_visit_or_one_outside_the_cadres_villages_is_refused(session, county, clock, visit, error):
    with pytest.raises(error):
        await record_visit(session, cadre=await staff(session, "王建国"), visit=visit, now=clock())


async def test_a_visit_opens_a_case_for_a_household_without_an_account(session, config, county, clock):
    li, zhou = await staff(session, "李秀英"), await household(session, "周大山")
    entry = await record_visit(session, cadre=li, now=clock(), visit=Visit(
        VisitKind.life, notes="拆迁过渡费停发三个月了，家里没钱租房", household_id=zhou.id))

    case = await open_case_for_visit(session, config, cadre=li, entry_id=entry.id, category_code="demolition",
                                     anonymous=False, now=clock())

    reporter = await session.get(Person, case.reporter_id)
    assert (reporter.name, reporter.channel, reporter.external_id) == ("周大山", HOUSEHOLD_CHANNEL, None)
    assert (await household(session, "周大山")).person_id == reporter.id
    assert entry.case_id == case.id and case.owner.name == "李秀英"
    assert await session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.person_id == reporter.id)) == 0


async def test_the_cadre_who_reports_for_a_household_joins_the_team_of_a_case_they_do_not_own(
        session, config, county, clock):
    wang, chen = await staff(session, "王建国"), await household(session, "陈德福")
    entry = await record_visit(session, cadre=wang, now=clock(), visit=Visit(
        VisitKind.life, notes="邻居占了我家的承包地", household_id=chen.id))

    case = await open_case_for_visit(session, config, cadre=wang, entry_id=entry.id, category_code="land",
                                     anonymous=True, now=clock())
    again = await open_case_for_visit(session, config, cadre=wang, entry_id=entry.id, category_code="land",
                                      anonymous=True, now=clock())

    assert case.owner.name == "孙丽" and again.id == case.id
    assert [who for who, kind, _p in await notices(session, "case_card")] == ["孙丽"]


async def test_visits_per_cadre_count_visits_and_households(session, county, clock):
    wang = await staff(session, "王建国")
    for head in ("陈德福", "陈德福", "刘桂兰"):
        await record_visit(session, cadre=wang, now=clock.advance(hours=1), visit=Visit(
            VisitKind.life, notes="看望", household_id=(await household(session, head)).id))
    await record_visit(session, cadre=wang, now=clock.advance(hours=1), visit=Visit(
        VisitKind.policy, notes="讲政策", household_name="外来户老马", village_id=(await household(session, "陈德福")).village_id))

    counts = await visits_per_cadre(session, Period(clock() - timedelta(days=1), clock() + timedelta(hours=1)),
                                    Scope())

    assert [(c.cadre, c.visits, c.households) for c in counts] == [("王建国", 4, 3)]
    assert await visits_per_cadre(session, Period(clock() - timedelta(days=1), clock()), Scope(confidential=True)) == []


@pytest.mark.parametrize(("days", "expected"), [(0, 0), (29.9, 0), (30, 1), (59, 1), (60, 2)])
def test_a_household_is_overdue_one_period_per_every_without_a_visit(clock, days, expected):
    assert periods_overdue(clock(), EVERY, clock() + timedelta(days=days)) == expected


async def test_pair_reminders_come_once_per_household_and_period(session, county, clock):
    await record_visit(session, cadre=await staff(session, "王建国"), now=clock.advance(days=10), visit=Visit(
        VisitKind.life, notes="看望", household_id=(await household(session, "陈德福")).id))

    first = await queue_pair_reminders(session, EVERY, clock.advance(days=21))  # day 31 since pairing
    again = await queue_pair_reminders(session, EVERY, clock.advance(hours=5))
    later = await queue_pair_reminders(session, EVERY, clock.advance(days=30))  # a period on

    reminded = sorted(p["household_id"] for _w, _k, p in await notices(session, "pair_visit_due"))
    assert (first, again) == (6, 0)  # seven paired households, one visited on day 10
    assert later == 7
    assert len(reminded) == 13


async def test_the_cadres_behind_on_visits_are_named(session, county, clock):
    rows = await behind_on_visits(session, EVERY, clock() + timedelta(days=31))

    assert rows == [{"cadre": "王建国", "households": 3}, {"cadre": "李秀英", "households": 2},
                    {"cadre": "赵志强", "households": 2}]


async def test_a_pair_reminder_names_no_sanctioned_kind_to_a_cadre_not_paired_and_offers_a_visit(chat, sessionmaker,
                                                                                                clock):
    async with sessionmaker() as s:
        await queue_pair_reminders(s, EVERY, clock.advance(days=31))
    await chat.feed_nothing()

    reminder = chat.find(WANG, contains="杨老三")
    assert "受过处理的人" in reminder.text and "对政策有疑议的人" in reminder.text
    assert "记一次走访" in reminder.reply_markup.inline_keyboard[0][0].text


async def test_a_visit_is_logged_in_a_few_taps_and_reported_for_the_household(chat, sessionmaker):
    await chat.say(WANG, "/diary")
    await chat.press(WANG, "记一次走访")
    await chat.press(WANG, "刘桂兰")
    await chat.press(WANG, "访生活状况")
    await chat.say(WANG, "老伴住院花了好几万，家里拿不出钱")
    await chat.say(WANG, photo="visit-photo")
    await chat.say(WANG, location=(30.2, 120.1))
    await chat.press(WANG, "完成")
    await chat.press(WANG, "代为反映")
    categories = chat.last(WANG)
    await chat.press(WANG, "生产生活困难")
    await chat.press(WANG, "告知户主姓名")
    await chat.say(WANG, "/diary")

    async with sessionmaker() as s:
        entry = await s.scalar(select(DiaryEntry))
        case = await s.scalar(select(Case))
        reporter = await s.get(Person, case.reporter_id)
    assert (entry.kind, entry.photos, entry.latitude) == ("life", ["visit-photo"], 30.2)
    assert entry.case_id == case.id and reporter.name == "刘桂兰"
    assert categories.reply_markup.inline_keyboard[0][0].text == "💡生产生活困难"
    assert "刘桂兰" in chat.find(WANG, contains="新案件").text
    assert "刘桂兰 · 访生活状况 · 📝" in chat.last(WANG).text
    assert chat.refusals() == [] and chat.unanswered() == []


async def test_another_cadre_sees_no_sanctioned_kind_when_choosing_the_household(chat):
    sun = Harness.person(2004, "孙丽")
    await chat.say(sun, "/diary")
    await chat.press(sun, "记一次走访")
    await chat.press(sun, "杨老三")

    assert "对政策有疑议的人" in chat.last(sun).text and "受过处理" not in chat.last(sun).text


async def test_a_villager_is_told_the_diary_is_for_cadres(chat):
    zhang = Harness.person(3001, "张大爷")
    await chat.say(zhang, "/diary")

    assert "民情日记是干部用的" in chat.last(zhang).text
