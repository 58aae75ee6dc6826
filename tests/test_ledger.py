"""The ledger workbook read back with openpyxl: headers, rows, a known row, what it must never show."""
from __future__ import annotations

import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from services.ledger import days_late, write_ledger
from services.metrics import Scope, scope_for
from tests.conftest import START
from tests.supervision_builders import KNOWN_SET, PERIOD, add_cases, person_named, township_id

TZ = ZoneInfo("Asia/Shanghai")
HEADERS = ["编号", "层级", "乡镇", "村", "类别", "性质", "包案领导", "受理时间", "首次联系", "办结时限", "状态",
           "办理结果", "销号时间", "评价", "超期天数"]


@pytest.fixture
async def known(sessionmaker, county):
    return await add_cases(sessionmaker)


async def export(session, scope: Scope, period=None):
    buffer = io.BytesIO()
    count = await write_ledger(session, buffer, scope=scope, period=period, now=START, tz=TZ)
    buffer.seek(0)
    return count, load_workbook(buffer)


def rows_of(book, sheet="台账") -> list[tuple]:
    return list(book[sheet].iter_rows(values_only=True))


async def test_the_ledger_has_the_chinese_headers_frozen_and_filtered(session, known):
    _count, book = await export(session, Scope())

    sheet = book["台账"]
    assert list(rows_of(book)[0]) == HEADERS
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:O10"
    assert sheet.column_dimensions["E"].width >= 12


async def test_a_supervisors_ledger_lists_every_case_but_the_inspectors(session, known):
    count, book = await export(session, Scope())

    numbers = [row[0] for row in rows_of(book)[1:]]
    assert count == len(numbers) == len(KNOWN_SET) - 1
    assert "2026-000008" not in numbers
    assert all(row[4] != "干部作风" for row in rows_of(book)[1:])


async def test_an_inspectors_ledger_lists_only_the_cadre_conduct_cases(session, known):
    inspector = await person_named(session, "郑纪检")

    count, book = await export(session, scope_for(inspector))

    assert count == 1
    assert [row[0] for row in rows_of(book)[1:]] == ["2026-000008"]


async def test_a_period_keeps_the_cases_received_in_it(session, known):
    count, book = await export(session, Scope(), PERIOD)

    assert count == 7 and len(rows_of(book)) == 8


async def test_a_township_ledger_keeps_that_township(session, known):
    town = await township_id(session, "清河乡")

    _count, book = await export(session, Scope(township_id=town))

    assert {row[2] for row in rows_of(book)[1:]} == {"清河乡"}


async def test_a_known_case_reads_back_in_local_time_with_chinese_words(session, known):
    _count, book = await export(session, Scope())

    row = next(r for r in rows_of(book) if r[0] == "2026-000001")
    created = (START - timedelta(days=20)).astimezone(TZ).replace(tzinfo=None)
    assert row == ("2026-000001", "村级", "石桥镇", "石桥村", "环境污染", "诉求纠纷", "王建国", created,
                   created + timedelta(hours=2), created + timedelta(days=7), "已销号", "解决到位",
                   created + timedelta(days=3), "满意", 0)


@pytest.mark.parametrize(("number", "late"), [
    ("2026-000001", 0),  # closed on day 3 of 7
    ("2026-000002", 2),  # closed on day 9 of 7
    ("2026-000006", 13),  # open, 20 days old, 7 days to settle
    ("2026-000007", 0),  # open, deadline still ahead
])
async def test_days_late_count_to_closing_or_to_now(session, known, number, late):
    _count, book = await export(session, Scope())

    row = next(r for r in rows_of(book) if r[0] == number)
    assert row[14] == late


async def test_no_reporter_name_is_ever_written(session, known):
    _count, book = await export(session, Scope())

    cells = [str(v) for name in book.sheetnames for row in rows_of(book, name) for v in row if v is not None]
    assert not any(name in cell for cell in cells for name in ("张大爷", "李大妈"))


async def test_the_summary_sheet_gives_the_rates_per_township_and_in_total(session, known):
    _count, book = await export(session, Scope(), PERIOD)

    summary = {row[0]: row for row in rows_of(book, "汇总")[1:]}
    assert rows_of(book, "汇总")[0][:3] == ("乡镇", "受理", "响应率")
    assert set(summary) == {"石桥镇", "清河乡", "合计"}
    assert summary["合计"][1:4] == (7, pytest.approx(5 / 7), pytest.approx(5 / 7))
    assert summary["清河乡"][7] == "—"  # no dispute closed there: no mediation rate
    assert book["汇总"]["C2"].number_format == "0.0%"


async def test_an_empty_ledger_still_has_its_headers_and_a_total(session, county):
    count, book = await export(session, Scope())

    assert count == 0
    assert list(rows_of(book)[0]) == HEADERS and len(rows_of(book)) == 1
    assert [row[0] for row in rows_of(book, "汇总")[1:]] == ["合计"]


async def test_the_ledger_can_be_written_to_a_file(session, known, tmp_path):
    path = tmp_path / "台账.xlsx"

    count = await write_ledger(session, str(path), scope=Scope(), period=None, now=START, tz=TZ)

    assert count == len(rows_of(load_workbook(path))) - 1


@pytest.mark.parametrize(("due", "closed", "expected"), [
    (None, None, None),
    (START, START - timedelta(hours=1), 0),
    (START, START + timedelta(minutes=1), 1),  # a started day counts
    (START, START + timedelta(days=2), 2),
    (START - timedelta(days=3, hours=1), None, 4),  # open: counted to now
])
def test_days_late_counts_started_days(due, closed, expected):
    assert days_late(due, closed, START) == expected

