"""The global send rate: even spacing, a small burst, 429 pauses; shared by every sender through Redis."""
from __future__ import annotations

import uuid

import pytest

from bot.ratelimit import RateLimiter, SharedRateLimiter


class FakeTime:
    """A clock that moves only when slept on; remembers the moments sends were let go."""

    def __init__(self) -> None:
        self.now = 100.0
        self.during_sleep = None  # called once, in the next sleep, as if something happened meanwhile

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        if self.during_sleep:
            happening, self.during_sleep = self.during_sleep, None
            happening()


async def send_times(limiter, time: FakeTime, count: int) -> list[float]:
    times = []
    for _ in range(count):
        await limiter.wait()
        times.append(round(time.now - 100.0, 6))
    return times


@pytest.mark.parametrize(("rate", "burst", "expected"), [
    (10, 1, [0.0, 0.1, 0.2, 0.3, 0.4]),
    (10, 3, [0.0, 0.0, 0.0, 0.1, 0.2]),
    (1000, 1, [0.0, 0.001, 0.002, 0.003, 0.004]),
])
async def test_sends_are_spaced_evenly_at_the_rate_after_a_small_burst(rate, burst, expected):
    time = FakeTime()
    limiter = RateLimiter(rate, burst=burst, clock=time, sleep=time.sleep)

    times = await send_times(limiter, time, 5)

    assert times == expected


async def test_a_sender_that_fell_behind_catches_up_only_by_its_burst():
    time = FakeTime()
    limiter = RateLimiter(10, burst=3, clock=time, sleep=time.sleep)
    await send_times(limiter, time, 5)  # slots at 0.0 0.0 0.0 0.1 0.2

    time.now += 1.0  # nothing to send for a second
    times = await send_times(limiter, time, 5)

    assert times == [1.2, 1.2, 1.2, 1.3, 1.4]


async def test_a_pause_holds_the_next_send_for_retry_after():
    time = FakeTime()
    limiter = RateLimiter(10, burst=1, clock=time, sleep=time.sleep)
    await limiter.wait()

    limiter.pause(5)
    times = await send_times(limiter, time, 2)

    assert times == [5.0, 5.1]


async def test_a_send_waiting_for_its_slot_when_a_pause_comes_waits_for_the_pause_too():
    time = FakeTime()
    limiter = RateLimiter(10, burst=1, clock=time, sleep=time.sleep)
    await limiter.wait()  # at 0.0; the next slot is at 0.1
    time.during_sleep = lambda: limiter.pause(3)  # a 429 arrives while the next send waits for 0.1

    times = await send_times(limiter, time, 1)

    assert times[0] >= 3.0


@pytest.fixture
def key() -> str:
    return f"test:rate:{uuid.uuid4().hex}"


async def test_two_senders_on_one_redis_take_turns_at_one_rate(redis_client, key):
    first = SharedRateLimiter(redis_client, 10, key=key, burst=1)
    second = SharedRateLimiter(redis_client, 10, key=key, burst=1)

    start_first, interval = await first.reserve(100)
    start_second, _ = await second.reserve(100)

    # The first took ten seconds of slots at a tenth of a second each: the second's come after them.
    assert interval == pytest.approx(0.1)
    assert start_first < 1
    assert start_second > 5


async def test_a_429_pause_seen_by_one_sender_holds_the_other(redis_client, key):
    first = SharedRateLimiter(redis_client, 10, key=key, burst=1)
    asked: list[float] = []

    async def sleep(seconds: float) -> None:
        asked.append(seconds)

    second = SharedRateLimiter(redis_client, 10, key=key, burst=1, sleep=sleep)

    await first.hold(60)
    await second.wait()

    assert asked and asked[0] > 30


async def test_a_pause_holds_this_senders_own_next_send_at_once(redis_client, key):
    asked: list[float] = []

    async def sleep(seconds: float) -> None:
        asked.append(seconds)

    limiter = SharedRateLimiter(redis_client, 10, key=key, burst=1, sleep=sleep)

    limiter.pause(60)  # Redis hears of it a moment later; this sender holds from now
    await limiter.wait()
    await limiter.pauses_shared()
    later, _ = await SharedRateLimiter(redis_client, 10, key=key, burst=1).reserve(1)

    assert asked and asked[0] > 30
    assert later > 30
