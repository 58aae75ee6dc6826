"""Long polling acknowledges an update only once it is done; a database outage loses and doubles nothing."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest
from aiogram.methods import GetMe, GetUpdates
from aiogram.types import CallbackQuery, Message, Update
from sqlalchemy import event, func, select

from bot.polling import STRIKES, Acknowledgement, Polling
from models import Case, ProcessedUpdate
from tests.fakebot import BOT_USER, FakeTelegram
from tests.harness import UPDATE_IDS, Harness
from tests.test_case_loop import LI, ZHANG, draft_ready_to_submit


@pytest.mark.parametrize("offset, fetched, outcomes, again, new_offset", [
    # All done: acknowledge past the last fetched.
    (None, [5, 6, 7], {5: True, 6: True, 7: True}, [], 8),
    # Nothing fetched: the offset stays.
    (8, [], {}, [], 8),
    # The first that must come again holds the offset, even when later ones are done.
    (None, [5, 6, 7], {5: True, 6: False, 7: True}, [6], 6),
    (None, [5, 6, 7], {5: False, 6: False, 7: False}, [5, 6, 7], 5),
    # Fetched again but already done: not handled again, and acknowledged with the rest.
    (6, [6, 7], {6: True}, [], 8),
])
def test_the_offset_moves_only_past_updates_that_are_done(offset, fetched, outcomes, again, new_offset):
    ack = Acknowledgement(offset=offset, done={7} if offset == 6 else set())

    result = ack.settle(fetched, outcomes)

    assert result == again
    assert ack.offset == new_offset


def test_an_update_done_above_one_that_must_come_again_is_not_handled_twice():
    ack = Acknowledgement()
    ack.settle([5, 6, 7], {5: True, 6: False, 7: True})

    fresh = ack.fresh([Update(update_id=6), Update(update_id=7)])

    assert [u.update_id for u in fresh] == [6]


def test_updates_done_while_an_older_fetch_was_on_its_way_are_not_handled_again():
    ack = Acknowledgement()
    for uid in (1, 2):
        ack.start(uid)
    ack.seen([1, 2], asked=None)
    asked = ack.offset  # a getUpdates leaves with offset 1 ...
    ack.finish(1, True)
    ack.finish(2, True)  # ... and both end before its answer comes back

    ack.seen([1, 2, 3], asked=asked)
    fresh = ack.fresh([Update(update_id=u) for u in (1, 2, 3)])

    assert [u.update_id for u in fresh] == [3]


def test_an_update_still_in_hand_holds_the_offset_while_later_ones_are_done():
    ack = Acknowledgement()
    for uid in (4, 5, 6):
        ack.start(uid)
    ack.seen([4, 5, 6])

    ack.finish(5, True)
    ack.finish(6, True)

    assert ack.offset == 4 and ack.fresh([Update(update_id=u) for u in (4, 5, 6)]) == []


def test_an_update_failing_while_others_get_through_is_dropped_after_its_strikes():
    ack = Acknowledgement()
    for later in range(6, 6 + STRIKES - 1):  # each round, a newer update gets through beside it
        assert ack.settle([5, later], {5: False, later: True}) == [5]

    again = ack.settle([5, 20], {5: False, 20: True})

    assert again == [] and ack.offset == 21


def test_updates_failing_all_together_are_never_dropped():
    ack = Acknowledgement()
    for _ in range(STRIKES * 3):
        again = ack.settle([5, 6], {5: False, 6: False})

    assert again == [5, 6] and ack.offset == 5


class QueuedTelegram(FakeTelegram):
    """The fake Telegram, holding updates for getUpdates as Telegram does: until an offset passes them."""

    def __init__(self):
        super().__init__()
        self.queue: list[Update] = []
        self.polls = 0

    async def make_request(self, bot, method, timeout=None):
        if isinstance(method, GetUpdates):
            self.polls += 1
            if method.offset is not None:
                self.queue = [u for u in self.queue if u.update_id >= method.offset]
            if not self.queue:
                await asyncio.sleep(0.01)
            return list(self.queue)
        if isinstance(method, GetMe):
            return BOT_USER
        return await super().make_request(bot, method, timeout)


def press_update(chat: Harness, user, label: str) -> Update:
    message = chat.find(user, button=label)
    query = CallbackQuery(id=f"q{next(UPDATE_IDS)}", from_user=user, chat_instance="ci",
                          data=chat.button_data(message, label), message=message)
    return Update(update_id=next(UPDATE_IDS), callback_query=query)


def text_update(user, text: str) -> Update:
    message = Message(message_id=next(UPDATE_IDS), date=datetime.now(timezone.utc), from_user=user,
                      chat={"id": user.id, "type": "private"}, text=text)
    return Update(update_id=next(UPDATE_IDS), message=message)


async def test_updates_sent_while_the_database_is_down_are_handled_once_when_it_is_back(
        sessionmaker, clock, config, county):
    chat = Harness(sessionmaker, clock, config)
    await draft_ready_to_submit(chat, ZHANG, "停电三天了")
    telegram = QueuedTelegram()
    chat.bot.session = telegram
    telegram.chats = chat.fake.chats
    updates = [press_update(chat, ZHANG, "提交"), text_update(LI, "/start v_sq01"), text_update(LI, "/new")]
    telegram.queue = list(updates)
    outage = {"failing": True, "refused": 0}

    @event.listens_for(sessionmaker.kw["bind"].sync_engine, "before_cursor_execute")
    def refuse(*_args):
        if outage["failing"]:
            outage["refused"] += 1
            raise ConnectionRefusedError(111, "Connection refused")

    polling = Polling(chat.dp, chat.bot, first_delay=0.01, max_delay=0.02)
    stop = asyncio.Event()
    running = asyncio.create_task(polling.run(stop))
    for _ in range(500):  # the outage lasts until the poller tried again a few times
        if outage["refused"] >= 4 and telegram.polls >= 4:
            break
        await asyncio.sleep(0.01)
    handled_during_outage = polling.ack.offset
    outage["failing"] = False
    for _ in range(500):
        if not telegram.queue:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await running
    event.remove(sessionmaker.kw["bind"].sync_engine, "before_cursor_execute", refuse)

    async with sessionmaker() as session:
        cases = await session.scalar(select(func.count()).select_from(Case))
        taken = set((await session.scalars(select(ProcessedUpdate.update_id))).all())
    receipts = [t for t in chat.texts(ZHANG) if "已受理" in t]
    assert outage["refused"] >= 4 and handled_during_outage == updates[0].update_id
    assert cases == 1 and len(receipts) == 1
    assert {u.update_id for u in updates} <= taken
    assert telegram.queue == [] and polling.ack.offset == updates[-1].update_id + 1
    assert any("反映什么问题" in t for t in chat.texts(LI)), chat.texts(LI)


def test_updates_held_behind_a_failing_one_of_the_same_person_get_no_strikes():
    ack = Acknowledgement()
    for later in range(10, 10 + STRIKES):  # another person's update gets through each round
        ack.settle([5, 6, later], {5: False, 6: False, later: True}, held=[6])

    again = ack.settle([6, 30], {6: True, 30: True})

    assert ack.strikes == {} and again == [] and ack.offset == 31
