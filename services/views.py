"""What people see of cases: their lists and a case's timeline."""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Case, CaseEvent, CaseHelper, CaseMessage, Person
from models import queries as q
from services.errors import CaseNotFound
from services.lifecycle import ACTIVE_STATUSES
from services.permissions import require_visible

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


async def last_reply_of(session: AsyncSession, case_id: int, author: Person) -> str | None:
    """Return the text of the author's last answer in the case, to reuse as the resolution."""
    message = await q.last_message_by(session, case_id, author.id)
    return message.text if message else None
