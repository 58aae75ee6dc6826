"""One deadline-sweep tick over a big cases table, on SQLite and PostgreSQL.

    .venv/bin/python bench/sweep_tick.py [--total 1000000] [--open 100000] [--due 1000]
        [--small 10000] [--backend sqlite|postgres|both] [--repeat 5] [--plans]
        [--supervise SHARE] [--escalate SHARE] [--reference GIT_REF] [--batch N[,N..]]
        [--profile TOP] [--verbose]

For each backend two tables are built with the SAME number of due cases: `--small` cases in all
and `--total` cases in all. Each gets `open = min(--open, total // 2)` open cases (100,000 of
1,000,000; 5,000 of 10,000), `--due` of them with something due at the tick; the rest are closed
(next_check_at NULL). What is due: the 50% reminder, or for `--supervise` of them the deadline
(overdue reminder, supervised event, the supervisor told), for `--escalate` of them the escalation
(routed up to the township leader). A tick is `scheduler.jobs.sweep_deadlines` exactly as the bot
runs it; it must handle every due case once and leave exactly the outbox rows, events and levels
their steps call for, and nothing due. Ticks alternate between the tables (and the sweeps, with
`--reference`) for `--repeat` rounds, the due cases re-armed before each; medians are reported.
If the sweep only touches due rows, tick(total)/tick(small) ~ 1.

PostgreSQL: BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/bench_sweep) holds the
big table, a sibling database `<name>_<small>` (e.g. bench_sweep_10000) the small one; both are
created if missing and their public schema is dropped and rebuilt on every run.
SQLite: files in a temporary directory, removed afterwards.

Schema (alembic migrations), demo county and the sweep are the project's own code; only the cases
are bulk-loaded without the ORM (sqlite3 executemany + INSERT .. SELECT / asyncpg COPY).
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import bindparam, event, func, select, text, update
from sqlalchemy.engine import make_url

from bot.demo import load_demo
from bot.migrate import upgrade
from models import Case, CaseEvent, OutboxMessage
from models.db import make_engine, make_sessionmaker
from models.queries import due_cases_query
from scheduler import jobs
from scheduler.context import JobContext
from services.config import ServiceConfig
from services.schedule import next_check
from services.sweep_plan import CASE_COLUMNS

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/bench_sweep"
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # the clock of the tick
UTC_NAIVE_NOW = NOW.replace(tzinfo=None)
WEEK = timedelta(days=7)
INDEX = "ix_cases_next_check"

CLOSED, OPEN, DUE = 0, 1, 2
COLUMNS = (
    "id", "number", "kind", "category_code", "village_id", "reporter_id", "anonymous", "confidential",
    "owner_id", "level", "status", "summary", "disposition", "resolution_note", "revisit_at", "rating",
    "close_reason", "supervised", "created_at", "first_response_due", "first_response_at", "due_at",
    "resolved_at", "closed_at", "deadline_started_at", "deadline_stage", "escalate_at",
    "first_contact_reminded", "followup_due", "followup_stage", "next_check_at",
)


def log(msg: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The data


@dataclass
class Directory:
    """What the demo county gives the generated cases: categories, villages and their cadres."""

    categories: list[tuple[str, str]]  # (code, kind) of 7-day, non-confidential categories
    villages: list[tuple[int, int]]  # (village id, default cadre id)
    people: list[int]


# What falls due at the tick for a due case: the 50% reminder, the deadline (listed for supervision,
# supervisors told) or the escalation (routed up to the township leader with a fresh clock).
HALF, SUPERVISE, ESCALATE = "half", "supervise", "escalate"
STAGE_BEFORE = {HALF: 0, SUPERVISE: 2, ESCALATE: 3}  # deadline_stage the case has reached before the tick
SHARE_AT = {HALF: 0.5, SUPERVISE: 1.0, ESCALATE: 1.0 + 2 / 7}  # where on the 7-day clock it falls due


@dataclass
class Layout:
    total: int
    open: int  # open cases, due ones included
    due: int
    kinds: bytearray = field(repr=False, default_factory=bytearray)
    due_ids: list[int] = field(repr=False, default_factory=list)
    steps: list[str] = field(repr=False, default_factory=list)  # what falls due, per due case (in id order)


def layout(total: int, open_: int, due: int, supervise: float = 0.0, escalate: float = 0.0,
           seed: int = 1) -> Layout:
    """Scatter closed, open and due cases over the id range (due rows are not clustered)."""
    kinds = bytearray([DUE]) * due + bytearray([OPEN]) * (open_ - due) + bytearray([CLOSED]) * (total - open_)
    random.Random(seed).shuffle(kinds)
    due_ids = [i + 1 for i, k in enumerate(kinds) if k == DUE]
    n_sup, n_esc = round(due * supervise), round(due * escalate)
    steps = [SUPERVISE] * n_sup + [ESCALATE] * n_esc + [HALF] * (due - n_sup - n_esc)
    random.Random(seed + 1).shuffle(steps)
    return Layout(total, open_, due, kinds, due_ids, steps)


def due_created(n: int, step: str) -> datetime:
    """When the n-th due case was filed (naive UTC): its step fell due n seconds (+12 h for HALF) ago."""
    late = timedelta(hours=12) if step == HALF else timedelta(0)
    return UTC_NAIVE_NOW - WEEK * SHARE_AT[step] - late - timedelta(seconds=n)


TAIL = COLUMNS[10:]  # status .. next_check_at: shared by every row of a bucket
CLOSED_BUCKETS, OPEN_BUCKETS = 700 * 24, 79 * 60  # creation times: closed per hour, open per minute


@dataclass
class Templates:
    heads: list[tuple]  # (kind, category_code, village_id, owner_id), row i takes heads[i % len]
    reporters: list[int]  # row i takes reporters[(i * 7) % len]
    tails: list[tuple]  # TAIL values, one per bucket


def templates(lay: Layout, d: Directory, sqlite_text: bool) -> Templates:
    """Build the datetime half of the rows once per bucket, not once per row.

    Naive UTC datetimes; for SQLite, text the way SQLAlchemy writes it (always with microseconds).
    """
    if sqlite_text:
        def ts(dt):
            return None if dt is None else dt.isoformat(sep=" ", timespec="microseconds")
        no, yes = 0, 1
    else:
        def ts(dt):
            return dt
        no, yes = False, True
    now, day = UTC_NAIVE_NOW, timedelta(days=1)

    def closed(created):
        resolved = created + 3 * day
        return ("closed", "bench", "resolved", "done", None, "satisfied", "confirmed", no,
                ts(created), ts(created + day), ts(created + timedelta(minutes=30)), ts(created + WEEK),
                ts(resolved), ts(resolved + day), ts(created), 0, ts(created + WEEK + 2 * day), no,
                ts(resolved + 3 * day), 0, None)

    def opened(created, stage=0):
        # A seven-day clock, first contact made half an hour in; `stage` deadline reminders already sent.
        nxt = {0: created + WEEK / 2, 1: created + WEEK * 0.8, 2: created + WEEK, 3: created + WEEK + 2 * day}
        return ("assigned", "bench", None, None, None, None, None, yes if stage >= 3 else no,
                ts(created), ts(created + day), ts(created + timedelta(minutes=30)), ts(created + WEEK),
                None, None, ts(created), stage, ts(created + WEEK + 2 * day), no, None, 0, ts(nxt[stage]))

    tails = [closed(now - timedelta(days=30, hours=h)) for h in range(CLOSED_BUCKETS)]
    # Open, not due: up to ~3.3 days into the clock, the 50% point still ahead.
    tails += [opened(now - timedelta(hours=1, minutes=m)) for m in range(OPEN_BUCKETS)]
    # Due: HALF four days into the clock (50% fell due 12 hours ago, 80% is 1.6 days ahead); SUPERVISE
    # at its deadline with the 80% reminder sent; ESCALATE two days past it, listed for supervision.
    tails += [opened(due_created(n, step), STAGE_BEFORE[step]) for n, step in enumerate(lay.steps)]
    heads = [(kind, cat, v, o) for (cat, kind) in d.categories for (v, o) in d.villages]
    return Templates(heads, d.people, tails)


def buckets(lay: Layout):
    """Yield (id, bucket) for every case."""
    due_n = 0
    for i, k in enumerate(lay.kinds, start=1):
        if k == CLOSED:
            yield i, (i * 7919) % CLOSED_BUCKETS
        elif k == OPEN:
            yield i, CLOSED_BUCKETS + (i * 7919) % OPEN_BUCKETS
        else:
            yield i, CLOSED_BUCKETS + OPEN_BUCKETS + due_n
            due_n += 1


def rows(lay: Layout, d: Directory):
    """Yield one tuple per case in COLUMNS order, for COPY (naive UTC datetimes)."""
    t = templates(lay, d, sqlite_text=False)
    nheads, nrep = len(t.heads), len(t.reporters)
    for i, bucket in buckets(lay):
        kind, cat, village_id, owner_id = t.heads[i % nheads]
        yield (i, f"B-{i:09d}", kind, cat, village_id, t.reporters[(i * 7) % nrep], False, False, owner_id,
               "village") + t.tails[bucket]


# ---------------------------------------------------------------------------------------------
# Backends


async def pg_connect(url: str, database: str | None = None):
    """A plain asyncpg connection to the URL's server (to its database, or the one named)."""
    import asyncpg

    u = make_url(url)
    return await asyncpg.connect(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username or "postgres",
                                 password=u.password, database=database or u.database)


