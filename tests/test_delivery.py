"""The outbox sender against a fake Telegram: nothing lost, nothing sent twice, failures handled."""
from __future__ import annotations

import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from aiogram.exceptions import TelegramForbiddenError, TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import SendMessage
from sqlalchemy import select, update

from bot.delivery import OutboxSender
from bot.i18n import make_i18n
from bot.notices import Renderer
from models import Case, MessageLink, OutboxMessage, Person
from models.enums import MessageKind
from services.conversation import add_message
from services.handling import accept_case
from services.intake import Part, set_village, submit_case
from services.people import bind_invitation, identify
from tests.fakebot import FakeTelegram, make_bot

WANG_CHAT = 2001  # 王建国, default cadre of 石桥村 (sq01)
ANY_METHOD = SendMessage(chat_id=1, text="x")


@pytest.fixture
def fake() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
def sender(fake, sessionmaker, clock) -> OutboxSender:
    renderer = Renderer(make_i18n(), ZoneInfo("Asia/Shanghai"))
    return OutboxSender(make_bot(fake), sessionmaker, renderer, clock, rate=10_000)


@pytest.fixture
async def report(sessionmaker, config, county, clock):
    """File a case from 张大爷 of 石桥村 and return it."""
    async def report(words: str = "村口的河被排污染黑了", category: str = "environment") -> Case:
        async with sessionmaker() as s:
            zhang = await identify(s, channel="telegram", external_id="3001", name="张大爷", language_code="zh",
                                   now=clock())
            await set_village(s, zhang, "sq01")
            return await submit_case(s, config, reporter=zhang, category_code=category,
                                     parts=[Part(MessageKind.text, text=words)], anonymous=False, now=clock())
    return report


async def rows(sessionmaker) -> list[OutboxMessage]:
    async with sessionmaker() as s:
        return list((await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def person(sessionmaker, name: str) -> Person:
    async with sessionmaker() as s:
        return await s.scalar(select(Person).where(Person.name == name))


def sent_to(fake: FakeTelegram, chat: int) -> list[str]:
    return [m.text or "" for m in fake.chats.get(chat, [])]


async def test_a_new_case_card_is_sent_to_the_owner_and_linked_to_the_case(sessionmaker, fake, sender, report,
                                                                          clock):
    case = await report()

    handled = await sender.deliver_due()

    async with sessionmaker() as s:
        links = (await s.scalars(select(MessageLink))).all()
    [row] = await rows(sessionmaker)
    [message] = fake.chats[WANG_CHAT]
    assert handled == 1 and case.number in message.text and "村口的河" in message.text
    assert [(link.chat, link.message_id, link.case_id) for link in links] == [
        (str(WANG_CHAT), message.message_id, case.id)]
    assert (row.sent_at, row.failed_at, row.claimed_until) == (clock(), None, None)


async def test_a_row_is_never_sent_twice(fake, sender, report):
    await report()
    await sender.deliver_due()
    calls = len(fake.calls)

    handled = await sender.deliver_due()

    assert handled == 0
    assert len(fake.calls) == calls == 1


async def test_too_many_requests_puts_the_row_off_by_retry_after_and_sends_it_later(sessionmaker, fake, sender,
                                                                                   report, clock):
    await report()
    fake.fail_next.append(TelegramRetryAfter(method=ANY_METHOD, message="Too Many Requests", retry_after=5))
    start = clock()

    await sender.deliver_due()
    [row] = await rows(sessionmaker)
    sender.limiter.next_at = 0.0  # the sender also pauses in real time; the test does not wait for it
    sooner = await sender.deliver_due()
    clock.advance(seconds=5)
    later = await sender.deliver_due()

    assert (row.sent_at, row.not_before, row.last_error) == (None, start + timedelta(seconds=5), "429")
    assert (sooner, later) == (0, 1)
    assert (await rows(sessionmaker))[0].sent_at == clock()
    assert len(sent_to(fake, WANG_CHAT)) == 1


async def test_a_person_who_blocked_the_bot_is_marked_unreachable_and_not_called_again(sessionmaker, fake, sender,
                                                                                      report, clock):
    await report("第一件")
    fake.fail_next.append(TelegramForbiddenError(method=ANY_METHOD, message="Forbidden: bot was blocked by the user"))
    await sender.deliver_due()
    calls = len(fake.calls)
    # Another category: the same one again would also alert the supervisor (early warning, a repeat).
    await report("第二件", category="hardship")

    handled = await sender.deliver_due()

    first, second = await rows(sessionmaker)
    wang = await person(sessionmaker, "王建国")
    assert wang.unreachable_at == clock()
    assert first.failed_at == clock() and "blocked" in first.last_error
    assert handled == 1 and (second.failed_at, second.sent_at, second.last_error) == (clock(), None, "unreachable")
    assert len(fake.calls) == calls and sent_to(fake, WANG_CHAT) == []


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(TelegramServerError(method=ANY_METHOD, message="Bad Gateway"), id="server-error"),
        pytest.param(TelegramNetworkError(method=ANY_METHOD, message="Connection reset"), id="network-error"),
    ],
)
async def test_a_server_or_network_error_is_retried_with_growing_backoff(sessionmaker, fake, sender, report, clock,
                                                                        error):
    await report()
    fake.fail_next += [error, error]
    start = clock()

    await sender.deliver_due()
    after_one = (await rows(sessionmaker))[0]
    clock.advance(seconds=2)
    await sender.deliver_due()
    after_two = (await rows(sessionmaker))[0]
    clock.advance(seconds=4)
    await sender.deliver_due()
    done = (await rows(sessionmaker))[0]

    assert (after_one.attempts, after_one.not_before) == (1, start + timedelta(seconds=2))
    assert after_one.last_error.startswith(type(error).__name__)
    assert (after_two.attempts, after_two.not_before) == (2, start + timedelta(seconds=2 + 4))
    assert (done.sent_at, done.failed_at) == (clock(), None)
    assert len(sent_to(fake, WANG_CHAT)) == 1


