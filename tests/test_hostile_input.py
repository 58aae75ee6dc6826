"""Regressions found by hostile input: groups, forged buttons, vanished messages, bot accounts, odd text."""
from __future__ import annotations

import logging

import pytest
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import SendMessage
from aiogram.types import Chat, InaccessibleMessage, Update, User
from sqlalchemy import func, select

from bot.keyboards import CaseCb
from models import Case, CaseMessage, Person
from tests.harness import UPDATE_IDS, Harness
from tests.test_case_loop import LI, TOM, WANG, ZHANG, draft_ready_to_submit, report

GROUP = Chat(id=-1001234567890, type="supergroup", title="石桥村群")
ANONYMOUS_ADMIN = User(id=1087968824, is_bot=True, first_name="Group", username="GroupAnonymousBot")
PRIVATE_ONLY = "私聊"
INVALID = "这个按钮已失效"


def group_texts(chat: Harness) -> list[str]:
    return [m.text or "" for m in chat.fake.chats.get(GROUP.id, [])]


def group_calls(chat: Harness) -> list:
    return [c for c in chat.fake.calls if c.params.get("chat_id") == GROUP.id]


async def count(sessionmaker, model) -> int:
    async with sessionmaker() as s:
        return await s.scalar(select(func.count()).select_from(model))


async def press_raw(chat: Harness, user: User, data: str, message=None) -> None:
    """Press a button with forged data on `message` (the user's last message by default)."""
    await chat.press(user, "", message=message or chat.last(user), data=data)


def no_errors_logged(caplog) -> bool:
    return not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("command", ["/mycases@massline_demo_bot", "/mycases", "/cases@massline_demo_bot",
                                     "/start", "/new", "/stats@massline_demo_bot"])
async def test_a_command_in_a_group_gets_one_line_and_no_case_data(chat, command):
    await report(chat, ZHANG, "环境污染", "村口的河被工厂排污染黑了")

    await chat.say(ZHANG, command, chat=GROUP)

    sent = group_texts(chat)
    assert len(sent) == 1 and PRIVATE_ONLY in sent[0]
    assert "2026-" not in sent[0] and "排污" not in sent[0]
    assert all("reply_markup" not in c.params for c in group_calls(chat))


async def test_a_reply_to_the_bot_in_a_group_shows_no_cases_of_anyone(chat):
    await report(chat, ZHANG, "环境污染", "村口的河被工厂排污染黑了")
    bot_message = chat.find(ZHANG, contains="案件编号").model_copy(update={"chat": GROUP})

    await chat.say(ZHANG, "还没修好", reply_to=bot_message, chat=GROUP)

    sent = group_texts(chat)
    assert len(sent) == 1 and PRIVATE_ONLY in sent[0]
    assert not any("排污" in t or "2026-" in t for t in sent)


async def test_plain_chatter_in_a_group_is_ignored_and_makes_nobody_a_villager(chat, sessionmaker):
    people_before = await count(sessionmaker, Person)

    await chat.say(LI, "大家好", chat=GROUP)

    assert group_texts(chat) == []
    assert await count(sessionmaker, Person) == people_before


async def test_a_case_button_pressed_in_a_group_is_refused_without_posting_the_card(chat):
    await report(chat, ZHANG, "环境污染", "村口的河被工厂排污染黑了", anonymous=False)
    card = chat.find(WANG, contains="村口的河").model_copy(update={"chat": GROUP})
    calls_before = len(chat.fake.calls)

    await press_raw(chat, WANG, CaseCb(action="open", case_id=1).pack(), message=card)

    assert PRIVATE_ONLY in chat.alerts()[-1]
    assert [c.method for c in chat.fake.calls[calls_before:]] == ["answerCallbackQuery"]


async def test_a_command_from_an_anonymous_group_admin_gets_one_line_and_nothing_crashes(chat, caplog):
    await chat.say(ANONYMOUS_ADMIN, "/stats@massline_demo_bot", chat=GROUP)

    sent = group_texts(chat)
    assert len(sent) == 1 and PRIVATE_ONLY in sent[0]
    assert no_errors_logged(caplog)


