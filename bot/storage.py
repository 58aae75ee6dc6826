"""Conversation state (aiogram FSM) kept in the database, in the update's own transaction."""
from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import ConversationState

# The session of the update being handled; writes join its transaction so that the state
# and the case change it belongs to commit together.
current_session: ContextVar[AsyncSession | None] = ContextVar("current_session", default=None)


class SqlStorage(BaseStorage):
    """Store each chat's state and data as one row of `conversation_states`."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]):
        self.sessionmaker = sessionmaker
        self.keys = DefaultKeyBuilder()

    async def _row(self, session: AsyncSession, key: StorageKey) -> ConversationState | None:
        return await session.get(ConversationState, self.keys.build(key))

    async def _write(self, key: StorageKey, **values: Any) -> None:
        session = current_session.get()
        if session is not None:
            await self._upsert(session, key, values)
            return
        async with self.sessionmaker() as own:
            await self._upsert(own, key, values)
            await own.commit()

    async def _upsert(self, session: AsyncSession, key: StorageKey, values: dict) -> None:
        row = await self._row(session, key)
        if row is None:
            row = ConversationState(key=self.keys.build(key), state=None, data={})
            session.add(row)
        for name, value in values.items():
            setattr(row, name, value)
        await session.flush()

    async def _read(self, key: StorageKey) -> ConversationState | None:
        session = current_session.get()
        if session is not None:
            return await self._row(session, key)
        async with self.sessionmaker() as own:
            return await self._row(own, key)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        """Set the chat's state."""
        value = state.state if isinstance(state, State) else state
        await self._write(key, state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        """Return the chat's state."""
        row = await self._read(key)
        return row.state if row else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        """Replace the chat's data."""
        await self._write(key, data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        """Return a copy of the chat's data."""
        row = await self._read(key)
        return dict(row.data) if row and row.data else {}

    async def close(self) -> None:
        """Nothing to release: sessions are per call."""
