"""The team on a case (一支队伍): helpers added by the owner only, what they may do, notes kept from the villager."""
from __future__ import annotations

import pytest

from models import Case
from models.enums import EventKind, MessageKind
from models import queries as q
from services.conversation import add_message
from services.errors import CaseNotFound, NotAllowed
from services.handling import accept_case, escalate_case, resolve_case, transfer_case
from services.intake import Part
from services.team import add_helper, add_note, candidates, remove_helper
from services.views import open_cases_of_owner, timeline
from tests.campaign_support import file, notices, staff, villager
from tests.harness import Harness
from tests.test_case_loop import report

ZHANG = Harness.person(3001, "张大爷")
WANG = Harness.person(2001, "王建国")
SUN = Harness.person(2004, "孙丽")
LI = Harness.person(2002, "李秀英")


@pytest.fixture
async def case(session, config, county, clock) -> Case:
    zhang = await villager(session, "张大爷", "3001", "sq01", clock())
    return await file(session, config, zhang, "environment", "河水发臭", clock(), anonymous=True)


async def test_the_candidates_are_staff_of_the_township_and_county_leaders(session, case):
    wang = await staff(session, "王建国")

    _case, pool = await candidates(session, case_id=case.id, actor=wang)

    assert sorted(p.name for p in pool) == ["刘书记", "孙丽", "李秀英", "黄县长"]


async def test_an_added_helper_gets_the_card_and_the_case_in_their_list(session, case, clock):
    wang, sun = await staff(session, "王建国"), await staff(session, "孙丽")

    await add_helper(session, case_id=case.id, actor=wang, person_id=sun.id, now=clock())

    card = (await notices(session, "case_card"))[-1]
    assert (card[0], card[2]["reason"]) == ("孙丽", "helper")
    assert [c.number for c in await open_cases_of_owner(session, sun)] == [case.number]
    assert (await q.events_of(session, case.id))[-1].kind == EventKind.helper_added


@pytest.mark.parametrize("who", ["孙丽", "刘书记", "吴督查"])
async def test_only_the_owner_changes_the_team(session, case, clock, who):
    li = await staff(session, "李秀英")

    with pytest.raises((NotAllowed, CaseNotFound)):
        await add_helper(session, case_id=case.id, actor=await staff(session, who), person_id=li.id, now=clock())

    assert await q.helper_ids(session, case.id) == set()


async def test_someone_outside_the_township_cannot_be_added(session, case, clock):
    zhao = await staff(session, "赵志强")  # a cadre of 清河乡

    with pytest.raises(NotAllowed):
        await add_helper(session, case_id=case.id, actor=case.owner, person_id=zhao.id, now=clock())


@pytest.fixture
async def helped(session, case, clock) -> Case:
    await add_helper(session, case_id=case.id, actor=case.owner, person_id=(await staff(session, "孙丽")).id,
                     now=clock())
    return case


async def test_a_helper_answers_the_villager_and_the_villager_answers_the_team(session, helped, clock):
    sun = await staff(session, "孙丽")
    zhang = helped.reporter

    await add_message(session, case_id=helped.id, author=sun, part=Part(MessageKind.text, text="我下午去看"),
                      now=clock())
    await add_message(session, case_id=helped.id, author=zhang, part=Part(MessageKind.text, text="好的"), now=clock())

    relays = [who for who, _k, _p in await notices(session, "relay")]
    assert relays == ["张大爷", "王建国", "孙丽"]
    assert helped.first_response_at == clock()


@pytest.mark.parametrize("act", ["accept", "resolve", "escalate", "transfer"])
async def test_a_helper_cannot_resolve_escalate_or_transfer(session, config, helped, clock, act):
    sun, li = await staff(session, "孙丽"), await staff(session, "李秀英")
    calls = {
        "accept": lambda: accept_case(session, case_id=helped.id, actor=sun, now=clock()),
        "resolve": lambda: resolve_case(session, config, case_id=helped.id, actor=sun, disposition="resolved",
                                        note="好了", now=clock()),
        "escalate": lambda: escalate_case(session, config, case_id=helped.id, actor=sun, reason="难", now=clock()),
        "transfer": lambda: transfer_case(session, case_id=helped.id, actor=sun, to_person_id=li.id, reason="转",
                                          now=clock()),
    }

    with pytest.raises(NotAllowed):
        await calls[act]()


