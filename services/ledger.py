"""The ledger (台账) as the county office expects it: one row per case, and the rates per township.

The rows are streamed from a Core query of only the columns the sheet shows and written batch by
batch into a constant-memory workbook (services.ledger_book), so memory stays flat however many
cases there are. The reporter is never written: anonymous or not, the ledger is about the
handling, and a sheet that leaves the office must not name villagers.
"""
from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import fields
from datetime import datetime, timezone
from typing import BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from models import Case, Category, Township, Village
from models.enums import Status
from services.ledger_book import Book, ExcelClock, Sheet
from services.metrics import Cut, Metrics, Owner, Scope, Unit, apply_scope, compute_by
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
COUNTS = [f.name for f in fields(Metrics) if not f.name.startswith("median_")]
SUMMARY_RATES = ("response_rate", "closure_rate", "on_time_rate", "resolution_rate", "satisfaction_rate",
                 "mediation_rate")
LEVELS = {"village": "村级", "township": "乡镇级", "county": "县级"}
KINDS = {"complaint": "诉求纠纷", "request": "办实事", "question": "政策咨询"}
# The bot's own words for the statuses, so the sheet and the chat agree.
STATUSES = {
    Status.submitted: "已提交", Status.assigned: "待受理", Status.in_progress: "办理中",
    Status.resolved: "已答复待评价", Status.awaiting_signoff: "待督查销号", Status.closed: "已销号",
}
DISPOSITIONS = {
    "resolved": "解决到位", "explained": "解释到位", "assisted": "帮扶到位", "referred_to_law": "依法查处",
    "deferred": "暂缓办理",
}
RATINGS = {"satisfied": "满意", "basically": "基本满意", "unsatisfied": "不满意"}
DATE_FORMAT = "yyyy-mm-dd hh:mm"
DATE_COLUMNS = (7, 8, 9, 12)  # 受理时间, 首次联系, 办结时限, 销号时间
PERCENT = "0.0%"
RATE_COLUMNS = (2, 3, 4, 5, 6, 7)
NO_DATA = "—"
BATCH = 2000


def days_late(due_at: datetime | None, closed_at: datetime | None, now: datetime) -> int | None:
    """Return whole days (started days count) past the deadline: until closing, or until now if open."""
    if due_at is None:
        return None
    late = ((closed_at or now) - due_at).total_seconds()
    return math.ceil(late / 86400) if late > 0 else 0


def _naive(column):
    """Read a UTCDateTime column as the naive UTC it is stored as, skipping the per-value tz wrapping."""
    return type_coerce(column, DateTime())


def ledger_query(scope: Scope, period: Period | None, where: tuple = ()):
    """Select the ledger's columns for the cases in scope (received in the period, if one is given).

    `where` adds conditions a scope cannot say (the dashboard's status, overdue and own-case filters).
    """
    query = (
        select(Case.number, Case.level, Township.name, Village.name, Category.name_zh, Case.kind, Owner.name,
               _naive(Case.created_at), _naive(Case.first_response_at), _naive(Case.due_at), Case.status,
               Case.disposition, _naive(Case.closed_at), Case.rating)
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


def _append_rows(sheet: Sheet, rows, clock: ExcelClock, now: datetime) -> None:
    """Append one batch of ledger rows in Chinese words and local times (naive UTC in, `now` too)."""
    serial = clock.serial
    sheet.extend([
        [number, LEVELS.get(level, level), township, village, category, KINDS.get(kind, kind), owner,
         serial(received), serial(contacted), serial(due), STATUSES.get(status, status), DISPOSITIONS.get(disposition),
         serial(closed), RATINGS.get(rating), days_late(due, closed if status == Status.closed else None, now)]
        for (number, level, township, village, category, kind, owner, received, contacted, due, status,
             disposition, closed, rating) in rows
    ])


async def _batches(session: AsyncSession, query):
    """Yield the rows in batches as the database hands them over, Core rows rather than ORM ones."""
    connection = await session.connection()
    if connection.dialect.supports_server_side_cursors:
        result = await connection.stream(query, execution_options={"yield_per": BATCH})
        async for rows in result.partitions():
            yield rows
    else:
        # SQLite runs in place (models/sqlite_inline.py) and has no server-side cursors; its own
        # cursor steps through the rows only as they are fetched.
        result = await connection.execute(query)
        for rows in result.partitions(BATCH):
            yield rows


async def write_ledger(session: AsyncSession, target: str | BinaryIO, *, scope: Scope, period: Period | None,
                       now: datetime, tz: ZoneInfo, where: tuple = ()) -> int:
    """Write the ledger workbook (台账, 汇总, then 走访, 风险研判, 调解) to a path or binary file; return the count.

    `where` narrows the 台账 rows further (the dashboard's filters).
    """
    book = Book()
    sheet = book.sheet("台账", COLUMNS, column_formats=dict.fromkeys(DATE_COLUMNS, DATE_FORMAT))
    clock, now_utc = ExcelClock(tz), now.astimezone(timezone.utc).replace(tzinfo=None)
    async for rows in _batches(session, ledger_query(scope, period, where)):
        # Making cells is most of the Python work: a worker thread does it and the write, so a bot
        # serving updates on this event loop keeps answering meanwhile.
        await asyncio.to_thread(_append_rows, sheet, rows, clock, now_utc)
    sheet.filter(sheet.rows)
    await _write_summary(session, book, scope, period, now)
    await write_campaign_sheets(session, book, scope=scope, period=period, now=now, tz=tz)
    await asyncio.to_thread(book.save, target)
    log.info("ledger written: %d case(s)", sheet.rows)
    return sheet.rows


async def _write_summary(session: AsyncSession, book: Book, scope: Scope, period: Period | None,
                         now: datetime) -> None:
    """Write the rates per township and a total row (汇总)."""
    sheet = book.sheet("汇总", SUMMARY_COLUMNS, cell_formats=dict.fromkeys(RATE_COLUMNS, PERCENT))
    # No period means the whole ledger: from the first case ever to now.
    span = period or Period(datetime(1970, 1, 1, tzinfo=now.tzinfo), now)
    units = await compute_by(session, span, now, Cut.township, scope)
    for name, metrics in [(u.name, u.metrics) for u in units] + [("合计", _total(units))]:
        sheet.append(_summary_row(name, metrics))
    sheet.filter(len(units))  # the total row stays below the filtered rows


def _total(units: list[Unit]) -> Metrics:
    """Add up the townships' counts: every village has a township, so this is the area's total
    without counting every case again (the medians, which do not add up, are not on the sheet)."""
    return Metrics(**{name: sum(getattr(unit.metrics, name) for unit in units) for name in COUNTS})


def _summary_row(name: str, metrics: Metrics) -> list:
    """Return one summary row: counts as numbers, rates as fractions (shown as percentages) or a dash."""
    rates = [getattr(metrics, rate) for rate in SUMMARY_RATES]
    return [name, metrics.received, *(NO_DATA if rate is None else rate for rate in rates), metrics.closed,
            metrics.rated, metrics.overdue]


# Placed last: the campaign's sheets reuse this module's words and formats.
from services.ledger_campaign import write_campaign_sheets  # noqa: E402
