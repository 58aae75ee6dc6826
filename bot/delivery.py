"""Deliver the outbox: claim due rows, send several at once at the allowed rate, record the outcomes in bulk."""
from __future__ import annotations

import asyncio
import heapq
import logging
import math
import time
from bisect import insort
from collections.abc import Callable
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest, TelegramForbiddenError, TelegramNetworkError, TelegramRetryAfter, TelegramServerError,
)
from aiogram.types import Message
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.api_session import sender_reads_ids
from bot.notices import Renderer
from bot.outbox_rows import Claimed, OutboxRows, Outcomes
from bot.ratelimit import RateLimiter, SharedRateLimiter
from models.delivery import PRIORITY_BROADCAST
from models.faults import log_failure

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=120)
# A claimed row is not sent this close to the end of its lease (a long 429 pause): another sender may take it.
LEASE_MARGIN = timedelta(seconds=20)
MAX_ATTEMPTS = 12
MAX_BACKOFF = 300
# While sending continuously, claim about this much of a second of sending ahead, so the next claim overlaps.
AHEAD = 0.5
# A poke coming sooner than this after the last claim waits for the rest: under load every committed update
# pokes the sender, and one claim (a write transaction) then takes the rows of several updates.
CLAIM_GAP = 0.01
# Outcomes are written at once when the last write is this long past, else gathered until it is: one
# transaction for each outcome when sending slowly, for many when sending fast.
FLUSH_GAP = 0.05


def concurrency_for(rate: float) -> int:
    """Return how many requests to keep in flight by default: enough for the rate at a quarter-second round trip."""
    return min(256, max(8, math.ceil(rate / 4)))


def by_claim_order(row: Claimed) -> tuple[int, int]:
    return row.priority, row.id


class Lanes:
    """Claimed rows per chat in claim order; a chat has one row in flight at most, the best chat goes next."""

    def __init__(self) -> None:
        self.rows: dict[int, list[Claimed]] = {}  # person id -> rows not started yet, in claim order
        self.ready: list[tuple[int, int, int]] = []  # heap of (priority, id, person) of chats free to send
        self.free: set[int] = set()  # chats with rows and none in flight
        self.busy: set[int] = set()  # chats with a row in flight
        self.queued = 0
        self.changed = asyncio.Event()

    def people(self) -> list[int]:
        """Return the people whose rows this sender holds."""
        return list(self.rows.keys() | self.busy)

    def add(self, row: Claimed) -> None:
        """Queue a claimed row behind the earlier rows of its chat."""
        person = row.person.id
        insort(self.rows.setdefault(person, []), row, key=by_claim_order)
        self.queued += 1
        if person not in self.busy:
            self.free.add(person)
            heapq.heappush(self.ready, (row.priority, row.id, person))
        self.changed.set()

    def take(self) -> Claimed | None:
        """Return the first row of the best chat free to send, and mark that chat busy."""
        while self.ready:
            person = heapq.heappop(self.ready)[2]
            if person in self.free:  # entries of chats taken since are left in the heap and skipped here
                self.free.discard(person)
                self.busy.add(person)
                self.queued -= 1
                return self.rows[person].pop(0)
        return None

    def done(self, row: Claimed, go_on: bool) -> list[Claimed]:
        """Free the row's chat; return its later rows when they must not go now (the row did not go)."""
        person = row.person.id
        self.busy.discard(person)
        later = self.rows.get(person, [])
        if later and go_on:
            self.free.add(person)
            heapq.heappush(self.ready, (later[0].priority, later[0].id, person))
            later = []
        else:
            self.rows.pop(person, None)
            self.queued -= len(later)
        self.changed.set()
        return later


