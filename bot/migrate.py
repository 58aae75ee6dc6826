"""Bring the database schema up to date with Alembic before any command runs."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    """Return an Alembic config for this project's migrations and the given database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(url: str) -> None:
    """Apply every migration not yet applied (call outside a running event loop)."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url[len("sqlite:///"):]).expanduser().parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "head")


def upgrade_connection(connection) -> None:
    """Apply migrations on an open synchronous connection (for tests, via run_sync)."""
    cfg = alembic_config(str(connection.engine.url))
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")