async def test_a_note_stays_in_the_staff_timeline_and_reaches_the_rest_of_the_team_only(session, helped, clock):
    sun = await staff(session, "孙丽")

    await add_note(session, case_id=helped.id, actor=sun, text="工厂老板是村长亲戚，注意回避", now=clock())

    team_notes = [who for who, _k, _p in await notices(session, "team_note")]
    _case, events = await timeline(session, helped.id, helped.reporter)
    assert team_notes == ["王建国"]
    assert [e.note for e in events if e.kind == EventKind.note] == ["工厂老板是村长亲戚，注意回避"]
    assert all(who != "张大爷" for who, _k, p in await notices(session) if "村长亲戚" in str(p))


async def test_a_removed_helper_is_told_and_loses_the_case(session, helped, clock):
    sun = await staff(session, "孙丽")

    await remove_helper(session, case_id=helped.id, actor=helped.owner, person_id=sun.id, now=clock())

    assert (await notices(session))[-1][:2] == ("孙丽", "team_removed")
    assert await open_cases_of_owner(session, sun) == []
    with pytest.raises(CaseNotFound):
        await add_note(session, case_id=helped.id, actor=sun, text="还想帮忙", now=clock())


async def test_the_owner_builds_the_team_in_chat_and_the_helper_answers_from_the_card(chat, sessionmaker):
    await report(chat, ZHANG, "环境污染", "养猪场的粪水流进田里", anonymous=True)
    await chat.press(WANG, "队伍")
    await chat.press(WANG, "添加队员")
    await chat.press(WANG, "孙丽")

    card = chat.find(SUN, contains="您已加入本案办理队伍")
    await chat.say(SUN, "明天上午到现场", reply_to=card)
    await chat.press(SUN, "办理记录", message=card)
    timeline_text = chat.last(SUN).text
    await chat.say(SUN, "/cases")

    assert "养猪场的粪水" in card.text and "匿名群众" in card.text and "张大爷" not in card.text
    assert [b.text for row in card.reply_markup.inline_keyboard for b in row] == ["📝 备注", "🕘 办理记录"]
    assert "明天上午到现场" in chat.find(ZHANG, contains="明天上午到现场").text
    assert "加入队伍：孙丽" in timeline_text and "张大爷" not in timeline_text
    assert "2026-000001" in chat.last(SUN).text
    assert chat.refusals() == [] and chat.unanswered() == []


async def test_a_helper_adds_a_note_in_chat_that_the_villager_never_sees(chat):
    await report(chat, ZHANG, "环境污染", "河里有死鱼")
    await chat.press(WANG, "队伍")
    await chat.press(WANG, "添加队员")
    await chat.press(WANG, "孙丽")
    await chat.press(SUN, "备注")
    await chat.say(SUN, "已联系环保站取样")
    await chat.say(ZHANG, "/mycases")
    await chat.press(ZHANG, "2026-000001")

    assert "已联系环保站取样" in chat.find(WANG, contains="的备注").text
    assert all("环保站" not in t for t in chat.texts(ZHANG))
    assert "备注" not in chat.last(ZHANG).text


async def test_a_reporter_forging_the_timeline_button_never_sees_the_teams_notes(chat):
    await report(chat, ZHANG, "环境污染", "河里有死鱼")
    await chat.press(WANG, "备注")
    await chat.say(WANG, "上游化工厂老板是村长亲戚")

    await chat.press(ZHANG, "", message=chat.last(ZHANG), data="c:tl:1:")

    assert "村长亲戚" not in chat.last(ZHANG).text and "河里有死鱼" in chat.last(ZHANG).text
