"""The Bot API session: aiogram's, except that the outbox sender's sent messages are read without pydantic."""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from http import HTTPStatus

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods.base import Response
from aiogram.types import Message
from pydantic import ValidationError

# Set only inside the outbox sender's tasks: what it reads of a sent message is its chat and its id.
_SENDER_READS_IDS = ContextVar("sender_reads_ids", default=False)


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
    """aiogram's aiohttp session; answers to the outbox sender's sends skip the full Message model."""

    def check_response(self, bot, method, status_code: int, content: str) -> Response:
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
