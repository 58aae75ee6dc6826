"""Who supervises a case: the township's supervisors, else the county's."""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Case, Person
from models.enums import Role


async def supervisors_of(session: AsyncSession, case: Case) -> Sequence[Person]:
    """Return the supervisors of the case's township, or the county's when the township has none."""
    return await supervisors_for(session, case.village.township_id, confidential=case.confidential)


async def supervisors_for(session: AsyncSession, township_id: int, *, confidential: bool) -> Sequence[Person]:
    """Return who supervises a case of the township: its own supervisors, else the county's; none if confidential."""
    if confidential:
        return []
    query = select(Person).where(Person.role == Role.supervisor, Person.active.is_(True)).order_by(Person.id)
    local = (await session.scalars(query.where(Person.township_id == township_id))).all()
    if local:
        return local
    return (await session.scalars(query.where(Person.township_id.is_(None)))).all()
