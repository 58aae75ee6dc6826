"""/stats, /rank and /ledger through the real dispatcher, on the hand-built cases of supervision_builders."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from bot.i18n import make_i18n
from bot.texts_supervision import rank_text
from models import Person
from services.metrics import Cut, Metrics, Unit
from services.ranking import RankWeights, rank
from tests.harness import Harness
from tests.supervision_builders import PERIOD, add_cases

WU = Harness.person(2301, "吴督查")  # county supervisor
LIU = Harness.person(2101, "刘书记")  # township leader of 石桥镇
ZHENG = Harness.person(2401, "郑纪检")  # discipline inspector
WANG = Harness.person(2001, "王建国")  # village cadre
ZHANG = Harness.person(3001, "张大爷")  # villager


@pytest.fixture
async def chat(sessionmaker, clock, config, county) -> Harness:
    await add_cases(sessionmaker)
    return Harness(sessionmaker, clock, config)


def documents(chat: Harness) -> list[dict]:
    return [c.params for c in chat.fake.calls if c.method == "sendDocument"]


@pytest.mark.parametrize(("user", "expected"), [
    (WU, ["办理情况 · 全县", "受理：7 件", "响应率：71.4%（5/7）", "按期办结率：80.0%（4/5）", "满意率：80.0%（4/5）",
          "调解率：50.0%（1/2）", "首次联系用时（中位数）：4.0 小时", "办结销号用时（中位数）：5.0 天",
          "当前超期（挂牌督办）：2 件"]),
    (LIU, ["办理情况 · 石桥镇", "受理：4 件", "办结率：100.0%（4/4）"]),
    (ZHENG, ["全县·干部作风案件", "受理：1 件"]),
])
async def test_stats_gives_each_supervising_role_the_rates_of_its_area(chat, user, expected):
    await chat.say(user, "/stats")

    text = chat.last(user).text
    assert [line for line in expected if line not in text] == []
    assert chat.refusals() == []


async def test_stats_for_a_period_without_cases_says_no_data(chat):
    await chat.say(WU, "/stats week")  # the week began this morning; nothing was received since

    text = chat.last(WU).text
    assert "受理：0 件" in text and "响应率：暂无数据（0/0）" in text


async def test_stats_with_an_unknown_period_explains_the_choices(chat):
    await chat.say(WU, "/stats fortnight")

    assert "week（本周）" in chat.last(WU).text


@pytest.mark.parametrize(("user", "hint"), [(ZHANG, "/mycases"), (WANG, "/cases")])
@pytest.mark.parametrize("command", ["/stats", "/rank", "/ledger"])
async def test_villagers_and_cadres_are_politely_refused(chat, user, hint, command):
    await chat.say(user, command)

    text = chat.last(user).text
    assert "仅供督查组和各级领导查看" in text and hint in text
    assert documents(chat) == []


async def test_rank_lists_the_townships_with_their_score_and_its_parts(chat):
    await chat.say(WU, "/rank")

    text = chat.last(WU).text
    assert "乡镇排名 · 全县" in text and "响应率×0.3 + 解决率×0.3 + 满意率×0.4" in text
    assert "1. <b>石桥镇</b> — 70.0 分" in text
    assert "响应率 75.0% · 解决率 25.0% · 满意率 100.0% · 4 件" in text


async def test_rank_by_cadre_follows_the_configured_weights(chat):
    chat.dp["rank_weights"] = RankWeights(response=0, resolution=0, satisfaction=1)

    await chat.say(WU, "/rank cadre")

    lines = [line for line in chat.last(WU).text.splitlines() if " — " in line]
    assert lines == ["1. <b>李秀英</b> — 100.0 分", "1. <b>王建国</b> — 100.0 分", "3. <b>赵志强</b> — 50.0 分",
                     "— <b>孙丽</b> — 暂无数据"]


async def test_a_township_leader_ranks_the_villages_of_the_township(chat):
    await chat.say(LIU, "/rank")

    text = chat.last(LIU).text
    assert "村排名 · 石桥镇" in text and "石桥村" in text and "柳树村" in text and "清河村" not in text


async def test_rank_with_unknown_words_shows_the_usage(chat):
    await chat.say(WU, "/rank hamlet")

    assert "用法：/rank" in chat.last(WU).text


async def test_ledger_sends_the_area_spreadsheet_without_the_inspectors_cases(chat):
    await chat.say(WU, "/ledger")

    [sent] = documents(chat)
    book = load_workbook(io.BytesIO(sent["document"].data))
    rows = list(book["台账"].iter_rows(values_only=True))
    assert sent["document"].filename.endswith(".xlsx") and "台账 · 全县 · 全部案件 · 共 9 件" in sent["caption"]
    assert len(rows) == 10 and all(row[4] != "干部作风" for row in rows)
    assert chat.refusals() == []


async def test_a_township_leaders_ledger_keeps_to_the_township(chat):
    await chat.say(LIU, "/ledger month")

    [sent] = documents(chat)
    rows = list(load_workbook(io.BytesIO(sent["document"].data))["台账"].iter_rows(values_only=True))[1:]
    assert {row[2] for row in rows} == {"石桥镇"} and len(rows) == 4


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_a_long_ranking_is_cut_to_fit_one_telegram_message(config, language):
    units = [Unit("owner", n, f"第{n}村包村干部" * 3, Metrics(received=n, responded_on_time=n, closed=n, solved=n))
             for n in range(1, 60)]
    i18n = make_i18n()

    with i18n.context(), i18n.use_locale(language):
        text = rank_text(Person(name="吴督查", role="supervisor"), Cut.owner, PERIOD, rank(units, RankWeights()),
                         RankWeights(), config.tz)

    assert len(text) < 4096 and "39" in text.splitlines()[-1]
