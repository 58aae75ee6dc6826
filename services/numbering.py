"""Case numbers such as 2026-000123: a per-year counter bumped in the case's transaction."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import CaseCounter


async def next_case_number(session: AsyncSession, now: datetime, tz) -> str:
    """Return the next number of the local year; the row lock serializes concurrent intakes."""
    year = now.astimezone(tz).year
    dialect = session.bind.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = (
        insert(CaseCounter)
        .values(year=year, last=1)
        .on_conflict_do_update(index_elements=[CaseCounter.year], set_={"last": CaseCounter.last + 1})
        .returning(CaseCounter.last)
    )
    seq = (await session.execute(stmt)).scalar_one()
    return f"{year}-{seq:06d}"
