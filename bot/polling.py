"""Long polling that acknowledges an update only once it is done: committed, or deliberately answered.

Telegram forgets every update below the offset of the next getUpdates. aiogram's own polling moves the
offset past each update as soon as it has fetched it, so an update whose handling failed because the
database was unreachable was gone. Here updates are handled as they come (one person's in order, different
people's side by side, fetching goes on meanwhile), and the offset moves only past the updates whose
handling ended: committed, answered with a domain error, or dropped as a bug. On a database outage the
poller waits (0.5 s doubling to 5 s) and asks for the same updates again, until the database is back. An
update handled twice acts once: its id is committed with its effects (bot/updates.py), and those done
above the offset are remembered here.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from aiogram import Bot, Dispatcher
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.types import Update

from bot.api_session import updates_held
from models.faults import database_unreachable

log = logging.getLogger(__name__)

# An update that fails on the database while updates beside it succeed is tried this often, then dropped:
# it would otherwise hold every later update back for ever.
STRIKES = 5


@dataclass
class Acknowledgement:
    """Which updates may be acknowledged: the offset rule, kept apart from HTTP to be tested alone."""

    offset: int | None = None  # the first update Telegram should still hold
    done: set[int] = field(default_factory=set)  # handled, above an update still running or to come again
    running: set[int] = field(default_factory=set)
    again: set[int] = field(default_factory=set)  # failed on the database: asked for again after a pause
    strikes: dict[int, int] = field(default_factory=dict)
    succeeded: int = 0  # updates done so far: tells whether the database worked for others meanwhile
    top: int | None = None  # the highest update fetched

    def fresh(self, updates: Sequence[Update]) -> list[Update]:
        """Return the fetched updates neither done, nor running, nor waiting to come again."""
        return [u for u in updates if not self.holds(u.update_id)]

    def holds(self, uid: int) -> bool:
        """Say whether the update is done, running or waiting to come again."""
        return uid in self.done or uid in self.running or uid in self.again

    def seen(self, fetched: Iterable[int], asked: int | None = None) -> None:
        """Note the ids of a fetch that was asked with offset `asked`: Telegram has forgotten those below it."""
        self.top = max([*fetched, *(() if self.top is None else (self.top,))], default=None)
        if asked is not None:
            # Only now may "done" forget them: a fetch asked with an older offset brings them back.
            self.done = {uid for uid in self.done if uid >= asked}
        self._advance()

    def start(self, uid: int) -> int:
        """Note that the update is being handled; return the mark its failure is judged by."""
        self.running.add(uid)
        return self.succeeded

    def finish(self, uid: int, ok: bool, mark: int | None = None) -> bool:
        """Record the update's end; return whether it must come again.

        A failure strikes the update when others succeeded since `mark`; `mark` None means it was not
        tried (it waited behind an earlier update of the same person that must come again).
        """
        self.running.discard(uid)
        if ok:
            self.done.add(uid)
            self.succeeded += 1
            self.strikes.pop(uid, None)
        else:
            if mark is not None and self.succeeded > mark:
                self.strikes[uid] = self.strikes.get(uid, 0) + 1
            if self.strikes.get(uid, 0) >= STRIKES:
                log.error("update %s failed on the database %d times while others got through; dropped", uid,
                          STRIKES)
                self.strikes.pop(uid)
                self.done.add(uid)
                ok = True
            else:
                self.again.add(uid)
        self._advance()
        return not ok

    def retry(self) -> list[int]:
        """Let the updates that must come again be handled when next fetched; return their ids."""
        again, self.again = sorted(self.again), set()
        return again

    def settle(self, fetched: Sequence[int], outcomes: dict[int, bool], held: Iterable[int] = ()) -> list[int]:
        """Record a round: the fetched ids and the tried ones' outcomes (`held`: untried); return what comes again."""
        held = set(held)
        self.seen(fetched, self.offset)
        marks = {uid: self.start(uid) for uid in outcomes}
        for uid in sorted(outcomes, key=lambda u: not outcomes[u]):  # successes first: they are "others"
            self.finish(uid, outcomes[uid], None if uid in held else marks[uid])
        return self.retry()

    def _advance(self) -> None:
        pending = self.running | self.again
        if pending:
            self.offset = min(pending)
        elif self.top is not None:
            self.offset = max(self.top + 1, self.offset or 0)


def sender_of(update: Update) -> object:
    """Return who sent the update (their user id, else the chat's), or the update itself when nobody did."""
    event = update.event
    user = getattr(event, "from_user", None)
    if user is not None:
        return user.id
    chat = getattr(event, "chat", None)
    return ("chat", chat.id) if chat is not None else ("update", update.update_id)


