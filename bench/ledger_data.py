"""A county of 12 townships with a year of cases, for the ledger and metrics benchmarks (not a test).

`build(url, cases)` migrates the database and loads the directory and the cases: SQLite through
sqlite3 executemany, PostgreSQL through asyncpg COPY; both ten times faster than the ORM.
"""
from __future__ import annotations

import asyncio
import itertools
import random
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert, make_url, text

from bot.migrate import upgrade
from models import Category, Person, Township, Village
from models.db import make_engine
from services.categories import DEFAULT_CATEGORIES

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)
TOWNSHIPS, VILLAGES_PER_TOWNSHIP, CADRES_PER_VILLAGE, VILLAGERS = 12, 9, 2, 2000
CHUNK = 10_000


def build(url: str, cases: int, *, confidential_extra: bool = False, seed: int = 7) -> int:
    """Empty and migrate the database (sync URL), load `cases` cases; return how many were loaded in all.

    With confidential_extra the inspector's cases come on top, so exactly `cases` are in the
    county's ledger; without it they are part of the `cases`.
    """
    if url.startswith("postgresql"):
        asyncio.run(_reset_postgres(url))
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    upgrade(url)
    return asyncio.run(_load(url, cases, confidential_extra, random.Random(seed)))


async def _reset_postgres(url: str) -> None:
    """Create the database if missing and empty its public schema."""
    import asyncpg

    u = make_url(url)
    args = dict(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username or "postgres", password=u.password)
    try:
        conn = await asyncpg.connect(database=u.database, **args)
    except asyncpg.InvalidCatalogNameError:
        admin = await asyncpg.connect(database="postgres", **args)
        try:
            await admin.execute(f'CREATE DATABASE "{u.database}"')
        finally:
            await admin.close()
        conn = await asyncpg.connect(database=u.database, **args)
    try:
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
    finally:
        await conn.close()


async def _load(url: str, cases: int, confidential_extra: bool, rnd: random.Random) -> int:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            villages, cadres, villagers = await _directory(conn, rnd)
        rows = _cases(rnd, cases, confidential_extra, villages, cadres, villagers)
        if engine.dialect.name == "sqlite":
            loaded = _sqlite_load(url.removeprefix("sqlite:///"), rows)
        else:
            async with engine.begin() as conn:
                raw = (await conn.get_raw_connection()).driver_connection
                loaded = await _postgres_load(raw, rows)
                await conn.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), "
                                        "(SELECT max(id) FROM cases))"))
            async with engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("VACUUM ANALYZE"))
    finally:
        await engine.dispose()
    return loaded


async def _directory(conn, rnd: random.Random):
    """Insert the categories, townships, villages, cadres and villagers; return who is where."""
    await conn.execute(insert(Category), [
        dict(code=c.code, name_zh=c.name_zh, name_en=c.name_en, kind=c.kind, first_response_s=86400,
             resolve_s=7 * 86400, urgent=c.urgent, confidential=c.confidential, position=i)
        for i, c in enumerate(DEFAULT_CATEGORIES)])
    await conn.execute(insert(Township), [dict(id=t, name=f"第{t}镇", county="青山县")
                                          for t in range(1, TOWNSHIPS + 1)])
    villages = [dict(id=(t - 1) * VILLAGES_PER_TOWNSHIP + v, code=f"t{t}v{v}", name=f"第{t}镇{v}村", township_id=t)
                for t in range(1, TOWNSHIPS + 1) for v in range(1, VILLAGES_PER_TOWNSHIP + 1)]
    await conn.execute(insert(Village), villages)
    people = [dict(id=1, name="督查", role="supervisor", created_at=NOW, active=True),
              dict(id=2, name="纪检", role="inspector", created_at=NOW, active=True)]
    cadres = {}
    for village in villages:
        cadres[village["id"]] = []
        for n in range(CADRES_PER_VILLAGE):
            pid = len(people) + 1
            people.append(dict(id=pid, name=f"{village['name']}干部{n}", role="cadre", created_at=NOW,
                               township_id=village["township_id"], active=True))
            cadres[village["id"]].append(pid)
    villagers = list(range(len(people) + 1, len(people) + VILLAGERS + 1))
    people += [dict(id=i, name=f"村民{i}", role="villager", created_at=NOW, active=True,
                    village_id=rnd.choice(villages)["id"]) for i in villagers]
    await conn.execute(insert(Person), people)
    return villages, cadres, villagers


