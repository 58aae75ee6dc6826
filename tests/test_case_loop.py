"""The whole case loop through the dispatcher: report, card, replies, resolve, verdict, closed."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Case, CaseEvent
from tests.harness import Harness

ZHANG = Harness.person(3001, "张大爷")
WANG = Harness.person(2001, "王建国")  # default cadre of 石桥村 (sq01)


@pytest.fixture
async def chat(sessionmaker, clock, config, county) -> Harness:
    return Harness(sessionmaker, clock, config)


async def report(chat: Harness, user, category: str, text: str, anonymous: bool = False) -> None:
    await chat.say(user, "/start")
    await chat.press(user, "石桥镇")
    await chat.press(user, "石桥村")
    await chat.say(user, "/new")
    await chat.press(user, category)
    await chat.say(user, text)
    await chat.press(user, "下一步")
    await chat.press(user, "匿名" if anonymous else "显示我的名字")
    await chat.press(user, "提交")


async def test_villager_report_reaches_cadre_and_is_closed_after_satisfied_verdict(chat, sessionmaker):
    await report(chat, ZHANG, "环境污染", "村口的河被工厂排污染黑了")
    card = chat.find(WANG, contains="村口的河")
    await chat.say(WANG, "明天上午去现场查看", reply_to=card)
    relayed = chat.find(ZHANG, contains="明天上午去现场查看")
    await chat.say(ZHANG, "好的，谢谢", reply_to=relayed)
    await chat.press(WANG, "办结", message=card)
    await chat.press(WANG, "解决到位")
    await chat.say(WANG, "已责令工厂停止排污，河道已清理")
    await chat.press(ZHANG, "满意")

    async with sessionmaker() as s:
        case = await s.scalar(select(Case))
        kinds = [e.kind for e in (await s.scalars(select(CaseEvent).order_by(CaseEvent.id))).all()]
    assert case.status == "closed" and case.rating == "satisfied" and case.close_reason == "confirmed"
    assert case.first_response_at is not None
    assert kinds[:2] == ["submitted", "assigned"] and kinds[-2:] == ["rated", "closed"]
    assert "好的，谢谢" in " ".join(chat.texts(WANG))
    assert any("已销号" in t or "closed" in t for t in chat.texts(WANG))
    assert chat.refusals() == [] and chat.unanswered() == []
