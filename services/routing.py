"""Routing: a lookup in the directory that names the one person who owns a case."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from models import Category, Person, Village
from models import queries as q
from models.enums import Level, Role
from services.errors import NobodyToRoute


@dataclass(frozen=True)
class Route:
    owner: Person
    level: Level


LEVEL_OF_ROLE = {
    Role.cadre: Level.village,
    Role.township_leader: Level.township,
    Role.county_leader: Level.county,
    Role.inspector: Level.county,
}

NEXT_LEVEL = {Level.village: Level.township, Level.township: Level.county}


async def route_case(session: AsyncSession, village: Village, category: Category) -> Route:
    """Name the owner of a new case: category cadre, default cadre, township leader, county leader."""
    if category.confidential:
        return await _route_to_inspector(session, village)
    for find in (
        lambda: q.assigned_cadre(session, village.id, category.code),
        lambda: q.assigned_cadre(session, village.id, None),
        lambda: q.first_with_role(session, Role.township_leader, village.township_id),
        lambda: q.first_with_role(session, Role.county_leader),
    ):
        person = await find()
        if person is not None:
            return Route(person, LEVEL_OF_ROLE[Role(person.role)])
    raise NobodyToRoute(f"nobody answers for village {village.code} / {category.code}")


async def route_up(session: AsyncSession, village: Village, level: Level) -> Route:
    """Name the owner one level above `level`, or raise NobodyToRoute at the top."""
    target = NEXT_LEVEL.get(level)
    if target is Level.township:
        person = await q.first_with_role(session, Role.township_leader, village.township_id)
        if person is not None:
            return Route(person, Level.township)
        target = Level.county
    if target is Level.county:
        person = await q.first_with_role(session, Role.county_leader)
        if person is not None:
            return Route(person, Level.county)
    raise NobodyToRoute(f"no level above {level} for village {village.code}")


async def _route_to_inspector(session: AsyncSession, village: Village) -> Route:
    person = await q.first_with_role(session, Role.inspector, village.township_id)
    person = person or await q.first_with_role(session, Role.inspector)
    if person is None:
        raise NobodyToRoute("no discipline inspector in the directory")
    return Route(person, Level.county)
