"""Whatever a person sends gets a clear answer, changes nothing it should not, and crashes nothing."""
from __future__ import annotations

import pytest
from aiogram.types import Update
from sqlalchemy import func, select

from bot.keyboards import CaseCb
from models import Case, CaseMessage, ProcessedUpdate
from tests.harness import Harness
from tests.test_case_loop import LI, SUN, WANG, ZHANG, report


async def count(sessionmaker, model) -> int:
    async with sessionmaker() as s:
        return await s.scalar(select(func.count()).select_from(model))


async def start_describing(chat: Harness, user) -> None:
    await chat.say(user, "/start")
    await chat.press(user, "石桥镇")
    await chat.press(user, "石桥村")
    await chat.say(user, "/new")
    await chat.press(user, "环境污染")


@pytest.mark.parametrize(("sent", "answer"), [
    ({"text": "   "}, "内容是空的"),
    ({"sticker": True}, "不能添加"),
    ({"text": "/weather"}, "正在填写反映"),
])
async def test_unusable_description_gets_a_clear_answer_and_is_not_kept(chat, sent, answer):
    await start_describing(chat, ZHANG)
    await chat.say(ZHANG, **sent)
    await chat.press(ZHANG, "下一步")

    assert answer in chat.texts(ZHANG)[-2]
    assert "请先说说情况" in chat.last(ZHANG).text


async def test_five_thousand_characters_are_relayed_in_pieces_telegram_accepts(chat):
    long_text = "水" * 5000
    await report(chat, ZHANG, "环境污染", "短描述")
    await chat.say(ZHANG, long_text, reply_to=chat.find(ZHANG, contains="案件编号"))
    await chat.say(ZHANG, "补充", reply_to=chat.find(ZHANG, contains="案件编号"))

    relayed = [t for t in chat.texts(WANG) if "水水水" in t]
    assert len(relayed) == 2 and sum(t.count("水") for t in relayed) == 5000
    assert chat.refusals() == []


async def test_html_characters_in_user_text_are_escaped(chat):
    await report(chat, ZHANG, "环境污染", "<b>工厂</b> & 河 < 3 米")

    card = [c for c in chat.fake.calls if c.params.get("chat_id") == WANG.id][0]
    assert "&lt;b&gt;工厂&lt;/b&gt; &amp; 河 &lt; 3 米" in card.params["text"]
    assert chat.refusals() == []


async def test_sticker_outside_a_step_gets_a_clear_answer(chat):
    await chat.say(ZHANG, "/start v_sq01")
    await chat.say(ZHANG, sticker=True)

    assert "不能使用贴图" in chat.last(ZHANG).text


async def test_unknown_command_gets_a_clear_answer(chat):
    await chat.say(ZHANG, "/foo")

    assert "不认识这个命令" in chat.last(ZHANG).text


async def test_forged_rating_on_someone_elses_case_is_refused_and_changes_nothing(chat, sessionmaker):
    await report(chat, ZHANG, "环境污染", "河水发黑")
    await chat.say(LI, "/start v_sq01")
    forged = CaseCb(action="rate", case_id=1, arg="satisfied").pack()

    await chat.press(LI, "", message=chat.last(LI), data=forged)

    assert "没有找到这个案件" in chat.alerts()[-1]
    async with sessionmaker() as s:
        assert (await s.get(Case, 1)).status == "assigned"


@pytest.mark.parametrize(("action", "arg"), [("acc", ""), ("res", ""), ("esc", ""), ("tr", ""), ("to", "5")])
async def test_cadre_who_does_not_own_the_case_cannot_act_on_it(chat, sessionmaker, action, arg):
    await report(chat, ZHANG, "环境污染", "河水发黑")
    await chat.say(SUN, "/start")
    forged = CaseCb(action=action, case_id=1, arg=arg).pack()

    await chat.press(SUN, "", message=chat.last(SUN), data=forged)

    assert chat.alerts()[-1] in ("您无权进行此操作。", "没有找到这个案件。")
    async with sessionmaker() as s:
        case = await s.get(Case, 1)
    assert case.owner_id != 5 and case.status == "assigned"


