"""Explainers, subscriptions and broadcasts in chat."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from models import Broadcast, Case
from scheduler.context import JobContext
from scheduler.jobs import fan_out_broadcasts
from services.policies import import_policies
from tests.harness import Harness
from tests.test_case_loop import WANG, ZHANG

CONTENT = Path(__file__).resolve().parent.parent / "content" / "policies"
WU = Harness.person(2301, "吴督查")  # county supervisor


@pytest.fixture
async def explainers(sessionmaker, clock, county):
    async with sessionmaker() as s:
        await import_policies(s, CONTENT, clock())


async def test_a_villager_reads_an_explainer_and_asks_a_question_that_reaches_the_cadre(chat, explainers,
                                                                                      sessionmaker):
    await chat.say(ZHANG, "/start v_sq01")
    await chat.say(ZHANG, "📖 惠民政策")
    await chat.press(ZHANG, "养老保险")
    await chat.press(ZHANG, "城乡居民养老保险")
    await chat.press(ZHANG, "我有疑问")
    await chat.say(ZHANG, "我父亲七十岁了还能参加吗")
    await chat.press(ZHANG, "下一步")
    await chat.press(ZHANG, "显示我的名字")
    await chat.press(ZHANG, "提交")

    async with sessionmaker() as s:
        case = await s.scalar(select(Case))
    assert "城乡居民基本养老保险" in chat.find(ZHANG, contains="样例").text
    assert case.category_code == "policy" and case.kind == "question"
    assert "《城乡居民养老保险》" in chat.find(WANG, contains="七十岁").text


async def test_a_villager_stops_routine_notices_and_is_told_urgent_ones_still_come(chat, sessionmaker):
    await chat.say(ZHANG, "/start v_sq01")
    await chat.say(ZHANG, "/settings")
    await chat.press(ZHANG, "不再接收")

    assert "紧急通知" in chat.last(ZHANG).text
    await chat.say(ZHANG, "/settings")
    assert "重新接收" in chat.last(ZHANG).reply_markup.inline_keyboard[0][0].text


async def test_a_supervisor_composes_a_broadcast_that_reaches_the_township(chat, explainers, sessionmaker, clock,
                                                                           config):
    await chat.say(ZHANG, "/start v_sq01")
    await chat.say(WU, "/broadcast")
    await chat.press(WU, "自己写")
    await chat.say(WU, "明天上午九点石桥镇停水")
    await chat.press(WU, "石桥镇")
    await chat.press(WU, "立即发送")
    await chat.press(WU, "确认")
    await fan_out_broadcasts(JobContext(sessionmaker, config, clock))
    await chat.feed_nothing()

    async with sessionmaker() as s:
        item = await s.scalar(select(Broadcast))
    assert item.audience == "township:石桥镇" and item.runs == 1
    assert "明天上午九点石桥镇停水" in chat.last(ZHANG).text


async def test_a_villager_cannot_broadcast(chat):
    await chat.say(ZHANG, "/broadcast")

    assert "只有督查组和领导" in chat.last(ZHANG).text
