"""Webhook mode: the secret is checked, an update is answered 200 only once handled, failures ask for it again."""
from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.webhook import SECRET_HEADER, webhook_app
from models import ProcessedUpdate
from tests.harness import UPDATE_IDS
from tests.test_case_loop import ZHANG

SECRET = "s3cret_for-tests"


def text_update(text: str) -> dict:
    update_id = next(UPDATE_IDS)
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": 1_790_000_000, "text": text,
        "chat": {"id": ZHANG.id, "type": "private", "first_name": ZHANG.first_name},
        "from": {"id": ZHANG.id, "is_bot": False, "first_name": ZHANG.first_name, "language_code": "zh-hans"}}}


@pytest.fixture
async def hook(chat):
    client = TestClient(TestServer(webhook_app(chat.dp, chat.bot, "/telegram", SECRET)))
    await client.start_server()
    yield client
    await client.close()


async def handled(sessionmaker) -> int:
    async with sessionmaker() as s:
        return await s.scalar(select(func.count()).select_from(ProcessedUpdate))


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: ""},
                                     {SECRET_HEADER: SECRET + "x"}])
async def test_a_request_without_the_secret_is_refused_and_changes_nothing(hook, chat, sessionmaker, headers):
    before = await handled(sessionmaker)

    response = await hook.post("/telegram", json=text_update("/start"), headers=headers)

    assert response.status == 401
    assert await handled(sessionmaker) == before
    assert chat.inbox(ZHANG) == []


async def test_an_update_with_the_secret_is_handled_before_the_answer(hook, chat, sessionmaker):
    before = await handled(sessionmaker)

    response = await hook.post("/telegram", json=text_update("/start"), headers={SECRET_HEADER: SECRET})

    assert response.status == 200
    assert await handled(sessionmaker) == before + 1
    assert "乡镇" in chat.last(ZHANG).text


async def test_an_update_delivered_twice_at_once_acts_once(hook, chat, sessionmaker):
    update = text_update("/start")

    statuses = await asyncio.gather(*(hook.post("/telegram", json=update, headers={SECRET_HEADER: SECRET})
                                      for _ in range(2)))

    assert [r.status for r in statuses] == [200, 200]
    assert len(chat.inbox(ZHANG)) == 1


async def test_something_that_is_not_an_update_is_refused(hook):
    response = await hook.post("/telegram", data=b"{not json", headers={SECRET_HEADER: SECRET})

    assert response.status == 400


async def test_an_update_that_could_not_be_handled_is_asked_for_again(hook, chat, sessionmaker, monkeypatch):
    async def database_down(*args, **kwargs):
        raise ConnectionRefusedError("database unreachable")

    monkeypatch.setattr("bot.updates.HandledUpdates.take", database_down)
    before = await handled(sessionmaker)

    response = await hook.post("/telegram", json=text_update("/start"), headers={SECRET_HEADER: SECRET})

    assert response.status == 500
    assert await handled(sessionmaker) == before


@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
async def test_one_process_at_a_time_runs_the_jobs_and_another_takes_over(engine):
    from scheduler.leader import AdvisoryLock

    first, second = AdvisoryLock(engine, every=0.05), AdvisoryLock(engine, every=0.05)
    keepers = [asyncio.create_task(first.keep())]
    await asyncio.sleep(0.2)
    keepers.append(asyncio.create_task(second.keep()))
    await asyncio.sleep(0.2)
    both_before = (first.held, second.held)

    await first.close()
    keepers[0].cancel()
    await asyncio.sleep(0.3)
    after = second.held

    keepers[1].cancel()
    await second.close()
    assert both_before == (True, False)
    assert after is True


def test_the_sqlite_default_is_always_the_leader(tmp_path):
    from models.db import make_engine
    from scheduler.leader import SoleProcess, leadership_for

    leadership = leadership_for(make_engine(f"sqlite:///{tmp_path / 'x.db'}"), every=1)

    assert isinstance(leadership, SoleProcess) and leadership.held


def test_webhook_settings_need_a_secret():
    from bot.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="WEBHOOK_SECRET"):
        load_settings(webhook_url="https://bot.example/telegram", _env_file=None)
