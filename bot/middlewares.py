"""Middlewares: one session and clock per update, who is writing, their language, failures."""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, Update
from aiogram.utils.i18n import I18nMiddleware
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import explain
from bot.filters import serves
from bot.storage import current_session
from models import ProcessedUpdate
from services.config import ServiceConfig
from services.errors import DomainError
from services.people import identify, language_of

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class UpdateSession(AsyncSession):
    """A session whose commits inside a handler only flush: an update is one transaction, committed at its end.

    A use case still says where its work is done (`commit`); the update then commits that work together with
    the conversation state and the update's id, so none of them can be kept without the others.
    """

    async def commit(self) -> None:
        """Flush, and note that the use case's work is done and must be kept."""
        await self.flush()
        self.info["acknowledged"] = True

    async def finish(self) -> None:
        """Commit the update's transaction."""
        await super().commit()


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

    async def __call__(self, handler: Handler, event: Update, data: dict[str, Any]) -> Any:
        now = self.clock()
        async with self.sessionmaker() as session:
            if await session.get(ProcessedUpdate, event.update_id) is not None:
                log.info("update %s was handled before; skipped", event.update_id)
                return None
            session.add(ProcessedUpdate(update_id=event.update_id, at=now))
            token = current_session.set(session)
            try:
                data.update(session=session, now=now, config=self.config)
                result = await handler(event, data)
                await session.finish()
                if self.on_commit is not None:
                    self.on_commit()
                return result
            except BaseException:
                await session.rollback()
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
        data["person"] = person
        return await handler(event, data)


class PersonI18nMiddleware(I18nMiddleware):
    """Speak the person's language: English for `en*` clients, Chinese otherwise."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        person = data.get("person")
        if person is not None:
            return person.language
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
        except Exception:
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
        if update is not None and await session.get(ProcessedUpdate, update.update_id) is None:
            # The update is answered; keep it from being handled again after a restart.
            session.add(ProcessedUpdate(update_id=update.update_id, at=data["now"]))


async def _reply(event: TelegramObject, text: str) -> None:
    try:
        if isinstance(event, CallbackQuery):
            await event.answer(text[:190], show_alert=True)
        elif isinstance(event, Message):
            await event.answer(text)
    except Exception:  # the reply itself failing must not hide the first failure
        log.warning("could not send the failure reply", exc_info=True)
