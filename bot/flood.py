"""The flood limit at the door, before any database work, and the pause of a muted villager's messages.

FloodMiddleware counts each person's messages and button presses (in this process, or shared through
Redis by every process of the bot) and drops what passes FLOOD_LIMIT: one polite answer per window,
then silence, and nothing stored. The update still counts as handled, so Telegram does not send it again.
Staff are not limited: their bursts are work (answering cases, pressing through a list), and a dropped
message of a cadre would be a lost answer.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Message, TelegramObject, Update
from aiogram.utils.i18n import I18n

from bot.filters import serves
from bot.middlewares import HANDLED
from models.enums import Role
from services import moderation
from services.flood import FloodLimit, SlidingWindow, Verdict
from services.people import language_of

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
FLOOD_KEY = "massline:flood"
# A muted villager is told at most this often (seconds) that their messages are paused.
MUTE_NOTICE_EVERY = 3600.0


def __(text: str) -> str:
    """Mark a text for the catalogs; it is translated when sent, in the sender's language."""
    return text


TOO_FAST = __("You are sending messages too fast. Please wait a minute, then send again.")

# KEYS[1]: a sorted set of the person's accepted hits (member: the update id, score: ms); KEYS[2]: when they
# were last told. ARGV: now (ms), window (ms), count, member, notice period (ms; 0: only ask for a notice).
# Returns 0 (allow), 1 (warn) or 2 (silent).
WINDOW_SCRIPT = """
local now, window, count = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if count > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
  if redis.call('ZCARD', KEYS[1]) < count then
    redis.call('ZADD', KEYS[1], now, ARGV[4])
    redis.call('PEXPIRE', KEYS[1], math.floor(window))
    return 0
  end
end
local period = tonumber(ARGV[5])
local told = tonumber(redis.call('GET', KEYS[2]))
if told and told > now - period then
  return 2
end
redis.call('SET', KEYS[2], string.format('%d', now), 'PX', math.floor(period))
return 1
"""


class LocalGuard:
    """The window in this process (the embedded default: one process takes updates)."""

    def __init__(self, limit: FloodLimit | None):
        self.limit = limit
        self.window = SlidingWindow(limit or FloodLimit(1, 1))

    async def hit(self, key: str, now: float, member: str) -> Verdict:
        """Count one message or press and say what becomes of it."""
        return self.window.hit(key, now) if self.limit else Verdict.allow

    async def once(self, key: str, now: float, period: float) -> bool:
        """Say True at most once per period for the key."""
        return self.window.once(key, now, period)


class RedisGuard:
    """The window shared by every process of the bot through Redis (a sorted set per person)."""

    def __init__(self, redis, limit: FloodLimit | None, prefix: str = FLOOD_KEY):
        self.limit, self.prefix = limit, prefix
        self.script = redis.register_script(WINDOW_SCRIPT)

    async def hit(self, key: str, now: float, member: str) -> Verdict:
        if not self.limit:
            return Verdict.allow
        window = self.limit.seconds * 1000
        code = await self.script(keys=[f"{self.prefix}:{key}", f"{self.prefix}:told:{key}"],
                                 args=[int(now * 1000), int(window), self.limit.count, member, int(window)])
        return (Verdict.allow, Verdict.warn, Verdict.silent)[int(code)]

    async def once(self, key: str, now: float, period: float) -> bool:
        code = await self.script(keys=[f"{self.prefix}:{key}", f"{self.prefix}:told:{key}"],
                                 args=[int(now * 1000), 0, 0, "", int(period * 1000)])
        return int(code) == 1


class FloodMiddleware(BaseMiddleware):
    """Drop what a villager sends past FLOOD_LIMIT: one polite answer per window, nothing stored."""

    def __init__(self, guard: LocalGuard | RedisGuard, clock: Callable[[], datetime], i18n: I18n):
        self.guard, self.clock, self.i18n = guard, clock, i18n
        # Telegram ids of staff this process has met: they are not limited.
        self.staff: set[int] = set()

    async def __call__(self, handler: Handler, event: Update, data: dict[str, Any]) -> Any:
        user = data.get("event_from_user")
        counted = event.message or event.edited_message or event.callback_query
        if user is None or counted is None or user.id in self.staff:
            return await self._handle(handler, event, data, user)
        verdict = await self.guard.hit(str(user.id), self.clock().timestamp(), str(event.update_id))
        if verdict is Verdict.allow:
            return await self._handle(handler, event, data, user)
        # One line per window and person at INFO; the rest of a flood would flood the log too.
        log.log(logging.INFO if verdict is Verdict.warn else logging.DEBUG,
                "update %s dropped: user %s is over the flood limit", event.update_id, user.id)
        await self._answer(event, data, user, verdict is Verdict.warn)
        return None

    async def _handle(self, handler: Handler, event: Update, data: dict[str, Any], user) -> Any:
        try:
            return await handler(event, data)
        finally:
            role = data.get("person_role")
            if user is not None and role is not None:
                (self.staff.discard if role == Role.villager else self.staff.add)(user.id)

    async def _answer(self, event: Update, data: dict[str, Any], user, warn: bool) -> None:
        bot = data["bot"]
        text = self.i18n.gettext(TOO_FAST, locale=language_of(user.language_code))
        try:
            if event.callback_query is not None:
                # A press is always answered, or the button keeps spinning; the words only once.
                await bot.answer_callback_query(event.callback_query.id, text=text if warn else None,
                                                show_alert=warn)
            elif warn and serves(user, data.get("event_chat")):
                await bot.send_message(user.id, text)
        except Exception:
            log.warning("could not answer a flood", exc_info=True)


class MuteMiddleware(BaseMiddleware):
    """Take no message from a muted villager: one polite answer an hour, saying whom to call; nothing stored."""

    def __init__(self, guard: LocalGuard | RedisGuard, clock: Callable[[], datetime]):
        self.guard, self.clock = guard, clock

    async def __call__(self, handler: Handler, event: Message, data: dict[str, Any]) -> Any:
        person = data.get("person")
        if person is None or person.muted_at is None or person.role != Role.villager:
            return await handler(event, data)
        session = data["session"]
        # Nothing of this message is written, not even that it came.
        session.info.pop(HANDLED, None)
        log.info("message %s of muted person %s not taken", event.message_id, person.id)
        if await self.guard.once(f"mute:{person.id}", self.clock().timestamp(), MUTE_NOTICE_EVERY):
            from bot.texts_abuse import muted_notice

            await event.answer(muted_notice(await moderation.who_to_call(session, person)))
        return None
