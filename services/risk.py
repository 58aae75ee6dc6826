"""Early warning (风险研判): three rules that flag a case at intake, before a dispute grows.

The rules are pure functions over plain values; `assess_new_case` runs them in the transaction
that files the case, so a flag, its event and the supervisors' alert commit with the case or not
at all. An anonymous report is never tied to its reporter's other reports, not even by a flag:
the "same villager again" rule leaves anonymous reports out on both sides.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Case, Person, Village
from models.enums import EventKind, RiskFlag, Role
from services import events
from services.errors import NotAllowed
from services.lifecycle import ACTIVE_STATUSES
from services.outbox import enqueue
from services.supervisors import supervisors_of

REPEAT_WINDOW = timedelta(days=30)
CLUSTER_WINDOW = timedelta(days=7)
CLUSTER_SIZE = 3
DEFAULT_DANGER_WORDS = (
    "上访", "越级上访", "集体上访", "进京", "跳楼", "跳河", "喝药", "喝农药", "农药", "自杀", "轻生", "不想活",
    "寻死", "打架", "打人", "斗殴", "械斗", "动刀", "砍人", "拼命", "同归于尽", "聚集", "围堵", "堵路", "闹事",
    "拆房", "强拆", "放火", "烧房", "报复",
)
PRIORITY = {RiskFlag.repeat: 1, RiskFlag.cluster: 1, RiskFlag.danger: 2}
VIEWERS = frozenset({Role.supervisor, Role.township_leader, Role.county_leader})
LIST_LIMIT = 30
NEIGHBOURS = 200


@dataclass(frozen=True)
class Report:
    """What the rules know of a case: who, where, what, when."""

    id: int
    reporter_id: int
    village_id: int
    category_code: str
    created_at: datetime
    anonymous: bool = False


@dataclass(frozen=True)
class Assessment:
    flags: tuple[RiskFlag, ...] = ()
    danger_words: tuple[str, ...] = ()
    # The cases of the same matter (并单), the new one included, oldest first.
    cluster: tuple[int, ...] = ()
    earlier: tuple[int, ...] = field(default=())
    # This report is the one that makes the matter a cluster (the earlier ones had too few villagers).
    forms_cluster: bool = False

    @property
    def priority(self) -> int:
        return max((PRIORITY[f] for f in self.flags), default=0)


def parse_words(text: str | None) -> tuple[str, ...]:
    """Read DANGER_WORDS (comma-separated, Chinese or ASCII commas); nothing means the shipped list."""
    if text is None or not text.strip():
        return DEFAULT_DANGER_WORDS
    return tuple(dict.fromkeys(w.strip() for w in text.replace("，", ",").replace("、", ",").split(",") if w.strip()))


def repeated(new: Report, earlier: Iterable[Report], window: timedelta = REPEAT_WINDOW) -> tuple[int, ...]:
    """Return the same villager's reports of the same category in the window before (none if anonymous)."""
    if new.anonymous:
        return ()
    return tuple(r.id for r in earlier
                 if r.id != new.id and r.reporter_id == new.reporter_id and r.category_code == new.category_code
                 and not r.anonymous and new.created_at - window <= r.created_at <= new.created_at)


def clustered(new: Report, recent: Iterable[Report], window: timedelta = CLUSTER_WINDOW,
              size: int = CLUSTER_SIZE) -> tuple[int, ...]:
    """Return the reports of one matter when `size` or more villagers of the village report the category
    within the window (the new one included), oldest first; else nothing."""
    same = [r for r in recent if r.village_id == new.village_id and r.category_code == new.category_code
            and new.created_at - window <= r.created_at <= new.created_at and r.id != new.id] + [new]
    if len({r.reporter_id for r in same}) < size:
        return ()
    return tuple(r.id for r in sorted(same, key=lambda r: (r.created_at, r.id)))


def forms_cluster(new: Report, recent: Iterable[Report], window: timedelta = CLUSTER_WINDOW,
                  size: int = CLUSTER_SIZE) -> bool:
    """Tell whether the new report is the one that brings the matter to `size` villagers."""
    before = {r.reporter_id for r in recent if r.village_id == new.village_id and r.category_code == new.category_code
              and new.created_at - window <= r.created_at <= new.created_at and r.id != new.id}
    return len(before) < size <= len(before | {new.reporter_id})


def dangerous(text: str, words: Iterable[str]) -> tuple[str, ...]:
    """Return the danger words found in the text, in the order of the list."""
    return tuple(w for w in words if w and w in (text or ""))


