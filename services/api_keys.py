"""Keys other systems use to post Open311 requests: issued once, stored hashed, revocable."""
from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import ApiKey, Person
from models.enums import Role
from services.errors import InvalidInput, NotAllowed
from services.web_auth import digest

CHANNEL = "open311"
MAX_NAME = 100


async def create_key(session: AsyncSession, name: str, now: datetime) -> str:
    """Issue a key for a system and return it; it is shown this once and only its hash is kept."""
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidInput("name")
    if await session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
        raise InvalidInput("taken")
    # The system files its cases as a stand-in villager with no account anywhere: nothing is ever sent
    # to it, and no villager's identity is attached to what it posts.
    reporter = Person(name=name, role=Role.villager, channel=CHANNEL, external_id=None, language="zh_CN",
                      created_at=now, active=True, subscribed=False)
    session.add(reporter)
    await session.flush()
    key = "o311_" + secrets.token_urlsafe(30)
    session.add(ApiKey(name=name, key_hash=digest(key), reporter_id=reporter.id, created_at=now))
    await session.commit()
    return key


async def list_keys(session: AsyncSession) -> Sequence[ApiKey]:
    """Return every key, revoked ones too, by name."""
    return (await session.scalars(select(ApiKey).order_by(ApiKey.name))).all()


async def revoke_key(session: AsyncSession, name: str, now: datetime) -> ApiKey:
    """Stop a key from working; its cases stay."""
    key = await session.scalar(select(ApiKey).where(ApiKey.name == name))
    if key is None:
        raise InvalidInput("unknown")
    key.revoked_at = key.revoked_at or now
    await session.commit()
    return key


async def reporter_for(session: AsyncSession, key: str | None) -> Person:
    """Return the stand-in reporter of a live key; raise NotAllowed for a missing, unknown or revoked one."""
    if not key:
        raise NotAllowed()
    found = await session.scalar(select(ApiKey).where(ApiKey.key_hash == digest(key)))
    if found is None or found.revoked_at is not None:
        raise NotAllowed()
    return found.reporter
