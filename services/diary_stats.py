"""Visits per cadre over a period, for /stats, `python -m bot stats`, the ledger and the briefing.

Counted in SQL over the diary entries whose visit lies in [start, end), in the reader's area (the
township of the visited village). An inspector's scope (cadre conduct cases) counts no visits.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from sqlalchemy import DateTime, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from models import DiaryEntry, Household, Person, Township, Village
from services.metrics import Scope
from services.periods import Period

VISIT_COLUMNS = (("走访日期", 17), ("乡镇", 12), ("村", 12), ("干部", 12), ("农户", 14), ("走访内容", 12))
VISIT_KINDS = {"life": "访生活状况", "production": "访生产情况", "policy": "访政策落实", "development": "访发展大计"}


@dataclass(frozen=True)
class VisitCount:
    cadre: str
    visits: int
    households: int

    def as_dict(self) -> dict:
        return asdict(self)


def _scoped(query, scope: Scope):
    query = query.join(Village, Village.id == DiaryEntry.village_id)
    if scope.township_id is not None:
        query = query.where(Village.township_id == scope.township_id)
    if scope.village_id is not None:
        query = query.where(DiaryEntry.village_id == scope.village_id)
    return query


async def visits_per_cadre(session: AsyncSession, period: Period, scope: Scope) -> list[VisitCount]:
    """Return each cadre's visits and distinct households visited in the period, most visits first."""
    if scope.confidential:
        return []
    # A visit names a household of the directory or, only when it does not, a name the cadre wrote.
    households = func.count(func.distinct(DiaryEntry.household_id)) + func.count(
        func.distinct(DiaryEntry.household_name))
    query = _scoped(select(Person.name, func.count(DiaryEntry.id), households)
                    .select_from(DiaryEntry).join(Person, Person.id == DiaryEntry.cadre_id), scope)
    query = query.where(DiaryEntry.visited_at >= period.start, DiaryEntry.visited_at < period.end)
    rows = (await session.execute(query.group_by(Person.id, Person.name))).all()
    return sorted((VisitCount(name, int(visits), int(households)) for name, visits, households in rows),
                  key=lambda c: (-c.visits, c.cadre))


def visits_query(scope: Scope, period: Period | None):
    """Select the ledger's visit rows: when, township, village, cadre, household, which visit (no phones)."""
    query = (select(type_coerce(DiaryEntry.visited_at, DateTime()), Township.name, Village.name, Person.name,
                    func.coalesce(Household.head, DiaryEntry.household_name), DiaryEntry.kind)
             .select_from(DiaryEntry).join(Person, Person.id == DiaryEntry.cadre_id)
             .outerjoin(Household, Household.id == DiaryEntry.household_id))
    query = _scoped(query, scope).join(Township, Township.id == Village.township_id)
    if period is not None:
        query = query.where(DiaryEntry.visited_at >= period.start, DiaryEntry.visited_at < period.end)
    if scope.confidential:
        query = query.where(DiaryEntry.id.is_(None))
    return query.order_by(DiaryEntry.visited_at, DiaryEntry.id)