async def test_a_row_for_a_failing_call_is_not_retried_before_its_backoff_has_passed(sessionmaker, fake, sender,
                                                                                    report, clock):
    await report()
    fake.fail_next.append(TelegramServerError(method=ANY_METHOD, message="Bad Gateway"))
    await sender.deliver_due()

    clock.advance(seconds=1)
    handled = await sender.deliver_due()

    assert handled == 0 and len(fake.calls) == 1


async def test_a_card_for_a_cadre_who_has_not_bound_the_account_waits_until_they_bind(sessionmaker, fake, sender,
                                                                                     report, clock):
    async with sessionmaker() as s:
        wang = await s.scalar(select(Person).where(Person.name == "王建国"))
        wang.external_id, wang.invite_token = None, "wang-invitation"
        await s.commit()
    await report()

    before = await sender.deliver_due()
    async with sessionmaker() as s:
        await bind_invitation(s, token="wang-invitation", channel="telegram", external_id=str(WANG_CHAT),
                              language_code="zh", now=clock.advance(hours=1))
    after = await sender.deliver_due()

    assert (before, after) == (0, 1)
    assert len(sent_to(fake, WANG_CHAT)) == 1
    assert (await rows(sessionmaker))[0].sent_at == clock()


async def test_a_villager_who_blocked_the_bot_and_writes_again_is_reachable_again(sessionmaker, fake, sender,
                                                                                 report, clock):
    async with sessionmaker() as s:
        zhang = await identify(s, channel="telegram", external_id="3001", name="张大爷", language_code="zh",
                               now=clock())
        zhang.unreachable_at = clock()
        await s.commit()

    async with sessionmaker() as s:  # what the bot does with every update from the account
        await identify(s, channel="telegram", external_id="3001", name="张大爷", language_code="zh",
                       now=clock.advance(days=1))
        await s.commit()
    case = await report()
    async with sessionmaker() as s:
        wang = await s.scalar(select(Person).where(Person.name == "王建国"))
        await accept_case(s, case_id=case.id, actor=wang, now=clock())
    await sender.deliver_due()

    [update] = [r for r in await rows(sessionmaker) if r.payload["notice"] == "case_update"]
    assert (await person(sessionmaker, "张大爷")).unreachable_at is None
    assert (update.sent_at, update.failed_at) == (clock(), None)
    assert any(case.number in text for text in sent_to(fake, 3001))


