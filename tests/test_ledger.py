"""The ledger workbook read back with openpyxl: headers, rows, a known row, what it must never show."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from services.ledger import days_late, write_ledger
from services.ledger_book import ExcelClock
from services.metrics import Cut, Scope, compute, compute_by, scope_for
from tests.conftest import START
from tests.supervision_builders import KNOWN_SET, PERIOD, Spec, add_cases, person_named, township_id

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



def local(days: float, hours: float = 0, tz: ZoneInfo = TZ) -> datetime:
    """START moved by days and hours, on the local clock as the sheet shows it."""
    return (START + timedelta(days=days, hours=hours)).astimezone(tz).replace(tzinfo=None)


# The county's ledger of the known set, every row and column as read back (case 8 is the inspector's).
COUNTY_LEDGER = [
    ("2026-000001", "村级", "石桥镇", "石桥村", "环境污染", "诉求纠纷", "王建国", local(-20), local(-20, 2),
     local(-13), "已销号", "解决到位", local(-17), "满意", 0),
    ("2026-000002", "村级", "石桥镇", "石桥村", "环境污染", "诉求纠纷", "王建国", local(-20), local(-20, 30),
     local(-13), "已销号", "解释到位", local(-11), "基本满意", 2),
    ("2026-000003", "村级", "石桥镇", "石桥村", "山林土地流转纠纷", "诉求纠纷", "孙丽", local(-20), local(-20, 1),
     local(-13), "已销号", "依法查处", local(-15), None, 0),
    ("2026-000004", "村级", "石桥镇", "柳树村", "产权纠纷", "诉求纠纷", "李秀英", local(-20), local(-20, 3),
     local(-13), "已销号", "解释到位", local(-18), "满意", 0),
    ("2026-000005", "村级", "清河乡", "清河村", "生产生活困难", "办实事", "赵志强", local(-20), local(-20, 10),
     local(-13), "已销号", "帮扶到位", local(-14), "满意", 0),
    ("2026-000006", "村级", "清河乡", "清河村", "社会治安", "诉求纠纷", "赵志强", local(-20), None,
     local(-13), "待受理", None, None, None, 13),
    ("2026-000007", "村级", "清河乡", "桃园村", "环境污染", "诉求纠纷", "赵志强", local(-3), local(-3, 5),
     local(4), "办理中", None, None, "不满意", 0),
    ("2026-000009", "村级", "石桥镇", "柳树村", "环境污染", "诉求纠纷", "李秀英", local(-40), None,
     local(-33), "办理中", None, None, None, 33),
    ("2026-000010", "村级", "石桥镇", "石桥村", "环境污染", "诉求纠纷", "王建国", local(0), None,
     local(7), "待受理", None, None, None, 0),
]
DATES = (7, 8, 9, 12)


def kind_of(value) -> str:
    """Name what a cell holds as a reader sees it; Excel keeps every number as a float."""
    if value is None:
        return "blank"
    if isinstance(value, datetime):
        return "date"
    return "number" if isinstance(value, (int, float)) else type(value).__name__


async def test_the_county_ledger_reads_back_cell_by_cell(session, known):
    count, book = await export(session, Scope())

    rows = rows_of(book)[1:]
    assert count == len(COUNTY_LEDGER)
    assert rows == COUNTY_LEDGER
    assert [[kind_of(v) for v in row] for row in rows] == [[kind_of(v) for v in row] for row in COUNTY_LEDGER]


async def test_times_are_dates_with_minutes_and_the_header_is_styled(session, known):
    _count, book = await export(session, Scope())

    sheet = book["台账"]
    formats = {sheet.cell(row=2, column=col + 1).number_format for col in DATES}
    assert formats == {"yyyy-mm-dd hh:mm"}
    assert sheet["K2"].number_format == "General" and sheet["O2"].number_format == "General"
    header = sheet["H1"]
    assert header.font.b and header.fill.fgColor.rgb == "FFDDEBF7" and header.alignment.horizontal == "center"


@pytest.mark.parametrize(("zone", "created"), [
    ("Asia/Shanghai", datetime(2026, 11, 10, 10, 0)),
    ("America/New_York", datetime(2026, 11, 9, 21, 0)),  # EST: summer time ended on 1 November
    ("Europe/London", datetime(2026, 11, 10, 2, 0)),
])
async def test_times_are_on_the_clock_of_the_configured_zone(session, known, zone, created):
    buffer = io.BytesIO()
    await write_ledger(session, buffer, scope=Scope(), period=None, now=START, tz=ZoneInfo(zone))

    row = next(r for r in rows_of(load_workbook(buffer)) if r[0] == "2026-000001")
    assert row[7:10] == (created, created + timedelta(hours=2), created + timedelta(days=7))


# The summary of PERIOD: 乡镇, 受理, six rates, 办结, 评价, 当前超期; townships by name, then the total.
PERIOD_SUMMARY = [
    ("清河乡", 3, 2 / 3, 1 / 3, 1.0, 1.0, 1 / 2, "—", 1, 2, 1),
    ("石桥镇", 4, 3 / 4, 1.0, 3 / 4, 1 / 4, 1.0, 1 / 2, 4, 3, 1),
    ("合计", 7, 5 / 7, 5 / 7, 4 / 5, 2 / 5, 4 / 5, 1 / 2, 5, 5, 2),
]


async def test_the_summary_reads_back_row_by_row_with_percentages_and_dashes(session, known):
    _count, book = await export(session, Scope(), PERIOD)

    sheet = book["汇总"]
    for got, expected in zip(rows_of(book, "汇总")[1:], PERIOD_SUMMARY, strict=True):
        assert [v if isinstance(v, str) else pytest.approx(v) for v in expected] == list(got)
    assert {sheet.cell(row=r, column=c).number_format for r in (2, 3, 4) for c in range(3, 9)} - {"General"} \
        == {"0.0%"}
    assert sheet["H2"].value == "—" and sheet["H2"].number_format == "General"
    assert sheet["B2"].number_format == "General"
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:K3"


@pytest.mark.parametrize("period", [PERIOD, None], ids=["period", "every case"])
async def test_the_summary_total_is_what_the_metrics_count(session, known, period):
    _count, book = await export(session, Scope(), period)

    span = period or type(PERIOD)(datetime(1970, 1, 1, tzinfo=timezone.utc), START)
    total = await compute(session, span, START, Scope())
    units = await compute_by(session, span, START, Cut.township, Scope())
    summary = rows_of(book, "汇总")[1:]
    assert summary[-1][0] == "合计" and summary[-1][1] == total.received and summary[-1][8:] == (
        total.closed, total.rated, total.overdue)
    assert [row[:2] for row in summary[:-1]] == [(u.name, u.metrics.received) for u in units]


async def test_an_empty_ledger_has_a_total_of_zeros_and_dashes(session, county):
    _count, book = await export(session, Scope())

    assert rows_of(book, "汇总")[1:] == [("合计", 0, "—", "—", "—", "—", "—", "—", 0, 0, 0)]
    assert book["台账"].auto_filter.ref == "A1:O1" and book["汇总"].auto_filter.ref == "A1:K1"


async def test_a_township_ledger_has_exactly_its_rows_and_its_summary(session, known):
    town = await township_id(session, "清河乡")

    count, book = await export(session, Scope(township_id=town))

    assert count == 3
    assert rows_of(book)[1:] == [row for row in COUNTY_LEDGER if row[2] == "清河乡"]
    assert [row[0] for row in rows_of(book, "汇总")[1:]] == ["清河乡", "合计"]


async def test_an_inspectors_ledger_reads_back_its_one_case(session, known):
    inspector = await person_named(session, "郑纪检")

    _count, book = await export(session, scope_for(inspector))

    assert rows_of(book)[1:] == [
        ("2026-000008", "村级", "石桥镇", "石桥村", "干部作风", "诉求纠纷", "郑纪检", local(-20), local(-20, 1),
         local(-5), "已销号", "解决到位", local(-16), "满意", 0)]
    assert rows_of(book, "汇总")[-1][:2] == ("合计", 1)


async def test_text_that_looks_like_a_formula_stays_text(session, county, sessionmaker):
    await add_cases(sessionmaker, [Spec("sq01", "王建国")])
    async with sessionmaker() as s:
        owner = await person_named(s, "王建国")
        owner.name = "=HYPERLINK(\"http://x\")"
        await s.commit()

    _count, book = await export(session, Scope())

    assert rows_of(book)[1][6] == "=HYPERLINK(\"http://x\")" and book["台账"]["G2"].data_type == "s"


async def test_a_contact_a_microsecond_before_the_minute_reads_back_on_the_minute(session, county, sessionmaker):
    await add_cases(sessionmaker, [Spec("sq01", "王建国", contact=timedelta(hours=2, microseconds=-1))])

    _count, book = await export(session, Scope())

    assert rows_of(book)[1][8] == local(-20, 2)


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York", "Europe/Dublin", "Australia/Lord_Howe",
                                  "Asia/Kathmandu", "Pacific/Chatham", "UTC"])
@pytest.mark.parametrize("day", [datetime(2026, 3, 8), datetime(2026, 3, 29), datetime(2026, 4, 5),
                                 datetime(2026, 9, 27), datetime(2026, 10, 4), datetime(2026, 10, 25),
                                 datetime(2026, 11, 1)])
def test_the_excel_clock_agrees_with_the_zone_minute_by_minute_through_a_transition_day(zone, day):
    tz, clock = ZoneInfo(zone), ExcelClock(ZoneInfo(zone))
    moments = [day - timedelta(hours=14) + timedelta(minutes=m, seconds=7) for m in range(0, 40 * 60, 1)]

    serials = [clock.serial(m) for m in moments]

    expected = [(m.replace(tzinfo=timezone.utc).astimezone(tz).replace(tzinfo=None) - datetime(1899, 12, 30))
                / timedelta(days=1) for m in moments]
    assert serials == expected


def test_the_excel_clock_leaves_a_blank_blank():
    assert ExcelClock(TZ).serial(None) is None
