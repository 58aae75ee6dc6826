"""Abuse: the flood limit, muting (禁言) by supervisors, and the cap on a villager's open cases."""
from __future__ import annotations

import uuid

import pytest
from aiogram.types import Message
from sqlalchemy import func, select

from bot.flood import RedisGuard
from bot.keyboards import CaseCb
from bot.settings import SettingsError, load_settings
from bot.texts_abuse import ModCb
from models import Case, CaseMessage, OutboxMessage, Person, PersonEvent, ProcessedUpdate, Township
from models.enums import PersonEventKind, Role
from services.case_cap import over_cap
from services.config import ServiceConfig
from services.flood import FloodLimit, SlidingWindow, Verdict
from tests.campaign_support import file, villager
from tests.harness import Harness
from tests.test_case_loop import draft_ready_to_submit, report

ZHANG = Harness.person(3001, "张大爷")
LI = Harness.person(3002, "李大妈")
WANG = Harness.person(2001, "王建国")  # default cadre of 石桥村
LIU = Harness.person(2101, "刘书记")  # township leader of 石桥镇
HUANG = Harness.person(2201, "黄县长")  # county leader
WU = Harness.person(2301, "吴督查")  # county supervisor
QIAN = Harness.person(2302, "钱督查")  # supervisor of 清河乡, added by the tests that need her
TOO_FAST = "您发得太快了，请稍等一分钟再发"
LIMIT = FloodLimit(20, 60)


@pytest.fixture
def config() -> ServiceConfig:
    return ServiceConfig(flood_limit=LIMIT, max_open_cases=2)


async def count(sessionmaker, model) -> int:
    async with sessionmaker() as s:
        return await s.scalar(select(func.count()).select_from(model))


async def person(sessionmaker, external_id: int) -> Person:
    async with sessionmaker() as s:
        return await s.scalar(select(Person).where(Person.external_id == str(external_id)))


async def reported(chat: Harness, clock) -> Message:
    """张大爷 reports once (case 2026-000001) and the window moves past the report; return his receipt."""
    await report(chat, ZHANG, "环境污染", "河水发黑")
    clock.advance(minutes=2)
    return chat.find(ZHANG, contains="2026-000001", button=None)


def told(chat: Harness, user, words: str) -> int:
    return sum(words in text for text in chat.texts(user))


# --- the flood limit: the rule ---

@pytest.mark.parametrize(("setting", "expected"), [
    ("20/60s", FloodLimit(20, 60)),
    ("5/1m", FloodLimit(5, 60)),
    (" 100 / 2h ", FloodLimit(100, 7200)),
    ("", None),
    ("off", None),
    ("0", None),
])
def test_the_flood_limit_is_read_as_a_count_per_window(setting, expected):
    assert FloodLimit.parse(setting) == expected


@pytest.mark.parametrize("setting", ["20", "lots/60s", "20/soon", "0/60s", "20/0s"])
def test_a_flood_limit_that_cannot_be_read_stops_the_bot_with_a_line_saying_so(setting):
    with pytest.raises(SettingsError) as caught:
        load_settings(flood_limit=setting, _env_file=None)

    assert "FLOOD_LIMIT" in str(caught.value)


def test_the_settings_limit_floods_and_cap_open_cases_by_default():
    config = load_settings(_env_file=None).service_config()

    assert (config.flood_limit, config.max_open_cases) == (FloodLimit(20, 60), 5)


def test_the_window_takes_the_limit_then_answers_once_then_stays_silent():
    window = SlidingWindow(FloodLimit(3, 60))

    verdicts = [window.hit("3001", 1000.0 + i) for i in range(6)]

    assert verdicts == [Verdict.allow] * 3 + [Verdict.warn, Verdict.silent, Verdict.silent]


def test_the_window_takes_again_once_the_oldest_message_has_left_it_and_counts_each_person_apart():
    window = SlidingWindow(FloodLimit(2, 60))
    for moment in (0.0, 30.0, 31.0):
        window.hit("3001", moment)

    assert window.hit("3002", 31.0) is Verdict.allow
    assert window.hit("3001", 59.0) is Verdict.silent
    assert window.hit("3001", 60.5) is Verdict.allow  # the hit at 0 left the window
    assert window.hit("3001", 61.0) is Verdict.silent  # told at 31, less than a window ago
    assert window.hit("3001", 92.0) is Verdict.allow
    assert window.hit("3001", 93.0) is Verdict.warn  # told once more, a window later


@pytest.mark.parametrize(("open_cases", "cap", "extra", "over"), [
    (4, 5, 0, False),
    (5, 5, 0, True),
    (5, 5, 1, False),
    (6, 5, 1, True),
    (50, None, 0, False),
])
def test_the_cap_counts_the_extra_cases_a_supervisor_allowed(open_cases, cap, extra, over):
    assert over_cap(open_cases, cap, extra) is over


