"""The rates a county office is judged by, counted in SQL over the cases received in a period.

Every rate is over the cohort of cases received (created) in the period [start, end), as those
cases stand when counted. The definitions are the docstrings of the Metrics properties below and
docs/metrics.md; change both together.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from models import Case, Category, Person, Township, Village
from models.db import LONG_RUNNING
from models.enums import Disposition, Kind, Rating, Role, Status
from services.categories import DISPUTE_CATEGORIES
from services.lifecycle import OPEN_STATUSES
from services.periods import Period

log = logging.getLogger(__name__)

SOLVED = (Disposition.resolved, Disposition.assisted)
MEDIATED = (Disposition.resolved, Disposition.explained)
CONTENT = (Rating.satisfied, Rating.basically)
SUPERVISING_ROLES = frozenset({Role.supervisor, Role.township_leader, Role.county_leader, Role.inspector})


def ratio(part: int, whole: int) -> float | None:
    """Return part / whole, or None ("no data") when there is nothing to divide by."""
    return part / whole if whole else None


@dataclass(frozen=True)
class Metrics:
    """The counts of one unit in one period; the rates are derived from them."""

    received: int = 0
    responded_on_time: int = 0
    closed: int = 0
    closed_on_time: int = 0
    solved: int = 0
    rated: int = 0
    satisfied: int = 0
    disputes_closed: int = 0
    mediated: int = 0
    overdue: int = 0
    median_first_contact_s: float | None = None
    median_close_s: float | None = None

    @property
    def response_rate(self) -> float | None:
        """响应率: cases first contacted in time (first_response_at <= first_response_due) ÷ received."""
        return ratio(self.responded_on_time, self.received)

    @property
    def closure_rate(self) -> float | None:
        """办结率: cases closed (销号, status closed) ÷ received."""
        return ratio(self.closed, self.received)

    @property
    def on_time_rate(self) -> float | None:
        """按期办结率: closed cases closed by their deadline (closed_at <= due_at) ÷ closed."""
        return ratio(self.closed_on_time, self.closed)

    @property
    def resolution_rate(self) -> float | None:
        """解决率: closed cases whose disposition is resolved (解决到位) or assisted (帮扶到位) ÷ closed."""
        return ratio(self.solved, self.closed)

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率: cases whose latest verdict is satisfied or basically satisfied ÷ cases with a verdict."""
        return ratio(self.satisfied, self.rated)

    @property
    def mediation_rate(self) -> float | None:
        """调解率: closed disputes (complaints in DISPUTE_CATEGORIES) settled by mediation, i.e.
        with disposition resolved or explained rather than referred to law, ÷ closed disputes."""
        return ratio(self.mediated, self.disputes_closed)

    def as_dict(self) -> dict:
        """Return the counts and the rates, JSON-ready."""
        return asdict(self) | {name: getattr(self, name) for name in RATES}

    @classmethod
    def from_dict(cls, data: dict) -> Metrics:
        """Rebuild from as_dict() output (the rates are derived again)."""
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


RATES = ("response_rate", "closure_rate", "on_time_rate", "resolution_rate", "satisfaction_rate",
         "mediation_rate")


class Cut(StrEnum):
    township = "township"
    village = "village"
    owner = "owner"
    category = "category"


@dataclass(frozen=True)
class Unit:
    """One township, village, cadre or category with its metrics."""

    cut: str
    key: int | str | None
    name: str
    metrics: Metrics


@dataclass(frozen=True)
class Scope:
    """The cases a reader may count: an area or unit, and which side of the confidentiality line.

    confidential=False leaves the inspector's cases (干部作风) out; True counts only them.
    """

    township_id: int | None = None
    village_id: int | None = None
    owner_id: int | None = None
    category_code: str | None = None
    confidential: bool = False


def scope_for(person: Person) -> Scope | None:
    """Return what the person may count (their township, or the county), or None if they may not."""
    if person.role not in SUPERVISING_ROLES:
        return None
    return Scope(township_id=person.township_id, confidential=person.role == Role.inspector)


class seconds_between(FunctionElement):
    """Seconds from the second timestamp to the first, in the dialect's own date arithmetic."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element, compiler, **kw) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


@compiles(seconds_between)
def _seconds_standard(element, compiler, **kw) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"


Owner = aliased(Person, name="owner")


def _unit_columns(cut: Cut | None):
    """Return the key and name columns of a cut, and the joins they need."""
    if cut is None:
        return None, None, []
    if cut is Cut.township:
        return Village.township_id, Township.name, [(Township, Township.id == Village.township_id, False)]
    if cut is Cut.village:
        return Case.village_id, Village.name, []
    if cut is Cut.owner:
        return Case.owner_id, Owner.name, [(Owner, Owner.id == Case.owner_id, True)]
    return Case.category_code, Category.name_zh, [(Category, Category.code == Case.category_code, False)]


def _query(columns: list, scope: Scope, cut: Cut | None, group: bool = True):
    """Select columns over the scoped cases joined to what the cut names need."""
    key, name, joins = _unit_columns(cut)
    unit = [key.label("key"), name.label("name")] if key is not None else []
    query = select(*unit, *columns).select_from(Case).join(Village, Village.id == Case.village_id)
    for target, on, outer in joins:
        query = query.join(target, on, isouter=outer)
    query = apply_scope(query, scope)
    return query.group_by(key, name) if group and key is not None else query


def apply_scope(query, scope: Scope):
    """Keep the cases of the scope in a query that joins Village to Case."""
    query = query.where(Case.confidential.is_(scope.confidential))
    for column, value in ((Village.township_id, scope.township_id), (Case.village_id, scope.village_id),
                          (Case.owner_id, scope.owner_id), (Case.category_code, scope.category_code)):
        if value is not None:
            query = query.where(column == value)
    return query


def _count(condition):
    """Count the rows meeting the condition (0, not NULL, on no rows)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _received_in(period: Period):
    """Keep the cases received in [start, end)."""
    return and_(Case.created_at >= period.start, Case.created_at < period.end)


