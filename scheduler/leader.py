"""Which process runs the scheduled jobs: exactly one at a time, another taking over when it dies.

The jobs are idempotent and claim their rows, so two leaders at once would do no harm beyond
wasted work; one leader keeps the sweeps cheap and the logs readable. On PostgreSQL the leader
holds a session-level advisory lock on a connection of its own: the server lets go of it the
moment that connection closes, however the process ended, and the next process to try takes it.
The embedded SQLite default is one process, always the leader.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

# An arbitrary 64-bit number that names this bot's scheduler lock on the database server.
LOCK_KEY = 0x6D61_7373_6C69_6E65  # "massline"


class Leadership:
    """Whether this process may run the scheduled jobs now."""

    held = True

    async def keep(self) -> None:
        """Hold (or try for) the leadership until cancelled."""

    async def close(self) -> None:
        """Give the leadership up."""


class SoleProcess(Leadership):
    """The only process there is: always the leader."""


class AdvisoryLock(Leadership):
    """A PostgreSQL advisory lock, tried every `every` seconds, checked while held."""

    def __init__(self, engine: AsyncEngine, every: float):
        self.engine, self.every = engine, every
        self.held = False
        self.connection: AsyncConnection | None = None

    async def keep(self) -> None:
        """Try for the lock, and check it is still ours, every `every` seconds."""
        while True:
            try:
                await self._try()
            except Exception as exc:  # a lost connection loses the lock with it; try again next time
                if self.held:
                    log.warning("lost the scheduler lock (%s); another process may take over", exc)
                self.held = False
                await self._drop()
            await asyncio.sleep(self.every)

    async def _try(self) -> None:
        if self.connection is None:
            self.connection = await self.engine.connect()
            # Autocommit: the lock belongs to the session, and no transaction is left open for hours.
            await self.connection.execution_options(isolation_level="AUTOCOMMIT")
        if self.held:
            await self.connection.execute(text("SELECT 1"))
            return
        self.held = bool(await self.connection.scalar(text("SELECT pg_try_advisory_lock(:key)"),
                                                      {"key": LOCK_KEY}))
        if self.held:
            log.info("this process now runs the scheduled jobs")

    async def _drop(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):
                await self.connection.close()
            self.connection = None

    async def close(self) -> None:
        """Unlock (closing the connection would too) so that another process takes over at once."""
        if self.held and self.connection is not None:
            with contextlib.suppress(Exception):
                await self.connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
        self.held = False
        await self._drop()


def leadership_for(engine: AsyncEngine, every: float) -> Leadership:
    """Return how this process decides whether it runs the jobs, by its database."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine, every)
    return SoleProcess()