async def test_the_redis_window_is_shared_by_every_process_of_the_bot(redis_client):
    prefix = f"test:flood:{uuid.uuid4().hex}"
    first, second = (RedisGuard(redis_client, FloodLimit(3, 60), prefix=prefix) for _ in range(2))

    verdicts = [await first.hit("3001", 1000.0, "u1"), await second.hit("3001", 1001.0, "u2"),
                await first.hit("3001", 1002.0, "u3"), await second.hit("3001", 1003.0, "u4"),
                await first.hit("3001", 1004.0, "u5"), await second.hit("3002", 1004.0, "u6")]
    after_the_window = await second.hit("3001", 1061.0, "u7")

    assert verdicts == [Verdict.allow] * 3 + [Verdict.warn, Verdict.silent, Verdict.allow]
    assert after_the_window is Verdict.allow


async def test_the_redis_notice_is_given_once_per_period_across_processes(redis_client):
    prefix = f"test:flood:{uuid.uuid4().hex}"
    first, second = (RedisGuard(redis_client, None, prefix=prefix) for _ in range(2))

    answers = [await first.once("mute:7", 0.0, 3600), await second.once("mute:7", 10.0, 3600),
               await second.once("mute:7", 3601.0, 3600)]

    assert answers == [True, False, True]
    assert await first.hit("3001", 0.0, "u1") is Verdict.allow  # no limit set: everything passes


# --- the flood limit in chat ---

async def test_a_villager_past_the_flood_limit_is_told_once_and_nothing_of_the_rest_is_stored(chat, sessionmaker,
                                                                                                clock):
    receipt = await reported(chat, clock)
    before = (await count(sessionmaker, CaseMessage), await count(sessionmaker, OutboxMessage),
              await count(sessionmaker, ProcessedUpdate))

    for n in range(LIMIT.count + 6):
        await chat.say(ZHANG, f"补充{n}", reply_to=receipt)

    after = (await count(sessionmaker, CaseMessage), await count(sessionmaker, OutboxMessage),
             await count(sessionmaker, ProcessedUpdate))
    assert [a - b for a, b in zip(after, before)] == [LIMIT.count, LIMIT.count, LIMIT.count]
    assert told(chat, ZHANG, TOO_FAST) == 1
    assert told(chat, ZHANG, "补充20") == 0  # the 21st never reached the cadre
    assert chat.refusals() == []


async def test_the_villager_is_heard_again_once_the_window_has_passed(chat, sessionmaker, clock):
    receipt = await reported(chat, clock)
    for n in range(LIMIT.count + 2):
        await chat.say(ZHANG, f"补充{n}", reply_to=receipt)
    clock.advance(seconds=61)

    await chat.say(ZHANG, "现在可以了吗", reply_to=receipt)
    await chat.feed_nothing()

    assert any("现在可以了吗" in text for text in chat.texts(WANG))


async def test_button_presses_count_too_and_every_press_is_answered_but_only_one_says_why(chat, clock):
    await reported(chat, clock)
    await chat.say(ZHANG, "/mycases")
    listing = chat.last(ZHANG)

    for _ in range(LIMIT.count + 3):
        await chat.press(ZHANG, "2026-000001", message=listing)

    assert chat.unanswered() == []
    assert sum(TOO_FAST in alert for alert in chat.alerts()) == 1