async def test_garbage_button_data_is_answered_as_stale(chat):
    await chat.say(ZHANG, "/start v_sq01")

    await chat.press(ZHANG, "", message=chat.last(ZHANG), data="c:zz:notanumber")

    assert "按钮已失效" in chat.alerts()[-1]
    assert chat.unanswered() == []


async def test_villager_cannot_reply_into_a_case_by_replying_to_someone_elses_message(chat, sessionmaker):
    await report(chat, ZHANG, "环境污染", "河水发黑")
    await chat.say(LI, "/start v_sq01")
    card_for_wang = chat.find(WANG, contains="河水发黑")

    await chat.say(LI, "我也来说两句", reply_to=card_for_wang)

    async with sessionmaker() as s:
        words = (await s.scalars(select(CaseMessage.text))).all()
    assert "我也来说两句" not in words


async def test_the_same_update_delivered_twice_is_handled_once(chat, sessionmaker):
    await chat.say(ZHANG, "/start v_sq01")
    update = Update(update_id=999, message=chat._message(ZHANG, text="/mycases"))

    await chat.feed(update)
    await chat.feed(update)

    assert sum("还没有反映过" in t for t in chat.texts(ZHANG)) == 1
    assert await count(sessionmaker, ProcessedUpdate) >= 2


async def test_a_half_done_report_survives_a_restart(sessionmaker, clock, config, county):
    before = Harness(sessionmaker, clock, config)
    await start_describing(before, ZHANG)
    await before.say(ZHANG, "重启前写的")

    after = Harness(sessionmaker, clock, config)  # a new dispatcher: the bot restarted
    await after.press(ZHANG, "下一步", message=before.last(ZHANG))
    await after.press(ZHANG, "显示我的名字")
    await after.press(ZHANG, "提交")

    async with sessionmaker() as s:
        case = await s.scalar(select(Case))
    assert case is not None and case.summary == "重启前写的"


async def test_loose_text_from_a_villager_with_an_open_case_can_be_added_to_it(chat, sessionmaker):
    await report(chat, ZHANG, "环境污染", "河水发黑")
    await chat.say(ZHANG, "今天更严重了")
    await chat.press(ZHANG, "补充到 2026-000001")

    assert "今天更严重了" in chat.find(WANG, contains="今天更严重了").text


async def test_loose_text_from_a_new_villager_starts_a_report_with_it(chat, sessionmaker):
    await chat.say(ZHANG, "/start v_sq01")
    await chat.say(ZHANG, "我家房子漏雨")
    await chat.press(ZHANG, "生产生活困难")
    await chat.press(ZHANG, "下一步")
    await chat.press(ZHANG, "显示我的名字")
    await chat.press(ZHANG, "提交")

    async with sessionmaker() as s:
        case = await s.scalar(select(Case))
    assert case.summary == "我家房子漏雨" and case.kind == "request"


async def test_staff_text_that_replies_to_nothing_is_told_how_to_answer(chat):
    await chat.say(WANG, "在吗")

    assert "回复（引用）案件卡片" in chat.last(WANG).text


async def test_a_cadre_binds_their_account_with_the_invitation_once(sessionmaker, clock, config):
    from pathlib import Path

    from services.directory import import_directory, read_directory

    async with sessionmaker() as s:
        report = await import_directory(s, read_directory(Path(__file__).resolve().parent.parent / "examples" / "directory"), clock())
    token = next(t for name, _role, t in report.invitations if name == "王建国")
    chat = Harness(sessionmaker, clock, config)
    newcomer, impostor = Harness.person(9001, "王建国"), Harness.person(9002, "冒名者")

    await chat.say(newcomer, f"/start c_{token}")
    await chat.say(impostor, f"/start c_{token}")

    assert "欢迎，王建国（包村干部）" in chat.last(newcomer).text
    assert "邀请链接无效" in chat.last(impostor).text