@pytest.mark.parametrize("data", [
    "p:town:²", "p:town:99999999999999999999", "p:town:-1", "p:town:٣",
    "c:rev:1:²", "c:to:1:²", "c:to:1:99999999999999999999", "c:extd:1:²", "c:extd:1:99999999999999999999",
    "c:open:99999999999999999999:", "c:open:²:", "c:open:0:", "c:tl:-5:", "c:rate:1:²",
    "pol:topic::99999999999999999999", "pol:topic::²", "c:open:1", "x", "c:::",
])
async def test_forged_button_data_is_answered_as_no_longer_valid(chat, caplog, data):
    await report(chat, ZHANG, "环境污染", "村口的河被工厂排污染黑了")

    await press_raw(chat, WANG, data)

    assert INVALID in chat.alerts()[-1] or "没有找到这个案件" in chat.alerts()[-1]
    assert no_errors_logged(caplog)
    assert chat.unanswered() == []


def inaccessible(user: User) -> InaccessibleMessage:
    return InaccessibleMessage(chat=Chat(id=user.id, type="private"), message_id=1)


async def test_submit_pressed_on_an_inaccessible_message_files_once_and_says_so(chat, sessionmaker, caplog):
    await draft_ready_to_submit(chat, ZHANG)
    submit = chat.find(ZHANG, button="提交")
    data = chat.button_data(submit, "提交")

    await press_raw(chat, ZHANG, data, message=inaccessible(ZHANG))
    await press_raw(chat, ZHANG, data, message=inaccessible(ZHANG))

    assert await count(sessionmaker, Case) == 1
    assert "案件编号" in chat.find(ZHANG, contains="案件编号").text
    assert not any("系统出了点问题" in t for t in chat.texts(ZHANG) + chat.alerts())
    assert no_errors_logged(caplog)


async def test_a_category_pressed_on_an_inaccessible_message_asks_for_the_description_anew(chat, caplog):
    await chat.say(ZHANG, "/start v_sq01")
    await chat.say(ZHANG, "/new")
    menu = chat.find(ZHANG, button="环境污染")
    data = chat.button_data(menu, "环境污染")

    await press_raw(chat, ZHANG, data, message=inaccessible(ZHANG))

    assert "请说说情况" in chat.last(ZHANG).text
    assert no_errors_logged(caplog)


async def test_a_receipt_that_fails_to_send_after_filing_reports_no_failure_and_files_once(chat, sessionmaker):
    await draft_ready_to_submit(chat, ZHANG)
    submit = chat.find(ZHANG, button="提交")
    chat.fake.fail_on = {"sendMessage": TelegramNetworkError(method=SendMessage(chat_id=1, text="x"),
                                                               message="down")}

    await chat.press(ZHANG, "提交", message=submit)
    chat.fake.fail_on = {}
    await chat.press(ZHANG, "提交", message=submit)

    assert await count(sessionmaker, Case) == 1
    assert not any("系统出了点问题" in t for t in chat.texts(ZHANG) + chat.alerts())


async def test_a_draft_submitted_twice_files_one_case(chat, sessionmaker, config, clock):
    from services.intake import Part, submit_case
    from models.enums import MessageKind

    await chat.say(ZHANG, "/start v_sq01")
    async with sessionmaker() as s:
        person = await s.scalar(select(Person).where(Person.external_id == str(ZHANG.id)))
        first = await submit_case(s, config, reporter=person, category_code="environment",
                                  parts=[Part(MessageKind.text, text="河水发黑")], anonymous=False, now=clock(),
                                  draft_key="draft-1")
        again = await submit_case(s, config, reporter=person, category_code="environment",
                                  parts=[Part(MessageKind.text, text="河水发黑")], anonymous=False, now=clock(),
                                  draft_key="draft-1")

    assert first.id == again.id
    assert await count(sessionmaker, Case) == 1


