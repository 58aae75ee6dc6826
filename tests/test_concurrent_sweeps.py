"""Two bot processes sweeping the same due cases at once send each reminder once (PostgreSQL)."""
from __future__ import annotations

import asyncio
import os
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from bot.migrate import upgrade_connection
from models import CaseEvent, OutboxMessage
from models.db import make_engine, make_sessionmaker
from scheduler.context import JobContext
from scheduler.jobs import sweep_deadlines
from services.config import ServiceConfig
from tests.conftest import START
from tests.test_reminders import file_case

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pg_sessionmakers():
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set; PostgreSQL tests skipped")
    first, second = make_engine(url), make_engine(url)
    async with first.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
        await conn.run_sync(upgrade_connection)
    yield make_sessionmaker(first), make_sessionmaker(second)
    await first.dispose()
    await second.dispose()


async def test_two_sweeps_at_once_send_each_reminder_once(pg_sessionmakers):
    one, two = pg_sessionmakers
    config = ServiceConfig()
    from bot.demo import load_demo

    async with one() as session:
        await load_demo(session, START)
        for _ in range(40):
            await file_case(session, config)
    later = START + timedelta(days=3, hours=13)

    handled = await asyncio.gather(
        sweep_deadlines(JobContext(one, config, lambda: later)),
        sweep_deadlines(JobContext(two, config, lambda: later)),
    )

    async with one() as session:
        reminders = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.key.like("remind:%")))
    assert sum(handled) == 40
    assert reminders == 80  # first contact and half-time, once each for 40 cases


async def test_two_sweeps_in_small_batches_list_each_overdue_case_once(pg_sessionmakers, monkeypatch):
    one, two = pg_sessionmakers
    config = ServiceConfig()
    from bot.demo import load_demo
    from scheduler import jobs

    monkeypatch.setattr(jobs, "BATCH", 7)  # many batches each, so the two sweeps interleave
    async with one() as session:
        await load_demo(session, START)
        for _ in range(40):
            await file_case(session, config)
    overdue = START + timedelta(days=7)

    handled = await asyncio.gather(
        sweep_deadlines(JobContext(one, config, lambda: overdue)),
        sweep_deadlines(JobContext(two, config, lambda: overdue)),
    )

    async with one() as session:
        supervised = (await session.scalars(
            select(CaseEvent.case_id).where(CaseEvent.kind == "supervised"))).all()
        notices = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.key.like("supervised:%")))
    assert sum(handled) == 40
    assert len(supervised) == len(set(supervised)) == 40 and notices == 40
