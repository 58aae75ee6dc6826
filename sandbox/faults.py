"""Injected trouble for the bot to cope with: rate limits, blocked people, failing calls, latency."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from sandbox.chaos import Chaos


@dataclass
class Faults:
    """Injected trouble: rate limits, blocked people, failing calls, latency."""

    rate_limits: dict[str, int] = field(default_factory=dict)
    retry_after: int = 1
    blocked: set[int] = field(default_factory=set)
    fail_next: list[dict] = field(default_factory=list)
    latency: float = 0.0
    # Every update posted to the webhook twice at once (as behind a load balancer that retried).
    duplicate_updates: bool = False
    windows: dict[str, deque] = field(default_factory=dict)
    # Random faults on any call, seeded (see sandbox/chaos.py).
    chaos: Chaos = field(default_factory=Chaos)

    def public(self) -> dict:
        """Return the fault settings as the control API shows them."""
        return {"rate_limits": dict(self.rate_limits), "retry_after": self.retry_after,
                "blocked": sorted(self.blocked), "fail_next": list(self.fail_next), "latency": self.latency,
                "duplicate_updates": self.duplicate_updates, "chaos": self.chaos.public()}

    def take_failure(self, method: str) -> int | None:
        """Return the HTTP status of an injected failure due for this call, consuming it."""
        for i, failure in enumerate(self.fail_next):
            if failure.get("method") in (None, method):
                del self.fail_next[i]
                return int(failure.get("status", 500))
        return None

    def over_rate(self, method: str, now: float) -> bool:
        """Count this call and tell whether it is past the method's calls-per-second limit."""
        limit = self.rate_limits.get(method)
        if limit is None:
            return False
        window = self.windows.setdefault(method, deque())
        while window and now - window[0] >= 1.0:
            window.popleft()
        if len(window) >= limit:
            return True
        window.append(now)
        return False