async def test_two_processes_sharing_redis_hold_a_villager_to_one_limit(chat, sessionmaker, clock, config,
                                                                        redis_client):
    receipt = await reported(chat, clock)
    prefix = f"test:flood:{uuid.uuid4().hex}"
    first, second = (Harness(sessionmaker, clock, config, guard=RedisGuard(redis_client, LIMIT, prefix=prefix))
                     for _ in range(2))
    before = await count(sessionmaker, CaseMessage)

    for n in range(LIMIT.count // 2 + 3):
        await first.say(ZHANG, f"甲{n}", reply_to=receipt)
        await second.say(ZHANG, f"乙{n}", reply_to=receipt)

    assert await count(sessionmaker, CaseMessage) - before == LIMIT.count
    assert told(first, ZHANG, TOO_FAST) + told(second, ZHANG, TOO_FAST) == 1


async def test_staff_are_not_held_by_the_flood_limit(chat):
    for _ in range(LIMIT.count + 5):
        await chat.say(WANG, "/cases")

    assert told(chat, WANG, TOO_FAST) == 0
    assert len(chat.texts(WANG)) == LIMIT.count + 5


# --- muting ---

async def test_a_supervisor_mutes_a_villager_by_case_number_with_a_reason_logged_as_an_event(chat, sessionmaker,
                                                                                              clock):
    await reported(chat, clock)

    await chat.say(WU, "/mute 2026-000001 一天发了几百条骚扰信息")

    zhang = await person(sessionmaker, 3001)
    async with sessionmaker() as s:
        event = await s.scalar(select(PersonEvent).where(PersonEvent.person_id == zhang.id))
    assert zhang.muted_at == clock() and zhang.mute_reason == "一天发了几百条骚扰信息"
    assert (event.kind, event.note, event.actor.name, event.data["case"]) == (
        PersonEventKind.muted, "一天发了几百条骚扰信息", "吴督查", "2026-000001")
    assert "已禁言" in chat.last(WU).text


async def test_a_muted_villagers_messages_are_not_taken_and_they_are_told_once_whom_to_call(chat, sessionmaker,
                                                                                             clock):
    receipt = await reported(chat, clock)
    await chat.say(WU, "/mute 2026-000001 骚扰")
    before = (await count(sessionmaker, CaseMessage), await count(sessionmaker, OutboxMessage),
              await count(sessionmaker, ProcessedUpdate))

    await chat.say(ZHANG, "我还要说", reply_to=receipt)
    await chat.say(ZHANG, "你们怎么不理我")
    await chat.say(ZHANG, "/new")

    after = (await count(sessionmaker, CaseMessage), await count(sessionmaker, OutboxMessage),
             await count(sessionmaker, ProcessedUpdate))
    assert after == before
    notices = [text for text in chat.texts(ZHANG) if "暂停接收" in text]
    assert len(notices) == 1 and "王建国" in notices[0]


@pytest.mark.parametrize("user", [ZHANG, WANG, LIU, HUANG], ids=["villager", "cadre", "township_leader",
                                                                 "county_leader"])
async def test_only_a_supervisor_may_mute(chat, sessionmaker, clock, user):
    await reported(chat, clock)

    await chat.say(user, "/mute 2026-000001 骚扰")
    await chat.say(user, "/muted")

    assert told(chat, user, "您无权进行此操作") == 2
    assert (await person(sessionmaker, 3001)).muted_at is None


async def test_a_forged_mute_button_is_refused_for_a_cadre(chat, sessionmaker, clock):
    await reported(chat, clock)
    zhang = await person(sessionmaker, 3001)
    forged = ModCb(action="why", person_id=zhang.id, arg="flood").pack()

    await chat.press(WANG, "", message=chat.last(WANG), data=forged)

    assert any("您无权进行此操作" in alert for alert in chat.alerts())
    assert (await person(sessionmaker, 3001)).muted_at is None
    assert await count(sessionmaker, PersonEvent) == 0


async def test_a_township_supervisor_cannot_mute_a_villager_of_another_township(chat, sessionmaker, clock):
    await reported(chat, clock)
    async with sessionmaker() as s:
        qinghe = await s.scalar(select(Township).where(Township.name == "清河乡"))
        s.add(Person(name="钱督查", role=Role.supervisor, external_id=str(QIAN.id), township_id=qinghe.id,
                     created_at=clock()))
        await s.commit()

    await chat.say(QIAN, "/mute 2026-000001 骚扰")
    await chat.say(QIAN, "/mute 3001 骚扰")

    assert (await person(sessionmaker, 3001)).muted_at is None
    assert told(chat, QIAN, "没有找到") == 2


async def test_a_supervisor_mutes_by_buttons_from_the_case_card_and_the_reporter_stays_anonymous(chat, sessionmaker,
                                                                                                 clock):
    await report(chat, ZHANG, "环境污染", "河水发黑", anonymous=True)
    async with sessionmaker() as s:
        case = await s.scalar(select(Case))
    card_button = CaseCb(action="open", case_id=case.id).pack()
    await chat.press(WU, "", message=chat._message(WU, text="…"), data=card_button)

    await chat.press(WU, "反映人")
    entry = chat.last(WU).text
    await chat.press(WU, "禁言")
    await chat.press(WU, "大量刷屏")

    zhang = await person(sessionmaker, 3001)
    assert "匿名反映人" in entry and "张大爷" not in entry
    assert zhang.mute_reason == "大量刷屏"
    await chat.say(WU, "/muted")
    listing = chat.last(WU).text
    assert "2026-000001 的匿名反映人" in listing and "张大爷" not in listing


async def test_a_typed_reason_mutes_by_telegram_id(chat, sessionmaker, clock):
    await reported(chat, clock)

    await chat.say(WU, "/mute 3001")
    await chat.press(WU, "其他原因")
    await chat.say(WU, "在群里散布谣言")

    assert (await person(sessionmaker, 3001)).mute_reason == "在群里散布谣言"


async def test_the_muted_list_unmutes_with_a_button_and_the_villager_is_heard_again(chat, sessionmaker, clock):
    receipt = await reported(chat, clock)
    await chat.say(WU, "/mute 2026-000001 骚扰")
    await chat.say(WU, "/muted")

    await chat.press(WU, "解除")
    await chat.say(ZHANG, "谢谢恢复", reply_to=receipt)
    await chat.feed_nothing()

    async with sessionmaker() as s:
        kinds = (await s.scalars(select(PersonEvent.kind).order_by(PersonEvent.id))).all()
    assert (await person(sessionmaker, 3001)).muted_at is None
    assert kinds == [PersonEventKind.muted, PersonEventKind.unmuted]
    assert any("谢谢恢复" in text for text in chat.texts(WANG))
    assert any("留言恢复接收" in text for text in chat.texts(ZHANG))


async def test_a_mute_survives_a_restart(chat, sessionmaker, clock, config):
    receipt = await reported(chat, clock)
    await chat.say(WU, "/mute 2026-000001 骚扰")
    restarted = Harness(sessionmaker, clock, config)
    before = await count(sessionmaker, CaseMessage)

    await restarted.say(ZHANG, "重启以后还能发吗", reply_to=receipt)

    assert await count(sessionmaker, CaseMessage) == before
    assert any("暂停接收" in text for text in restarted.texts(ZHANG))


async def test_the_person_entry_shows_the_mute_and_its_history(chat, clock):
    await reported(chat, clock)
    await chat.say(WU, "/mute 2026-000001 骚扰")
    await chat.say(WU, "/unmute 3001 已经道歉")

    await chat.say(WU, "/person 3001")

    entry = chat.last(WU).text
    assert "禁言" in entry and "解除禁言" in entry and "已经道歉" in entry and "吴督查" in entry


# --- the cap on open cases ---

async def two_open_cases(sessionmaker, config, clock) -> None:
    async with sessionmaker() as s:
        zhang = await villager(s, "张大爷", "3001", "sq01", clock())
        await file(s, config, zhang, "environment", "河水发黑", clock())
        await file(s, config, zhang, "hazard", "桥面开裂", clock())


async def test_a_villager_at_the_cap_is_shown_their_open_cases_and_cannot_start_another(chat, sessionmaker, config,
                                                                                       clock):
    await two_open_cases(sessionmaker, config, clock)

    await chat.say(ZHANG, "/new")

    answer = chat.last(ZHANG)
    buttons = [b.text for row in answer.reply_markup.inline_keyboard for b in row]
    assert "已有 2 件" in answer.text
    assert any("2026-000001" in b for b in buttons) and any("2026-000002" in b for b in buttons)
    assert await count(sessionmaker, Case) == 2


async def test_a_draft_begun_below_the_cap_is_not_filed_past_it(chat, sessionmaker, config, clock):
    await draft_ready_to_submit(chat, ZHANG)
    await two_open_cases(sessionmaker, config, clock)

    await chat.press(ZHANG, "提交")

    assert await count(sessionmaker, Case) == 2
    assert "已有 2 件" in chat.last(ZHANG).text
    assert chat.unanswered() == []


async def test_a_supervisors_note_allows_one_more_case_logged_as_an_event(chat, sessionmaker, config, clock):
    await two_open_cases(sessionmaker, config, clock)

    await chat.say(WU, "/allow 3001 房子漏雨，急需再报一件")
    await draft_ready_to_submit(chat, ZHANG, "屋顶漏雨")
    await chat.press(ZHANG, "提交")
    await chat.say(ZHANG, "/new")

    async with sessionmaker() as s:
        event = await s.scalar(select(PersonEvent))
    assert await count(sessionmaker, Case) == 3
    assert (event.kind, event.note, event.actor.name) == (PersonEventKind.extra_case, "房子漏雨，急需再报一件", "吴督查")
    assert (await person(sessionmaker, 3001)).extra_cases == 0
    assert "已有 3 件" in chat.last(ZHANG).text  # the allowance was used


async def test_the_allow_button_asks_for_a_note(chat, sessionmaker, config, clock):
    await two_open_cases(sessionmaker, config, clock)
    await chat.say(WU, "/person 3001")

    await chat.press(WU, "允许多反映一件")
    await chat.say(WU, "村里证明情况属实")

    assert (await person(sessionmaker, 3001)).extra_cases == 1
    assert "已允许" in chat.last(WU).text


@pytest.mark.parametrize("user", [ZHANG, WANG], ids=["villager", "cadre"])
async def test_only_a_supervisor_may_allow_another_case(chat, sessionmaker, config, clock, user):
    await two_open_cases(sessionmaker, config, clock)

    await chat.say(user, "/allow 3001 帮个忙")

    assert (await person(sessionmaker, 3001)).extra_cases == 0
    assert told(chat, user, "您无权进行此操作") == 1