async def ensure_pg_database(url: str) -> None:
    """Create the database if missing; drop and recreate its public schema."""
    import asyncpg

    try:
        conn = await pg_connect(url)
    except asyncpg.InvalidCatalogNameError:
        admin = await pg_connect(url, "postgres")
        try:
            await admin.execute(f'CREATE DATABASE "{make_url(url).database}"')
        finally:
            await admin.close()
        conn = await pg_connect(url)
    try:
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
    finally:
        await conn.close()


async def read_directory(sessionmaker) -> Directory:
    async with sessionmaker() as s:
        cats = (await s.execute(text(
            "SELECT code, kind FROM categories WHERE resolve_s = 604800 AND confidential = :f ORDER BY code"
        ), {"f": False})).all()
        villages = (await s.execute(text(
            "SELECT village_id, MIN(person_id) FROM assignments WHERE category_code IS NULL "
            "GROUP BY village_id ORDER BY village_id"
        ))).all()
        people = (await s.scalars(text("SELECT id FROM people ORDER BY id"))).all()
    assert cats and villages and people, "the demo county should give categories, villages and cadres"
    return Directory([tuple(c) for c in cats], [tuple(v) for v in villages], list(people))


def sqlite_bulk_load(path: str, lay: Layout, d: Directory) -> None:
    """executemany the small parts (templates, one (id, bucket) pair per case), then one INSERT .. SELECT.

    Binding 31 values per row from Python costs ~10 us a row; two small integers cost a tenth of that.
    The secondary indexes of `cases` are dropped for the load and rebuilt from their own DDL after
    it (a sorted build instead of a million random b-tree inserts); the schema ends up the same.
    """
    t = templates(lay, d, sqlite_text=True)
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA journal_mode=OFF")  # a throwaway file: no rollback journal, no WAL copy
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA cache_size=-262144")  # 256 MB, for the index builds
        db.execute("PRAGMA temp_store=MEMORY")
        indexes = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cases' "
                             "AND sql IS NOT NULL ORDER BY name").fetchall()
        with db:
            for name, _ in indexes:
                db.execute(f'DROP INDEX "{name}"')
            db.execute(f"CREATE TEMP TABLE bench_tail (bucket INTEGER PRIMARY KEY, {', '.join(TAIL)})")
            db.execute("CREATE TEMP TABLE bench_head (n INTEGER PRIMARY KEY, kind, category_code, village_id, "
                       "owner_id)")
            db.execute("CREATE TEMP TABLE bench_reporter (n INTEGER PRIMARY KEY, person_id)")
            db.execute("CREATE TEMP TABLE bench_row (id INTEGER PRIMARY KEY, bucket)")
            db.executemany(f"INSERT INTO bench_tail VALUES (?, {', '.join('?' * len(TAIL))})",
                           ((n, *tail) for n, tail in enumerate(t.tails)))
            db.executemany("INSERT INTO bench_head VALUES (?, ?, ?, ?, ?)",
                           ((n, *head) for n, head in enumerate(t.heads)))
            db.executemany("INSERT INTO bench_reporter VALUES (?, ?)", enumerate(t.reporters))
            db.executemany("INSERT INTO bench_row VALUES (?, ?)", buckets(lay))
            db.execute(
                f"INSERT INTO cases ({', '.join(COLUMNS)}) "
                f"SELECT r.id, printf('B-%09d', r.id), h.kind, h.category_code, h.village_id, p.person_id, 0, 0, "
                f"h.owner_id, 'village', {', '.join('t.' + c for c in TAIL)} "
                f"FROM bench_row r JOIN bench_tail t ON t.bucket = r.bucket "
                f"JOIN bench_head h ON h.n = r.id % {len(t.heads)} "
                f"JOIN bench_reporter p ON p.n = (r.id * 7) % {len(t.reporters)} ORDER BY r.id")
            for _, sql in indexes:
                db.execute(sql)
        for table in ("bench_row", "bench_tail", "bench_head", "bench_reporter"):
            db.execute(f"DROP TABLE temp.{table}")
        after = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cases' "
                           "AND sql IS NOT NULL ORDER BY name").fetchall()
        assert after == indexes and any(n == INDEX for n, _ in after), (indexes, after)
        db.execute("ANALYZE")
        db.execute("PRAGMA journal_mode=WAL")  # as models.db.make_engine runs it
    finally:
        db.close()