async def test_a_command_in_the_result_step_is_not_sent_to_the_villager(chat, sessionmaker):
    await report(chat, ZHANG, "环境污染", "河水发黑")
    card = chat.find(WANG, contains="河水发黑")
    await chat.press(WANG, "办结", message=card)
    await chat.press(WANG, "解决到位")

    await chat.say(WANG, "/foo")

    assert "命令" in chat.last(WANG).text
    async with sessionmaker() as s:
        case = await s.scalar(select(Case))
    assert case.status != "resolved"
    assert not any("/foo" in t for t in chat.texts(ZHANG))


@pytest.mark.parametrize("text", ["\u200b\u200b\u200b", "\u200d", "\u2060\ufeff", " \u200b \n\t", "\u3164",
                                  "\x00\x01"])
async def test_an_invisible_description_is_refused(chat, sessionmaker, text):
    await chat.say(ZHANG, "/start v_sq01")
    await chat.say(ZHANG, "/new")
    await chat.press(ZHANG, "环境污染")

    await chat.say(ZHANG, text)
    await chat.press(ZHANG, "下一步")

    assert "内容是空的" in chat.texts(ZHANG)[-2]
    assert "请先说说情况" in chat.last(ZHANG).text


async def test_a_nul_character_in_a_reply_is_dropped_and_the_rest_is_kept(chat, sessionmaker):
    await report(chat, ZHANG, "环境污染", "河水发黑")

    await chat.say(ZHANG, "补充\x00说明", reply_to=chat.find(ZHANG, contains="案件编号"))

    async with sessionmaker() as s:
        texts = (await s.scalars(select(CaseMessage.text))).all()
    assert "补充说明" in texts


async def test_an_english_reader_sees_ascii_brackets_around_a_role(chat):
    await chat.say(TOM, "/start v_sq01")
    await chat.say(TOM, "/new")
    await chat.press(TOM, "Environmental pollution")
    await chat.say(TOM, "The river is black")
    await chat.press(TOM, "Next")
    await chat.press(TOM, "Show my name")

    await chat.press(TOM, "Submit")

    receipt = chat.find(TOM, contains="case number")

    assert "（" not in receipt.text and "(village cadre)" in receipt.text


async def test_a_supervised_case_shows_its_timeline(chat, clock):
    from scheduler.context import JobContext
    from scheduler.jobs import sweep_deadlines

    await report(chat, ZHANG, "环境污染", "河水发黑")
    clock.advance(days=8)
    await sweep_deadlines(JobContext(chat.sender.sessionmaker, chat.config, clock))
    card = chat.find(WANG, button="办理记录")

    await chat.press(WANG, "办理记录", message=card)

    assert "挂牌督办" in chat.last(WANG).text or "督办" in chat.last(WANG).text


async def test_an_anonymous_reporters_messages_stay_anonymous_in_the_staff_timeline(chat):
    await report(chat, ZHANG, "环境污染", "河水发黑", anonymous=True)
    receipt = chat.find(ZHANG, contains="案件编号")
    await chat.say(ZHANG, "又黑了", reply_to=receipt)
    card = chat.find(WANG, button="办理记录")

    await chat.press(WANG, "办理记录", message=card)

    assert "张大爷" not in chat.last(WANG).text


def member_update(user: User, old: str, new: str) -> Update:
    """Telegram's my_chat_member update: the person changed the bot's standing in their private chat."""
    def member(status: str) -> dict:
        return {"status": status, "user": {"id": 7000000001, "is_bot": True, "first_name": "bot"},
                **({"until_date": 0} if status == "kicked" else {})}
    return Update.model_validate({"update_id": next(UPDATE_IDS), "my_chat_member": {
        "chat": {"id": user.id, "type": "private"}, "from": user.model_dump(by_alias=True, exclude_none=True),
        "date": 0, "old_chat_member": member(old), "new_chat_member": member(new)}})


