"""What a dashboard reader may see: their area's cases as a filtered, sorted, paged ledger, and one case.

The area is the chat's: a supervisor or leader sees their township (or the county), an inspector
only the confidential cases, a cadre only the cases they own or help on. A case outside it does not
exist for the reader (CaseNotFound), exactly as in chat.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models import Assignment, Case, CaseEvent, CaseHelper, CaseMessage, Category, Person, Township, Village
from models import queries as q
from models.enums import Role, Status
from services.deadlines import can_escalate
from services.errors import CaseNotFound, NotAllowed
from services.handling import transfer_candidates
from services.ledger import days_late
from services.lifecycle import OPEN_STATUSES, Action, allowed
from services.metrics import Owner, Scope, apply_scope, scope_for
from services.periods import Period
from services.permissions import require_can, require_visible
from services.web_auth import may_use_dashboard

PAGE_SIZE = 50
# The ledger's sort keys and the columns they order by; the case number breaks ties.
SORTS = {
    "number": Case.id, "received": Case.created_at, "due": Case.due_at, "status": Case.status,
    "township": Township.name, "village": Village.name, "category": Case.category_code, "owner": Owner.name,
}


@dataclass(frozen=True)
class CaseFilter:
    """The ledger's filters; None means "any"."""

    status: Status | None = None
    township_id: int | None = None
    village_id: int | None = None
    category_code: str | None = None
    owner_id: int | None = None
    overdue: bool = False
    period: Period | None = None


@dataclass(frozen=True)
class View:
    """The reader's filtered ledger: a metrics scope, the conditions a scope cannot say, the period."""

    scope: Scope
    conditions: tuple = ()
    period: Period | None = None

    def where(self) -> tuple:
        """Return every condition of the view, the period's included."""
        if self.period is None:
            return self.conditions
        return self.conditions + (Case.created_at >= self.period.start, Case.created_at < self.period.end)


@dataclass(frozen=True)
class LedgerRow:
    number: str
    township: str
    village: str
    category_zh: str
    category_en: str
    owner: str | None
    received: datetime
    due: datetime | None
    status: str
    disposition: str | None
    rating: str | None
    supervised: bool
    days_late: int | None


@dataclass(frozen=True)
class LedgerPage:
    rows: list[LedgerRow]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class CaseDetail:
    """One case as a reader sees it, with what they may do to it now."""

    case: Case
    events: Sequence[CaseEvent]
    messages: Sequence[CaseMessage]
    authors: dict[int, Person]
    helpers: Sequence[Person]
    may_accept: bool = False
    may_escalate: bool = False
    transfer_to: Sequence[Person] = field(default_factory=list)


def reader_scope(person: Person) -> Scope:
    """Return the area a reader's pages count; raise NotAllowed for someone without a dashboard."""
    if not may_use_dashboard(person):
        raise NotAllowed()
    scope = scope_for(person)
    # A cadre supervises nobody: their numbers are those of the cases they own.
    return scope if scope is not None else Scope(owner_id=person.id)


def own_cases(person: Person):
    """Return the condition "owned or helped on by the person"."""
    helped = select(CaseHelper.case_id).where(CaseHelper.person_id == person.id)
    return or_(Case.owner_id == person.id, Case.id.in_(helped))


def ledger_view(person: Person, wanted: CaseFilter, now: datetime) -> View:
    """Return the reader's area narrowed by the filters, never wider than the area."""
    area = reader_scope(person)
    conditions = []
    if area.owner_id is not None:
        # A cadre's ledger also lists the cases they help on.
        area = replace(area, owner_id=None)
        conditions.append(own_cases(person))
    if wanted.township_id is not None:
        if area.township_id not in (None, wanted.township_id):
            conditions.append(false())
        area = replace(area, township_id=wanted.township_id)
    area = replace(area, village_id=wanted.village_id, category_code=wanted.category_code,
                   owner_id=wanted.owner_id)
    if wanted.status is not None:
        conditions.append(Case.status == wanted.status)
    if wanted.overdue:
        conditions += [Case.status.in_(sorted(OPEN_STATUSES)), Case.due_at < now]
    return View(area, tuple(conditions), wanted.period)


def _rows_query(view: View):
    """Select the ledger's columns over the cases of a view."""
    query = (
        select(Case.number, Township.name, Village.name, Category.name_zh, Category.name_en, Owner.name,
               Case.created_at, Case.due_at, Case.status, Case.disposition, Case.rating, Case.supervised,
               Case.closed_at)
        .select_from(Case).join(Village, Village.id == Case.village_id)
        .join(Township, Township.id == Village.township_id)
        .join(Category, Category.code == Case.category_code)
        .outerjoin(Owner, Owner.id == Case.owner_id)
    )
    return apply_scope(query, view.scope).where(*view.where())