async def pg_bulk_load(url: str, lay: Layout, d: Directory) -> None:
    """COPY the rows in; the plain indexes are rebuilt after the COPY, the FK triggers skipped.

    The generated rows only point at the demo county's own ids, so the foreign keys hold; checking
    them row by row (four trigger lookups a row) is most of a plain COPY's time.
    """
    import asyncpg

    conn = await pg_connect(url)
    index_sql = ("SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
                 "AND i.tablename = 'cases' AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                 "WHERE c.conname = i.indexname) ORDER BY i.indexname")
    try:
        indexes = [tuple(r) for r in await conn.fetch(index_sql)]
        await conn.execute("SET maintenance_work_mem = '256MB'")
        async with conn.transaction():
            try:
                async with conn.transaction():
                    await conn.execute("SET LOCAL session_replication_role = replica")
            except asyncpg.InsufficientPrivilegeError:
                log("not a superuser: COPY checks the foreign keys row by row (slower)")
            for name, _ in indexes:
                await conn.execute(f'DROP INDEX "{name}"')
            await conn.copy_records_to_table("cases", records=rows(lay, d), columns=COLUMNS)
            for _, sql in indexes:
                await conn.execute(sql)
        after = [tuple(r) for r in await conn.fetch(index_sql)]
        assert after == indexes and any(n == INDEX for n, _ in after), (indexes, after)
        await conn.execute("SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))")
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


