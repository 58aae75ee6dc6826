"""What people see of cases: their lists and a case's timeline."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Case, CaseEvent, CaseHelper, CaseMessage, Mediation, Person
from models import queries as q
from services.errors import CaseNotFound, NotAllowed
from services.lifecycle import ACTIVE_STATUSES, Action, allowed
from services.permissions import require_can, require_visible

LIST_LIMIT = 20


async def open_cases_of_owner(session: AsyncSession, owner: Person) -> Sequence[Case]:
    """List the cases a person owns or helps on that are not closed, nearest deadline first."""
    helped = select(CaseHelper.case_id).where(CaseHelper.person_id == owner.id)
    query = (
        select(Case)
        .where((Case.owner_id == owner.id) | Case.id.in_(helped), Case.status.in_(list(ACTIVE_STATUSES)))
        .order_by(Case.due_at.asc(), Case.id)
        .limit(LIST_LIMIT)
    )
    return (await session.scalars(query)).all()


async def cases_of_reporter(session: AsyncSession, reporter: Person) -> Sequence[Case]:
    """List a villager's own cases, newest first."""
    query = select(Case).where(Case.reporter_id == reporter.id).order_by(Case.id.desc()).limit(LIST_LIMIT)
    return (await session.scalars(query)).all()


async def open_cases_of_reporter(session: AsyncSession, reporter: Person) -> Sequence[Case]:
    """List a villager's cases that a new message could still belong to."""
    query = (
        select(Case)
        .where(Case.reporter_id == reporter.id, Case.status.in_(list(ACTIVE_STATUSES)))
        .order_by(Case.id.desc())
        .limit(LIST_LIMIT)
    )
    return (await session.scalars(query)).all()


async def visible_case(session: AsyncSession, case_id: int, viewer: Person) -> Case:
    """Return the case if the viewer may see it; otherwise it does not exist for them."""
    case = await q.case_by_id(session, case_id)
    if case is None:
        raise CaseNotFound()
    return require_visible(viewer, case, await q.helper_ids(session, case.id))


async def timeline(session: AsyncSession, case_id: int, viewer: Person) -> tuple[Case, Sequence[CaseEvent]]:
    """Return the case and its events, for someone allowed to see it."""
    case = await visible_case(session, case_id, viewer)
    return case, await q.events_of(session, case.id)


async def case_with_description(
    session: AsyncSession, case_id: int, viewer: Person
) -> tuple[Case, Sequence[CaseMessage]]:
    """Return the case and the villager's own messages, for someone allowed to see it."""
    case = await visible_case(session, case_id, viewer)
    return case, await q.description_of(session, case)


@dataclass(frozen=True)
class CardExtras:
    """What a staff card shows beside the case row: the team, the matter it is linked to, mediations."""

    team: tuple[str, ...] = ()
    linked_to: str | None = None
    mediations: tuple[tuple[str, str], ...] = ()  # (local day, outcome)


async def card_extras(session: AsyncSession, case: Case) -> CardExtras:
    """Collect the team's names, the number of the case this one is linked to and the mediations."""
    team = (await session.scalars(select(Person.name).join(CaseHelper, CaseHelper.person_id == Person.id)
                                  .where(CaseHelper.case_id == case.id).order_by(Person.name))).all()
    linked = await session.scalar(select(Case.number).where(Case.id == case.linked_to_id)) if case.linked_to_id else None
    mediations = (await session.execute(select(Mediation.held_on, Mediation.outcome)
                                        .where(Mediation.case_id == case.id).order_by(Mediation.id))).all()
    return CardExtras(tuple(team), linked, tuple((day.isoformat(), outcome) for day, outcome in mediations))


@dataclass(frozen=True)
class StaffCard:
    """What a staff member's card shows, and which buttons are theirs."""

    case: Case
    parts: Sequence[CaseMessage]
    extras: CardExtras
    helper: bool  # the viewer is on the case's team
    signs_off: bool  # the viewer may sign the case off now


async def staff_card(session: AsyncSession, case_id: int, viewer: Person) -> StaffCard:
    """Return the card of a case for a staff member allowed to see it."""
    case = await visible_case(session, case_id, viewer)
    helpers = await q.helper_ids(session, case.id)
    try:
        require_can(viewer, Action.sign_off, case, helpers)
        signs_off = allowed(case.status, Action.sign_off)
    except NotAllowed:
        signs_off = False
    return StaffCard(case, await q.description_of(session, case), await card_extras(session, case),
                     viewer.id in helpers, signs_off)


async def last_reply_of(session: AsyncSession, case_id: int, author: Person) -> str | None:
    """Return the text of the author's last answer in the case, to reuse as the resolution."""
    message = await q.last_message_by(session, case_id, author.id)
    return message.text if message else None
