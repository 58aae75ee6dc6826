"""One update, one transaction: conversation state, the case change and the update's id are kept together."""
from __future__ import annotations

from typing import Any

import pytest
from aiogram import BaseMiddleware
from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey
from sqlalchemy import func, select

from bot.storage import SqlStorage, current_session
from bot.updates import HandledUpdates
from models import Case, CaseMessage, ConversationState, ProcessedUpdate
from tests.harness import Harness
from tests.test_case_loop import ZHANG, draft_ready_to_submit

KEY = StorageKey(bot_id=1, chat_id=3001, user_id=3001)


class KeepsTheStateRow(BaseMiddleware):
    """Load the chat's conversation_states row into the update's session and hold it there to the end."""

    def __init__(self):
        self.rows = []

    async def __call__(self, handler, event, data: dict[str, Any]):
        session = data["session"]
        key = DefaultKeyBuilder().build(StorageKey(bot_id=data["bot"].id, chat_id=ZHANG.id, user_id=ZHANG.id))
        self.rows.append(await session.get(ConversationState, key))
        return await handler(event, data)


async def describe_in_three_messages_and_submit(chat: Harness) -> None:
    await chat.say(ZHANG, "/start v_sq01")
    await chat.say(ZHANG, "/new")
    await chat.press(ZHANG, "环境污染")
    for text in ("第一段：河水发黑", "第二段：已有一个月", "第三段：鱼都死了"):
        await chat.say(ZHANG, text)
    await chat.press(ZHANG, "下一步")
    await chat.press(ZHANG, "显示我的名字")
    await chat.press(ZHANG, "提交")


async def test_every_part_of_a_description_is_kept_while_the_state_row_stays_referenced(
        sessionmaker, clock, config, county):
    chat = Harness(sessionmaker, clock, config)
    keeper = KeepsTheStateRow()
    chat.dp.message.middleware(keeper)
    chat.dp.callback_query.middleware(keeper)

    await describe_in_three_messages_and_submit(chat)

    async with sessionmaker() as s:
        texts = (await s.scalars(select(CaseMessage.text).order_by(CaseMessage.id))).all()
    assert texts == ["第一段：河水发黑", "第二段：已有一个月", "第三段：鱼都死了"]


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
async def test_every_part_of_a_description_is_kept_with_redis_locks(engine, sessionmaker, clock, config, county,
                                                                    redis_isolation):
    chat = Harness(sessionmaker, clock, config, isolation=redis_isolation)

    await describe_in_three_messages_and_submit(chat)

    async with sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(CaseMessage)) == 3


async def test_state_data_handed_out_is_a_copy(sessionmaker):
    storage = SqlStorage(sessionmaker, remember=100)
    await storage.set_data(KEY, {"parts": [{"kind": "text", "text": "一"}]})

    handed_out = await storage.get_data(KEY)
    handed_out["parts"].append({"kind": "text", "text": "二"})

    assert await storage.get_data(KEY) == {"parts": [{"kind": "text", "text": "一"}]}


@pytest.mark.parametrize("remember", [0, 100])
async def test_state_staged_in_an_update_is_dropped_when_it_rolls_back(sessionmaker, remember):
    storage = SqlStorage(sessionmaker, remember=remember)
    await storage.set_state(KEY, "Intake:describing")

    async with sessionmaker() as session:
        token = current_session.set(session)
        try:
            await storage.set_state(KEY, "Intake:confirm")
            staged = await storage.get_state(KEY)
            await session.rollback()
            after_rollback = await storage.get_state(KEY)
        finally:
            current_session.reset(token)

    assert (staged, after_rollback) == ("Intake:confirm", "Intake:describing")
    assert await SqlStorage(sessionmaker).get_state(KEY) == "Intake:describing"


async def test_state_staged_in_an_update_is_written_by_its_commit(sessionmaker):
    storage = SqlStorage(sessionmaker, remember=100)

    async with sessionmaker() as session:
        token = current_session.set(session)
        try:
            await storage.set_state(KEY, "Intake:confirm")
            await storage.set_data(KEY, {"category": "environment"})
            await session.commit()
        finally:
            current_session.reset(token)

    fresh = SqlStorage(sessionmaker)
    assert await fresh.get_state(KEY) == "Intake:confirm"
    assert await fresh.get_data(KEY) == {"category": "environment"}


async def test_a_failed_filing_keeps_the_draft_and_records_the_update_once(chat, sessionmaker):
    from sqlalchemy import delete

    from models import Assignment, Person

    await draft_ready_to_submit(chat, ZHANG)
    async with sessionmaker() as s:
        await s.execute(delete(Assignment))
        for person in (await s.scalars(select(Person).where(Person.role != "villager"))).all():
            person.active = False
        await s.commit()

    await chat.press(ZHANG, "提交")

    async with sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(Case)) == 0
    assert "已保留" in chat.alerts()[-1]
    key = StorageKey(bot_id=chat.bot.id, chat_id=ZHANG.id, user_id=ZHANG.id)
    assert await chat.dp.storage.get_state(key) == "Intake:confirm"
    assert (await chat.dp.storage.get_data(key))["parts"][0]["text"] == "河水发黑"


async def test_an_update_cut_off_by_a_lost_connection_fails_with_that_error_and_comes_again(chat, sessionmaker):
    await chat.say(ZHANG, "/start v_sq01")
    await chat.say(ZHANG, "/new")
    menu = chat.last(ZHANG)
    chat.fake.fail_on["editMessageText"] = ConnectionResetError("connection lost mid-step")

    with pytest.raises(ConnectionResetError):  # not acknowledged: the poller or the webhook asks for it again
        await chat.press(ZHANG, "环境污染", message=menu)
    await chat.press(ZHANG, "环境污染", message=menu)

    assert "请说说情况" in chat.last(ZHANG).text


@pytest.mark.parametrize(("exclusive", "update_ids", "taken"), [
    (True, [101, 102, 102, 103], [True, True, False, True]),
    (True, [50, 101], [False, True]),  # 50 was handled by an earlier process
    (True, [60, 101], [True, True]),  # 60 was not, although it is lower than the highest handled
    (False, [50, 60, 60], [False, True, True]),  # without memory, only the database decides
])
async def test_an_update_is_taken_once(sessionmaker, clock, exclusive, update_ids, taken):
    async with sessionmaker() as s:
        s.add_all([ProcessedUpdate(update_id=50, at=clock()), ProcessedUpdate(update_id=100, at=clock())])
        await s.commit()
    handled = HandledUpdates(exclusive=exclusive)

    async with sessionmaker() as s:
        result = [await handled.take(s, update_id) for update_id in update_ids]

    assert result == taken


async def test_a_released_update_can_be_taken_again(sessionmaker):
    handled = HandledUpdates(exclusive=True)
    async with sessionmaker() as s:
        first = await handled.take(s, 7)
        handled.release(7)
        again = await handled.take(s, 7)

    assert (first, again) == (True, True)


async def test_an_update_forgotten_by_memory_is_looked_up(sessionmaker, clock):
    handled = HandledUpdates(exclusive=True, remember=2)
    async with sessionmaker() as s:
        for update_id in (1, 2, 3):
            await handled.take(s, update_id)
        s.add(ProcessedUpdate(update_id=1, at=clock()))
        await s.commit()

        assert await handled.take(s, 1) is False
        assert handled.forgotten_up_to == 1
