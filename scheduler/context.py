"""What a scheduled job is given: the database, the service configuration and the clock."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.config import ServiceConfig


@dataclass(frozen=True)
class JobContext:
    sessionmaker: async_sessionmaker[AsyncSession]
    config: ServiceConfig
    clock: Callable[[], datetime]
    poke: Callable[[], None] = lambda: None  # wake the outbox sender after queuing
    leads: Callable[[], bool] = lambda: True  # whether this process runs the jobs now (scheduler/leader.py)
