"""What keeps an update cheap: SQLite in place with queued writers, gated routers, no worker threads."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest
from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Chat, Message, User
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy import func, select, text

from bot.filters import MenuButton
from bot.gates import MessageGate, PressGate, gate
from bot.i18n import make_i18n
from bot.keyboards import PickCb
from handlers import ROUTERS
from models import ProcessedUpdate
from models.db import make_engine, make_sessionmaker

USER = User(id=1, is_bot=False, first_name="x")


class Steps(StatesGroup):
    one = State()
    two = State()


def message(text: str) -> Message:
    return Message(message_id=1, date=datetime.now(timezone.utc), chat=Chat(id=1, type="private"), from_user=USER,
                   text=text)


def press(data: str) -> CallbackQuery:
    return CallbackQuery(id="1", from_user=USER, chat_instance="c", data=data)


@pytest.fixture
async def sqlite_engine(tmp_path):
    from bot.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'inline.db'}"
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    yield engine
    await engine.dispose()


async def test_two_writers_take_turns_without_blocking_the_event_loop(sqlite_engine):
    sessionmaker = make_sessionmaker(sqlite_engine)
    now = datetime.now(timezone.utc)
    ticks = []

    async def ticker():
        for _ in range(20):
            ticks.append(asyncio.get_running_loop().time())
            await asyncio.sleep(0.005)

    async def writer(first_id: int):
        async with sessionmaker() as session:
            session.add(ProcessedUpdate(update_id=first_id, at=now))
            await session.flush()  # takes the database's write lock
            await asyncio.sleep(0.05)  # holds it across an await, as a handler calling Telegram would
            session.add(ProcessedUpdate(update_id=first_id + 1, at=now))
            await session.commit()

    await asyncio.gather(ticker(), writer(1), writer(10))

    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 4
    assert len(ticks) == 20


async def test_a_writer_that_rolls_back_lets_the_next_one_in(sqlite_engine):
    sessionmaker = make_sessionmaker(sqlite_engine)
    now = datetime.now(timezone.utc)

    async with sessionmaker() as first:
        first.add(ProcessedUpdate(update_id=1, at=now))
        await first.flush()
        await first.rollback()
    async with sessionmaker() as second:
        second.add(ProcessedUpdate(update_id=2, at=now))
        await asyncio.wait_for(second.commit(), timeout=5)

    async with sessionmaker() as session:
        assert (await session.scalars(select(ProcessedUpdate.update_id))).all() == [2]


def gated_router() -> Router:
    router = Router()

    @router.message(Command("stats"))
    async def stats(message: Message): ...

    @router.message(MenuButton(__("❓ Help")))
    async def help_button(message: Message): ...

    @router.message(StateFilter(Steps.one), F.text)
    async def step(message: Message): ...

    @router.callback_query(PickCb.filter(F.what == "x"))
    async def pick(query: CallbackQuery): ...

    gate(router)
    return router


@pytest.mark.parametrize(("text", "raw_state", "admitted"), [
    ("/stats", None, True),
    ("/stats@massline_demo_bot week", None, True),
    ("/STATS", None, True),
    ("/other", None, False),
    ("/", None, False),
    ("❓ 帮助", None, True),
    ("帮助", None, False),
    ("anything", "Steps:one", True),
    ("anything", "Steps:two", False),
    ("anything", None, False),
])
async def test_a_message_gate_admits_only_what_a_handler_could_take(text, raw_state, admitted):
    router = gated_router()
    message_gate = next(f.callback for f in router.message._handler.filters if isinstance(f.callback, MessageGate))

    with make_i18n().context(), make_i18n().use_locale("zh_CN"):
        result = await message_gate(message(text), raw_state=raw_state)

    assert result is admitted


@pytest.mark.parametrize(("data", "admitted"), [("p:x:1", True), ("p:y:1", True), ("c:open:1:", False), ("", False)])
async def test_a_press_gate_admits_only_its_prefixes(data, admitted):
    router = gated_router()
    press_gate = next(f.callback for f in router.callback_query._handler.filters if isinstance(f.callback, PressGate))

    assert await press_gate(press(data)) is admitted


def test_a_router_with_a_handler_that_cannot_be_described_gets_no_gate():
    router = Router()

    @router.message(Command("stats"))
    async def stats(message: Message): ...

    @router.message()
    async def anything(message: Message): ...

    gate(router)

    assert router.message._handler.filters in (None, [])


@pytest.mark.parametrize("router", ROUTERS, ids=lambda r: r.name)
def test_no_filter_or_handler_of_the_bot_runs_on_a_worker_thread(router):
    # aiogram runs a plain (not async) callable, such as a bare F filter or a State, on a thread per call.
    for observer in (router.message, router.callback_query):
        checked = [observer._handler, *observer.handlers]
        for handler in checked:
            for event_filter in handler.filters or []:
                assert event_filter.awaitable, (router.name, handler.callback, event_filter.callback)
        for handler in observer.handlers:
            assert handler.awaitable, (router.name, handler.callback)


SLOW_COUNT = text("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500000) "
                  "SELECT count(*) FROM n")


async def test_a_long_read_runs_off_the_event_loop_and_gives_the_same_rows(sqlite_engine):
    from models.db import LONG_RUNNING

    sessionmaker = make_sessionmaker(sqlite_engine)
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.001)

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    async with sessionmaker() as session:
        before = ticks
        elsewhere = await session.scalar(SLOW_COUNT, execution_options=LONG_RUNNING)
        during_elsewhere = ticks - before
        before = ticks
        in_place = await session.scalar(SLOW_COUNT)
        during_in_place = ticks - before
    ticking.cancel()

    assert elsewhere == in_place == 1_500_000
    assert during_elsewhere > during_in_place
    assert during_in_place <= 1
