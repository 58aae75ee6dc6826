"""Shared fixtures: a fixed clock, a migrated database (SQLite, and PostgreSQL when configured)."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from bot.migrate import upgrade_connection
from models.db import make_engine, make_sessionmaker
from services.config import ServiceConfig

START = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)  # 10:00 in Asia/Shanghai


class FixedClock:
    """A clock that moves only when told to."""

    def __init__(self, now: datetime = START):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def config() -> ServiceConfig:
    return ServiceConfig()


def _backends():
    yield pytest.param("sqlite", id="sqlite")
    yield pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)


@pytest.fixture(params=list(_backends()))
async def engine(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
    else:
        url = os.environ.get("TEST_DATABASE_URL")
        if not url:
            pytest.skip("TEST_DATABASE_URL is not set; PostgreSQL tests skipped")
    engine = make_engine(url)
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await conn.run_sync(upgrade_connection)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine):
    return make_sessionmaker(engine)


@pytest.fixture
async def session(sessionmaker):
    async with sessionmaker() as s:
        yield s


@pytest.fixture
async def county(sessionmaker, clock):
    """The demo county, loaded through the directory importer."""
    from bot.demo import load_demo

    async with sessionmaker() as s:
        await load_demo(s, clock())


@pytest.fixture
async def chat(sessionmaker, clock, config, county):
    """The real dispatcher over the demo county, with a fake Telegram to talk to."""
    from tests.harness import Harness

    return Harness(sessionmaker, clock, config)


@pytest.fixture
async def redis_client():
    """A client of the Redis at TEST_REDIS_URL; the test is skipped without one."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set; Redis tests skipped")
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    yield client
    await client.aclose()


@pytest.fixture
def redis_isolation(redis_client):
    """aiogram's per-person locks in Redis, under a key prefix of this test's own."""
    import uuid

    from aiogram.fsm.storage.base import DefaultKeyBuilder
    from aiogram.fsm.storage.redis import RedisEventIsolation

    # A prefix of its own keeps parallel runs from seeing each other's locks.
    return RedisEventIsolation(redis_client, key_builder=DefaultKeyBuilder(prefix=f"test-{uuid.uuid4().hex}"))
