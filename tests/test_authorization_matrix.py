"""The authorization matrix: every forbidden cell of role × relation × confidentiality × status × action is
tried on the real bot (a forged press, a stale button, an open conversation step, a reply to an old card)
and must be refused with a word, change nothing, and, where the case is hidden, read like a missing one."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot.migrate import upgrade_connection
from models.db import make_engine
from models.enums import Role, Status
from tests.authz_drive import MISSING, WAYS, World, refused_with_a_word, ways_of
from tests.authz_rules import (
    BY_THE_SYSTEM, RATE, ROLES_TABLE, SEE, TRIED, Cell, cells, status_table_agrees_with_lifecycle,
)
from services.lifecycle import Action

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_the_matrix_covers_every_role_status_and_action_of_the_code():
    generated = cells()

    roles = {cell.persona.role for cell in generated}
    statuses = {cell.status for cell in generated}
    actions = {cell.action for cell in generated} | BY_THE_SYSTEM

    assert roles == set(Role)
    assert statuses == set(Status)
    assert actions == set(Action) | {SEE, RATE}
    assert {p.relation for p in ROLES_TABLE} == {"owner", "helper", "reporter", "same area", "other area"}


def test_the_status_table_of_the_matrix_agrees_with_the_lifecycle():
    assert status_table_agrees_with_lifecycle() == []


def test_every_action_has_a_way_in_to_try():
    assert set(WAYS) == set(TRIED)
    assert all(WAYS[action] for action in TRIED)


@pytest.fixture
async def engine(tmp_path):
    """SQLite only: the checks do not depend on the database, and the matrix is some ten thousand tries."""
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


@pytest.mark.parametrize("action", TRIED, ids=str)
async def test_every_forbidden_cell_of_the_action_is_refused_with_a_word_and_changes_nothing(world, action):
    forbidden = [cell for cell in cells((action,)) if not cell.allowed]
    problems = []

    for cell in forbidden:
        for way, stale in ways_of(action):
            outcome = await world.attempt(cell, way, stale)
            wrong = refused_with_a_word(world, outcome, way)
            if outcome.changed:
                wrong = f"changed {outcome.changed}"
            elif wrong is None and cell.hidden and not way.reply_to_card:
                if outcome.calls != await world.missing_reply(cell, way, stale):
                    wrong = f"a hidden case answers unlike a missing one: {outcome.texts}"
            elif wrong is None and cell.hidden and outcome.texts != [world.not_found]:
                wrong = f"a hidden case answers unlike a missing one: {outcome.texts}"
            if wrong:
                problems.append(f"{cell} by {way.form}{' (stale)' if stale else ''}: {wrong}")

    assert forbidden
    assert problems == [], f"{len(problems)} holes:\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("action", TRIED, ids=str)
async def test_the_allowed_cells_of_the_action_get_past_the_checks(world, action):
    allowed = [cell for cell in cells((action,)) if cell.allowed]
    way, stale = ways_of(action)[0]
    if way.step is not None and not way.code:
        pytest.skip("the first way in is a step")
    problems = []

    for cell in allowed:
        outcome = await world.attempt(cell, way, stale)
        refused = [t for t in outcome.texts if t in world.refusals - world.harmless]
        if refused or outcome.unanswered:
            problems.append(f"{cell} by {way.form}: {refused or 'unanswered'}")

    assert problems == [], f"{len(problems)} allowed cells refused:\n" + "\n".join(problems[:40])


def test_a_missing_case_id_is_a_well_formed_one():
    assert 0 < MISSING < 2**31


LISTS = ("/cases", "/mycases", "/signoff", "/risks", "/overdue")


async def test_no_list_command_names_a_case_to_someone_who_may_not_see_it(world, clock):
    await world.make_listable(clock.now - timedelta(days=3))
    hidden = [cell for cell in cells((SEE,)) if cell.hidden]
    leaks = []

    for cell in hidden:
        await world.put(cell)
        number = world.cases[cell.confidential].number
        for command in LISTS:
            said = await world.say(cell.persona.who, command)
            if any(number in words for words in said):
                leaks.append(f"{cell} by {command}")

    assert hidden
    assert leaks == []


async def test_the_lists_do_name_the_case_to_its_owner(world, clock):
    await world.make_listable(clock.now - timedelta(days=3))
    owner = next(cell for cell in cells((SEE,)) if cell.persona.relation == "owner" and not cell.confidential
                 and cell.status == Status.in_progress)
    await world.put(owner)

    said = await world.say(owner.persona.who, "/cases")

    assert any(world.cases[False].number in words for words in said)


def _cell(who: str, relation: str, confidential: bool, status: Status, action) -> Cell:
    persona = next(p for p in ROLES_TABLE if p.who == who and p.relation == relation)
    return Cell(persona, confidential, status, action)


@pytest.mark.parametrize("who, confidential", [("黄县长", False), ("郑纪检", True)], ids=["county level", "干部作风"])
async def test_an_owner_whose_case_cannot_go_higher_is_refused_at_the_escalate_button(world, who, confidential):
    cell = _cell(who, "owner", confidential, Status.in_progress, Action.escalate)

    outcome = await world.attempt(cell, WAYS[Action.escalate][0], stale=True)

    assert [m for m, _params in outcome.calls] == ["answerCallbackQuery"]
    assert outcome.texts == [world.refusal_of("not_allowed")]
    assert outcome.changed == []


@pytest.mark.parametrize("action", [Action.resolve, Action.mediate], ids=str)
async def test_a_last_press_of_a_step_after_the_case_closed_shows_the_refusal(world, action):
    cell = _cell("王建国", "owner", False, Status.closed, action)
    way = next(w for w in WAYS[action] if w.step is not None and w.code)

    outcome = await world.attempt(cell, way, stale=False)

    assert [m for m, _params in outcome.calls] == ["answerCallbackQuery"]
    assert outcome.texts == [world.refusal_of("transition")]
    assert outcome.changed == []
