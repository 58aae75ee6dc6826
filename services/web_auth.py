"""Logging in to the dashboard through the bot: one-time links, browser sessions, CSRF tokens.

Tokens are random and only their SHA-256 is stored; they are long enough that a fast hash is safe.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from models import LoginToken, Person, WebSession
from models.enums import Role
from services.errors import InvalidInvitation, NotAllowed

LINK_LIFETIME = timedelta(minutes=10)
SESSION_LIFETIME = timedelta(hours=12)
DASHBOARD_ROLES = frozenset({Role.cadre, Role.township_leader, Role.county_leader, Role.supervisor, Role.inspector})


def digest(secret: str) -> str:
    """Return the stored form of a secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class OpenedSession:
    """What the browser gets on login: the cookie value, once, and when it stops working."""

    token: str
    expires_at: datetime


def may_use_dashboard(person: Person) -> bool:
    """Tell whether the person's role has a dashboard (staff do, villagers do not)."""
    return person.active and person.role in DASHBOARD_ROLES


async def issue_login_link(session: AsyncSession, person: Person, now: datetime) -> str:
    """Return a fresh one-time login token for a staff member; only its hash is kept."""
    if not may_use_dashboard(person):
        raise NotAllowed()
    token = secrets.token_urlsafe(32)
    session.add(LoginToken(token_hash=digest(token), person_id=person.id, created_at=now,
                           expires_at=now + LINK_LIFETIME))
    await session.commit()
    return token


async def redeem_login_link(session: AsyncSession, token: str, now: datetime,
                            lifetime: timedelta = SESSION_LIFETIME) -> OpenedSession:
    """Use up a login token and open a browser session; raise InvalidInvitation if it cannot be used."""
    # One conditional UPDATE claims the token: two browsers racing on one link cannot both win.
    claimed = await session.execute(
        update(LoginToken).where(LoginToken.token_hash == digest(token), LoginToken.used_at.is_(None),
                                 LoginToken.expires_at > now)
        .values(used_at=now).returning(LoginToken.person_id))
    person_id = claimed.scalar_one_or_none()
    person = await session.get(Person, person_id) if person_id is not None else None
    if person is None or not may_use_dashboard(person):
        await session.rollback()
        raise InvalidInvitation()
    cookie = secrets.token_urlsafe(32)
    session.add(WebSession(token_hash=digest(cookie), person_id=person.id, csrf=secrets.token_urlsafe(24),
                           created_at=now, expires_at=now + lifetime))
    await session.commit()
    return OpenedSession(cookie, now + lifetime)


async def current_session(session: AsyncSession, cookie: str | None, now: datetime) -> WebSession | None:
    """Return the live browser session of a cookie (its person loaded), or None."""
    if not cookie:
        return None
    # The pages name the reader's township: loaded here, as the person's relations never load lazily.
    found = await session.scalar(select(WebSession).where(WebSession.token_hash == digest(cookie))
                                 .options(joinedload(WebSession.person).joinedload(Person.township)))
    if found is None or found.ended_at is not None or found.expires_at <= now:
        return None
    if not may_use_dashboard(found.person):
        return None
    return found


def csrf_matches(web_session: WebSession, given: str | None) -> bool:
    """Tell whether a form carried the session's CSRF token."""
    return bool(given) and hmac.compare_digest(web_session.csrf.encode(), given.encode())


async def end_session(session: AsyncSession, web_session: WebSession, now: datetime) -> None:
    """Log the browser out: its cookie stops working at once."""
    web_session.ended_at = now
    await session.commit()
