"""Explainers and broadcasts: audiences, schedules, repeats, resumption, blocked people, priority."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import SendMessage
from sqlalchemy import select

from bot.delivery import OutboxSender
from bot.i18n import make_i18n
from bot.notices import Renderer
from models import OutboxMessage, Person
from services import broadcasts, policies
from services.errors import InvalidInput
from services.intake import set_village
from services.people import identify
from tests.conftest import START
from tests.fakebot import FakeTelegram, make_bot

CONTENT = Path(__file__).resolve().parent.parent / "content" / "policies"


async def villager(session, tg: int, village: str, subscribed: bool = True) -> Person:
    person = await identify(session, channel="telegram", external_id=str(tg), name=f"村民{tg}", language_code="zh",
                            now=START)
    person.subscribed = subscribed
    await set_village(session, person, village)
    return person


@pytest.fixture
async def households(session, county):
    """Two households in 石桥镇, one of them unsubscribed, one in 清河乡."""
    return [await villager(session, 5001, "sq01"), await villager(session, 5002, "sq02", subscribed=False),
            await villager(session, 5003, "qh01")]


def sender_for(sessionmaker, config, clock, fake=None) -> tuple[OutboxSender, FakeTelegram]:
    fake = fake or FakeTelegram()
    return OutboxSender(make_bot(fake), sessionmaker, Renderer(make_i18n(), config.tz, clock), clock,
                        rate=10_000), fake


async def deliver_all(sender: OutboxSender) -> None:
    while await sender.deliver_due():
        pass


def chats(fake: FakeTelegram) -> list[int]:
    return [c.params["chat_id"] for c in fake.calls if c.method == "sendMessage"]


@pytest.mark.parametrize(("text", "problem"), [
    ("---\ntopic: 养老\ntitle: 养老保险\n---\n正文", None),
    ("---\ntitle: 养老保险\n---\n正文", "missing topic"),
    ("no front matter", "missing front matter"),
    ("---\ntopic: 养老\ntitle: 养老保险\n---\n", "missing body"),
    ("---\ntopic 养老\n---\n正文", "without a colon"),
])
def test_explainer_front_matter_is_checked(text, problem):
    if problem is None:
        assert policies.parse_explainer("pension", text).title == "养老保险"
    else:
        with pytest.raises(InvalidInput, match=problem):
            policies.parse_explainer("pension", text)


async def test_the_shipped_samples_load_and_are_marked_as_samples(session, clock):
    count = await policies.import_policies(session, CONTENT, clock())

    articles = [a for t in await policies.topics(session) for a in await policies.explainers_of(session, t)]
    assert count == 5 and len(articles) == 5
    assert all(a.sample for a in articles)


@pytest.mark.parametrize(("audience", "urgent", "expected"), [
    ("township:石桥镇", False, [5001]),
    ("township:石桥镇", True, [5001, 5002]),
    ("village:qh01", False, [5003]),
    ("county", False, [5001, 5003]),
])
async def test_a_broadcast_reaches_exactly_its_audience(sessionmaker, session, config, clock, households,
                                                        audience, urgent, expected):
    await broadcasts.create_broadcast(session, config, by=None, audience=audience, now=clock(), text="明天停水",
                                      urgent=urgent)
    await broadcasts.fan_out_due(session, config, clock())
    sender, fake = sender_for(sessionmaker, config, clock)

    await deliver_all(sender)

    assert sorted(chats(fake)) == expected


async def test_a_repeating_broadcast_runs_once_per_fire_time(session, config, clock, households):
    item = await broadcasts.create_broadcast(session, config, by=None, audience="county", now=START,
                                             text="每周安全提示", cron="0 9 * * 1")
    first = item.next_run_at  # Monday 2026-11-30 09:00 local = 01:00 UTC, before START (10:00 local)

    queued = [await broadcasts.fan_out_due(session, config, START + timedelta(days=7)),
              await broadcasts.fan_out_due(session, config, START + timedelta(days=7)),
              await broadcasts.fan_out_due(session, config, START + timedelta(days=14))]

    assert first == datetime(2026, 12, 7, 1, 0, tzinfo=timezone.utc)  # the next Monday, 09:00 local
    assert queued == [2, 0, 2]


async def test_a_scheduled_broadcast_waits_for_its_time(session, config, clock, households):
    await broadcasts.create_broadcast(session, config, by=None, audience="county", now=START, text="通知",
                                      at=START + timedelta(hours=3))

    early = await broadcasts.fan_out_due(session, config, START + timedelta(hours=2))
    on_time = await broadcasts.fan_out_due(session, config, START + timedelta(hours=3))

    assert (early, on_time) == (0, 2)


async def test_a_broadcast_killed_half_way_resumes_without_repeating_or_skipping(sessionmaker, session, config,
                                                                                clock, county):
    for tg in range(6000, 6020):
        await villager(session, tg, "sq01")
    await broadcasts.create_broadcast(session, config, by=None, audience="county", now=clock(), text="通知")
    await broadcasts.fan_out_due(session, config, clock())
    first, fake_one = sender_for(sessionmaker, config, clock)
    await first.deliver_due()  # one batch, then the process is killed

    second, fake_two = sender_for(sessionmaker, config, clock)
    await second.release_claims()
    await deliver_all(second)

    delivered = chats(fake_one) + chats(fake_two)
    assert sorted(delivered) == list(range(6000, 6020))


async def test_a_blocked_villager_is_marked_unreachable_counted_and_skipped_later(sessionmaker, session, config,
                                                                                 clock, households):
    item = await broadcasts.create_broadcast(session, config, by=None, audience="county", now=clock(), text="通知")
    await broadcasts.fan_out_due(session, config, clock())
    sender, fake = sender_for(sessionmaker, config, clock)
    fake.fail_next.append(TelegramForbiddenError(method=SendMessage(chat_id=5001, text="x"),
                                                 message="Forbidden: bot was blocked by the user"))
    await deliver_all(sender)

    async with sessionmaker() as s:
        tally = await broadcasts.counts(s, item.id)
        blocked = await s.scalar(select(Person).where(Person.external_id == "5001"))
        await broadcasts.create_broadcast(s, config, by=None, audience="county", now=clock(), text="第二条")
        second_run = await broadcasts.fan_out_due(s, config, clock())
    assert (tally.delivered, tally.unreachable, tally.failed, tally.queued) == (1, 1, 0, 0)
    assert blocked.unreachable_at is not None and second_run == 1


async def test_injected_429_and_5xx_lose_nothing(sessionmaker, session, config, clock, households):
    item = await broadcasts.create_broadcast(session, config, by=None, audience="county", now=clock(), text="通知")
    await broadcasts.fan_out_due(session, config, clock())
    sender, fake = sender_for(sessionmaker, config, clock)
    fake.fail_next += [TelegramRetryAfter(method=SendMessage(chat_id=1, text="x"), message="Too Many Requests",
                                          retry_after=3),
                       TelegramServerError(method=SendMessage(chat_id=1, text="x"), message="Bad Gateway")]
    sender.limiter.pause = lambda seconds: None  # the fixed clock stands still; do not really sleep

    await deliver_all(sender)
    clock.advance(minutes=5)
    await deliver_all(sender)

    async with sessionmaker() as s:
        tally = await broadcasts.counts(s, item.id)
    assert (tally.delivered, tally.queued) == (2, 0)
    assert sorted(set(chats(fake))) == [5001, 5003]


async def test_a_case_reply_queued_during_a_broadcast_goes_before_the_rest_of_it(sessionmaker, session, config,
                                                                                clock, county):
    for tg in range(7000, 7030):
        await villager(session, tg, "sq01")
    await broadcasts.create_broadcast(session, config, by=None, audience="county", now=clock(), text="通知")
    await broadcasts.fan_out_due(session, config, clock())
    sender, fake = sender_for(sessionmaker, config, clock)
    await sender.deliver_due()
    wang = await session.scalar(select(Person).where(Person.name == "王建国"))
    session.add(OutboxMessage(key="test:reply", person_id=wang.id, priority=0, created_at=clock(),
                              not_before=clock(), attempts=0, payload={"notice": "broadcast", "broadcast_id": 1}))
    await session.commit()

    await sender.deliver_due()

    assert chats(fake)[sender.batch] == 2001


async def test_the_sender_gets_a_report_when_a_run_is_finished(sessionmaker, session, config, clock, households):
    supervisor = await session.scalar(select(Person).where(Person.name == "吴督查"))
    await broadcasts.create_broadcast(session, config, by=supervisor, audience="county", now=clock(), text="通知")
    await broadcasts.fan_out_due(session, config, clock())
    sender, fake = sender_for(sessionmaker, config, clock)
    await deliver_all(sender)

    reported = await broadcasts.report_finished_runs(session, clock())
    again = await broadcasts.report_finished_runs(session, clock())
    await deliver_all(sender)

    assert (reported, again) == (1, 0)
    assert "送达 2" in fake.chats[2301][-1].text
