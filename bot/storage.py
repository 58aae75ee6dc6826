"""Conversation state (aiogram FSM) kept in the database, written in the update's own transaction.

A step's state and data are staged on the update's session and written with one upsert when that
session commits, so they are kept exactly when the case change they belong to is kept, and a
rolled-back update leaves them as they were. Reads come from what was committed, which this
process remembers when it is the database's only writer (the embedded SQLite default); with
several processes (PostgreSQL) every read goes to the database. Redis, when set, holds only the
per-person locks: state written there could not be committed with its update.

State data is copied on the way in and out (through JSON, which it must be anyway): what a
handler holds can never alias what is stored.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from sqlalchemy import bindparam, event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from models import ConversationState
from models.db import stage

# The session of the update being handled; state written during the update joins its transaction.
current_session: ContextVar[AsyncSession | None] = ContextVar("current_session", default=None)

STAGED = "conversation_staged"
EMPTY = "{}"
Entry = tuple[str | None, str]  # (state, data as JSON)


class SqlStorage(BaseStorage):
    """Store each chat's state and data as one row of `conversation_states`."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], remember: int = 0):
        self.sessionmaker = sessionmaker
        self.keys = DefaultKeyBuilder()
        # How many chats' committed state to remember; 0 reads the database every time.
        self.remember = remember
        self.committed: OrderedDict[str, Entry] = OrderedDict()

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        """Set the chat's state."""
        value = state.state if isinstance(state, State) else state
        entry = await self._entry(key)
        await self._stage(key, (value, entry[1]))

    async def get_state(self, key: StorageKey) -> str | None:
        """Return the chat's state."""
        return (await self._entry(key))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        """Replace the chat's data."""
        entry = await self._entry(key)
        await self._stage(key, (entry[0], json.dumps(dict(data), ensure_ascii=False)))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        """Return a copy of the chat's data."""
        return json.loads((await self._entry(key))[1])

    async def close(self) -> None:
        """Nothing to release: sessions are per update."""

    async def _entry(self, key: StorageKey) -> Entry:
        name = self.keys.build(key)
        session = current_session.get()
        staged = session.info.get(STAGED) if session is not None else None
        if staged and name in staged:
            return staged[name][1]
        if name in self.committed:
            self.committed.move_to_end(name)
            return self.committed[name]
        if session is not None:
            entry = await _read(session, name)
        else:
            async with self.sessionmaker() as own:
                entry = await _read(own, name)
        self._remember(name, entry)
        return entry

    async def _stage(self, key: StorageKey, entry: Entry) -> None:
        name = self.keys.build(key)
        session = current_session.get()
        if session is not None:
            stage(session, STAGED, {**session.info.get(STAGED, {}), name: (self, entry)})
            return
        async with self.sessionmaker() as own:
            stage(own, STAGED, {name: (self, entry)})
            await own.commit()

    def _remember(self, name: str, entry: Entry) -> None:
        if not self.remember:
            return
        self.committed[name] = entry
        self.committed.move_to_end(name)
        while len(self.committed) > self.remember:
            self.committed.popitem(last=False)


_STATES = ConversationState.__table__
_READ = select(_STATES.c.state, _STATES.c.data).where(_STATES.c.key == bindparam("key"))  # Core: no ORM compile step
_UPSERTS = {}
for _dialect, _insert in (("sqlite", sqlite_insert), ("postgresql", pg_insert)):
    _statement = _insert(ConversationState.__table__)
    _UPSERTS[_dialect] = _statement.on_conflict_do_update(
        index_elements=[ConversationState.__table__.c.key],
        set_={"state": _statement.excluded.state, "data": _statement.excluded.data})


async def _read(session: AsyncSession, name: str) -> Entry:
    row = (await session.execute(_READ, {"key": name})).first()
    if row is None:
        return None, EMPTY
    return row.state, json.dumps(row.data or {}, ensure_ascii=False)


@event.listens_for(Session, "before_commit")
def _write_staged(session: Session) -> None:
    # Runs inside the commit, so the rows are written in the transaction that is being committed.
    staged = session.info.get(STAGED)
    if not staged:
        return
    rows = [{"key": name, "state": entry[0], "data": json.loads(entry[1])} for name, (_s, entry) in staged.items()]
    session.execute(_UPSERTS[session.get_bind().dialect.name], rows)


@event.listens_for(Session, "after_commit")
def _remember_staged(session: Session) -> None:
    for name, (storage, entry) in session.info.pop(STAGED, {}).items():
        storage._remember(name, entry)


@event.listens_for(Session, "after_soft_rollback")
def _forget_staged(session: Session, _previous) -> None:
    session.info.pop(STAGED, None)
