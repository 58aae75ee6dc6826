"""The migrations build exactly the schema the models describe."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from models import Base


async def test_migrated_schema_matches_the_models(engine):
    def diff(connection):
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)

    async with engine.connect() as conn:
        differences = await conn.run_sync(diff)

    assert differences == []


def test_the_head_read_off_the_files_is_alembics_head():
    from alembic.script import ScriptDirectory

    from bot.migrate import alembic_config, head_revision

    assert head_revision() == ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


async def test_a_start_up_needs_alembic_only_when_the_schema_is_behind(tmp_path):
    import asyncio

    from bot.migrate import schema_is_current, upgrade

    url = f"sqlite:///{tmp_path / 'new.db'}"
    before = await schema_is_current(url)
    await asyncio.to_thread(upgrade, url)

    assert before is False
    assert await schema_is_current(url) is True