# ---------------------------------------------------------------------------------------------
# Measuring


class Statements:
    """Count the statements an engine sends, and the time spent waiting on the database."""

    def __init__(self, engine):
        self.reset()
        self._t0 = 0.0
        event.listen(engine.sync_engine, "before_cursor_execute", self._before)
        event.listen(engine.sync_engine, "after_cursor_execute", self._after)

    def reset(self) -> None:
        self.count, self.db_seconds, self.selects = 0, 0.0, []
        self.by_kind: dict[str, list] = {}  # "UPDATE cases" -> [statements, seconds]

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self._t0 = time.perf_counter()
        if "next_check_at <=" in statement:
            self.selects.append((statement, parameters))

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        seconds = time.perf_counter() - self._t0
        self.count += 1
        self.db_seconds += seconds
        words = statement.split()
        table = next((w for w, prev in zip(words[1:], words) if prev.upper() in ("FROM", "INTO", "UPDATE")), "")
        kind = self.by_kind.setdefault(f"{words[0].upper()} {table}", [0, 0.0])
        kind[0] += 1
        kind[1] += seconds

    def summary(self) -> str:
        """The statements by kind and table: count and seconds waited."""
        return ", ".join(f"{kind} {n}x {seconds * 1000:.0f} ms" for kind, (n, seconds) in
                         sorted(self.by_kind.items(), key=lambda kv: -kv[1][1]))


def sweep_query():
    """The due-selection query of services.reminders.sweep_due, as it builds it."""
    return due_cases_query(NOW, jobs.BATCH, CASE_COLUMNS)


# ---------------------------------------------------------------------------------------------
# The sweep under test, and the reference one


Tick = Callable[[JobContext], Awaitable[int]]


def batch_tick(batch: int) -> Tick:
    """Return scheduler.jobs.sweep_deadlines with its batch set to `batch`."""
    async def tick(ctx: JobContext) -> int:
        jobs.BATCH = batch
        return await jobs.sweep_deadlines(ctx)
    return tick


def reference_tick(ref: str) -> Tick:
    """Return scheduler.jobs.sweep_deadlines as of git `ref`, with services/reminders.py as of `ref`.

    Both files are read with `git show` and executed as stand-alone modules over today's other
    modules, so a ref works as long as what its reminders.py imports still exists.
    """
    def load(path: str, name: str) -> types.ModuleType:
        source = subprocess.run(["git", "-C", str(ROOT), "show", f"{ref}:{path}"], check=True,
                                capture_output=True, text=True).stdout
        module = types.ModuleType(name)
        module.__file__ = f"{ref}:{path}"
        sys.modules[name] = module
        exec(compile(source, module.__file__, "exec"), module.__dict__)
        return module

    reminders = load("services/reminders.py", "reference_reminders")
    current = sys.modules["services.reminders"]
    sys.modules["services.reminders"] = reminders  # what the reference jobs.py imports
    try:
        return load("scheduler/jobs.py", "reference_jobs").sweep_deadlines
    finally:
        sys.modules["services.reminders"] = current


# ---------------------------------------------------------------------------------------------
# Checks


@dataclass
class Result:
    backend: str
    impl: str
    total: int
    open: int
    due: int
    load_s: float
    ticks: list[float]
    cpus: list[float]
    server_cpus: list[float]
    idles: list[float]
    tick_statements: int
    tick_db_s: float
    select_ms: float
    plan: list[str]
    index_lines: list[str]
    same_sql: bool | None


