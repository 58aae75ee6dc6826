"""The flood limit: at most N messages and presses per person in any window, then one polite answer."""
from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from enum import Enum

from services.durations import parse_duration

LIMIT_SHAPE = re.compile(r"^\s*(\d+)\s*/\s*(\S+)\s*$")
# The in-process window forgets people quiet for a whole window, checked every this many hits.
PRUNE_EVERY = 1024


class Verdict(Enum):
    """What becomes of one message or press."""

    allow = "allow"  # handle it
    warn = "warn"  # drop it, and answer once: "you are sending too fast"
    silent = "silent"  # drop it without a word (already told in this window)


@dataclass(frozen=True)
class FloodLimit:
    """At most `count` messages and presses per person in any `seconds`."""

    count: int
    seconds: float

    @classmethod
    def parse(cls, text: str | None) -> FloodLimit | None:
        """Read "20/60s" (or "20/1m"); empty, "off" or "0" mean no limit. Raise ValueError otherwise."""
        if text is None or text.strip().lower() in ("", "off", "none", "0"):
            return None
        match = LIMIT_SHAPE.match(text)
        if match is None:
            raise ValueError(f"{text!r} is not a flood limit; write e.g. 20/60s (20 messages a minute)")
        count, window = int(match.group(1)), parse_duration(match.group(2)).total_seconds()
        if count < 1 or window <= 0:
            raise ValueError(f"{text!r}: the count and the window must be positive, e.g. 20/60s")
        return cls(count, window)


class SlidingWindow:
    """Count each person's accepted hits over the last window, in this process."""

    def __init__(self, limit: FloodLimit):
        self.limit = limit
        self.hits: dict[str, deque[float]] = {}
        self.warned: dict[str, float] = {}
        self._since_prune = 0

    def hit(self, key: str, now: float) -> Verdict:
        """Count one message or press of `key` at `now` (seconds) and say what becomes of it."""
        start = now - self.limit.seconds
        self._prune(start)
        times = self.hits.setdefault(key, deque())
        while times and times[0] <= start:
            times.popleft()
        if len(times) < self.limit.count:
            times.append(now)
            return Verdict.allow
        return Verdict.warn if self.once(key, now, self.limit.seconds) else Verdict.silent

    def once(self, key: str, now: float, period: float) -> bool:
        """Say True at most once per `period` for `key` (one answer, then silence)."""
        last = self.warned.get(key)
        if last is not None and last > now - period:
            return False
        self.warned[key] = now
        return True

    def _prune(self, start: float) -> None:
        self._since_prune += 1
        if self._since_prune < PRUNE_EVERY:
            return
        self._since_prune = 0
        for key in [k for k, times in self.hits.items() if not times or times[-1] <= start]:
            del self.hits[key]
        # Notices (the flood's and the mute's) last at most a day.
        for key in [k for k, at in self.warned.items() if at <= start - 86_400]:
            del self.warned[key]
