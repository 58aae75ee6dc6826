"""Who sees which case on the dashboard: the roles table of chat, by URL and in the ledger."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.dashboard import CaseFilter, ledger_page, ledger_view, visible_case
from services.errors import CaseNotFound, NotAllowed
from tests.supervision_builders import add_cases, person_named
from tests.web_support import add_township_supervisor

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)
# Cases of the known set by number: 1 石桥村 (王建国), 4 柳树村 (李秀英), 5 清河村 (赵志强), 8 干部作风 (郑纪检).
SHIQIAO, LIUSHU, QINGHE, CONDUCT = "2026-000001", "2026-000004", "2026-000005", "2026-000008"
TABLE = [
    # reader, cases they see among the four
    ("吴督查", {SHIQIAO, LIUSHU, QINGHE}),  # county supervisor
    ("石桥督查", {SHIQIAO, LIUSHU}),  # township supervisor
    ("刘书记", {SHIQIAO, LIUSHU}),  # township leader of 石桥镇
    ("周乡长", {QINGHE}),  # township leader of 清河乡
    ("黄县长", {SHIQIAO, LIUSHU, QINGHE}),  # county leader
    ("郑纪检", {CONDUCT}),  # inspector: confidential cases only
    ("王建国", {SHIQIAO}),  # cadre: own cases only
    ("赵志强", {QINGHE}),
]


@pytest.fixture
async def cases(sessionmaker, county, clock):
    await add_township_supervisor(sessionmaker, clock)
    return await add_cases(sessionmaker)


@pytest.mark.parametrize("reader, sees", TABLE, ids=[row[0] for row in TABLE])
@pytest.mark.parametrize("number", [SHIQIAO, LIUSHU, QINGHE, CONDUCT])
async def test_a_case_opens_by_url_only_for_a_reader_whose_area_holds_it(session, cases, reader, sees, number):
    person = await person_named(session, reader)

    if number in sees:
        assert (await visible_case(session, number, person)).number == number
    else:
        with pytest.raises(CaseNotFound):
            await visible_case(session, number, person)


@pytest.mark.parametrize("reader, sees", TABLE, ids=[row[0] for row in TABLE])
async def test_the_ledger_lists_only_the_readers_area(session, cases, reader, sees):
    person = await person_named(session, reader)

    page = await ledger_page(session, ledger_view(person, CaseFilter(), NOW), NOW, size=100)

    listed = {row.number for row in page.rows}
    assert sees <= listed
    assert not ({SHIQIAO, LIUSHU, QINGHE, CONDUCT} - sees) & listed


async def test_a_township_reader_cannot_widen_the_ledger_to_another_township(session, cases):
    leader = await person_named(session, "刘书记")
    other = (await person_named(session, "周乡长")).township_id

    page = await ledger_page(session, ledger_view(leader, CaseFilter(township_id=other), NOW), NOW)

    assert page.rows == [] and page.total == 0


async def test_a_cadre_also_sees_the_cases_they_help_on(session, cases):
    from models import CaseHelper

    cadre = await person_named(session, "王建国")
    qinghe = await visible_case(session, QINGHE, await person_named(session, "吴督查"))
    session.add(CaseHelper(case_id=qinghe.id, person_id=cadre.id))
    await session.commit()

    page = await ledger_page(session, ledger_view(cadre, CaseFilter(), NOW), NOW)

    assert QINGHE in {row.number for row in page.rows}
    assert (await visible_case(session, QINGHE, cadre)).number == QINGHE


async def test_a_villager_has_no_ledger(session, cases):
    from sqlalchemy import select

    from models import Person

    villager = await session.scalar(select(Person).where(Person.name == "张大爷"))

    with pytest.raises(NotAllowed):
        ledger_view(villager, CaseFilter(), NOW)
