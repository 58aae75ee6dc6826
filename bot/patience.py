"""Bot API trouble the bot rides out: start-up calls tried again with backoff, a button press answered twice."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import AnswerCallbackQuery

log = logging.getLogger(__name__)
T = TypeVar("T")

# Network errors are tried this many times in all (a wrong BOT_API_BASE should be said soon); 5xx and 429 more.
NETWORK_ATTEMPTS = 4
ATTEMPTS = 10
FIRST_DELAY, MAX_DELAY = 0.5, 10.0


async def patiently(call: Callable[[], Awaitable[T]], what: str, sleep=asyncio.sleep) -> T:
    """Make a call, trying again after a 429 (as long as asked), a 5xx or a network error (with backoff)."""
    delay, attempt, network_failures = FIRST_DELAY, 0, 0
    while True:
        attempt += 1
        try:
            return await call()
        except TelegramRetryAfter as exc:
            if attempt >= ATTEMPTS:
                raise
            wait = float(exc.retry_after)
            reason = "429"
        except (TelegramServerError, TelegramNetworkError) as exc:
            network_failures += isinstance(exc, TelegramNetworkError)
            if attempt >= ATTEMPTS or network_failures >= NETWORK_ATTEMPTS:
                raise
            wait, delay = delay, min(delay * 2, MAX_DELAY)
            reason = type(exc).__name__
        log.warning("%s failed (%s); trying again in %.1fs", what, reason, wait)
        await sleep(wait)


class ForgivingCallbackAnswers(BaseRequestMiddleware):
    """Take a refused answer to a button press as done: the press was answered before a crash, or is too old.

    A press handled, answered, and then lost to a crash before it was recorded comes again; answering
    it again is refused ("query is too old … or query ID is invalid"). The answer only stops the
    spinner on the person's screen: the press itself must still be handled.
    """

    async def __call__(self, make_request, bot, method):
        try:
            return await make_request(bot, method)
        except TelegramBadRequest as exc:
            if not isinstance(method, AnswerCallbackQuery) or "query is too old" not in exc.message:
                raise
            log.info("a button press was answered already or is too old; handling it anyway")
            return True
