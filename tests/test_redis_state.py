"""With REDIS_URL, Redis holds the per-person locks; conversation state is still committed with its update."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from bot.app import build_app
from bot.sandbox_run import SANDBOX_TOKEN
from bot.settings import Settings
from bot.storage import SqlStorage
from models import Case
from tests.harness import Harness
from tests.test_case_loop import ZHANG


async def test_with_redis_the_bot_keeps_conversation_state_in_the_database(tmp_path):
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set; Redis tests skipped")
    settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'bot.db'}", redis_url=url,
                        dashboard_listen="")

    app = await build_app(settings, SANDBOX_TOKEN)

    try:
        assert isinstance(app.dispatcher.storage, SqlStorage)
        assert type(app.dispatcher.fsm.events_isolation).__name__ == "RedisEventIsolation"
    finally:
        await app.dispatcher.emit_shutdown()
        await app.bot.session.close()
        await app.engine.dispose()


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
async def test_a_step_cut_off_before_its_update_committed_is_taken_again_from_the_same_place(
        engine, sessionmaker, clock, config, county, redis_isolation):
    chat = Harness(sessionmaker, clock, config, isolation=redis_isolation)
    await chat.say(ZHANG, "/start v_sq01")
    await chat.say(ZHANG, "/new")
    menu = chat.last(ZHANG)
    chat.fake.fail_on["editMessageText"] = RuntimeError("the step broke off here")

    await chat.press(ZHANG, "环境污染", message=menu)  # the category was chosen, then the step broke off
    await chat.press(ZHANG, "环境污染", message=menu)

    assert "请说说情况" in chat.last(ZHANG).text


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
async def test_a_half_done_report_survives_a_restart_with_redis_locks(engine, sessionmaker, clock, config, county,
                                                                     redis_isolation):
    before = Harness(sessionmaker, clock, config, isolation=redis_isolation)
    await before.say(ZHANG, "/start v_sq01")
    await before.say(ZHANG, "/new")
    await before.press(ZHANG, "环境污染")
    await before.say(ZHANG, "重启前写下的描述")

    after = Harness(sessionmaker, clock, config, isolation=redis_isolation)
    await after.press(ZHANG, "下一步", message=before.last(ZHANG))
    await after.press(ZHANG, "显示我的名字")
    await after.press(ZHANG, "提交")

    async with sessionmaker() as s:
        case = await s.scalar(select(Case))
    assert case is not None and case.summary == "重启前写下的描述"