async def check_sample(sessionmaker, lay: Layout) -> None:
    """The bulk-loaded next_check_at must be what services.schedule would have written."""
    firsts = [lay.due_ids[lay.steps.index(step)] for step in (HALF, SUPERVISE, ESCALATE) if step in lay.steps]
    sample = firsts + lay.due_ids[:20] + [i + 1 for i, k in enumerate(lay.kinds[:5000]) if k != DUE][:40]
    async with sessionmaker() as s:
        for case in (await s.scalars(select(Case).where(Case.id.in_(sample)))).unique():
            assert case.next_check_at == next_check(case), (case.id, case.status, case.next_check_at,
                                                            next_check(case))
        await s.rollback()


async def explain(sessionmaker, stats: Statements, dialect: str, lay: Layout) -> tuple[float, list[str], tuple]:
    """Run the bare due selection once (timed, rolled back), then EXPLAIN the very SQL it sent."""
    async with sessionmaker() as s:
        await s.execute(text("SELECT 1"))
        stats.reset()
        t0 = time.perf_counter()
        found = (await s.execute(sweep_query())).all()
        select_ms = (time.perf_counter() - t0) * 1000
        assert len(found) == min(jobs.BATCH, lay.due), f"{len(found)} cases selected before the tick"
        statement, params = stats.selects[-1]
        conn = await s.connection()
        if dialect == "postgresql":
            res = await conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, params)
            plan = [r[0] for r in res.all()]
        else:
            res = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
            plan = [r[3] for r in res.all()]
        await s.rollback()
    return select_ms, plan, (statement, params)


RESET = ("owner_id", "level") + TAIL


def reset_rows(lay: Layout, d: Directory) -> list[dict]:
    """The due cases as loaded (aware datetimes), for an UPDATE by id."""
    t = templates(lay, d, sqlite_text=False)
    first = CLOSED_BUCKETS + OPEN_BUCKETS
    params = []
    for n, i in enumerate(lay.due_ids):
        values = (t.heads[i % len(t.heads)][3], "village") + t.tails[first + n]
        params.append({"b_id": i} | {c: v.replace(tzinfo=UTC) if isinstance(v, datetime) else v
                                     for c, v in zip(RESET, values)})
    return params


async def reset_due(sessionmaker, params: list[dict]) -> None:
    """Put the due cases back where they were before the tick; empty the outbox and the events."""
    table = Case.__table__
    stmt = update(table).where(table.c.id == bindparam("b_id")).values({c: bindparam(c) for c in RESET})
    async with sessionmaker() as s:
        await s.execute(text("DELETE FROM outbox"))
        await s.execute(text("DELETE FROM case_events"))
        await s.execute(stmt, params)
        await s.commit()


async def verify_tick(sessionmaker, lay: Layout, handled: int) -> None:
    """Exactly the due cases were handled, each queued what its step sends, and nothing is due any more."""
    assert handled == lay.due, f"the tick handled {handled} cases, expected {lay.due}"
    want = {step: lay.steps.count(step) for step in (HALF, SUPERVISE, ESCALATE)}

    async def count(model, *where) -> int:
        return await s.scalar(select(func.count()).select_from(model).where(*where))

    async with sessionmaker() as s:
        got = {
            "half": await count(OutboxMessage, OutboxMessage.key.like("remind:%:half:%")),
            "overdue": await count(OutboxMessage, OutboxMessage.key.like("remind:%:overdue:%")),
            "supervised": await count(OutboxMessage, OutboxMessage.key.like("supervised:%")),
            "card": await count(OutboxMessage, OutboxMessage.key.like("card:%")),
            "update": await count(OutboxMessage, OutboxMessage.key.like("update:%")),
            "outbox": await count(OutboxMessage),
            "stage 1": await count(Case, Case.deadline_stage == 1),
            "township": await count(Case, Case.level == "township"),
            "events": await count(CaseEvent),
            "still due": await count(Case, Case.next_check_at <= NOW),
        }
    supervisors = 1  # the demo county's one county-level supervisor
    expected = {
        "half": want[HALF], "overdue": want[SUPERVISE], "supervised": want[SUPERVISE] * supervisors,
        "card": want[ESCALATE], "update": want[ESCALATE],
        "outbox": want[HALF] + want[SUPERVISE] * (1 + supervisors) + 2 * want[ESCALATE],
        "stage 1": want[HALF], "township": want[ESCALATE], "events": want[SUPERVISE] + want[ESCALATE],
        "still due": 0,
    }
    assert got == expected, f"after the tick {got}, expected {expected}"


