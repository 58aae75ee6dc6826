"""The ledger's sheets of the campaign's tools: 走访 (visits), 风险研判 (flagged cases), 调解 (mediations).

One function per sheet, each written row by row from a streamed query like the 台账 sheet. None
names a reporter or shows a phone number; the 走访 sheet names the visited household's head, as the
county's 民情台账 does, never its kinds.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Case, Category, Mediation, Person, Township, Village
from services.diary_stats import VISIT_COLUMNS, VISIT_KINDS, visits_query
from services.ledger import DATE_FORMAT, STATUSES, _batches
from services.ledger_book import Book, ExcelClock
from services.metrics import Owner, Scope, apply_scope
from services.periods import Period

RISK_COLUMNS = (("编号", 14), ("乡镇", 12), ("村", 12), ("类别", 18), ("风险", 28), ("优先级", 8), ("状态", 13),
                ("包案领导", 12), ("并单至", 14))
MEDIATION_COLUMNS = (("编号", 14), ("乡镇", 12), ("村", 12), ("类别", 18), ("调解日期", 12), ("地点", 16),
                     ("结果", 10), ("下一步", 12), ("记录人", 12))
FLAGS = {"repeat": "30天内重复反映", "cluster": "多人反映同一事项", "danger": "含危险词"}
PRIORITIES = {0: "一般", 1: "较高", 2: "紧急"}
OUTCOMES = {"success": "调解成功", "failure": "调解不成"}
NEXT_STEPS = {"escalate": "上报", "law": "依法解决", "again": "择日再调"}


def _received(query, period: Period | None):
    if period is None:
        return query
    return query.where(Case.created_at >= period.start, Case.created_at < period.end)


async def write_visits_sheet(session: AsyncSession, book: Book, *, scope: Scope, period: Period | None,
                             tz: ZoneInfo) -> int:
    """Write 走访: one row per diary visit in the period (by visit time) and area."""
    sheet = book.sheet("走访", VISIT_COLUMNS, column_formats={0: DATE_FORMAT})
    clock = ExcelClock(tz)
    async for rows in _batches(session, visits_query(scope, period)):
        sheet.extend([[clock.serial(visited), township, village, cadre, household, VISIT_KINDS.get(kind, kind)]
                      for visited, township, village, cadre, household, kind in rows])
    sheet.filter(sheet.rows)
    return sheet.rows


async def write_risks_sheet(session: AsyncSession, book: Book, *, scope: Scope, period: Period | None) -> int:
    """Write 风险研判: the flagged cases received in the period, with their flags and priority."""
    sheet = book.sheet("风险研判", RISK_COLUMNS)
    query = (select(Case.number, Township.name, Village.name, Category.name_zh, Case.risk_flags, Case.priority,
                    Case.status, Owner.name, Case.linked_to_id)
             .select_from(Case).join(Village, Village.id == Case.village_id)
             .join(Township, Township.id == Village.township_id)
             .join(Category, Category.code == Case.category_code).outerjoin(Owner, Owner.id == Case.owner_id)
             .where(Case.priority > 0).order_by(Case.id))
    rows = (await session.execute(_received(apply_scope(query, scope), period))).all()
    linked = {i: n for i, n in (await session.execute(
        select(Case.id, Case.number).where(Case.id.in_({r.linked_to_id for r in rows if r.linked_to_id})))).all()}
    for number, township, village, category, flags, priority, status, owner, linked_to in rows:
        sheet.append([number, township, village, category, "、".join(FLAGS.get(f, f) for f in flags or []),
                      PRIORITIES.get(priority, priority), STATUSES.get(status, status), owner,
                      linked.get(linked_to)])
    sheet.filter(len(rows))
    return len(rows)


async def write_mediations_sheet(session: AsyncSession, book: Book, *, scope: Scope, period: Period | None
                                 ) -> int:
    """Write 调解: every recorded mediation of the disputes received in the period (no parties' names)."""
    sheet = book.sheet("调解", MEDIATION_COLUMNS)
    query = (select(Case.number, Township.name, Village.name, Category.name_zh, Mediation.held_on, Mediation.place,
                    Mediation.outcome, Mediation.next_step, Person.name)
             .select_from(Mediation).join(Case, Case.id == Mediation.case_id)
             .join(Village, Village.id == Case.village_id).join(Township, Township.id == Village.township_id)
             .join(Category, Category.code == Case.category_code).join(Person, Person.id == Mediation.recorded_by_id)
             .order_by(Case.id, Mediation.id))
    rows = (await session.execute(_received(apply_scope(query, scope), period))).all()
    for number, township, village, category, held_on, place, outcome, next_step, recorder in rows:
        sheet.append([number, township, village, category, held_on.isoformat(), place, OUTCOMES.get(outcome, outcome),
                      NEXT_STEPS.get(next_step or "", None), recorder])
    sheet.filter(len(rows))
    return len(rows)


async def write_campaign_sheets(session: AsyncSession, book: Book, *, scope: Scope, period: Period | None,
                                now: datetime, tz: ZoneInfo) -> None:
    """Write the 走访, 风险研判 and 调解 sheets after the 台账 and 汇总 sheets."""
    await write_visits_sheet(session, book, scope=scope, period=period, tz=tz)
    await write_risks_sheet(session, book, scope=scope, period=period)
    await write_mediations_sheet(session, book, scope=scope, period=period)
