"""Deliver the outbox: claim due rows, send them at the allowed rate, record the outcome."""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest, TelegramForbiddenError, TelegramNetworkError, TelegramRetryAfter,
    TelegramServerError, TelegramUnauthorizedError,
)
from aiogram.types import Message
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.notices import Renderer
from models import MessageLink, OutboxMessage, Person
from models.delivery import PRIORITY_BROADCAST

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=120)
MAX_ATTEMPTS = 12
MAX_BACKOFF = 300


class RateLimiter:
    """Space sends evenly at `rate` per second, and pause everything on a 429."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate
        self.next_at = 0.0

    async def wait(self) -> None:
        now = time.monotonic()
        if self.next_at > now:
            await asyncio.sleep(self.next_at - now)
        self.next_at = max(now, self.next_at) + self.interval

    def pause(self, seconds: float) -> None:
        self.next_at = max(self.next_at, time.monotonic() + seconds)


class OutboxSender:
    """Send what the outbox holds; several processes may run one each."""

    def __init__(self, bot: Bot, sessionmaker: async_sessionmaker[AsyncSession], renderer: Renderer,
                 clock: Callable[[], datetime], rate: float = 25.0, batch: int = 10,
                 per_chat: timedelta = timedelta(seconds=1)):
        self.bot, self.sessionmaker, self.renderer, self.clock = bot, sessionmaker, renderer, clock
        self.limiter = RateLimiter(rate)
        # Small batches: a case reply queued during a large broadcast waits for one batch at most.
        self.batch = batch
        self.per_chat = per_chat
        self.last_sent: dict[int, datetime] = {}
        self.wakeup = asyncio.Event()

    def _note_sent(self, chat_id: int) -> None:
        now = self.clock()
        self.last_sent[chat_id] = now
        if len(self.last_sent) > 50_000:
            self.last_sent = {c: t for c, t in self.last_sent.items() if now - t < self.per_chat}

    async def release_claims(self) -> int:
        """Free rows claimed by a process that died; call at start when this is the only sender."""
        async with self.sessionmaker() as session:
            result = await session.execute(
                update(OutboxMessage).where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None),
                                            OutboxMessage.claimed_until.is_not(None))
                .values(claimed_until=None))
            await session.commit()
            return result.rowcount or 0

    async def run(self, idle: float = 1.0) -> None:
        """Deliver forever; sleep when nothing is due, wake early when poked."""
        while True:
            try:
                sent = await self.deliver_due()
            except Exception:
                log.exception("outbox pass failed; trying again shortly")
                sent = 0
            if sent == 0:
                try:
                    await asyncio.wait_for(self.wakeup.wait(), timeout=idle)
                except TimeoutError:
                    pass
                self.wakeup.clear()

    async def deliver_due(self) -> int:
        """Claim the due rows, deliver each, and return how many were handled."""
        ids = await self._claim(self.clock())
        for row_id in ids:
            try:
                await self._deliver(row_id)
            except Exception:
                # One row's failure (a locked database, a lost connection) must not hold the batch's other
                # claimed rows, nor loop: the row is retried after its lease with its attempts counted.
                log.exception("could not deliver outbox row %s", row_id)
                await self._count_failure(row_id)
        return len(ids)

    async def _count_failure(self, row_id: int) -> None:
        try:
            async with self.sessionmaker() as session:
                row = await session.get(OutboxMessage, row_id)
                row.attempts += 1
                if row.attempts >= MAX_ATTEMPTS:
                    row.failed_at, row.last_error = self.clock(), "gave up after repeated errors"
                await session.commit()
        except Exception:
            log.exception("could not record the failure of outbox row %s", row_id)

    async def _claim(self, now: datetime) -> list[int]:
        async with self.sessionmaker() as session:
            query = (
                select(OutboxMessage)
                .join(Person, Person.id == OutboxMessage.person_id)
                .where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None),
                       OutboxMessage.not_before <= now, Person.external_id.is_not(None),
                       (OutboxMessage.claimed_until.is_(None)) | (OutboxMessage.claimed_until < now))
                .order_by(OutboxMessage.priority, OutboxMessage.id)
                .limit(self.batch)
            )
            if session.bind.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True, of=OutboxMessage)
            rows = (await session.scalars(query)).all()
            for row in rows:
                row.claimed_until = now + LEASE
            await session.commit()
            return [row.id for row in rows]

    async def _deliver(self, row_id: int) -> None:
        async with self.sessionmaker() as session:
            row = await session.get(OutboxMessage, row_id)
            person = await session.get(Person, row.person_id)
            if person.unreachable_at is not None:
                row.failed_at, row.last_error = self.clock(), "unreachable"
                await session.commit()
                return
            chat_id = int(person.external_id)
            previous = self.last_sent.get(chat_id)
            if (row.priority >= PRIORITY_BROADCAST and previous is not None
                    and self.clock() - previous < self.per_chat):
                # About one message a second to one chat: come back to this row shortly.
                row.not_before, row.claimed_until = previous + self.per_chat, None
                await session.commit()
                return
            try:
                calls = await self.renderer.render(session, row, person)
            except Exception as exc:
                log.exception("could not render outbox row %s", row.id)
                row.failed_at, row.last_error = self.clock(), f"render: {exc!r}"[:500]
                await session.commit()
                return
            done = int(row.payload.get("_parts_sent", 0))
            try:
                for index, call in enumerate(calls[done:], start=done):
                    await self.limiter.wait()
                    result = await self.bot(call)
                    if isinstance(result, Message) and row.case_id:
                        # merge: a message id seen again (a reset server) must not undo the delivery record.
                        await session.merge(MessageLink(chat=str(result.chat.id), message_id=result.message_id,
                                                        case_id=row.case_id))
                    if index < len(calls) - 1:
                        # Record progress so a retry does not repeat the parts already delivered.
                        row.payload = {**row.payload, "_parts_sent": index + 1}
                        await session.commit()
                row.sent_at, row.claimed_until = self.clock(), None
                self._note_sent(chat_id)
            except TelegramRetryAfter as exc:
                self.limiter.pause(exc.retry_after)
                row.not_before = self.clock() + timedelta(seconds=exc.retry_after)
                row.claimed_until, row.last_error = None, "429"
                log.warning("Telegram asked to wait %ss", exc.retry_after)
            except TelegramForbiddenError as exc:
                row.failed_at, row.last_error = self.clock(), f"unreachable: {exc}"[:500]
                person.unreachable_at = self.clock()
                log.info("person %s blocked the bot; marked unreachable", person.id)
            except TelegramUnauthorizedError:
                raise
            except TelegramBadRequest as exc:
                row.failed_at, row.last_error = self.clock(), str(exc)[:500]
                log.error("Telegram refused outbox row %s: %s", row.id, exc)
            except (TelegramNetworkError, TelegramServerError, TimeoutError, OSError) as exc:
                row.attempts += 1
                row.last_error, row.claimed_until = f"{type(exc).__name__}: {exc}"[:500], None
                if row.attempts >= MAX_ATTEMPTS:
                    row.failed_at = self.clock()
                delay = min(2 ** row.attempts, MAX_BACKOFF)
                row.not_before = self.clock() + timedelta(seconds=delay)
                log.warning("outbox row %s failed (%s); retry in %ss", row.id, type(exc).__name__, delay)
            await session.commit()
