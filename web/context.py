"""What every web request needs: the database, the settings the pages use, the clock, and the reader."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.config import ServiceConfig

# Given a Telegram file id, return the file's bytes and its path (for the type), or None.
FileFetcher = Callable[[str], Awaitable[tuple[bytes, str] | None]]
COOKIE = "massline_session"


@dataclass(frozen=True)
class WebContext:
    """The web app's dependencies, handed in by the composition root (never read from globals)."""

    sessionmaker: async_sessionmaker[AsyncSession]
    config: ServiceConfig
    public_url: str
    clock: Callable[[], datetime]
    fetch_file: FileFetcher | None = None

    @property
    def secure_cookies(self) -> bool:
        """Send the session cookie over HTTPS only when the dashboard is served over HTTPS."""
        return self.public_url.startswith("https://")


def web_context(request: Request) -> WebContext:
    return request.app.state.web


async def db_session(request: Request):
    """Give the request one database session; a use case inside commits, anything else is rolled back."""
    async with web_context(request).sessionmaker() as session:
        yield session