class OutboxSender:
    """Send what the outbox holds, several requests in flight; several processes may run one each."""

    def __init__(self, bot: Bot, sessionmaker: async_sessionmaker[AsyncSession], renderer: Renderer,
                 clock: Callable[[], datetime], rate: float = 25.0, batch: int = 10,
                 per_chat: timedelta = timedelta(seconds=1), concurrency: int | None = None,
                 limiter: RateLimiter | SharedRateLimiter | None = None, claim_gap: float = CLAIM_GAP):
        self.bot, self.sessionmaker, self.renderer, self.clock = bot, sessionmaker, renderer, clock
        self.limiter = limiter or RateLimiter(rate)
        concurrency = concurrency or concurrency_for(rate)
        # deliver_due() passes claim `batch` rows; run() keeps about AHEAD seconds of sending claimed.
        self.batch = batch
        self.ahead = max(batch, int(rate * AHEAD), concurrency)
        self.per_chat, self.claim_gap = per_chat, claim_gap
        self.last_sent: dict[int, datetime] = {}
        self.wakeup = asyncio.Event()
        self.lanes = Lanes()
        self.outcomes = Outcomes()
        self._places = asyncio.Semaphore(concurrency)
        self._sending: set[asyncio.Task] = set()
        self._rows: OutboxRows | None = None
        self._dirty = asyncio.Event()
        self._urgent = Outcomes()  # links of sends that just ended, written by the next _write_now
        self._urgent_lock = asyncio.Lock()
        self._stopping = False
        self._dry = False

    def _statements(self, session: AsyncSession) -> OutboxRows:
        if self._rows is None:
            self._rows = OutboxRows(session.bind.dialect.name)
        return self._rows

    def _note_sent(self, chat_id: int) -> None:
        now = self.clock()
        self.last_sent[chat_id] = now
        if len(self.last_sent) > 50_000:
            self.last_sent = {c: t for c, t in self.last_sent.items() if now - t < self.per_chat}

    async def release_claims(self) -> int:
        """Free rows claimed by a process that died; call at start when this is the only sender."""
        async with self.sessionmaker() as session:
            released = await self._statements(session).release_all(session)
            await session.commit()
            return released

    # -- passes and the running loop ---------------------------------------------------------------------

    async def deliver_due(self) -> int:
        """Claim one batch of due rows, deliver them all, record the outcomes; return how many were handled."""
        count = await self._claim(self.batch)
        if count:
            await self._dispatch(until_empty=True)
            if self._sending:
                await asyncio.gather(*list(self._sending))
        await self._flush(raise_errors=True)
        return count

    async def run(self, idle: float = 1.0) -> None:
        """Deliver until stopped: keep a little claimed ahead, sleep when nothing is due, wake when poked."""
        self._stopping = False
        dispatcher = asyncio.create_task(self._dispatch(until_empty=False), name="outbox-dispatch")
        flusher = asyncio.create_task(self._flush_loop(), name="outbox-flush")
        stopped = False
        try:
            while not self._stopping:
                want = max(self.ahead - self.lanes.queued, self.batch)
                claimed_at = time.monotonic()
                try:
                    got = await self._claim(want)
                except Exception:
                    log_failure(log, "outbox claim failed; trying again shortly")
                    got = 0
                self._dry = got < want
                if not self._dry and self.lanes.queued < self.ahead // 2:
                    continue
                try:
                    await asyncio.wait_for(self.wakeup.wait(), timeout=idle)
                except TimeoutError:
                    pass
                rest = self.claim_gap - (time.monotonic() - claimed_at)
                if rest > 0 and not self._stopping:
                    await asyncio.sleep(rest)  # pokes meanwhile are taken by the claim that follows
                self.wakeup.clear()
            stopped = True
        finally:
            await self._shut_down(dispatcher, flusher, let_calls_end=stopped)

    async def stop(self) -> None:
        """Ask run() to let the calls in flight end, hand back the rows not started, record everything, return."""
        self._stopping = True
        self.wakeup.set()
        self.lanes.changed.set()

    async def _shut_down(self, dispatcher: asyncio.Task, flusher: asyncio.Task, let_calls_end: bool) -> None:
        self._stopping = True
        self.lanes.changed.set()
        if let_calls_end:
            await asyncio.wait([dispatcher, *self._sending], timeout=10)
        for task in [dispatcher, *self._sending]:
            task.cancel()  # a row cut off mid-call stays leased: it may have gone, so it waits for its lease
        for rows in list(self.lanes.rows.values()):
            for row in rows:
                self.outcomes.released.append((row.id, row.lease))
        self.lanes = Lanes()
        flusher.cancel()
        await asyncio.sleep(0)  # let the cancelled sends hand back what they were writing
        self.outcomes.merge(self._urgent)
        self._urgent = Outcomes()
        try:
            await asyncio.wait_for(self._flush(raise_errors=False), timeout=10)
        except (TimeoutError, asyncio.CancelledError):
            log.warning("could not record the last outbox outcomes; their rows are retried after the lease")

    # -- claiming ------------------------------------------------------------------------------------------

    async def _claim(self, limit: int) -> int:
        now = self.clock()
        async with self.sessionmaker() as session:
            statements = self._statements(session)
            rows = await statements.claim(session, now=now, lease=now + LEASE, limit=limit,
                                          mine=self.lanes.people())
            await session.commit()
            expires = time.monotonic() + (LEASE - LEASE_MARGIN).total_seconds()
            # The identity map holds objects weakly: keep what rendering loads (the broadcast, the case) so the
            # batch's next rows find it there instead of loading it again.
            loaded: list = []
            event.listen(session.sync_session, "loaded_as_persistent", lambda _, obj: loaded.append(obj))
            for row in rows:
                row.expires = expires
                if row.person.unreachable_at is None:
                    await self._render(session, row)
                    # SQLite reads run in place: let the updates waiting on the loop go between two rows.
                    await asyncio.sleep(0)
        for row in rows:
            self.lanes.add(row)
        return len(rows)

    async def _render(self, session: AsyncSession, row: Claimed) -> None:
        try:
            row.calls = await self.renderer.render(session, row, row.person)
        except Exception as exc:
            log.exception("could not render outbox row %s", row.id)
            row.render_error = f"render: {exc!r}"[:500]
            await session.rollback()

    # -- sending -------------------------------------------------------------------------------------------

    async def _dispatch(self, until_empty: bool) -> None:
        """Start the best free chat's next row at each slot of the rate, while places in flight are free."""
        while True:
            await self._places.acquire()
            try:
                while not self.lanes.free and not self._stopping:
                    if until_empty and self.lanes.queued == 0:
                        break
                    self.lanes.changed.clear()
                    await self.lanes.changed.wait()
                if self.lanes.free and not self._stopping:
                    await self.limiter.wait()
                row = None if self._stopping else self.lanes.take()
            except BaseException:
                self._places.release()
                raise
            if row is None:
                self._places.release()
                if self._stopping or (until_empty and self.lanes.queued == 0):
                    return
                continue
            if not self._dry and self.lanes.queued < self.ahead // 2:
                self.wakeup.set()
            task = asyncio.create_task(self._settle(row))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _settle(self, row: Claimed) -> None:
        try:
            with sender_reads_ids():
                go_on = await self._send(row)
        except Exception as exc:
            # Something unexpected (a refused token, a bug): count it; the row is retried after its lease.
            log.exception("could not deliver outbox row %s", row.id)
            attempts = row.attempts + 1
            self.outcomes.change(row, attempts=attempts)
            if attempts >= MAX_ATTEMPTS:
                self.outcomes.change(row, failed_at=self.clock(), last_error=f"gave up: {exc!r}"[:500])
            go_on = False
        finally:
            self._places.release()
        for later in self.lanes.done(row, go_on):
            self.outcomes.released.append((later.id, later.lease))
        if row.unwritten is not None:
            await self._write_now(row.unwritten)
        self._dirty.set()

    async def _send(self, row: Claimed) -> bool:
        """Make the row's calls and note the outcome; return whether the chat's later rows may follow now."""
        # Always self.outcomes, never a local alias: a flush may swap it while a call is awaited.
        person = row.person
        if person.unreachable_at is not None:
            self.outcomes.change(row, failed_at=self.clock(), last_error="unreachable", claimed_until=None)
            return True
        if row.render_error:
            self.outcomes.change(row, failed_at=self.clock(), last_error=row.render_error, claimed_until=None)
            return True
        chat_id = int(person.external_id)
        previous = self.last_sent.get(chat_id)
        if row.priority >= PRIORITY_BROADCAST and previous is not None and self.clock() - previous < self.per_chat:
            # About one message a second to one chat: come back to this row shortly.
            self.outcomes.change(row, not_before=previous + self.per_chat, claimed_until=None)
            return False
        if time.monotonic() > row.expires:
            self.outcomes.released.append((row.id, row.lease))
            return False
        calls, first = row.calls, row.parts_sent
        sent_written = False
        try:
            for index in range(first, len(calls)):
                if index > first:
                    await self.limiter.wait()  # the first call went at the slot the dispatcher took
                result = await self.bot(calls[index])
                last = index == len(calls) - 1
                if not last:
                    # Record progress so a retry does not repeat the parts already delivered.
                    row.payload = {**row.payload, "_parts_sent": index + 1}
                if isinstance(result, Message) and row.case_id:
                    # A reply to this message may come at once and must find its case: its link (and the row's
                    # progress) is written now, not with the next batch; the last part's once the chat is free.
                    recorded = Outcomes(links=[{"chat": str(result.chat.id), "message_id": result.message_id,
                                                "case_id": row.case_id}])
                    if last:
                        recorded.sent.append(row.id)
                        row.unwritten, sent_written = recorded, True
                    else:
                        recorded.change(row, payload=row.payload)
                        await self._write_now(recorded)
                    continue
                if not last:
                    self.outcomes.change(row, payload=row.payload)
        except TelegramRetryAfter as exc:
            self.limiter.pause(exc.retry_after)
            self.outcomes.change(row, not_before=self.clock() + timedelta(seconds=exc.retry_after),
                                 claimed_until=None, last_error="429")
            log.warning("Telegram asked to wait %ss", exc.retry_after)
            return False
        except TelegramForbiddenError as exc:
            self.outcomes.change(row, failed_at=self.clock(), last_error=f"unreachable: {exc}"[:500],
                                 claimed_until=None)
            self.outcomes.unreachable.append(person.id)
            person.unreachable_at = self.clock()
            log.info("person %s blocked the bot; marked unreachable", person.id)
            return False
        except TelegramBadRequest as exc:
            self.outcomes.change(row, failed_at=self.clock(), last_error=str(exc)[:500], claimed_until=None)
            log.error("Telegram refused outbox row %s: %s", row.id, exc)
            return True
        except (TelegramNetworkError, TelegramServerError, TimeoutError, OSError) as exc:
            attempts = row.attempts + 1
            delay = min(2 ** attempts, MAX_BACKOFF)
            self.outcomes.change(row, attempts=attempts, last_error=f"{type(exc).__name__}: {exc}"[:500],
                                 claimed_until=None, not_before=self.clock() + timedelta(seconds=delay))
            if attempts >= MAX_ATTEMPTS:
                self.outcomes.change(row, failed_at=self.clock())
            log.warning("outbox row %s failed (%s); retry in %ss", row.id, type(exc).__name__, delay)
            return False
        self.outcomes.changes.pop(row.id, None)  # its progress no longer matters
        if not sent_written:
            self.outcomes.sent.append(row.id)
        self._note_sent(chat_id)
        return True

    # -- recording -----------------------------------------------------------------------------------------

    async def _flush_loop(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            await self._flush(raise_errors=False)
            await asyncio.sleep(FLUSH_GAP)  # gather outcomes for a while before the next write

    async def _flush(self, raise_errors: bool) -> None:
        """Write the gathered outcomes in one transaction; keep them for the next try if that fails."""
        outcomes, self.outcomes = self.outcomes, Outcomes()
        if not outcomes:
            return
        try:
            await self._write(outcomes)
        except Exception:
            self.outcomes.merge(outcomes)
            if raise_errors:
                raise
            log_failure(log, "could not record outbox outcomes; trying again shortly")
            self._dirty.set()
            await asyncio.sleep(1.0)

    async def _write(self, outcomes: Outcomes) -> None:
        async with self.sessionmaker() as session:
            await self._statements(session).record(session, outcomes, self.clock())
            await session.commit()

    async def _write_now(self, outcomes: Outcomes) -> None:
        """Write a row's outcome now, in one transaction with those of the sends that ended meanwhile.

        If that fails, leave them all to the next batch.
        """
        outcomes.merge(self._urgent)
        self._urgent = outcomes
        async with self._urgent_lock:
            if not self._urgent:
                return  # the writer before us took ours along
            # Sends whose answers came in the same pass of the loop join this transaction.
            await asyncio.sleep(0)
            urgent, self._urgent = self._urgent, Outcomes()
            try:
                await self._write(urgent)
            except Exception:
                log_failure(log, "could not record an outbox outcome now; recording it with the next batch")
                self.outcomes.merge(urgent)
            except BaseException:
                self.outcomes.merge(urgent)  # cancelled at shutdown: the last flush writes them (links are upserts)
                raise
