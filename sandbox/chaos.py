"""Random trouble on any Bot API call: 429s, 5xx, calls held past the bot's timeout, connections cut.

Every kind strikes before the method runs, so a call that failed did nothing at "Telegram": what the
bot sees is what happened. Draws come from a seeded generator, so a run can be played again.
"""
from __future__ import annotations

import asyncio
import random
import socket
import struct
from collections import Counter
from dataclasses import dataclass, field

# 429 with retry_after; 500 and 502; "timeout": held past the bot's request timeout, then cut;
# "reset": the connection closed at once without a response.
KINDS = ("429", "500", "502", "timeout", "reset")
# Where the server puts the connection's transport in the ASGI scope (see sandbox/server.py).
TRANSPORT = "sandbox.transport"


class Dropped(Exception):
    """The call gets no response: its connection is to be cut (a timeout or a reset)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass
class Chaos:
    """Random faults: each call fails with probability `rate`, with one of `kinds`, on `methods` (None: all)."""

    rate: float = 0.0
    kinds: tuple[str, ...] = KINDS
    methods: frozenset[str] | None = None
    seed: int | None = None
    retry_after: int = 1
    # A held call waits this long past its own long-poll time: set it above the bot's request timeout.
    hold: float = 65.0
    injected: Counter = field(default_factory=Counter)
    drawn: int = 0
    random: random.Random = field(default_factory=random.Random)

    def configure(self, *, rate: float | None = None, kinds: list[str] | None = None,
                  methods: list[str] | None = None, seed: int | None = None, retry_after: int | None = None,
                  hold: float | None = None) -> None:
        """Change the settings given; a seed restarts the draws from it."""
        if kinds is not None:
            unknown = sorted(set(kinds) - set(KINDS))
            if unknown or not kinds:
                raise ValueError(f"chaos kinds must be some of {', '.join(KINDS)}; got {kinds}")
            self.kinds = tuple(dict.fromkeys(kinds))
        if rate is not None:
            self.rate = min(1.0, max(0.0, rate))
        if methods is not None:
            self.methods = frozenset(m.lower() for m in methods) or None
        if retry_after is not None:
            self.retry_after = max(1, retry_after)
        if hold is not None:
            self.hold = max(0.0, hold)
        if seed is not None:
            self.seed = seed
            self.random.seed(seed)

    def draw(self, method: str) -> str | None:
        """Return the kind of fault this call gets, or None; count what was injected."""
        if self.rate <= 0 or (self.methods is not None and method.lower() not in self.methods):
            return None
        self.drawn += 1
        if self.random.random() >= self.rate:
            return None
        kind = self.random.choice(self.kinds)
        self.injected[kind] += 1
        return kind

    def public(self) -> dict:
        """Return the settings and the counts as the control API shows them."""
        return {"rate": self.rate, "kinds": list(self.kinds),
                "methods": sorted(self.methods) if self.methods is not None else None, "seed": self.seed,
                "retry_after": self.retry_after, "hold": self.hold, "calls": self.drawn,
                "injected": {kind: self.injected.get(kind, 0) for kind in KINDS}}


async def hold_call(seconds: float, closing) -> None:
    """Wait `seconds`, or less if the sandbox is closing (`closing()` says so)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not closing() and loop.time() < deadline:
        await asyncio.sleep(min(0.25, deadline - loop.time()))


def cut(scope: dict) -> bool:
    """Reset the call's connection with no response; False when no connection is at hand (an in-process app)."""
    transport = scope.get(TRANSPORT)
    if transport is None or transport.is_closing():
        return transport is not None
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # Linger zero: the peer gets a RST, as from a proxy that dropped the connection.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    return True
