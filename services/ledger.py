"""The ledger (台账) as the county office expects it: one row per case, and the rates per township.

The workbook is written in openpyxl's write-only mode from a streamed query, so memory stays flat
however many cases there are. The reporter is never written: anonymous or not, the ledger is about
the handling, and a sheet that leaves the office must not name villagers.
"""
from __future__ import annotations

import asyncio
import logging
import math
from datetime import datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Case, Category, Township, Village
from models.enums import Status
from services.metrics import Cut, Metrics, Owner, Scope, apply_scope, compute, compute_by
from services.periods import Period

log = logging.getLogger(__name__)

# (header, width in characters)
COLUMNS = (
    ("编号", 14), ("层级", 8), ("乡镇", 12), ("村", 12), ("类别", 18), ("性质", 10), ("包案领导", 12),
    ("受理时间", 17), ("首次联系", 17), ("办结时限", 17), ("状态", 13), ("办理结果", 10), ("销号时间", 17),
    ("评价", 10), ("超期天数", 9),
)
SUMMARY_COLUMNS = (
    ("乡镇", 14), ("受理", 8), ("响应率", 9), ("办结率", 9), ("按期办结率", 11), ("解决率", 9), ("满意率", 9),
    ("调解率", 9), ("办结", 8), ("评价", 8), ("当前超期", 9),
)
SUMMARY_RATES = ("response_rate", "closure_rate", "on_time_rate", "resolution_rate", "satisfaction_rate",
                 "mediation_rate")
LEVELS = {"village": "村级", "township": "乡镇级", "county": "县级"}
KINDS = {"complaint": "诉求纠纷", "request": "办实事", "question": "政策咨询"}
# The bot's own words for the statuses, so the sheet and the chat agree.
STATUSES = {
    Status.submitted: "已提交", Status.assigned: "待受理", Status.in_progress: "办理中",
    Status.resolved: "已答复待评价", Status.closed: "已销号",
}
DISPOSITIONS = {
    "resolved": "解决到位", "explained": "解释到位", "assisted": "帮扶到位", "referred_to_law": "依法查处",
    "deferred": "暂缓办理",
}
RATINGS = {"satisfied": "满意", "basically": "基本满意", "unsatisfied": "不满意"}
DATE_FORMAT = "yyyy-mm-dd hh:mm"
PERCENT = "0.0%"
NO_DATA = "—"
BATCH = 1000


def days_late(due_at: datetime | None, closed_at: datetime | None, now: datetime) -> int | None:
    """Return whole days (started days count) past the deadline: until closing, or until now if open."""
    if due_at is None:
        return None
    late = ((closed_at or now) - due_at).total_seconds()
    return math.ceil(late / 86400) if late > 0 else 0


def ledger_query(scope: Scope, period: Period | None, where: tuple = ()):
    """Select the ledger's columns for the cases in scope (received in the period, if one is given).

    `where` adds conditions a scope cannot say (the dashboard's status, overdue and own-case filters).
    """
    query = (
        select(Case.number, Case.level, Township.name, Village.name, Category.name_zh, Case.kind, Owner.name,
               Case.created_at, Case.first_response_at, Case.due_at, Case.status, Case.disposition,
               Case.closed_at, Case.rating)
        .select_from(Case)
        .join(Village, Village.id == Case.village_id)
        .join(Township, Township.id == Village.township_id)
        .join(Category, Category.code == Case.category_code)
        .outerjoin(Owner, Owner.id == Case.owner_id)
        .order_by(Case.id)
    )
    query = apply_scope(query, scope)
    if period is not None:
        query = query.where(Case.created_at >= period.start, Case.created_at < period.end)
    return query.where(*where)


def _header(sheet, columns) -> None:
    """Size the columns, freeze the header and write it; write-only sheets need this before any row."""
    for index, (_title, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    cells = []
    for title, _width in columns:
        cell = WriteOnlyCell(sheet, title)
        cell.font, cell.fill, cell.alignment = bold, fill, Alignment(horizontal="center")
        cells.append(cell)
    sheet.append(cells)


def _local(sheet, moment: datetime | None, tz: ZoneInfo):
    """Return a cell with the moment in local time (Excel has no time zones), or None."""
    if moment is None:
        return None
    cell = WriteOnlyCell(sheet, moment.astimezone(tz).replace(tzinfo=None))
    cell.number_format = DATE_FORMAT
    return cell


def _append_rows(sheet, rows, now: datetime, tz: ZoneInfo) -> None:
    """Append one batch of ledger rows in Chinese words and local times."""
    for (number, level, township, village, category, kind, owner, received, contacted, due, status,
         disposition, closed, rating) in rows:
        sheet.append([
            number, LEVELS.get(level, level), township, village, category, KINDS.get(kind, kind), owner,
            _local(sheet, received, tz), _local(sheet, contacted, tz), _local(sheet, due, tz),
            STATUSES.get(status, status), DISPOSITIONS.get(disposition), _local(sheet, closed, tz),
            RATINGS.get(rating), days_late(due, closed if status == Status.closed else None, now),
        ])


async def write_ledger(session: AsyncSession, target: str | BinaryIO, *, scope: Scope, period: Period | None,
                       now: datetime, tz: ZoneInfo, where: tuple = ()) -> int:
    """Write the ledger workbook (台账 and 汇总 sheets) to a path or binary file; return the case count."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("台账")
    _header(sheet, COLUMNS)
    count = 0
    result = await session.stream(ledger_query(scope, period, where).execution_options(yield_per=BATCH))
    async for rows in result.partitions():
        # openpyxl is slow pure Python (a few thousand rows a second): each batch goes to a worker
        # thread so that a bot serving updates on this event loop keeps answering meanwhile.
        await asyncio.to_thread(_append_rows, sheet, rows, now, tz)
        count += len(rows)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{count + 1}"
    await _write_summary(session, book, scope, period, now)
    await asyncio.to_thread(book.save, target)
    log.info("ledger written: %d case(s)", count)
    return count


async def _write_summary(session: AsyncSession, book: Workbook, scope: Scope, period: Period | None,
                         now: datetime) -> None:
    """Write the rates per township and a total row (汇总)."""
    sheet = book.create_sheet("汇总")
    _header(sheet, SUMMARY_COLUMNS)
    # No period means the whole ledger: from the first case ever to now.
    span = period or Period(datetime(1970, 1, 1, tzinfo=now.tzinfo), now)
    units = await compute_by(session, span, now, Cut.township, scope)
    total = await compute(session, span, now, scope)
    for name, metrics in [(u.name, u.metrics) for u in units] + [("合计", total)]:
        sheet.append(_summary_row(sheet, name, metrics))
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(SUMMARY_COLUMNS))}{len(units) + 1}"


def _summary_row(sheet, name: str, metrics: Metrics) -> list:
    """Return one summary row: counts as numbers, rates as percentages or a dash for no data."""
    rates = []
    for rate in SUMMARY_RATES:
        value = getattr(metrics, rate)
        cell = WriteOnlyCell(sheet, NO_DATA if value is None else value)
        if value is not None:
            cell.number_format = PERCENT
        rates.append(cell)
    return [name, metrics.received, *rates, metrics.closed, metrics.rated, metrics.overdue]
