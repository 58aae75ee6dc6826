"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.dialects import registry
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

registry.register("sqlite.inline", "models.sqlite_inline", "SQLiteDialect_inline")

# Execution options of a statement that may take long (an aggregate over many cases): SQLite, which
# otherwise runs in place on the event loop, runs it on a worker thread. Other drivers ignore it.
LONG_RUNNING = {"long_running": True}


def async_url(url: str) -> str:
    """Return the URL with the async driver this project uses for its dialect."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        # sqlite3 in place, not aiosqlite's worker thread: see models/sqlite_inline.py.
        return "sqlite+inline:///" + url[len("sqlite:///"):]
    return url


def make_engine(url: str, **kwargs) -> AsyncEngine:
    """Create the engine; on SQLite, turn on WAL and a busy timeout."""
    url = async_url(url)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
        if ":memory:" not in url:
            # An update keeps its connection while it answers over HTTP; with a few connections, fifty
            # villagers at once queued for them. A SQLite connection is only a file handle and a small cache.
            kwargs.setdefault("pool_size", 100)
            kwargs.setdefault("max_overflow", 0)
    elif url.startswith("postgresql"):
        kwargs.setdefault("pool_size", 20)
        kwargs.setdefault("max_overflow", 30)
    # An error's text must not carry what people wrote (names, phone numbers) into the log.
    kwargs.setdefault("hide_parameters", True)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn, _record):  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA cache_size=-1024")  # 1 MB a connection; the OS caches the file beside
            cur.close()
    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Return a session factory whose objects stay readable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


def stage(session: AsyncSession, name: str, value) -> None:
    """Keep a value on the session for a commit hook to write, and make sure a commit or rollback will run.

    A session that has not executed anything has no transaction, and its commit would run no hooks.
    """
    session.info[name] = value
    if not session.in_transaction():
        session.sync_session.begin()
