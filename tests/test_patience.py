"""Start-up calls survive Telegram's passing faults: tried again with backoff, given up on in the end."""
from __future__ import annotations

import pytest
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import GetMe

from bot.patience import ATTEMPTS, NETWORK_ATTEMPTS, patiently

METHOD = GetMe()


def failing(*errors):
    """Return a call that raises the errors in turn, then answers "ok"; and the list of its calls."""
    calls = []

    async def call():
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return "ok"
    return call, calls


async def no_sleep(seconds):
    waits.append(seconds)


waits: list[float] = []


@pytest.fixture(autouse=True)
def clear_waits():
    waits.clear()


@pytest.mark.parametrize("error, wait", [
    (TelegramServerError(METHOD, "Bad Gateway"), 0.5),
    (TelegramNetworkError(METHOD, "Connection reset by peer"), 0.5),
    (TelegramRetryAfter(METHOD, "Too Many Requests", retry_after=3), 3.0),
])
async def test_a_passing_fault_at_start_up_is_tried_again(error, wait):
    call, calls = failing(error)

    result = await patiently(call, "getMe", sleep=no_sleep)

    assert result == "ok" and len(calls) == 2
    assert waits == [wait]


async def test_the_waits_double_between_tries():
    call, _ = failing(*[TelegramServerError(METHOD, "Bad Gateway")] * 3)

    await patiently(call, "getMe", sleep=no_sleep)

    assert waits == [0.5, 1.0, 2.0]


@pytest.mark.parametrize("error, attempts", [
    (TelegramNetworkError(METHOD, "Connection refused"), NETWORK_ATTEMPTS),
    (TelegramServerError(METHOD, "Internal Server Error"), ATTEMPTS),
])
async def test_a_fault_that_stays_is_raised_in_the_end(error, attempts):
    call, calls = failing(*[error] * 50)

    with pytest.raises(type(error)):
        await patiently(call, "getMe", sleep=no_sleep)

    assert len(calls) == attempts


async def test_server_errors_before_a_network_error_do_not_use_up_its_tries():
    call, calls = failing(*[TelegramServerError(METHOD, "Bad Gateway")] * 3,
                          TelegramNetworkError(METHOD, "Connection reset by peer"))

    result = await patiently(call, "setMyCommands", sleep=no_sleep)

    assert result == "ok" and len(calls) == 5
