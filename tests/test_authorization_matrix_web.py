"""The dashboard's case actions through the same matrix: every forbidden cell of view, accept, escalate and
transfer is refused, changes nothing, and a hidden case answers exactly as a missing one."""
from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlalchemy import select

from bot.migrate import upgrade_connection
from models import Person
from models.db import make_engine
from services.lifecycle import Action
from services.web_auth import may_use_dashboard
from tests.authz_drive import World
from tests.authz_rules import SEE, cells
from tests.web_support import csrf_of, logged_in, web_app

MISSING_NUMBER = "2026-999999"
# action -> (method, path after /case/{number}, form)
WEB_WAYS = {
    SEE: ("GET", "", {}),
    Action.accept: ("POST", "/accept", {}),
    Action.escalate: ("POST", "/escalate", {"reason": "需要镇里协调"}),
    Action.transfer: ("POST", "/transfer", {"to": "{target}", "reason": "不归我管"}),
}
REFUSED = {403, 404, 409}


@pytest.fixture
async def engine(tmp_path):
    """SQLite only, as the chat matrix."""
    engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(upgrade_connection)
    yield engine
    await engine.dispose()


@pytest.fixture
async def world(sessionmaker, clock, config, county):
    built = World(sessionmaker, clock, config)
    await built.build()
    return built


async def _try(world: World, browser, csrf: str, action: str, number: str, confidential: bool = False):
    method, path, form = WEB_WAYS[action]
    url = f"/case/{quote(number)}{path}"
    if method == "GET":
        return await browser.get(url)
    target = world.ids["钱纪检" if confidential else "李秀英"]  # someone the case may be handed to
    data = {k: v.replace("{target}", str(target)) for k, v in form.items()}
    return await browser.post(url, data={"csrf": csrf, **data})


@pytest.mark.parametrize("action", list(WEB_WAYS), ids=str)
async def test_every_forbidden_cell_of_the_dashboard_is_refused_and_changes_nothing(world, sessionmaker, clock,
                                                                                    action):
    app = web_app(sessionmaker, clock)
    forbidden = [cell for cell in cells((action,)) if not cell.allowed]
    people = {cell.persona.who for cell in forbidden}
    problems, tried = [], 0

    for who in sorted(people):
        async with sessionmaker() as s:
            person = await s.scalar(select(Person).where(Person.name == who))
        if not may_use_dashboard(person):
            continue
        async with logged_in(app, sessionmaker, who, clock) as browser:
            csrf = csrf_of((await browser.get("/ledger")).text) if action != SEE else ""
            missing = await _try(world, browser, csrf, action, MISSING_NUMBER)
            for cell in (c for c in forbidden if c.persona.who == who):
                case = await world.put(cell)
                before = await world.snapshot()
                answer = await _try(world, browser, csrf, action, case.number, cell.confidential)
                after = await world.snapshot()
                tried += 1
                if answer.status_code not in REFUSED:
                    problems.append(f"{cell}: answered {answer.status_code}")
                elif before != after:
                    problems.append(f"{cell}: changed the database")
                elif cell.hidden and (answer.status_code, answer.text) != (missing.status_code, missing.text):
                    problems.append(f"{cell}: a hidden case answers unlike a missing one")

    assert tried
    assert problems == [], f"{len(problems)} holes:\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("action", list(WEB_WAYS), ids=str)
async def test_the_allowed_cells_of_the_dashboard_get_past_the_checks(world, sessionmaker, clock, action):
    app = web_app(sessionmaker, clock)
    allowed = [cell for cell in cells((action,)) if cell.allowed and cell.persona.role != "villager"]
    problems = []

    for cell in allowed:
        case = await world.put(cell)
        async with logged_in(app, sessionmaker, cell.persona.who, clock) as browser:
            csrf = csrf_of((await browser.get("/ledger")).text) if action != SEE else ""
            answer = await _try(world, browser, csrf, action, case.number, cell.confidential)
        world.forget()
        if answer.status_code in REFUSED:
            problems.append(f"{cell}: answered {answer.status_code}")

    assert allowed
    assert problems == []
