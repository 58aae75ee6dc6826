"""The global send rate: a GCRA limiter in this process, or one shared by every sender through Redis."""
from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

# A sender that fell a little behind (a claim, a slow call) may catch up by this much of a second at once;
# without any tolerance every late send would be lost for good and the rate would never be reached.
BURST_WINDOW = 0.02
# A shared limiter takes this much of a second of slots from Redis at a time: one round trip per run.
RESERVE_WINDOW = 0.02
RATE_KEY = "massline:outbox:rate"


def burst_for(rate: float) -> int:
    """Return how many sends may leave at once after a pause in sending."""
    return max(2, math.ceil(rate * BURST_WINDOW))


class RateLimiter:
    """Space sends at `rate` a second (GCRA: even spacing, a small burst), and hold them all on a 429."""

    def __init__(self, rate: float, burst: int | None = None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        self.interval = 1.0 / rate
        self.tolerance = ((burst or burst_for(rate)) - 1) * self.interval
        self.clock, self.sleep = clock, sleep
        self.next_at = 0.0  # GCRA's theoretical arrival time of the next send
        self.epoch = 0  # bumped by every pause: a send that reserved its slot before it must wait again

    def reserve(self) -> float:
        """Take the next send slot and return when it opens."""
        now = self.clock()
        slot = max(now, self.next_at - self.tolerance)
        self.next_at = max(self.next_at, slot) + self.interval
        return slot

    async def wait(self) -> None:
        """Return when this send may go."""
        while True:
            epoch = self.epoch
            delay = self.reserve() - self.clock()
            if delay > 0:
                await self.sleep(delay)
            if epoch == self.epoch:
                return

    def pause(self, seconds: float) -> None:
        """Hold every send for `seconds` (Telegram said 429)."""
        self.next_at = max(self.next_at, self.clock() + seconds + self.tolerance)
        self.epoch += 1


# KEYS[1]: GCRA's theoretical arrival time of the next send, in microseconds of Redis's clock.
# ARGV: interval, tolerance, count of slots to reserve, hold (a pause; 0 to reserve), all in microseconds.
# Returns {start - now, interval}: the first reserved slot opens start - now from now, the others after it.
GCRA_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or 0
local interval, tolerance = tonumber(ARGV[1]), tonumber(ARGV[2])
local count, hold = tonumber(ARGV[3]), tonumber(ARGV[4])
local start = 0
if hold > 0 then
  tat = math.max(tat, now + hold + tolerance)
else
  start = math.max(now, tat - tolerance)
  tat = math.max(tat, start) + count * interval
end
redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', math.floor((tat - now) / 1000) + 60000)
return {start - now, interval}
"""


class SharedRateLimiter:
    """Share one rate among every sender on a Redis: each takes a short run of slots at a time."""

    def __init__(self, redis, rate: float, key: str = RATE_KEY, burst: int | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        self.redis, self.key = redis, key
        self.interval_us = max(1, round(1_000_000 / rate))
        self.tolerance_us = ((burst or burst_for(rate)) - 1) * self.interval_us
        self.run = max(1, round(rate * RESERVE_WINDOW))
        self.clock, self.sleep = clock, sleep
        self.script = redis.register_script(GCRA_SCRIPT)
        self.slots: deque[float] = deque()  # reserved slots not used yet, on this process's clock
        self.held_until = 0.0
        self.epoch = 0
        self._refill = asyncio.Lock()
        self._holds: set[asyncio.Task] = set()

    async def reserve(self, count: int) -> tuple[float, float]:
        """Take `count` slots from Redis; return when the first opens (seconds from now) and their spacing."""
        offset, interval = await self.script(keys=[self.key], args=[self.interval_us, self.tolerance_us, count, 0])
        return int(offset) / 1_000_000, int(interval) / 1_000_000

    async def hold(self, seconds: float) -> None:
        """Hold every sender on this Redis for `seconds`."""
        await self.script(keys=[self.key], args=[self.interval_us, self.tolerance_us, 0,
                                                 max(1, round(seconds * 1_000_000))])

    async def wait(self) -> None:
        """Return when this send may go."""
        while True:
            epoch = self.epoch
            if not self.slots:
                async with self._refill:
                    if not self.slots:
                        offset, interval = await self.reserve(self.run)
                        first = self.clock() + offset
                        self.slots.extend(first + i * interval for i in range(self.run))
            slot = max(self.slots.popleft(), self.held_until)
            delay = slot - self.clock()
            if delay > 0:
                await self.sleep(delay)
            if epoch == self.epoch:
                return

    def pause(self, seconds: float) -> None:
        """Hold every send here at once, and every other sender's once Redis has the pause."""
        self.held_until = max(self.held_until, self.clock() + seconds)
        self.slots.clear()
        self.epoch += 1
        task = asyncio.get_running_loop().create_task(self._share_hold(seconds))
        self._holds.add(task)
        task.add_done_callback(self._holds.discard)

    async def pauses_shared(self) -> None:
        """Return once Redis has every pause this sender took."""
        await asyncio.gather(*self._holds)

    async def _share_hold(self, seconds: float) -> None:
        try:
            await self.hold(seconds)
        except Exception:
            log.exception("could not share a 429 pause through Redis")
