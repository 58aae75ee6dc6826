"""Several requests in flight, several senders side by side: one chat's rows in order, none sent twice."""
from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import func, select

from bot.delivery import OutboxSender
from bot.i18n import make_i18n
from bot.notices import Renderer
from models import OutboxMessage
from models.db import make_engine, make_sessionmaker
from services import broadcasts
from services.intake import set_village
from services.people import identify
from tests.conftest import START
from tests.fakebot import FakeTelegram, make_bot

CHATS = [8001, 8002, 8003, 8004, 8005]
NOTICES = 12  # rows per chat
NUMBER = re.compile(r"第(\d+)条")


class Chats:
    """What several fake Telegrams saw together: calls in flight per chat, overlaps, order per chat."""

    def __init__(self) -> None:
        self.in_flight: dict[int, int] = {}
        self.most_in_flight = 0
        self.overlaps: list[int] = []
        self.numbers: dict[int, list[int]] = {}


class WatchedTelegram(FakeTelegram):
    """A fake Telegram that takes a few turns of the event loop per call and reports to a shared watch."""

    def __init__(self, watch: Chats):
        super().__init__()
        self.watch = watch

    async def make_request(self, bot, method, timeout=None):
        chat = int(method.chat_id)
        watch = self.watch
        if watch.in_flight.get(chat):
            watch.overlaps.append(chat)
        watch.in_flight[chat] = watch.in_flight.get(chat, 0) + 1
        watch.most_in_flight = max(watch.most_in_flight, sum(watch.in_flight.values()))
        try:
            # A call takes a while (as the network does), some longer than others: answers come back in
            # another order than asked, and another sender may claim meanwhile.
            await asyncio.sleep(0.002 * (1 + len(self.calls) % 3))
            result = await super().make_request(bot, method, timeout)
            watch.numbers.setdefault(chat, []).append(int(NUMBER.search(method.text).group(1)))
            return result
        finally:
            watch.in_flight[chat] -= 1


async def villagers_of_chats(s) -> list:
    """Register a villager of 石桥村 for each of CHATS and return them."""
    people = []
    for chat in CHATS:
        person = await identify(s, channel="telegram", external_id=str(chat), name=f"村民{chat}",
                                language_code="zh", now=START)
        await set_village(s, person, "sq01")
        people.append(person)
    return people


async def queue_numbered_notices(sessionmaker, config) -> None:
    """Queue NOTICES numbered notices for each chat, as conversation rows in the order of their numbers."""
    async with sessionmaker() as s:
        people = await villagers_of_chats(s)
        for number in range(NOTICES):
            item = await broadcasts.create_broadcast(s, config, by=None, audience="village:sq01", now=START,
                                                     text=f"第{number}条", at=START.replace(year=2099))
            for person in people:
                s.add(OutboxMessage(key=f"test:{item.id}:{person.id}", person_id=person.id, priority=0,
                                    created_at=START, not_before=START, attempts=0,
                                    payload={"notice": "broadcast", "broadcast_id": item.id}))
        await s.commit()


def sender_on(sessionmaker, config, clock, watch: Chats) -> OutboxSender:
    return OutboxSender(make_bot(WatchedTelegram(watch)), sessionmaker, Renderer(make_i18n(), config.tz, clock),
                        clock, rate=10_000, batch=20, concurrency=8)


async def pending(sessionmaker) -> int:
    async with sessionmaker() as s:
        return await s.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None)))


async def drain(sender: OutboxSender, sessionmaker) -> None:
    """Deliver until nothing is pending; a pass that finds only rows another sender holds yields to it."""
    for _ in range(500):
        if await sender.deliver_due() == 0:
            if await pending(sessionmaker) == 0:
                return
            await asyncio.sleep(0.01)
    raise AssertionError("the outbox did not drain")


async def test_requests_in_flight_together_keep_each_chats_rows_in_order(sessionmaker, config, clock, county):
    await queue_numbered_notices(sessionmaker, config)
    watch = Chats()

    await drain(sender_on(sessionmaker, config, clock, watch), sessionmaker)

    assert watch.most_in_flight > 1
    assert watch.overlaps == []
    assert watch.numbers == {chat: list(range(NOTICES)) for chat in CHATS}


@pytest.fixture
async def two_sessionmakers(engine):
    """Two engines on one database (SQLite file or PostgreSQL), as two bot processes have."""
    second = make_engine(engine.url.render_as_string(hide_password=False))
    yield make_sessionmaker(engine), make_sessionmaker(second)
    await second.dispose()


async def test_two_senders_on_one_database_send_each_row_once_and_each_chat_in_order(two_sessionmakers, config,
                                                                                    clock, county):
    one, two = two_sessionmakers
    await queue_numbered_notices(one, config)
    watch = Chats()

    await asyncio.gather(drain(sender_on(one, config, clock, watch), one),
                         drain(sender_on(two, config, clock, watch), two))

    assert watch.overlaps == []
    assert watch.numbers == {chat: list(range(NOTICES)) for chat in CHATS}


async def test_pokes_close_together_are_served_by_one_claim(sessionmaker, config, clock, county):
    async with sessionmaker() as s:
        people = [person.id for person in await villagers_of_chats(s)]
        item = await broadcasts.create_broadcast(s, config, by=None, audience="village:sq01", now=START,
                                                 text="第0条", at=START.replace(year=2099))
        await s.commit()
    fake = FakeTelegram()
    sender = OutboxSender(make_bot(fake), sessionmaker, Renderer(make_i18n(), config.tz, clock), clock,
                          rate=10_000, claim_gap=0.5)
    claims: list[int] = []
    claim = sender._claim
    sender._claim = lambda limit: _counted(claim, limit, claims)
    running = asyncio.create_task(sender.run(idle=5))
    await asyncio.sleep(0.05)  # the first claim, at start, finds nothing

    for person_id in people:  # five updates, each committing a row and poking the sender
        async with sessionmaker() as s:
            s.add(OutboxMessage(key=f"poke:{person_id}", person_id=person_id, priority=0, created_at=START,
                                not_before=START, attempts=0, payload={"notice": "broadcast", "broadcast_id": item.id}))
            await s.commit()
        sender.wakeup.set()
    for _ in range(500):
        if await pending(sessionmaker) == 0:
            break
        await asyncio.sleep(0.01)
    await sender.stop()
    await running

    assert await pending(sessionmaker) == 0
    assert sorted(fake.chats) == CHATS
    assert [n for n in claims if n] == [len(CHATS)]


async def _counted(claim, limit: int, claims: list[int]) -> int:
    got = await claim(limit)
    claims.append(got)
    return got