def assess(new: Report, text: str, earlier: Sequence[Report], recent: Sequence[Report],
           words: Iterable[str]) -> Assessment:
    """Run the three rules on a new report."""
    before, matter, found = repeated(new, earlier), clustered(new, recent), dangerous(text, words)
    flags = tuple(flag for flag, hit in ((RiskFlag.repeat, before), (RiskFlag.cluster, matter),
                                         (RiskFlag.danger, found)) if hit)
    return Assessment(flags, found, matter, before, bool(matter) and forms_cluster(new, recent))


def _report(case: Case) -> Report:
    return Report(case.id, case.reporter_id, case.village_id, case.category_code, case.created_at, case.anonymous)


async def _neighbours(session: AsyncSession, case: Case) -> tuple[list[Report], list[Report]]:
    """Return the reporter's earlier reports of the category, and the village's recent ones."""
    columns = (Case.id, Case.reporter_id, Case.village_id, Case.category_code, Case.created_at, Case.anonymous)
    earlier = (await session.execute(select(*columns).where(
        Case.reporter_id == case.reporter_id, Case.category_code == case.category_code,
        Case.created_at >= case.created_at - REPEAT_WINDOW, Case.id != case.id))).all()
    # The latest reports are enough to tell a cluster (and who formed it) in a village where many report.
    recent = (await session.execute(select(*columns).where(
        Case.village_id == case.village_id, Case.category_code == case.category_code,
        Case.created_at >= case.created_at - CLUSTER_WINDOW, Case.id != case.id)
        .order_by(Case.created_at.desc(), Case.id.desc()).limit(NEIGHBOURS))).all()
    return [Report(*row) for row in earlier], [Report(*row) for row in recent]


def _flag(session: AsyncSession, case: Case, flags: Iterable[RiskFlag], now: datetime, **data) -> bool:
    """Add flags to a case and raise its priority; return whether anything was new (no flush)."""
    new = [f.value for f in flags if f.value not in (case.risk_flags or [])]
    if not new:
        return False
    case.risk_flags = [*(case.risk_flags or []), *new]
    case.priority = max(case.priority or 0, *(PRIORITY[RiskFlag(f)] for f in new))
    events.append(session, case, EventKind.flagged, now, flags=new, **data)
    return True


async def assess_new_case(session: AsyncSession, case: Case, text: str, words: Iterable[str], now: datetime
                          ) -> Assessment:
    """Flag a case just filed (flushed, not committed); alert the supervisors; offer the owner 并单.

    A matter that is already a cluster flags each later report of it, but only the report that made it
    one flags the earlier ones, alerts the supervisors and offers the owner to link them: a village
    where a hundred people report one thing gets one alert, not a hundred.
    """
    earlier, recent = await _neighbours(session, case)
    result = assess(_report(case), text, earlier, recent, words)
    if not result.flags:
        return result
    _flag(session, case, result.flags, now, words=list(result.danger_words))
    if result.forms_cluster:
        others = (await session.scalars(select(Case).where(Case.id.in_(result.cluster), Case.id != case.id))).all()
        for other in others:
            _flag(session, other, [RiskFlag.cluster], now)
        enqueue(session, to=case.owner, notice="cluster_offer", key=f"cluster:{case.id}", now=now, case_id=case.id,
                cases=list(result.cluster))
    if set(result.flags) == {RiskFlag.cluster} and not result.forms_cluster:
        return result
    for supervisor in await supervisors_of(session, case):
        enqueue(session, to=supervisor, notice="risk_alert", key=f"risk:{case.id}:{supervisor.id}", now=now,
                case_id=case.id, flags=[f.value for f in result.flags], words=list(result.danger_words),
                cluster=len(result.cluster))
    return result


async def flagged_cases(session: AsyncSession, viewer: Person) -> Sequence[Case]:
    """List the flagged cases of the viewer's area still being handled, highest priority first."""
    if viewer.role not in VIEWERS:
        raise NotAllowed()
    query = select(Case).where(Case.priority > 0, Case.status.in_(sorted(ACTIVE_STATUSES)),
                               Case.confidential.is_(False))
    if viewer.township_id is not None:
        query = query.join(Village, Village.id == Case.village_id).where(Village.township_id == viewer.township_id)
    query = query.order_by(Case.priority.desc(), Case.created_at.desc(), Case.id.desc()).limit(LIST_LIMIT)
    return (await session.scalars(query)).unique().all()