def _cases(rnd: random.Random, cases: int, confidential_extra: bool, villages, cadres, villagers):
    """Yield case rows (column → value, datetimes naive UTC) until `cases` count."""
    categories = list(DEFAULT_CATEGORIES)
    n = counted = 0
    while counted < cases:
        n += 1
        row = case_row(rnd, n, villages, cadres, villagers, categories)
        counted += not (confidential_extra and row["confidential"])
        yield row


def case_row(rnd: random.Random, n: int, villages, cadres, villagers, categories) -> dict:
    """Return one case received in the year before NOW, with a plausible mix of outcomes."""
    category = rnd.choice(categories)
    village = rnd.choice(villages)
    created = NOW - timedelta(seconds=rnd.randint(0, 365 * 86400))
    due = created + timedelta(days=15 if category.confidential else 7)
    age = NOW - created
    contact = created + timedelta(hours=rnd.expovariate(1 / 10))
    status = rnd.choices(["closed", "resolved", "in_progress", "assigned"], [70, 8, 14, 8])[0]
    if age < timedelta(days=2):
        status = rnd.choice(["assigned", "in_progress"])
    closed = created + min(timedelta(days=rnd.uniform(0.5, 12)), age) if status == "closed" else None
    disposition = (rnd.choices(["resolved", "explained", "assisted", "referred_to_law"], [55, 25, 15, 5])[0]
                   if status in ("closed", "resolved") else None)
    rating = rnd.choices(["satisfied", "basically", "unsatisfied", None], [60, 20, 5, 15])[0] if closed else None
    naive = (lambda t: t and t.astimezone(timezone.utc).replace(tzinfo=None))
    return dict(
        id=n, number=f"2026-{n:06d}", kind=category.kind, category_code=category.code, village_id=village["id"],
        reporter_id=rnd.choice(villagers), anonymous=rnd.random() < 0.2, confidential=category.confidential,
        owner_id=2 if category.confidential else rnd.choice(cadres[village["id"]]), level="village", status=status,
        summary="……", disposition=disposition, rating=rating, created_at=naive(created),
        first_response_due=naive(created + timedelta(hours=24)),
        first_response_at=naive(contact) if (status != "assigned" and contact < NOW) else None, due_at=naive(due),
        resolved_at=naive(closed), closed_at=naive(closed), close_reason="confirmed" if closed else None,
        supervised=False, deadline_stage=0, first_contact_reminded=False, followup_stage=0,
    )


def _sqlite_load(path: str, rows) -> int:
    """Insert the rows with sqlite3, datetimes as UTCDateTime stores them (text with microseconds)."""
    first = next(rows)
    columns = list(first)
    sql = f"INSERT INTO cases ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    stored = (lambda v: v.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v)
    db = sqlite3.connect(path)
    count = 0
    with db:
        chunk = [first]
        for row in rows:
            chunk.append(row)
            if len(chunk) == CHUNK:
                db.executemany(sql, ([stored(v) for v in r.values()] for r in chunk))
                count, chunk = count + len(chunk), []
        db.executemany(sql, ([stored(v) for v in r.values()] for r in chunk))
        count += len(chunk)
    db.execute("ANALYZE")
    db.close()
    return count


async def _postgres_load(conn, rows) -> int:
    """COPY the rows in one transaction (asyncpg)."""
    first = next(rows)
    columns = list(first)
    count = 0

    def records():
        nonlocal count
        for row in itertools.chain([first], rows):
            count += 1
            yield tuple(row.values())

    await conn.copy_records_to_table("cases", records=records(), columns=columns)
    return count
