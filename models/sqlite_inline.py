"""SQLite for an asyncio bot: sqlite3 called in place on the event loop, writers queued on an asyncio lock.

aiosqlite runs every call on a worker thread; for statements that take microseconds, the hop
there and back (and the GIL hand-over it causes) costs more than the statement, and it made the
bot's per-update cost several times aiogram's own. Here SQLAlchemy's async engine runs pysqlite
directly inside its greenlet, so a statement is a plain function call.

A statement marked `long_running` (an aggregate over a year of cases, say) runs on a worker thread
instead, rows fetched there too, so that the bot keeps answering while it runs.

One more rule keeps the event loop from blocking: SQLite lets one writer at a time hold the database,
and a second connection that tried to write would sleep in SQLite's busy handler, on the loop,
while the first waits on the loop to finish. So before a connection's first write in a
transaction it takes the database's asyncio lock (waiting there, not in SQLite), and it gives the
lock back when the transaction ends. Readers never wait (WAL).
"""
from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
import time
import weakref
from collections import deque
from typing import Any

from sqlalchemy import pool
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.util import await_

log = logging.getLogger(__name__)

_WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)
# Longer than any transaction of this bot should ever hold the lock; then it is a bug, not a queue.
LOCK_WAIT = 60.0
# A writer that waited longer than this for the lock is worth a line in the log: some transaction held it long.
SLOW_WAIT = 0.1

_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = weakref.WeakKeyDictionary()


def writer_lock(database: str) -> asyncio.Lock:
    """Return the lock that one writer at a time holds on this database file, in this event loop."""
    loop = asyncio.get_running_loop()
    per_loop = _locks.setdefault(loop, {})
    return per_loop.setdefault(database, asyncio.Lock())


def _is_write(sql: str) -> bool:
    if _WRITES.match(sql):
        return True
    return sql.lstrip()[:4].upper() == "WITH" and re.search(r"\b(INSERT|UPDATE|DELETE)\b", sql, re.I) is not None


class InlineConnection:
    """A sqlite3 connection whose writes first take the database's writer lock."""

    def __init__(self, raw: sqlite3.Connection, database: str):
        self._raw = raw
        self._database = database
        self._held: asyncio.Lock | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            setattr(self._raw, name, value)

    def before(self, sql: str) -> None:
        """Take the writer lock before the transaction's first write (inside SQLAlchemy's greenlet)."""
        if self._held is not None or self._database == ":memory:" or not _is_write(sql):
            return
        lock = writer_lock(self._database)
        if lock.locked():
            started = time.monotonic()
            try:
                await_(asyncio.wait_for(lock.acquire(), LOCK_WAIT))
            except TimeoutError:
                raise sqlite3.OperationalError("database is locked (writer lock not released)") from None
            waited = time.monotonic() - started
            if waited > SLOW_WAIT:
                log.warning("waited %.0f ms for the write lock (held since %r) to run %r", waited * 1000,
                            getattr(lock, "holder", "?"), sql[:60])
        else:
            await_(lock.acquire())
        lock.holder = sql[:60]
        self._held = lock

    def _release(self) -> None:
        if self._held is not None:
            self._held.release()
            self._held = None

    def cursor(self, *args: Any) -> InlineCursor:
        return InlineCursor(self, self._raw.cursor(*args))

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        self.before(sql)
        return self._raw.execute(sql, *args)

    def commit(self) -> None:
        try:
            self._raw.commit()
        finally:
            self._release()

    def rollback(self) -> None:
        try:
            self._raw.rollback()
        finally:
            self._release()

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            self._release()


class InlineCursor:
    """A sqlite3 cursor that asks its connection for the writer lock before a write."""

    def __init__(self, connection: InlineConnection, raw: sqlite3.Cursor):
        self._connection, self._raw = connection, raw
        self._rows: deque | None = None  # rows fetched on a worker thread

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)

    def __iter__(self):
        return iter(self._rows) if self._rows is not None else iter(self._raw)

    def execute_elsewhere(self, sql: str, parameters: Any) -> None:
        """Run a long read on a worker thread and fetch its rows there, the event loop free meanwhile."""
        self._connection.before(sql)

        def run() -> list:
            self._raw.execute(sql, parameters)
            return self._raw.fetchall()

        self._rows = deque(await_(asyncio.to_thread(run)))

    def fetchone(self):
        if self._rows is None:
            return self._raw.fetchone()
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None):
        if self._rows is None:
            return self._raw.fetchmany(size) if size is not None else self._raw.fetchmany()
        size = size or self._raw.arraysize
        return [self._rows.popleft() for _ in range(min(size, len(self._rows)))]

    def fetchall(self):
        if self._rows is None:
            return self._raw.fetchall()
        rows, self._rows = list(self._rows), deque()
        return rows

    def execute(self, sql: str, *args: Any) -> InlineCursor:
        self._connection.before(sql)
        self._raw.execute(sql, *args)
        await_(_switched())
        return self

    def executemany(self, sql: str, *args: Any) -> InlineCursor:
        self._connection.before(sql)
        self._raw.executemany(sql, *args)
        await_(_switched())
        return self

    async def _async_soft_close(self) -> None:
        """Keep the rows: SQLAlchemy's async results call this before reading them back in sync code."""


async def _switched() -> None:
    """Nothing: awaiting it shows SQLAlchemy's async engine that the driver went through its greenlet."""


class SQLiteDialect_inline(SQLiteDialect_pysqlite):
    """pysqlite under SQLAlchemy's asyncio engine, without a worker thread."""

    driver = "inline"
    is_async = True
    supports_statement_cache = True

    @classmethod
    def get_pool_class(cls, url):
        return pool.AsyncAdaptedQueuePool if cls._is_url_file_db(url) else pool.StaticPool

    def create_connect_args(self, url):
        args, kwargs = super().create_connect_args(url)
        kwargs["check_same_thread"] = False
        return args, kwargs

    def do_execute(self, cursor, statement, parameters, context=None) -> None:
        if context is not None and context.execution_options.get("long_running"):
            cursor.execute_elsewhere(statement, parameters)
            return
        cursor.execute(statement, parameters)

    def connect(self, *cargs: Any, **cparams: Any) -> InlineConnection:
        raw = sqlite3.connect(*cargs, **cparams)
        database = cargs[0] if cargs else cparams.get("database", ":memory:")
        name = database if database == ":memory:" or database.startswith("file:") else os.path.realpath(database)
        return InlineConnection(raw, name)