async def test_a_card_whose_photo_failed_resumes_with_the_photo_and_does_not_repeat_the_card(sessionmaker, fake,
                                                                                            sender, report,
                                                                                            config, clock):
    async with sessionmaker() as s:
        zhang = await identify(s, channel="telegram", external_id="3001", name="张大爷", language_code="zh",
                               now=clock())
        await set_village(s, zhang, "sq01")
        await submit_case(s, config, reporter=zhang, category_code="environment", anonymous=False, now=clock(),
                          parts=[Part(MessageKind.text, text="河水发黑"), Part(MessageKind.photo, file_id="photo-1")])
    fake.fail_on["sendPhoto"] = TelegramServerError(method=ANY_METHOD, message="Bad Gateway")

    await sender.deliver_due()
    halfway = (await rows(sessionmaker))[0]
    clock.advance(seconds=2)
    await sender.deliver_due()

    methods = [c.method for c in fake.calls if c.params.get("chat_id") == WANG_CHAT]
    assert (halfway.payload["_parts_sent"], halfway.sent_at, halfway.attempts) == (1, None, 1)
    assert methods == ["sendMessage", "sendPhoto", "sendPhoto"]
    assert (await rows(sessionmaker))[0].sent_at == clock()


async def test_a_later_row_for_a_chat_waits_while_an_earlier_one_is_put_off(sessionmaker, fake, sender, report,
                                                                           clock):
    await report("第一件")
    await report("第二件", category="hardship")  # not the same category again: that would alert the supervisor
    fake.fail_next.append(TelegramServerError(method=ANY_METHOD, message="Bad Gateway"))

    await sender.deliver_due()
    during_backoff = (len(fake.calls), sent_to(fake, WANG_CHAT))
    await sender.deliver_due()
    clock.advance(seconds=2)
    await sender.deliver_due()

    assert during_backoff == (1, [])
    assert ["第一件" in t for t in sent_to(fake, WANG_CHAT)] == [True, False]


class TogetherTelegram(FakeTelegram):
    """A fake Telegram that answers the sends only once `expected` of them are in flight: all in one pass."""

    def __init__(self, expected: int):
        super().__init__()
        self.expected, self.waiting = expected, 0
        self.all_in = asyncio.Event()

    async def make_request(self, bot, method, timeout=None):
        self.waiting += 1
        if self.waiting >= self.expected:
            self.all_in.set()
        await self.all_in.wait()
        return await super().make_request(bot, method, timeout)


async def test_relays_answered_together_are_linked_to_their_cases_in_one_transaction(sessionmaker, config,
                                                                                   county, clock):
    villagers = [3001, 3002, 3003, 3004]
    async with sessionmaker() as s:
        wang = await s.scalar(select(Person).where(Person.name == "王建国"))
        cases = []
        for chat in villagers:
            villager = await identify(s, channel="telegram", external_id=str(chat), name=f"村民{chat}",
                                      language_code="zh", now=clock())
            await set_village(s, villager, "sq01")
            cases.append(await submit_case(s, config, reporter=villager, category_code="hardship", anonymous=False,
                                           parts=[Part(MessageKind.text, text="家里困难")], now=clock()))
        await s.execute(update(OutboxMessage).values(sent_at=clock()))  # the cards: not what this test sends
        for case in cases:
            await add_message(s, case_id=case.id, author=wang, part=Part(MessageKind.text, text="明天上门"),
                              now=clock())
    fake = TogetherTelegram(expected=len(villagers))
    sender = OutboxSender(make_bot(fake), sessionmaker, Renderer(make_i18n(), ZoneInfo("Asia/Shanghai")), clock,
                          rate=10_000)
    writes = []
    write = sender._write
    sender._write = lambda outcomes: writes.append(list(outcomes.links)) or write(outcomes)

    handled = await sender.deliver_due()

    async with sessionmaker() as s:
        links = {(int(link.chat), link.case_id) for link in (await s.scalars(select(MessageLink))).all()}
    texts = [sent_to(fake, chat) for chat in villagers]
    assert handled == len(villagers)
    assert links == {(chat, case.id) for chat, case in zip(villagers, cases)}
    assert [len(batch) for batch in writes if batch] == [len(villagers)]  # one transaction for the four
    assert all(len(t) == 1 and case.number in t[0] and "王建国" in t[0] and "明天上门" in t[0]
               for t, case in zip(texts, cases))
