"""并单: several villagers' reports of one matter, linked to the first of them and handled as one."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Case, Person
from models import queries as q
from models.enums import EventKind
from services import events
from services.errors import InvalidInput
from services.handling import load_case
from services.lifecycle import ACTIVE_STATUSES, Action, allowed, next_status
from services.permissions import can_see, require_can
from services.risk import CLUSTER_WINDOW


async def matter_of(session: AsyncSession, *, case_id: int, actor: Person) -> tuple[Case, list[Case]]:
    """Return the case and the other open cases of its matter (village, category, a week either side)
    that the actor may see, oldest first."""
    case = await load_case(session, case_id)
    require_can(actor, Action.link, case, await q.helper_ids(session, case.id))
    next_status(case.status, Action.link)
    rows = (await session.scalars(select(Case).where(
        Case.village_id == case.village_id, Case.category_code == case.category_code, Case.id != case.id,
        Case.created_at >= case.created_at - CLUSTER_WINDOW, Case.created_at <= case.created_at + CLUSTER_WINDOW,
        Case.status.in_(sorted(ACTIVE_STATUSES))).order_by(Case.created_at, Case.id))).unique().all()
    visible = [c for c in rows if can_see(actor, c, await q.helper_ids(session, c.id))]
    return case, visible


async def link_matter(session: AsyncSession, *, case_id: int, actor: Person, now: datetime
                      ) -> tuple[Case, Sequence[Case]]:
    """Link the matter's cases to its first one (an event on each); return the first and the linked."""
    case, others = await matter_of(session, case_id=case_id, actor=actor)
    matter = sorted([case, *others], key=lambda c: (c.created_at, c.id))
    primary = matter[0]
    linked = [c for c in matter[1:] if c.linked_to_id != primary.id and allowed(c.status, Action.link)]
    if not linked:
        raise InvalidInput("nothing_to_link")
    for other in linked:
        other.linked_to_id = primary.id
        events.append(session, other, EventKind.linked, now, actor=actor, primary=primary.number)
    events.append(session, primary, EventKind.linked, now, actor=actor, cases=[c.number for c in linked])
    await session.commit()
    return primary, linked