async def server_cpu(sessionmaker) -> dict[int, int]:
    """CPU time so far (ns) of each PostgreSQL backend serving this database, when it runs on this machine."""
    async with sessionmaker() as s:
        if s.bind.dialect.name != "postgresql":
            return {}
        pids = (await s.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"))).all()
    spent = {}
    for pid in pids:
        try:
            spent[pid] = int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return spent


# ---------------------------------------------------------------------------------------------
# Profiling

AREAS = (
    ("sqlalchemy/orm/", "SQLAlchemy ORM (unit of work, loading, attributes, events)"),
    ("sqlalchemy/sql/", "SQLAlchemy Core (statement building, compiling, type processing)"),
    ("sqlalchemy/engine/", "SQLAlchemy engine (execution context, result rows)"),
    ("sqlalchemy/", "SQLAlchemy other (async adaption, dialects, pool)"),
    ("asyncpg/", "asyncpg (Python part)"),
    ("models/sqlite_inline", "SQLite driver (sqlite3 in place: the statements run inside it)"),
    ("asyncio/", "asyncio event loop"),
    (f"{ROOT}/services/", "services/ (the sweep's own decisions)"),
    (f"{ROOT}/models/", "models/ (types, query helpers)"),
)


def area(key: tuple) -> str:
    path, _, name = key
    if path == "~":
        if "poll" in name or "select" in name:
            return "waiting for I/O (the PostgreSQL server)"
        if "asyncpg" in name:
            return "asyncpg (compiled protocol)"
        if "sqlite3" in name:
            return "SQLite itself (sqlite3 calls)"
        return "C built-ins (json, datetime, dict, ...)"
    if ":" in path and "/" not in path.split(":")[0]:  # reference modules: "<ref>:services/..."
        return "services/ (the sweep's own decisions)"
    for part, label in AREAS:
        if part in path:
            return label
    return "other Python"


def profile_report(profile: cProfile.Profile, wall: float, title: str, top: int) -> None:
    """Print the tick's own time by area, and the functions that took most of it."""
    stats = pstats.Stats(profile)
    by_area: dict[str, float] = {}
    for key, (_cc, _nc, tt, _ct, _callers) in stats.stats.items():
        by_area[area(key)] = by_area.get(area(key), 0.0) + tt
    total = sum(by_area.values())
    print(f"\n{title}: {wall:.3f}s wall under the profiler, {total:.3f}s of profiled time")
    for label, seconds in sorted(by_area.items(), key=lambda kv: -kv[1]):
        print(f"    {seconds:7.3f}s {seconds / total:5.0%}  {label}")
    rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:top]
    print(f"  top {top} by own time (ncalls, own s, cumulative s):")
    for (path, line, name), (_cc, nc, tt, ct, _callers) in rows:
        where = path if path == "~" else f"{Path(path).parent.name}/{Path(path).name}:{line}"
        print(f"    {nc:>7} {tt:7.3f} {ct:7.3f}  {name}  ({where})")


# ---------------------------------------------------------------------------------------------
# Running


@dataclass
class Table:
    """One loaded database: a backend at one size."""

    backend: str
    url: str
    lay: Layout
    directory: Directory | None = None
    load_s: float = 0.0


def build(backend: str, url: str, lay: Layout) -> Table:
    """Fresh schema through the migrations, the demo county, then the cases in bulk; ANALYZE."""
    t0 = time.perf_counter()
    if backend == "postgres":
        asyncio.run(ensure_pg_database(url))
    upgrade(url)

    async def county() -> Directory:
        engine = make_engine(url)
        try:
            sm = make_sessionmaker(engine)
            async with sm() as s:
                await load_demo(s, NOW - timedelta(days=800))
                await s.commit()
            return await read_directory(sm)
        finally:
            await engine.dispose()

    d = asyncio.run(county())
    log(f"{backend} {lay.total:>9,}: schema and demo county in {time.perf_counter() - t0:.1f}s")
    t0 = time.perf_counter()
    if backend == "sqlite":
        sqlite_bulk_load(url[len("sqlite:///"):], lay, d)
    else:
        asyncio.run(pg_bulk_load(url, lay, d))
    table = Table(backend, url, lay, d, time.perf_counter() - t0)
    log(f"{backend} {lay.total:>9,}: {lay.total:,} cases loaded and analyzed in {table.load_s:.1f}s")
    return table