async def ledger_page(session: AsyncSession, view: View, now: datetime, *, sort: str = "number",
                      descending: bool = True, page: int = 1, size: int = PAGE_SIZE) -> LedgerPage:
    """Return one page of the view's cases, sorted."""
    counted = apply_scope(select(func.count()).select_from(Case).join(Village, Village.id == Case.village_id),
                          view.scope).where(*view.where())
    total = int(await session.scalar(counted) or 0)
    pages = max(1, math.ceil(total / size))
    page = min(max(1, page), pages)
    column = SORTS.get(sort, Case.id)
    order = [column.desc() if descending else column.asc(), Case.id.desc() if descending else Case.id.asc()]
    query = _rows_query(view).order_by(*order).offset((page - 1) * size).limit(size)
    rows = [LedgerRow(number, town, village, zh, en, owner, created, due, status, disposition, rating, supervised,
                      days_late(due, closed if status == Status.closed else None, now))
            for (number, town, village, zh, en, owner, created, due, status, disposition, rating, supervised,
                 closed) in (await session.execute(query)).all()]
    return LedgerPage(rows, total, page, pages)


async def visible_case(session: AsyncSession, number: str, reader: Person) -> Case:
    """Return the case with that number if the reader may see it; otherwise it does not exist."""
    case = await session.scalar(select(Case).where(Case.number == number))
    if case is None:
        raise CaseNotFound()
    return require_visible(reader, case, await q.helper_ids(session, case.id))


async def case_detail(session: AsyncSession, number: str, reader: Person) -> CaseDetail:
    """Return the case, its events, its messages and what the reader may do to it."""
    case = await visible_case(session, number, reader)
    helper_ids = await q.helper_ids(session, case.id)
    messages = await q.messages_of(session, case.id)
    events = await q.events_of(session, case.id)
    ids = {m.author_id for m in messages} | helper_ids
    people = {p.id: p for p in (await session.scalars(select(Person).where(Person.id.in_(ids)))).all()} if ids else {}
    return CaseDetail(
        case=case, events=events, messages=messages, authors=people,
        helpers=[people[i] for i in sorted(helper_ids) if i in people],
        may_accept=_may(reader, Action.accept, case, helper_ids),
        may_escalate=_may(reader, Action.escalate, case, helper_ids) and can_escalate(case),
        transfer_to=(await transfer_candidates(session, case, reader)
                     if _may(reader, Action.transfer, case, helper_ids) else []),
    )


def _may(reader: Person, action: Action, case: Case, helpers: set[int]) -> bool:
    """Tell whether the reader may take the action on the case in its present status."""
    if not allowed(case.status, action):
        return False
    try:
        require_can(reader, action, case, helpers)
    except (NotAllowed, CaseNotFound):
        return False
    return True


async def case_message(session: AsyncSession, number: str, message_id: int, reader: Person) -> CaseMessage:
    """Return a message of a case the reader may see; raise CaseNotFound otherwise."""
    case = await visible_case(session, number, reader)
    message = await session.get(CaseMessage, message_id)
    if message is None or message.case_id != case.id:
        raise CaseNotFound()
    return message


async def choices(session: AsyncSession, reader: Person) -> dict:
    """Return what the ledger's filters offer the reader: townships, villages, categories, owners."""
    area = reader_scope(reader)
    towns = select(Township).order_by(Township.name)
    villages = select(Village).order_by(Village.code)
    if area.township_id is not None:
        towns = towns.where(Township.id == area.township_id)
        villages = villages.where(Village.township_id == area.township_id)
    categories = select(Category).where(Category.confidential.is_(area.confidential)).order_by(
        Category.position, Category.code)
    owners = select(Person).where(Person.role != Role.villager, Person.active.is_(True)).order_by(Person.name)
    if area.township_id is not None:
        owners = owners.where(or_(Person.township_id == area.township_id, Person.township_id.is_(None)))
    return {
        "townships": (await session.scalars(towns)).all(),
        "villages": (await session.scalars(villages)).all(),
        "categories": (await session.scalars(categories)).all(),
        "owners": (await session.scalars(owners)).all(),
    }


@dataclass(frozen=True)
class StaffEntry:
    person: Person
    township: str | None
    villages: list[str]


async def staff_directory(session: AsyncSession) -> tuple[Sequence[Township], list[StaffEntry]]:
    """Return the townships with their villages, and the active staff with the villages they answer for."""
    towns = (await session.scalars(select(Township).options(selectinload(Township.villages))
                                   .order_by(Township.name))).all()
    staff = (await session.scalars(select(Person).where(Person.role != Role.villager, Person.active.is_(True),
                                                        Person.channel != "open311")
                                   .order_by(Person.township_id, Person.role, Person.name))).all()
    assigned: dict[int, list[str]] = {}
    rows = await session.execute(select(Assignment.person_id, Village.name).join(Village, Village.id == Assignment.village_id)
                                 .distinct().order_by(Village.name))
    for person_id, village in rows.all():
        assigned.setdefault(person_id, []).append(village)
    names = {t.id: t.name for t in towns}
    return towns, [StaffEntry(p, names.get(p.township_id), assigned.get(p.id, [])) for p in staff]
