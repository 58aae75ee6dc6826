"""Long polling that acknowledges an update only once it is done: committed, or deliberately answered.

Telegram forgets every update below the offset of the next getUpdates. aiogram's own polling moves the
offset past each update as soon as it has fetched it, so an update whose handling failed because the
database was unreachable was gone. Here a batch is handled (its updates side by side, one person's in
order as ever), and the offset moves only past the updates whose handling ended: committed, answered
with a domain error, or dropped as a bug. On a database outage the poller waits (0.5 s doubling to 5 s)
and asks for the same updates again, until the database is back. An update handled twice acts once: its
id is committed with its effects (bot/updates.py), and those of this batch are remembered here.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from aiogram import Bot, Dispatcher
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.types import Update

from models.faults import database_unreachable

log = logging.getLogger(__name__)

# An update that fails on the database while updates beside it succeed is tried this often, then dropped:
# it would otherwise hold every later update back for ever.
STRIKES = 5


@dataclass
class Acknowledgement:
    """Which updates may be acknowledged: the offset rule, kept apart from HTTP to be tested alone."""

    offset: int | None = None  # the first update Telegram should still hold
    done: set[int] = field(default_factory=set)  # handled, above an update that must come again
    strikes: dict[int, int] = field(default_factory=dict)

    def fresh(self, updates: Sequence[Update]) -> list[Update]:
        """Return the fetched updates not handled yet."""
        return [u for u in updates if u.update_id not in self.done]

    def settle(self, fetched: Sequence[int], outcomes: dict[int, bool], held: Iterable[int] = ()) -> list[int]:
        """Record which fresh updates were done (True) or must come again (False); return those that must.

        `held` were not tried: they wait behind an earlier update of the same person that must come again.
        """
        held = set(held)
        again = sorted(uid for uid, ok in outcomes.items() if not ok)
        if again and any(outcomes.values()):
            # Others got through: the database is up for them. Count the failing ones' strikes.
            for uid in again:
                if uid not in held:
                    self.strikes[uid] = self.strikes.get(uid, 0) + 1
            dropped = [uid for uid in again if self.strikes.get(uid, 0) >= STRIKES]
            for uid in dropped:
                log.error("update %s failed on the database %d times while others got through; dropped", uid,
                          STRIKES)
            again = [uid for uid in again if uid not in dropped]
        self.done.update(uid for uid in outcomes if uid not in again)
        if again:
            self.offset = again[0]
        elif fetched:
            self.offset = max(fetched) + 1
        self.done = {uid for uid in self.done if self.offset is None or uid >= self.offset}
        self.strikes = {uid: n for uid, n in self.strikes.items() if uid in again}
        return again


def sender_of(update: Update) -> object:
    """Return who sent the update (their user id, else the chat's), or the update itself when nobody did."""
    event = update.event
    user = getattr(event, "from_user", None)
    if user is not None:
        return user.id
    chat = getattr(event, "chat", None)
    return ("chat", chat.id) if chat is not None else ("update", update.update_id)


class Polling:
    """Fetch updates, handle each, and acknowledge only what is done."""

    def __init__(self, dispatcher: Dispatcher, bot: Bot, *, allowed_updates: list[str] | None = None,
                 timeout: int = 10, first_delay: float = 0.5, max_delay: float = 5.0):
        self.dispatcher, self.bot = dispatcher, bot
        self.allowed_updates, self.timeout = allowed_updates, timeout
        self.first_delay, self.max_delay = first_delay, max_delay
        self.ack = Acknowledgement()
        self.failures = 0  # rounds in a row with updates waiting for the database
        self.fetch_failures = 0  # getUpdates calls in a row that failed
        self.last_error = ""

    async def run(self, stop: asyncio.Event) -> None:
        """Take updates until `stop` is set; the batch in hand is finished first."""
        me = await self.bot.me()
        log.info("polling for updates as @%s", me.username)
        data = {"bots": [self.bot], **self.dispatcher.workflow_data}
        await self.dispatcher.emit_startup(bot=self.bot, dispatcher=self.dispatcher, **data)
        try:
            while not stop.is_set():
                updates = await self._fetch(stop)
                if updates is None:
                    continue
                again = await self.handle(updates, data)
                if again:
                    log.warning("%d update(s) wait for the database, unreachable (%s); asking again in %.1f s",
                                len(again), self.last_error, self._delay(self.failures))
                    await self._pause(stop, self.failures)
        finally:
            await self.dispatcher.emit_shutdown(bot=self.bot, dispatcher=self.dispatcher, **data)

    async def handle(self, updates: Sequence[Update], data: dict) -> list[int]:
        """Handle the fresh ones among `updates`; return the ids Telegram must deliver again."""
        # One person's updates in order, one after the other; different people's side by side.
        people: dict[object, list[Update]] = {}
        for update in self.ack.fresh(updates):
            people.setdefault(sender_of(update), []).append(update)
        outcomes: dict[int, bool] = {}
        held: list[int] = []
        await asyncio.gather(*(self._in_order(mine, data, outcomes, held) for mine in people.values()))
        again = self.ack.settle([u.update_id for u in updates], outcomes, held)
        if again:
            self.failures += 1
        elif self.failures:
            log.info("the database is back; updates are handled again")
            self.failures = 0
        return again

    async def _in_order(self, updates: list[Update], data: dict, outcomes: dict[int, bool], held: list[int]) -> None:
        for n, update in enumerate(updates):
            outcomes[update.update_id] = ok = await self._one(update, data)
            if not ok:
                # What the person sent later waits for this one: their conversation stays in order.
                for later in updates[n + 1:]:
                    outcomes[later.update_id] = False
                    held.append(later.update_id)
                return

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
        method = GetUpdates(offset=self.ack.offset, timeout=self.timeout, allowed_updates=self.allowed_updates)
        request_timeout = int((self.bot.session.timeout or 60) + self.timeout)
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
