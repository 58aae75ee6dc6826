"""The campaign's tools in the reports: the ledger's 走访, 风险研判 and 调解 sheets, the briefing, the jobs."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from models import Household, OutboxMessage
from models.enums import MediationOutcome, VisitKind
from scheduler.context import JobContext
from scheduler.jobs import remind_pair_visits
from services.briefing import Briefing, build_briefing
from services.diary import Visit, record_visit
from services.ledger import write_ledger
from services.mediation import MediationRecord, record_mediation
from services.metrics import Scope
from services.periods import last_full_week
from tests.campaign_support import file, staff, villager
from bot.i18n import make_i18n
from bot.texts_supervision import briefing_text


@pytest.fixture
async def activity(session, config, county, clock):
    """A visit, a flagged case and a recorded mediation, in the week before Monday 7 December."""
    wang, sun = await staff(session, "王建国"), await staff(session, "孙丽")
    yang = await session.scalar(select(Household).where(Household.head == "杨老三"))
    await record_visit(session, cadre=wang, now=clock(), visit=Visit(
        VisitKind.policy, notes="讲解低保政策", household_id=yang.id))
    zhang = await villager(session, "张大爷", "3001", "sq01", clock())
    await file(session, config, zhang, "security", "有人扬言要打架", clock(), anonymous=True)
    dispute = await file(session, config, zhang, "land", "承包地被占", clock())
    await record_mediation(session, case_id=dispute.id, actor=sun, now=clock(), tz=config.tz, record=MediationRecord(
        parties="张大爷、李四", held_on=clock().date(), place="村委会", outcome=MediationOutcome.success,
        agreement_text="退还承包地"))
    return wang


async def sheets(session, clock, config, scope=Scope()):
    buffer = io.BytesIO()
    await write_ledger(session, buffer, scope=scope, period=None, now=clock(), tz=config.tz)
    book = load_workbook(buffer)
    return {name: [[c.value for c in row] for row in book[name].iter_rows()] for name in book.sheetnames}


async def test_the_ledger_has_a_visits_sheet_without_phones_or_kinds(session, activity, clock, config):
    book = await sheets(session, clock, config)

    visits = book["走访"]
    assert visits[0] == ["走访日期", "乡镇", "村", "干部", "农户", "走访内容"]
    assert visits[1][1:] == ["石桥镇", "石桥村", "王建国", "杨老三", "访政策落实"]
    assert not any("139" in str(cell) or "受过处理" in str(cell) for row in visits for cell in row)


async def test_the_ledger_lists_flagged_cases_and_mediations_without_names(session, activity, clock, config):
    book = await sheets(session, clock, config)

    assert book["风险研判"][1][:6] == ["2026-000001", "石桥镇", "石桥村", "社会治安", "含危险词", "紧急"]
    assert book["调解"][1][:7] == ["2026-000002", "石桥镇", "石桥村", "山林土地流转纠纷", "2026-11-30", "村委会",
                                 "调解成功"]
    assert not any("张大爷" in str(cell) or "李四" in str(cell)
                   for name in ("风险研判", "调解", "台账") for row in book[name] for cell in row)


async def test_an_inspectors_ledger_has_no_visits(session, activity, clock, config):
    book = await sheets(session, clock, config, Scope(confidential=True))

    assert book["走访"] == [["走访日期", "乡镇", "村", "干部", "农户", "走访内容"]]


async def test_the_briefing_counts_warnings_visits_and_names_who_is_behind_on_pair_visits(session, activity, clock,
                                                                                           config):
    monday = clock() + timedelta(days=7)
    briefing = await build_briefing(session, monday, config.tz, Scope(), pair_every=timedelta(days=5))

    again = Briefing.from_payload(briefing.to_payload())
    i18n = make_i18n()
    with i18n.context(), i18n.use_locale("zh_CN"):
        text = briefing_text(again, config.tz)
    assert last_full_week(monday, config.tz).start <= clock()
    assert again.risks == {"flagged": 1, "by_flag": {"repeat": 0, "cluster": 0, "danger": 1},
                           "open": ["2026-000001"]}
    assert again.visits == [{"cadre": "王建国", "visits": 1, "households": 1}]
    assert {"cadre": "李秀英", "households": 2} in again.pair_behind
    assert "本周预警 1 件" in text and "王建国：走访 1 次，1 户" in text and "李秀英：2 户未按时走访" in text


async def test_the_pair_visit_job_queues_once_however_often_it_runs(sessionmaker, county, config, clock):
    ctx = JobContext(sessionmaker, config, lambda: clock() + timedelta(days=31))

    first, second = await remind_pair_visits(ctx), await remind_pair_visits(ctx)

    async with sessionmaker() as s:
        keys = (await s.scalars(select(OutboxMessage.key))).all()
    assert (first, second) == (7, 0)
    assert len(keys) == len(set(keys)) == 7


async def test_stats_in_chat_ends_with_the_visits_per_cadre(sessionmaker, session, activity, clock, config):
    from tests.harness import Harness

    chat = Harness(sessionmaker, clock, config)
    wu = Harness.person(2301, "吴督查")
    clock.advance(hours=1)  # the last 30 days up to now: the visit, an hour ago, is in them
    await chat.say(wu, "/stats")

    text = chat.find(wu, contains="办理情况").text
    assert "民情日记</b>：1 名干部共走访 1 次" in text and "王建国：走访 1 次，1 户" in text


async def test_the_operators_stats_print_the_visits_as_json(session, activity, config, tmp_path, capsys, clock,
                                                            monkeypatch):
    import argparse
    import json

    from bot import commands_supervision

    monkeypatch.setattr(commands_supervision, "datetime", _Frozen(clock() + timedelta(hours=1)))
    args = argparse.Namespace(start=None, end=None, township=None, json=True, command="stats")

    await commands_supervision.stats(session, args, _Settings(config), Scope())

    assert json.loads(capsys.readouterr().out)["visits"] == [{"cadre": "王建国", "visits": 1, "households": 1}]


class _Frozen:
    """Stands in for datetime in the command module: now() is the test clock."""

    def __init__(self, now):
        self._now = now

    def now(self, tz=None):
        return self._now


class _Settings:
    def __init__(self, config):
        self.tz, self.timezone = config.tz, "Asia/Shanghai"
