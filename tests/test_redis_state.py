"""With REDIS_URL, conversation state lives in Redis and survives a restart of the bot."""
from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import select

from models import Case
from tests.harness import Harness
from tests.test_case_loop import ZHANG


@pytest.fixture
async def redis_storage():
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set; Redis tests skipped")
    from aiogram.fsm.storage.base import DefaultKeyBuilder
    from aiogram.fsm.storage.redis import RedisStorage

    # A prefix of its own keeps parallel runs from seeing each other's state.
    storage = RedisStorage.from_url(url, key_builder=DefaultKeyBuilder(prefix=f"test-{uuid.uuid4().hex}"))
    yield storage
    await storage.close()


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
async def test_a_half_done_report_in_redis_survives_a_restart(engine, sessionmaker, clock, config, county,
                                                             redis_storage):
    from aiogram.fsm.storage.redis import RedisEventIsolation

    before = Harness(sessionmaker, clock, config, storage=redis_storage,
                     isolation=RedisEventIsolation(redis_storage.redis))
    await before.say(ZHANG, "/start v_sq01")
    await before.say(ZHANG, "/new")
    await before.press(ZHANG, "环境污染")
    await before.say(ZHANG, "存在 Redis 里的描述")

    after = Harness(sessionmaker, clock, config, storage=redis_storage,
                    isolation=RedisEventIsolation(redis_storage.redis))
    await after.press(ZHANG, "下一步", message=before.last(ZHANG))
    await after.press(ZHANG, "显示我的名字")
    await after.press(ZHANG, "提交")

    async with sessionmaker() as s:
        case = await s.scalar(select(Case))
    assert case is not None and case.summary == "存在 Redis 里的描述"
