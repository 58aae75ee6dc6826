"""Middlewares: one session and clock per update, who is writing, their language, failures."""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, Update
from aiogram.utils.i18n import I18nMiddleware
from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from bot.errors import explain
from bot.filters import serves
from bot.storage import current_session
from bot.updates import HandledUpdates
from models import OutboxMessage, ProcessedUpdate
from models.faults import database_unreachable
from models.db import stage
from services.config import ServiceConfig
from services.errors import DomainError
from services.people import identify, language_of

log = logging.getLogger(__name__)
HANDLED = "handled_update"
QUEUED = "queued_outbox"
_OUTBOX = OutboxMessage.__table__
# Built once: every update runs it.
_RECORD_HANDLED = insert(ProcessedUpdate.__table__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class UpdateSession(AsyncSession):
    """The session of one update: it remembers that a use case committed, so that work is never undone.

    A use case's commit also writes the update's id and the conversation state staged so far (see
    bot/storage.py); what the handler does after it (the answer, the state of the next step) commits at
    the end of the update. Telegram is called between the two, never inside a write transaction.
    """

    async def commit(self) -> None:
        """Commit, and note that the use case's work is done and must be kept."""
        await super().commit()
        self.info["acknowledged"] = True


@event.listens_for(Session, "before_commit")
def _record_handled_update(session: Session) -> None:
    # The update's id is written with the first of its changes that commits, and only once.
    handled = session.info.pop(HANDLED, None)
    if handled is not None:
        session.execute(_RECORD_HANDLED, handled)


@event.listens_for(Session, "do_orm_execute")
def _note_queued_rows(state) -> None:
    # A Core insert into the outbox (services/outbox.enqueue_rows) queued something to send.
    if state.is_insert and getattr(state.statement, "table", None) is _OUTBOX:
        state.session.info[QUEUED] = True


@event.listens_for(Session, "after_flush")
def _note_queued_objects(session: Session, _context) -> None:
    if any(isinstance(obj, OutboxMessage) for obj in session.new):
        session.info[QUEUED] = True


def queued(session: AsyncSession) -> bool:
    """Say whether this session wrote an outbox row (the sender has something new to claim)."""
    return session.info.get(QUEUED, False)


def acknowledged(session: AsyncSession | None) -> bool:
    """Say whether a use case of this update has done its work (which must then be kept)."""
    return session is not None and session.info.get("acknowledged", False)


class DatabaseMiddleware(BaseMiddleware):
    """Give the update one session, skip an update already handled, and commit at the end."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Callable[[], datetime],
                 config: ServiceConfig, on_commit: Callable[[], None] | None = None):
        self.sessionmaker = async_sessionmaker(class_=UpdateSession, **sessionmaker.kw)
        self.clock, self.config = clock, config
        self.on_commit = on_commit
        # The embedded SQLite default is the only process taking updates; it may remember what it took.
        self.handled = HandledUpdates(exclusive=sessionmaker.kw["bind"].dialect.name == "sqlite")

    async def __call__(self, handler: Handler, event: Update, data: dict[str, Any]) -> Any:
        now = self.clock()
        async with self.sessionmaker() as session:
            if not await self.handled.take(session, event.update_id):
                log.info("update %s was handled before; skipped", event.update_id)
                return None
            # Written by the update's first commit (not now, which would take SQLite's write lock early).
            stage(session, HANDLED, {"update_id": event.update_id, "at": now})
            token = current_session.set(session)
            try:
                data.update(session=session, now=now, config=self.config)
                result = await handler(event, data)
                await AsyncSession.commit(session)
                # Only a queued row wakes the sender: a claim is a write transaction, and most updates send
                # their answer themselves. (Rows due later are found by the sender's idle look.)
                if self.on_commit is not None and queued(session):
                    self.on_commit()
                return result
            except BaseException:
                try:
                    await session.rollback()
                finally:
                    if not acknowledged(session):  # done work keeps its claim: a redelivery must not redo it
                        self.handled.release(event.update_id)
                raise
            finally:
                current_session.reset(token)


class IdentityMiddleware(BaseMiddleware):
    """Put the person behind the update in `person`; a stranger becomes a villager."""

    async def __call__(self, handler: Handler, event: Update, data: dict[str, Any]) -> Any:
        user = data.get("event_from_user")
        if not serves(user, data.get("event_chat")):
            # Group chatter, channels and bots become nobody: only handlers/outside.py answers them.
            return await handler(event, data)
        person = await identify(
            data["session"], channel="telegram", external_id=str(user.id), name=user.full_name,
            language_code=user.language_code, now=data["now"],
        )
        if user.language_code and person.language != language_of(user.language_code):
            person.language = language_of(user.language_code)
        username = user.username.lower() if user.username else None
        if person.username != username:
            person.username = username
        data["person"] = person
        data["person_role"] = person.role  # the flood limit learns who is staff (bot/flood.py)
        # Read as a value: an error event after the update rolled back must not reload the person.
        data["person_language"] = person.language
        return await handler(event, data)


class PersonI18nMiddleware(I18nMiddleware):
    """Speak the person's language: English for `en*` clients, Chinese otherwise."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        language = data.get("person_language")
        if language is not None:
            return language
        user = data.get("event_from_user")
        return language_of(user.language_code if user else None)


class FailureMiddleware(BaseMiddleware):
    """Turn a domain failure or a bug into a clear reply; roll back what the update did, unless it was done."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        try:
            return await handler(event, data)
        except DomainError as exc:
            await self._undo(data)
            await _reply(event, explain(exc))
        except Exception as exc:
            if database_unreachable(exc) and not acknowledged(data.get("session")):
                raise  # no answer: the update is not acknowledged and comes again (bot/polling.py, bot/webhook.py)
            log.exception("handler failed on update %s", getattr(data.get("event_update"), "update_id", "?"))
            if acknowledged(data.get("session")):
                # The work was done and is kept: telling the person it failed would make them do it twice.
                return None
            await self._undo(data)
            await _reply(event, explain(None))
        return None

    @staticmethod
    async def _undo(data: dict[str, Any]) -> None:
        session: AsyncSession | None = data.get("session")
        update = data.get("event_update")
        if session is None or acknowledged(session):
            return
        await session.rollback()
        if update is not None:
            # The update is answered; keep it from being handled again after a restart.
            stage(session, HANDLED, {"update_id": update.update_id, "at": data["now"]})


async def _reply(event: TelegramObject, text: str) -> None:
    try:
        if isinstance(event, CallbackQuery):
            await event.answer(text[:190], show_alert=True)
        elif isinstance(event, Message):
            await event.answer(text)
    except Exception:  # the reply itself failing must not hide the first failure
        log.warning("could not send the failure reply", exc_info=True)
