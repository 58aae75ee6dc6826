"""People: villagers met for the first time, and staff binding their account by invitation."""
from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Person
from models import queries as q
from models.enums import Role
from services.errors import InvalidInvitation

MAX_NAME = 100


def language_of(code: str | None) -> str:
    """Map a client's language code to a catalog: English for `en*`, Chinese otherwise."""
    return "en" if (code or "").lower().startswith("en") else "zh_CN"


async def identify(
    session: AsyncSession, *, channel: str, external_id: str, name: str, language_code: str | None, now: datetime
) -> Person:
    """Return the person behind this account, creating a villager on first contact (not committed).

    An account that writes is reachable again, even if it had blocked the bot before.
    """
    person = await q.person_by_external(session, channel, external_id)
    if person is None:
        person = Person(
            name=(name or "?")[:MAX_NAME], role=Role.villager, channel=channel, external_id=external_id,
            language=language_of(language_code), created_at=now, active=True,
        )
        session.add(person)
        await session.flush()
    elif person.unreachable_at is not None:
        # A blocked bot receives nothing from the account: writing again means it was unblocked.
        person.unreachable_at = None
    return person


def new_invite_token() -> str:
    """Return an unguessable one-time token that fits a /start payload."""
    return secrets.token_urlsafe(18)


async def bind_invitation(
    session: AsyncSession, *, token: str, channel: str, external_id: str, language_code: str | None,
    now: datetime,
) -> Person:
    """Bind the staff record named by a one-time invitation to this account."""
    staff = await session.scalar(select(Person).where(Person.invite_token == token))
    if staff is None or staff.role == Role.villager:
        raise InvalidInvitation()
    existing = await q.person_by_external(session, channel, external_id)
    if existing is not None and existing.id != staff.id:
        if existing.role != Role.villager:
            raise InvalidInvitation()
        # The account first wrote as a villager; the staff record takes the account over.
        existing.external_id = None
        existing.active = False
        await session.flush()
    staff.channel, staff.external_id = channel, external_id
    staff.invite_token = None
    staff.language = language_of(language_code)
    staff.unreachable_at = None
    await session.commit()
    return staff


async def note_reachability(session: AsyncSession, person: Person, *, blocked: bool, now: datetime) -> None:
    """Record that the person blocked the bot (nothing can reach them) or unblocked it."""
    person.unreachable_at = now if blocked else None
    await session.commit()
