"""Routing: a lookup in the directory names the one owner of a new case, and the owner one level up."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Assignment, Category, Person, Township, Village
from models.enums import Level, Role
from services.errors import NobodyToRoute
from services.routing import route_case, route_up


async def person(session, name: str) -> Person:
    return await session.scalar(select(Person).where(Person.name == name))


async def village(session, code: str) -> Village:
    return await session.scalar(select(Village).where(Village.code == code))


async def category(session, code: str) -> Category:
    return await session.get(Category, code)


async def add_village(session, code: str, township: str) -> Village:
    town = await session.scalar(select(Township).where(Township.name == township))
    if town is None:
        town = Township(name=township, county="青山县")
        session.add(town)
        await session.flush()
    place = Village(code=code, name=f"{code}村", township_id=town.id)
    session.add(place)
    await session.commit()
    return place


@pytest.mark.parametrize(
    ("village_code", "category_code", "owner", "level"),
    [
        pytest.param("sq01", "land", "孙丽", Level.village, id="category-cadre-beats-default"),
        pytest.param("sq01", "property", "孙丽", Level.village, id="second-category-of-the-same-cadre"),
        pytest.param("sq01", "environment", "王建国", Level.village, id="default-cadre-of-sq01"),
        pytest.param("sq02", "land", "李秀英", Level.village, id="default-cadre-when-no-category-cadre"),
        pytest.param("qh02", "hazard", "赵志强", Level.village, id="cadre-of-two-villages"),
    ],
)
async def test_a_new_case_goes_to_the_cadre_the_directory_names(
    session, county, village_code, category_code, owner, level
):
    place, kind = await village(session, village_code), await category(session, category_code)

    route = await route_case(session, place, kind)

    assert (route.owner.name, route.level) == (owner, level)


async def test_a_village_without_a_cadre_falls_back_to_its_township_leader(session, county):
    place = await add_village(session, "sq99", "石桥镇")

    route = await route_case(session, place, await category(session, "environment"))

    assert (route.owner.name, route.level) == ("刘书记", Level.township)


async def test_an_inactive_cadre_is_passed_over_for_the_township_leader(session, county):
    (await person(session, "王建国")).active = False
    await session.commit()

    route = await route_case(session, await village(session, "sq01"), await category(session, "environment"))

    assert (route.owner.name, route.level) == ("刘书记", Level.township)


async def test_a_township_without_a_leader_falls_back_to_the_county_leader(session, county):
    place = await add_village(session, "bs01", "白沙镇")

    route = await route_case(session, place, await category(session, "environment"))

    assert (route.owner.name, route.level) == ("黄县长", Level.county)


async def test_routing_raises_a_clear_error_when_the_directory_names_nobody(session, county):
    place = await add_village(session, "bs01", "白沙镇")
    (await person(session, "黄县长")).active = False
    await session.commit()

    with pytest.raises(NobodyToRoute, match="bs01"):
        await route_case(session, place, await category(session, "environment"))


@pytest.mark.parametrize("village_code", ["sq01", "sq02", "qh01", "qh02"])
async def test_a_conduct_complaint_goes_to_the_inspector_never_the_village_chain(session, county, village_code):
    place, conduct = await village(session, village_code), await category(session, "conduct")
    # Even a cadre listed for conduct complaints in that village must not receive them.
    cadre = await person(session, "王建国")
    session.add(Assignment(village_id=place.id, category_code="conduct", person_id=cadre.id))
    await session.commit()

    route = await route_case(session, place, conduct)

    assert conduct.confidential is True
    assert route.owner.name == "郑纪检" and Role(route.owner.role) is Role.inspector
    assert route.level is Level.county


async def test_a_township_inspector_takes_conduct_complaints_of_that_township_only(session, county, clock):
    qinghe = await session.scalar(select(Township).where(Township.name == "清河乡"))
    session.add(Person(name="钱纪检", role=Role.inspector, township_id=qinghe.id, created_at=clock()))
    await session.commit()
    conduct = await category(session, "conduct")

    inside = await route_case(session, await village(session, "qh01"), conduct)
    outside = await route_case(session, await village(session, "sq01"), conduct)

    assert inside.owner.name == "钱纪检"
    assert outside.owner.name == "郑纪检"


async def test_a_conduct_complaint_with_no_inspector_is_not_routed_to_anyone_else(session, county):
    (await person(session, "郑纪检")).active = False
    await session.commit()

    with pytest.raises(NobodyToRoute, match="inspector"):
        await route_case(session, await village(session, "sq01"), await category(session, "conduct"))


@pytest.mark.parametrize(
    ("level", "owner", "next_level"),
    [
        (Level.village, "刘书记", Level.township),
        (Level.township, "黄县长", Level.county),
    ],
)
async def test_route_up_names_the_leader_one_level_above(session, county, level, owner, next_level):
    route = await route_up(session, await village(session, "sq01"), level)

    assert (route.owner.name, route.level) == (owner, next_level)


async def test_route_up_from_the_county_raises(session, county):
    with pytest.raises(NobodyToRoute):
        await route_up(session, await village(session, "sq01"), Level.county)


async def test_route_up_skips_a_township_without_a_leader_to_the_county(session, county):
    place = await add_village(session, "bs01", "白沙镇")

    route = await route_up(session, place, Level.village)

    assert (route.owner.name, route.level) == ("黄县长", Level.county)


async def test_route_up_uses_the_leader_of_the_village_s_own_township(session, county):
    route = await route_up(session, await village(session, "qh01"), Level.village)

    assert route.owner.name == "周乡长"
