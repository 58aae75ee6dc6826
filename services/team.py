"""The team on a case (一支队伍): the owner adds and removes helpers; the team keeps internal notes."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Case, CaseHelper, Person
from models import queries as q
from models.enums import EventKind, Role
from services import events
from services.errors import InvalidInput, NotAllowed
from services.handling import load_case
from services.lifecycle import Action, next_status
from services.outbox import enqueue
from services.permissions import require_can
from services.text import clean, is_blank

MAX_NOTE = 2000


async def _authorized(session: AsyncSession, case_id: int, actor: Person, action: Action) -> tuple[Case, set[int]]:
    case = await load_case(session, case_id)
    helpers = await q.helper_ids(session, case.id)
    require_can(actor, action, case, helpers)
    next_status(case.status, action)
    return case, helpers


async def team_of(session: AsyncSession, case_id: int) -> Sequence[Person]:
    """Return the helpers of the case, by name."""
    return (await session.scalars(
        select(Person).join(CaseHelper, CaseHelper.person_id == Person.id)
        .where(CaseHelper.case_id == case_id).order_by(Person.name, Person.id))).all()


async def team_view(session: AsyncSession, *, case_id: int, actor: Person) -> tuple[Case, Sequence[Person]]:
    """Return the case and its helpers, for the owner about to change the team."""
    case, _helpers = await _authorized(session, case_id, actor, Action.team)
    return case, await team_of(session, case.id)


async def candidates(session: AsyncSession, *, case_id: int, actor: Person) -> tuple[Case, list[Person]]:
    """List who may join: staff of the case's township and the county leaders (inspectors for 干部作风)."""
    case, helpers = await _authorized(session, case_id, actor, Action.team)
    if case.confidential:
        pool = list(await q.people_with_role(session, Role.inspector))
    else:
        pool = [p for p in await q.staff_of_township(session, case.village.township_id)
                if p.role in (Role.cadre, Role.township_leader)]
        pool += list(await q.people_with_role(session, Role.county_leader))
    return case, [p for p in pool if p.id != case.owner_id and p.id not in helpers]


async def add_helper(session: AsyncSession, *, case_id: int, actor: Person, person_id: int, now: datetime
                     ) -> tuple[Case, Person]:
    """Add a helper to the case; they get the card and may answer the villager and keep notes."""
    case, pool = await candidates(session, case_id=case_id, actor=actor)
    helper = next((p for p in pool if p.id == person_id), None)
    if helper is None:
        raise NotAllowed()
    session.add(CaseHelper(case_id=case.id, person_id=helper.id))
    event = await events.record(session, case, EventKind.helper_added, now, actor=actor, person_id=helper.id,
                                name=helper.name)
    enqueue(session, to=helper, notice="case_card", key=f"card:{event.id}", now=now, case_id=case.id,
            reason="helper")
    await session.commit()
    return case, helper


async def remove_helper(session: AsyncSession, *, case_id: int, actor: Person, person_id: int, now: datetime
                        ) -> tuple[Case, Person]:
    """Take a helper off the case; they are told, and the case disappears from their list."""
    case, helpers = await _authorized(session, case_id, actor, Action.team)
    helper = await session.get(Person, person_id) if person_id in helpers else None
    if helper is None:
        raise NotAllowed()
    await session.execute(delete(CaseHelper).where(CaseHelper.case_id == case.id, CaseHelper.person_id == helper.id))
    event = await events.record(session, case, EventKind.helper_removed, now, actor=actor, person_id=helper.id,
                                name=helper.name)
    enqueue(session, to=helper, notice="team_removed", key=f"team_removed:{event.id}", now=now, case_id=case.id)
    await session.commit()
    return case, helper


async def check_note(session: AsyncSession, *, case_id: int, actor: Person) -> Case:
    """Return the case if the actor may add a note to it now."""
    case, _helpers = await _authorized(session, case_id, actor, Action.note)
    return case


async def add_note(session: AsyncSession, *, case_id: int, actor: Person, text: str, now: datetime) -> Case:
    """Keep an internal note in the staff timeline (never sent to the villager); the rest of the team is told."""
    text = clean(text)
    if is_blank(text):
        raise InvalidInput("empty")
    if len(text) > MAX_NOTE:
        raise InvalidInput("too_long")
    case, helpers = await _authorized(session, case_id, actor, Action.note)
    event = await events.record(session, case, EventKind.note, now, actor=actor, note=text)
    for person_id in sorted(({case.owner_id} | helpers) - {actor.id, None}):
        person = await session.get(Person, person_id)
        enqueue(session, to=person, notice="team_note", key=f"note:{event.id}:{person_id}", now=now,
                case_id=case.id, event_id=event.id)
    await session.commit()
    return case