async def measure(tables: list[Table], impls: list[tuple[str, Tick]], repeat: int,
                  profile_top: int, verbose: bool) -> list[Result]:
    """Explain the due selection on each table, then tick every (table, sweep) in turn, `repeat` rounds.

    Rounds alternate the order of the tables and of the sweeps, so that load from elsewhere on the
    machine falls on all alike. Before every tick the due cases are re-armed.
    """
    engines = [make_engine(t.url) for t in tables]
    try:
        sms = [make_sessionmaker(e) for e in engines]
        stats = [Statements(e) for e in engines]
        ctxs = [JobContext(sm, ServiceConfig(), lambda: NOW) for sm in sms]
        resets = [reset_rows(t.lay, t.directory) for t in tables]
        explained = []
        for t, sm, st, e in zip(tables, sms, stats, engines):
            await check_sample(sm, t.lay)
            explained.append(await explain(sm, st, e.dialect.name, t.lay))
        runs = [(k, j) for k in range(len(tables)) for j in range(len(impls))]
        ticks = {run: [] for run in runs}
        cpus = {run: [] for run in runs}
        server_cpus = {run: [] for run in runs}
        idles = {run: [] for run in runs}
        counts, db_seconds, same_sql = {}, {}, {}
        for r in range(repeat):
            for k, j in runs if r % 2 == 0 else runs[::-1]:
                t, sm, st, ctx = tables[k], sms[k], stats[k], ctxs[k]
                name, tick = impls[j]
                await reset_due(sm, resets[k])
                server = await server_cpu(sm)
                st.reset()
                t0, c0 = time.perf_counter(), time.process_time()
                handled = await tick(ctx)
                ticks[k, j].append(time.perf_counter() - t0)
                cpus[k, j].append(time.process_time() - c0)
                counts[k, j], db_seconds[k, j], kinds = st.count, st.db_seconds, st.summary()
                if server:
                    server_cpus[k, j].append(sum(ns - server.get(pid, 0) for pid, ns in
                                                 (await server_cpu(sm)).items()) / 1e9)
                if j == 0:
                    same_sql[k, j] = same_sql.get((k, j), True) and bool(st.selects) and \
                        st.selects[0][0] == explained[k][2][0]
                await verify_tick(sm, t.lay, handled)
                t0 = time.perf_counter()
                idle = await tick(ctx)
                idles[k, j].append(time.perf_counter() - t0)
                assert idle == 0, f"an idle tick handled {idle} cases"
                log(f"{t.backend} {t.lay.total:>9,} {name} round {r + 1}: tick {ticks[k, j][-1]:.3f}s (CPU {cpus[k, j][-1]:.3f}s"
                    f"{f' + server {server_cpus[k, j][-1]:.3f}s' if server_cpus[k, j] else ''}, "
                    f"{counts[k, j]} statements, {db_seconds[k, j]:.3f}s waiting on them), "
                    f"idle tick {idles[k, j][-1] * 1000:.1f} ms")
                if verbose:
                    log(f"    statements: {kinds}")
        if profile_top:
            for k, j in runs:
                await reset_due(sms[k], resets[k])
                profile = cProfile.Profile()
                t0 = time.perf_counter()
                profile.enable()
                handled = await impls[j][1](ctxs[k])
                profile.disable()
                wall = time.perf_counter() - t0
                await verify_tick(sms[k], tables[k].lay, handled)
                profile_report(profile, wall, f"profile: {tables[k].backend} {tables[k].lay.total:,} "
                               f"{impls[j][0]}", profile_top)
    finally:
        for e in engines:
            await e.dispose()
    return [Result(t.backend, impls[j][0], t.lay.total, t.lay.open, t.lay.due, t.load_s, ticks[k, j], cpus[k, j], server_cpus[k, j], idles[k, j],
                   counts[k, j], db_seconds[k, j], explained[k][0], explained[k][1],
                   [p.strip() for p in explained[k][1] if INDEX in p], same_sql.get((k, j)))
            for k, j in runs for t in [tables[k]]]


def pg_sibling(url: str, suffix: str) -> str:
    """The same server, another database: the small table lives next to the big one."""
    u = make_url(url)
    return u.set(database=f"{u.database}{suffix}").render_as_string(hide_password=False)


def run_backend(backend: str, sizes: list[tuple[int, int]], args, impls, pg_url: str) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
        tables = []
        for n, (total, open_) in enumerate(sizes):
            if backend == "sqlite":
                url = f"sqlite:///{Path(tmp) / f'bench_{n}_{total}.db'}"
            else:
                url = pg_url if n == len(sizes) - 1 else pg_sibling(pg_url, f"_{total}")
            tables.append(build(backend, url, layout(total, open_, args.due, args.supervise, args.escalate)))
        return asyncio.run(measure(tables, impls, args.repeat, args.profile, args.verbose))


def plan_summary(plan: list[str]) -> list[str]:
    """The plan lines that tell how the due rows are found: the top nodes, the index, any sort."""
    keep = ("Limit", "->  LockRows", "->  Sort", "->  Incremental Sort", "->  Bitmap Heap Scan", "Execution Time")
    return [line.strip() for line in plan
            if INDEX in line or "TEMP B-TREE" in line or line.strip().startswith(keep)] or plan


