"""Bring the database schema up to date with Alembic before any command runs."""
from __future__ import annotations

import re
from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
_REVISION = re.compile(r"^(down_revision|revision)\s*=\s*['\"]?([\w.-]+|None)['\"]?", re.MULTILINE)


def head_revision() -> str:
    """Return the newest migration's revision, read off the files (no Alembic needed to know it)."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(match.groups() for match in _REVISION.finditer(path.read_text(encoding="utf-8")))
        revisions.add(found["revision"])
        parents.add(found.get("down_revision"))
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


async def schema_is_current(url: str) -> bool:
    """Tell whether the database is at the newest migration already (a start-up then needs no Alembic)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from models.db import make_engine

    engine = make_engine(url, pool_size=1) if not url.startswith("sqlite:///:memory:") else make_engine(url)
    try:
        async with engine.connect() as conn:
            version = await conn.scalar(text("SELECT version_num FROM alembic_version"))
    except DBAPIError as exc:
        if "alembic_version" in str(exc.orig):
            return False  # a new database
        raise
    finally:
        await engine.dispose()
    return version == head_revision()


def alembic_config(url: str):
    """Return an Alembic config for this project's migrations and the given database."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(url: str) -> None:
    """Apply every migration not yet applied (call outside a running event loop)."""
    from alembic import command

    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url[len("sqlite:///"):]).expanduser().parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "head")


def upgrade_connection(connection) -> None:
    """Apply migrations on an open synchronous connection (for tests, via run_sync)."""
    from alembic import command

    cfg = alembic_config(str(connection.engine.url))
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")