def _counts_query(period: Period, scope: Scope, cut: Cut | None):
    """Select every count of the Metrics per unit in one pass over the period's cases."""
    closed = Case.status == Status.closed
    dispute = and_(closed, Case.kind == Kind.complaint, Case.category_code.in_(sorted(DISPUTE_CATEGORIES)))
    columns = [
        func.count().label("received"),
        _count(Case.first_response_at <= Case.first_response_due).label("responded_on_time"),
        _count(closed).label("closed"),
        _count(and_(closed, Case.closed_at <= Case.due_at)).label("closed_on_time"),
        _count(and_(closed, Case.disposition.in_(SOLVED))).label("solved"),
        _count(Case.rating.is_not(None)).label("rated"),
        _count(Case.rating.in_(CONTENT)).label("satisfied"),
        _count(dispute).label("disputes_closed"),
        _count(and_(dispute, Case.disposition.in_(MEDIATED))).label("mediated"),
    ]
    return _query(columns, scope, cut).where(_received_in(period))


def _median_query(period: Period, scope: Scope, cut: Cut | None, until, condition):
    """Return the median of (until - created_at) per unit: the middle row, or the mean of the two."""
    durations = _query([seconds_between(until, Case.created_at).label("d")], scope, cut, group=False)
    # The durations first, the window over them after: each is computed once, not again for the sort.
    durations = durations.where(_received_in(period), condition).subquery()
    key = durations.c.key if cut is not None else None
    partition = {"partition_by": key} if key is not None else {}
    ranked = select(*([key] if key is not None else []), durations.c.d,
                    func.row_number().over(order_by=durations.c.d, **partition).label("rn"),
                    func.count().over(**partition).label("n")).subquery()
    middle = or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2)
    if key is None:
        return select(func.avg(ranked.c.d)).where(middle)
    return select(ranked.c.key, func.avg(ranked.c.d)).where(middle).group_by(ranked.c.key)


def _overdue_query(now: datetime, scope: Scope, cut: Cut | None):
    """Count the cases open now past their deadline, whenever they were received."""
    return _query([func.count().label("overdue")], scope, cut).where(
        Case.status.in_(sorted(OPEN_STATUSES)), Case.due_at < now)


async def _collect(session: AsyncSession, period: Period, now: datetime, scope: Scope, cut: Cut | None
                   ) -> dict:
    """Run the four aggregate queries and merge them into {key: (name, Metrics)}."""
    names: dict = {}
    counts: dict = {}
    for row in (await session.execute(_counts_query(period, scope, cut), execution_options=LONG_RUNNING)).mappings():
        key = row.get("key")
        names[key] = row.get("name")
        counts[key] = {f: int(row[f]) for f in row.keys() if f not in ("key", "name")}
    overdue = {}
    for row in (await session.execute(_overdue_query(now, scope, cut), execution_options=LONG_RUNNING)).mappings():
        key = row.get("key")
        names.setdefault(key, row.get("name"))
        overdue[key] = int(row["overdue"])
    contact = await _medians(session, _median_query(period, scope, cut, Case.first_response_at,
                                                    Case.first_response_at.is_not(None)), cut)
    close = await _medians(session, _median_query(period, scope, cut, Case.closed_at,
                                                  and_(Case.status == Status.closed, Case.closed_at.is_not(None))),
                           cut)
    if cut is None:
        names.setdefault(None, "")
    return {key: (name, Metrics(**counts.get(key, {}), overdue=overdue.get(key, 0),
                                median_first_contact_s=contact.get(key), median_close_s=close.get(key)))
            for key, name in names.items()}


async def _medians(session: AsyncSession, query, cut: Cut | None) -> dict:
    """Run a median query and return {unit key: seconds}."""
    rows = (await session.execute(query, execution_options=LONG_RUNNING)).all()
    if cut is None:
        rows = [(None, rows[0][0])] if rows else []
    # PostgreSQL's EXTRACT gives numeric (Decimal); the rest of the code speaks float.
    return {key: float(value) for key, value in rows if value is not None}


async def compute(session: AsyncSession, period: Period, now: datetime, scope: Scope = Scope()) -> Metrics:
    """Return the metrics of every case in scope received in the period."""
    return (await _collect(session, period, now, scope, None))[None][1]


async def compute_by(session: AsyncSession, period: Period, now: datetime, cut: Cut, scope: Scope = Scope()
                     ) -> list[Unit]:
    """Return the metrics per township, village, owner or category, by name."""
    units = [Unit(str(cut), key, name or "—", metrics)
             for key, (name, metrics) in (await _collect(session, period, now, scope, cut)).items()]
    log.debug("metrics by %s: %d unit(s)", cut, len(units))
    return sorted(units, key=lambda u: (u.name, str(u.key)))