async def unreachable_at(sessionmaker, user: User):
    async with sessionmaker() as s:
        return await s.scalar(select(Person.unreachable_at).where(Person.external_id == str(user.id)))


async def test_a_person_who_blocks_the_bot_is_marked_unreachable_and_reachable_again_after_unblocking(
        chat, sessionmaker, clock):
    await chat.say(ZHANG, "/start v_sq01")
    calls_before = len(chat.fake.calls)

    await chat.feed(member_update(ZHANG, "member", "kicked"))
    blocked = await unreachable_at(sessionmaker, ZHANG)
    await chat.feed(member_update(ZHANG, "kicked", "member"))

    assert blocked == clock()
    assert await unreachable_at(sessionmaker, ZHANG) is None
    assert len(chat.fake.calls) == calls_before  # nothing is sent to a person who blocked the bot


async def test_an_edited_message_is_answered_that_edits_are_not_taken_and_the_draft_keeps_the_original(
        chat, sessionmaker):
    await chat.say(ZHANG, "/start v_sq01")
    await chat.say(ZHANG, "/new")
    await chat.press(ZHANG, "环境污染")
    await chat.say(ZHANG, "河水发黑")
    edited = chat._message(ZHANG, text="河水发红", edit_date=1)

    await chat.feed(Update(update_id=next(UPDATE_IDS), edited_message=edited))

    assert "改过的消息我看不到" in chat.last(ZHANG).text
    await chat.press(ZHANG, "下一步", message=chat.find(ZHANG, button="下一步"))
    await chat.press(ZHANG, "显示我的名字")
    assert "河水发黑" in chat.last(ZHANG).text and "河水发红" not in chat.last(ZHANG).text


async def test_an_edit_in_a_group_gets_no_answer(chat):
    edited = chat._message(ZHANG, chat=GROUP, text="/new", edit_date=1)

    await chat.feed(Update(update_id=next(UPDATE_IDS), edited_message=edited))

    assert group_calls(chat) == [] and chat.fake.calls == []


async def test_a_command_naming_the_bot_works_like_the_bare_command(chat):
    await chat.say(ZHANG, "/start v_sq01")

    await chat.say(ZHANG, "/new@massline_demo_bot")

    assert chat.find(ZHANG, button="环境污染")


def test_the_bot_asks_telegram_for_edits_and_for_blocks():
    from bot.commands import ALLOWED_UPDATES

    assert {"message", "callback_query", "edited_message", "my_chat_member"} <= set(ALLOWED_UPDATES)


async def test_a_stranger_named_in_html_reports_and_the_card_shows_the_name_escaped(chat):
    stranger = User(id=3999, is_bot=False, first_name=("<b>&amp;<script>" * 8)[:64],
                    last_name=("</i>" * 16), language_code="zh-hans")

    await report(chat, stranger, "环境污染", "河水发黑")

    card = chat.find(WANG, contains="河水发黑").text
    assert "&lt;b&gt;&amp;amp;&lt;script&gt;" in card
    assert chat.refusals() == []


def test_a_broadcast_text_is_measured_as_telegram_counts_it():
    from services.broadcasts import MAX_TEXT, check_text
    from services.errors import InvalidInput

    with pytest.raises(InvalidInput):
        check_text("😀" * (MAX_TEXT // 2 + 1))  # fewer characters than the limit, but twice the UTF-16 units

    assert check_text("😀" * (MAX_TEXT // 2)) == "😀" * (MAX_TEXT // 2)


async def test_a_long_emoji_reply_is_relayed_in_pieces_telegram_accepts(chat):
    await report(chat, ZHANG, "环境污染", "短描述")

    await chat.say(ZHANG, "😀" * 5000, reply_to=chat.find(ZHANG, contains="案件编号"))

    relayed = [t for t in chat.texts(WANG) if "😀😀😀" in t]
    assert len(relayed) >= 3 and sum(t.count("😀") for t in relayed) == 5000
    assert chat.refusals() == []