def report(results: list[Result], show_plans: bool) -> None:
    head = (f"{'backend':<9}{'sweep':<11}{'total':>11}{'open':>9}{'due':>7}{'load s':>8}{'tick s':>9}{'min s':>7}"
            f"{'cpu s':>7}{'db cpu':>8}{'idle ms':>9}{'stmts':>7}{'db s':>7}{'select ms':>11}{'tick/small':>12}{'idle/small':>12}")
    print()
    print(head)
    print("-" * len(head))
    small: dict[tuple[str, str], Result] = {}
    for r in sorted(results, key=lambda r: (r.backend, r.impl, r.total)):
        tick, idle = statistics.median(r.ticks), statistics.median(r.idles)
        base = small.setdefault((r.backend, r.impl), r)
        ratio = "" if base is r else f"{tick / statistics.median(base.ticks):.2f}x"
        iratio = "" if base is r else f"{idle / statistics.median(base.idles):.2f}x"
        server = f"{statistics.median(r.server_cpus):.3f}" if r.server_cpus else "-"
        print(f"{r.backend:<9}{r.impl:<11}{r.total:>11,}{r.open:>9,}{r.due:>7,}{r.load_s:>8.1f}{tick:>9.3f}"
              f"{min(r.ticks):>7.3f}{statistics.median(r.cpus):>7.3f}{server:>8}{idle * 1000:>9.1f}{r.tick_statements:>7}"
              f"{r.tick_db_s:>7.2f}"
              f"{r.select_ms:>11.1f}{ratio:>12}{iratio:>12}")
    print()
    print("tick s / idle ms: median of the repeats; min s: the fastest tick; cpu s: median CPU time of this process")
    print("over the tick (SQLite's work included: it runs in this process); db cpu: median CPU time of the PostgreSQL")
    print("backends of the database over the tick (/proc, local server only); stmts, db s: statements sent in the")
    print("last tick and the time spent waiting on them; select ms: the bare due selection (first batch) alone.")
    for r in results:
        if r.same_sql is None:
            continue
        print(f"\n{r.backend} {r.total:,}: due selection uses {INDEX}: {'yes' if r.index_lines else 'NO'}; "
              f"same SQL as the tick: {'yes' if r.same_sql else 'NO'}")
        for line in (r.plan if show_plans else plan_summary(r.plan)):
            print(f"    {line}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--total", type=int, default=1_000_000, help="cases in the big table")
    ap.add_argument("--small", type=int, default=10_000, help="cases in the small table (same due count)")
    ap.add_argument("--open", type=int, default=100_000, help="open cases, capped at half of each table")
    ap.add_argument("--due", type=int, default=1_000, help="cases with something due at the tick")
    ap.add_argument("--supervise", type=float, default=0.0, metavar="SHARE",
                    help="share of the due cases at their deadline (listed for supervision)")
    ap.add_argument("--escalate", type=float, default=0.0, metavar="SHARE",
                    help="share of the due cases two days past their deadline (escalated)")
    ap.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    ap.add_argument("--repeat", type=int, default=5, help="ticks per table, alternating (due cases re-armed)")
    ap.add_argument("--reference", metavar="GIT_REF",
                    help="also tick with services/reminders.py and scheduler/jobs.py as of this git ref")
    ap.add_argument("--batch", metavar="N[,N...]",
                    help=f"cases claimed per transaction (scheduler.jobs.BATCH, now {jobs.BATCH}); several: one sweep each")
    ap.add_argument("--profile", type=int, default=0, metavar="TOP",
                    help="after the rounds, profile one tick per table and sweep; print the TOP functions")
    ap.add_argument("--plans", action="store_true", help="print the whole query plans")
    ap.add_argument("--verbose", action="store_true", help="log each tick's statements by kind and table")
    args = ap.parse_args()
    pg_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG)
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    if args.supervise + args.escalate > 1:
        ap.error("--supervise + --escalate may not exceed 1")
    batches = [int(b) for b in args.batch.split(",")] if args.batch else [jobs.BATCH]
    jobs.BATCH = batches[0]  # the batch of the explained selection
    impls: list[tuple[str, Tick]] = [("ours" if len(batches) == 1 else f"ours/{b}", batch_tick(b)) for b in batches]
    if args.reference:
        impls.append((args.reference[:9], reference_tick(args.reference)))

    sizes = []
    for total in (args.small, args.total):
        open_ = min(args.open, total // 2)
        if not args.due <= open_ <= total:
            ap.error(f"need due <= open <= total, got {args.due} / {open_} / {total}")
        sizes.append((total, open_))
    started = time.perf_counter()
    results = []
    for backend in backends:
        results += run_backend(backend, sizes, args, impls, pg_url)
    report(results, args.plans)
    print(f"\nwhole run: {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
