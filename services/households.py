"""Households of the five kinds (五类人员) and who may know what of them.

A cadre makes friends with households of five kinds and is paired with some (结对帮扶). That a
household member was sanctioned (受过党纪法规处理) is shown only to the paired cadre and to the
supervisors of its area: everyone else sees the household without that kind.
"""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Assignment, Household, Person, Village
from models.enums import HouseholdKind, Role
from services.errors import NotAllowed

# The names the import accepts besides the codes, and the sheet shows.
KIND_NAMES = {
    HouseholdKind.influential: "有威信的人",
    HouseholdKind.sanctioned: "受过处理的人",
    HouseholdKind.policy_doubt: "对政策有疑议的人",
    HouseholdKind.relocated: "征地拆迁户",
    HouseholdKind.poor: "生活贫困户",
}
ALIASES = {name: kind for kind, name in KIND_NAMES.items()} | {
    "有威信": HouseholdKind.influential, "受过处理": HouseholdKind.sanctioned,
    "受过党纪法规处理": HouseholdKind.sanctioned, "对政策有疑议": HouseholdKind.policy_doubt,
    "征地拆迁": HouseholdKind.relocated, "拆迁户": HouseholdKind.relocated, "贫困户": HouseholdKind.poor,
    "生活贫困": HouseholdKind.poor,
}
PRIVATE_KINDS = frozenset({HouseholdKind.sanctioned})
LIST_LIMIT = 30


def parse_kinds(text: str) -> list[HouseholdKind]:
    """Read kinds separated by ; (codes or Chinese names); raise ValueError naming an unknown one."""
    kinds = []
    for word in text.replace("；", ";").replace("、", ";").split(";"):
        word = word.strip()
        if not word:
            continue
        kind = ALIASES.get(word) or (HouseholdKind(word) if word in set(HouseholdKind) else None)
        if kind is None:
            raise ValueError(f"unknown kind {word!r}; use {', '.join(k.value for k in HouseholdKind)}")
        if kind not in kinds:
            kinds.append(kind)
    return kinds


def may_see_private(household: Household, viewer: Person) -> bool:
    """Tell whether the viewer may know the household's private kinds: its paired cadre, or a supervisor
    of its area."""
    if viewer.id is not None and viewer.id == household.paired_cadre_id:
        return True
    return viewer.role == Role.supervisor and viewer.township_id in (None, household.village.township_id)


def visible_kinds(household: Household, viewer: Person) -> list[HouseholdKind]:
    """Return the household's kinds the viewer may see."""
    kinds = [HouseholdKind(k) for k in household.kinds or []]
    if may_see_private(household, viewer):
        return kinds
    return [k for k in kinds if k not in PRIVATE_KINDS]


async def villages_of_staff(session: AsyncSession, person: Person) -> Sequence[Village]:
    """Return the villages a staff member works in: assigned ones, else their township's, else all."""
    assigned = (await session.scalars(select(Village).join(Assignment, Assignment.village_id == Village.id)
                                      .where(Assignment.person_id == person.id).order_by(Village.code))).unique().all()
    if assigned:
        return assigned
    query = select(Village).order_by(Village.code)
    if person.township_id is not None:
        query = query.where(Village.township_id == person.township_id)
    return (await session.scalars(query.limit(LIST_LIMIT))).all()


async def households_for(session: AsyncSession, cadre: Person) -> Sequence[Household]:
    """List the households a staff member may log a visit to: their paired ones first, then the others
    of their villages."""
    if cadre.role == Role.villager:
        raise NotAllowed()
    village_ids = [v.id for v in await villages_of_staff(session, cadre)]
    query = (select(Household).where(or_(Household.paired_cadre_id == cadre.id, Household.village_id.in_(village_ids)))
             .order_by((Household.paired_cadre_id == cadre.id).desc(), Household.village_id, Household.head)
             .limit(LIST_LIMIT))
    return (await session.scalars(query)).unique().all()


async def household_for(session: AsyncSession, household_id: int, cadre: Person) -> Household:
    """Return a household the staff member may log a visit to, or raise NotAllowed."""
    household = await session.get(Household, household_id)
    if household is None or cadre.role == Role.villager:
        raise NotAllowed()
    if household.paired_cadre_id == cadre.id:
        return household
    if household.village_id in {v.id for v in await villages_of_staff(session, cadre)}:
        return household
    raise NotAllowed()
