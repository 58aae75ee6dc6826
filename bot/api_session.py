"""The Bot API session: aiogram's, except that calls go as JSON and the sender's sent messages skip pydantic."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from http import HTTPStatus
from typing import Any

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods.base import Response
from aiogram.types import Message, Update
from aiohttp import ClientError
from pydantic import ValidationError

JSON_BODY = {"Content-Type": "application/json"}

# Set only inside the outbox sender's tasks: what it reads of a sent message is its chat and its id.
_SENDER_READS_IDS = ContextVar("sender_reads_ids", default=False)
# Set by the poller around its getUpdates: which update ids it holds already (running, done, to come again).
_HELD_UPDATES: ContextVar[Callable[[int], bool] | None] = ContextVar("held_updates", default=None)


@contextmanager
def updates_held(held: Callable[[int], bool]):
    """Within this block, a getUpdates answer is read without the updates for which `held(id)` is true."""
    token = _HELD_UPDATES.set(held)
    try:
        yield
    finally:
        _HELD_UPDATES.reset(token)


@contextmanager
def sender_reads_ids():
    """Within this block, a sent message comes back with only its id, chat and date."""
    token = _SENDER_READS_IDS.set(True)
    try:
        yield
    finally:
        _SENDER_READS_IDS.reset(token)


def sent_message(data: dict) -> dict | None:
    """Return the answer to a send cut down to the message's id, chat and date, or None if it failed."""
    if data.get("ok") is not True:
        return None
    result = data.get("result")
    if not isinstance(result, dict) or not isinstance(result.get("chat"), dict):
        return None
    # The rest (the text, its entities, the buttons, the replied-to message echoed back) costs more to
    # validate than the rest of a send does, and the sender never reads it.
    return {"ok": True, "result": {"message_id": result.get("message_id"), "date": result.get("date"),
                                   "chat": {"id": result["chat"].get("id"), "type": result["chat"].get("type")}}}


class BotApiSession(AiohttpSession):
    """aiogram's aiohttp session; calls without files go as JSON, the outbox sender's answers skip pydantic."""

    async def make_request(self, bot, method, timeout: int | None = None) -> Any:
        """Send a call as a JSON body (Telegram takes both); one with files as aiogram's multipart form."""
        files: dict = {}
        # The values aiogram would put in its form (defaults applied, no None), nested as JSON: building the
        # url-encoded form took a tenth of each call.
        values = self.prepare_value(method.model_dump(warnings=False), bot=bot, files=files, _dumps_json=False)
        if files:
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(url, data=self.json_dumps(values).encode(), headers=JSON_BODY,
                                    timeout=self.timeout if timeout is None else timeout) as resp:
                content = await resp.text()
        except asyncio.TimeoutError as exc:
            raise TelegramNetworkError(method=method, message="Request timeout error") from exc
        except ClientError as exc:
            raise TelegramNetworkError(method=method, message=f"{type(exc).__name__}: {exc}") from exc
        return self.check_response(bot=bot, method=method, status_code=resp.status, content=content).result

    def check_response(self, bot, method, status_code: int, content: str) -> Response:
        held = _HELD_UPDATES.get()
        if held is not None and method.__returning__ == list[Update] and status_code == HTTPStatus.OK:
            answer = self._without_held(content, held)
            if answer is not None:
                return Response[list[Update]].model_validate(answer, context={"bot": bot})
        if _SENDER_READS_IDS.get() and method.__returning__ is Message \
                and HTTPStatus.OK <= status_code <= HTTPStatus.IM_USED:
            try:
                answer = sent_message(self.json_loads(content))
            except ValueError:
                answer = None
            if answer is not None:
                try:
                    return Response[Message].model_validate(answer, context={"bot": bot})
                except ValidationError:
                    pass
        # Everything else (errors, 429s, other calls, the handlers' own answers) as aiogram reads it.
        return super().check_response(bot=bot, method=method, status_code=status_code, content=content)

    def _without_held(self, content: str, held: Callable[[int], bool]) -> dict | None:
        # Telegram sends the updates in hand again until the offset passes them (bot/polling.py keeps it
        # there until they are done); validating each of them again cost more than the new ones.
        try:
            data = self.json_loads(content)
        except ValueError:
            return None
        result = data.get("result") if isinstance(data, dict) and data.get("ok") is True else None
        if not isinstance(result, list):
            return None
        return {**data, "result": [u for u in result
                                   if not (isinstance(u, dict) and isinstance(u.get("update_id"), int)
                                           and held(u["update_id"]))]}