class Polling:
    """Fetch updates, handle each as it comes, and acknowledge only what is done."""

    def __init__(self, dispatcher: Dispatcher, bot: Bot, *, allowed_updates: list[str] | None = None,
                 timeout: int = 10, first_delay: float = 0.5, max_delay: float = 5.0):
        self.dispatcher, self.bot = dispatcher, bot
        self.allowed_updates, self.timeout = allowed_updates, timeout
        self.first_delay, self.max_delay = first_delay, max_delay
        self.ack = Acknowledgement()
        self.failures = 0  # pauses in a row for updates waiting for the database
        self.fetch_failures = 0  # getUpdates calls in a row that failed
        self.last_error = ""
        self.asked: int | None = None  # the offset of the last getUpdates
        self.tails: dict[object, asyncio.Task] = {}  # each person's last update in hand
        self.waiting: set[object] = set()  # people with an update that must come again
        self.tasks: set[asyncio.Task] = set()
        self.changed = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Take updates until `stop` is set; the updates in hand are finished first."""
        me = await self.bot.me()
        log.info("polling for updates as @%s", me.username)
        data = {"bots": [self.bot], **self.dispatcher.workflow_data}
        await self.dispatcher.emit_startup(bot=self.bot, dispatcher=self.dispatcher, **data)
        try:
            while not stop.is_set():
                if self.ack.again and not self.ack.running:
                    self.failures += 1
                    log.warning("%d update(s) wait for the database, unreachable (%s); asking again in %.1f s",
                                len(self.ack.again), self.last_error, self._delay(self.failures))
                    await self._pause(stop, self.failures)
                    self.ack.retry()
                    self.waiting.clear()
                self.changed.clear()
                updates = await self._fetch(stop)
                if updates is None:
                    continue
                started = self.start(updates, data)
                self.ack.seen((u.update_id for u in updates), self.asked)
                if not started and self.ack.running:
                    # Telegram hands back the updates in hand until they are done: wait for one to end.
                    await self._wait_change(stop)
        finally:
            if self.tasks:
                await asyncio.gather(*list(self.tasks), return_exceptions=True)
            await self.dispatcher.emit_shutdown(bot=self.bot, dispatcher=self.dispatcher, **data)

    async def handle(self, updates: Sequence[Update], data: dict) -> list[int]:
        """Handle the fresh ones among `updates` to the end; return the ids Telegram must deliver again."""
        self.start(updates, data)
        self.ack.seen((u.update_id for u in updates), self.ack.offset)
        if self.tasks:
            await asyncio.gather(*list(self.tasks))
        self.waiting.clear()
        return self.ack.retry()

    def start(self, updates: Sequence[Update], data: dict) -> int:
        """Start handling the fresh updates, each after its sender's previous one; return how many started."""
        started = 0
        for update in self.ack.fresh(updates):
            who = sender_of(update)
            if who in self.waiting:
                # An earlier update of theirs must come again first; this one comes again with it.
                self.ack.again.add(update.update_id)
                continue
            mark = self.ack.start(update.update_id)
            task = asyncio.create_task(self._after(self.tails.get(who), who, update, data, mark))
            self.tails[who] = task
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
            started += 1
        return started

    async def _after(self, previous: asyncio.Task | None, who: object, update: Update, data: dict,
                     mark: int) -> bool:
        """Handle the update once the sender's previous one is done; return whether it is done."""
        try:
            if previous is not None and not await previous:
                again = self.ack.finish(update.update_id, False)  # held: it comes again after that one
            else:
                ok = await self._one(update, data)
                again = self.ack.finish(update.update_id, ok, mark)
                if ok and self.failures:
                    log.info("the database is back; updates are handled again")
                    self.failures = 0
            if again:
                self.waiting.add(who)
            return not again
        finally:
            if self.tails.get(who) is asyncio.current_task():
                del self.tails[who]
            self.changed.set()

    async def _wait_change(self, stop: asyncio.Event) -> None:
        changed, stopped = asyncio.ensure_future(self.changed.wait()), asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({changed, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            changed.cancel()
            stopped.cancel()

    async def _one(self, update: Update, data: dict) -> bool:
        try:
            response = await self.dispatcher.feed_update(self.bot, update, **data)
            if isinstance(response, TelegramMethod):
                await self.dispatcher.silent_call_request(self.bot, response)
        except Exception as exc:
            if database_unreachable(exc):
                self.last_error = type(exc).__name__
                log.debug("update %s not handled: the database is unreachable (%s)", update.update_id, exc)
                return False
            log.exception("update %s failed and is dropped", update.update_id)
        return True

    async def _fetch(self, stop: asyncio.Event) -> list[Update] | None:
        self.asked = self.ack.offset
        method = GetUpdates(offset=self.asked, timeout=self.timeout, allowed_updates=self.allowed_updates)
        request_timeout = int((self.bot.session.timeout or 60) + self.timeout)
        with updates_held(self.ack.holds):  # the fetch's task copies the context now
            fetch = asyncio.ensure_future(self.bot(method, request_timeout=request_timeout))
        stopped = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
        if not fetch.done():
            fetch.cancel()
            return None
        try:
            updates = fetch.result()
        except Exception as exc:
            self.fetch_failures += 1
            log.warning("could not fetch updates (%s: %s); trying again", type(exc).__name__, exc)
            await self._pause(stop, self.fetch_failures)
            return None
        if self.fetch_failures:
            log.info("fetching updates works again")
            self.fetch_failures = 0
        return updates

    def _delay(self, failures: int) -> float:
        return min(self.max_delay, self.first_delay * 2 ** (failures - 1))

    async def _pause(self, stop: asyncio.Event, failures: int) -> None:
        try:
            await asyncio.wait_for(stop.wait(), timeout=self._delay(failures))
        except TimeoutError:
            pass
