"""The weekly briefing (简报): the week against the week before, who is behind (通报), what is overdue.

The briefing is built once per area when the job runs and travels in the outbox row as plain JSON,
so the sender only formats it and never runs aggregates between two messages.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Case, Township, Village
from models.db import LONG_RUNNING
from models.enums import Status
from services.ledger import days_late
from services.lifecycle import OPEN_STATUSES
from services.metrics import Cut, Metrics, Owner, Scope, apply_scope, compute, compute_by
from services.periods import Period, last_full_week, week_label

LONGEST_OVERDUE = 5
STATUS_ORDER = tuple(Status)


@dataclass(frozen=True)
class Thresholds:
    """Rates below these name a unit in the briefing (通报)."""

    satisfaction: float = 0.85
    response: float = 0.92


@dataclass(frozen=True)
class Behind:
    """A unit whose response or satisfaction rate is below its threshold this week."""

    cut: str
    name: str
    response_rate: float | None
    satisfaction_rate: float | None
    low_response: bool
    low_satisfaction: bool


@dataclass(frozen=True)
class OverdueCase:
    number: str
    township: str
    village: str
    owner: str | None
    due_at: str
    days_late: int
    supervised: bool


@dataclass(frozen=True)
class Briefing:
    week: str
    start: str
    end: str
    at: str
    area: str | None
    this_week: Metrics
    last_week: Metrics
    thresholds: dict
    behind: list[Behind] = field(default_factory=list)
    overdue: list[OverdueCase] = field(default_factory=list)
    # Per local day of the week: the cases received that day, by their status now.
    daily: list[dict] = field(default_factory=list)
    # Per township: its rates this week.
    townships: list[dict] = field(default_factory=list)

    def to_payload(self) -> dict:
        """Return the briefing as JSON-ready data."""
        return asdict(self) | {"this_week": self.this_week.as_dict(), "last_week": self.last_week.as_dict()}

    @classmethod
    def from_payload(cls, data: dict) -> Briefing:
        """Rebuild the briefing from to_payload() output."""
        return cls(**(data | {
            "this_week": Metrics.from_dict(data["this_week"]), "last_week": Metrics.from_dict(data["last_week"]),
            "behind": [Behind(**b) for b in data["behind"]], "overdue": [OverdueCase(**o) for o in data["overdue"]],
        }))


def below_thresholds(units, thresholds: Thresholds) -> list[Behind]:
    """Return the units whose response or satisfaction rate is below its threshold (no data is not behind)."""
    out = []
    for unit in units:
        response, satisfaction = unit.metrics.response_rate, unit.metrics.satisfaction_rate
        low_response = response is not None and response < thresholds.response
        low_satisfaction = satisfaction is not None and satisfaction < thresholds.satisfaction
        if low_response or low_satisfaction:
            out.append(Behind(unit.cut, unit.name, response, satisfaction, low_response, low_satisfaction))
    return out


async def longest_overdue(session: AsyncSession, now: datetime, scope: Scope, limit: int = LONGEST_OVERDUE
                          ) -> list[OverdueCase]:
    """Return the open cases furthest past their deadline."""
    query = (
        select(Case.number, Township.name, Village.name, Owner.name, Case.due_at, Case.supervised)
        .select_from(Case).join(Village, Village.id == Case.village_id)
        .join(Township, Township.id == Village.township_id).outerjoin(Owner, Owner.id == Case.owner_id)
        .where(Case.status.in_(sorted(OPEN_STATUSES)), Case.due_at < now)
        .order_by(Case.due_at, Case.id).limit(limit)
    )
    rows = (await session.execute(apply_scope(query, scope), execution_options=LONG_RUNNING)).all()
    return [OverdueCase(number, town, village, owner, due.isoformat(), days_late(due, None, now), supervised)
            for number, town, village, owner, due, supervised in rows]


async def daily_counts(session: AsyncSession, period: Period, scope: Scope, tz: ZoneInfo) -> list[dict]:
    """Count the cases received on each local day of the period, by status, in one query."""
    days = period.days(tz)
    # The day index by comparing with the day boundaries: exact in any time zone, on any database.
    index = case(*[(Case.created_at < day.end, i) for i, day in enumerate(days)], else_=len(days))
    inner = apply_scope(
        select(index.label("day"), Case.status.label("status")).select_from(Case)
        .join(Village, Village.id == Case.village_id)
        .where(Case.created_at >= period.start, Case.created_at < period.end), scope).subquery()
    # Grouped outside: PostgreSQL would not match the CASE in GROUP BY, whose parameters differ.
    query = select(inner.c.day, inner.c.status, func.count()).group_by(inner.c.day, inner.c.status)
    out = [{"day": day.start.astimezone(tz).date().isoformat(), **{s.value: 0 for s in STATUS_ORDER}} for day in days]
    for day, status, count in (await session.execute(query, execution_options=LONG_RUNNING)).all():
        if day < len(out):
            out[day][status] = int(count)
    return out


async def build_briefing(session: AsyncSession, now: datetime, tz: ZoneInfo, scope: Scope,
                         thresholds: Thresholds = Thresholds(), area: str | None = None) -> Briefing:
    """Build the briefing of the last full local week for the area in scope."""
    week = last_full_week(now, tz)
    this_week = await compute(session, week, now, scope)
    last_week = await compute(session, week.previous(), now, scope)
    cuts = [Cut.village, Cut.owner] if scope.township_id is not None else [Cut.township, Cut.village, Cut.owner]
    units_by_cut = {cut: await compute_by(session, week, now, cut, scope) for cut in cuts}
    townships = units_by_cut.get(Cut.township) or await compute_by(session, week, now, Cut.township, scope)
    return Briefing(
        week=week_label(week, tz), start=week.start.isoformat(), end=week.end.isoformat(), at=now.isoformat(),
        area=area, this_week=this_week, last_week=last_week, thresholds=asdict(thresholds),
        behind=[b for cut in cuts for b in below_thresholds(units_by_cut[cut], thresholds)],
        overdue=await longest_overdue(session, now, scope),
        daily=await daily_counts(session, week, scope, tz),
        townships=[{"name": u.name, "response_rate": u.metrics.response_rate,
                    "resolution_rate": u.metrics.resolution_rate,
                    "satisfaction_rate": u.metrics.satisfaction_rate} for u in townships],
    )
