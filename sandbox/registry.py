"""The table of Bot API methods the sandbox answers, and the error a method raises to refuse a call."""
from __future__ import annotations

import time
from typing import Any, Awaitable, Callable

from sandbox.markup import ParseError, parse
from sandbox.state import SandboxState

Handler = Callable[[SandboxState, dict, dict], Any | Awaitable[Any]]
HANDLERS: dict[str, Handler] = {}


class ApiError(Exception):
    """A call refused the way Telegram refuses it."""

    def __init__(self, error_code: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict:
        """Return Telegram's JSON error body."""
        body: dict[str, Any] = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def refuse(reason: str) -> ApiError:
    """Return a 400 ApiError with Telegram's 'Bad Request: ' prefix."""
    return ApiError(400, f"Bad Request: {reason}")


def handles(*methods: str) -> Callable[[Handler], Handler]:
    """Register a function as the handler of these Bot API methods."""
    def register(func: Handler) -> Handler:
        for method in methods:
            HANDLERS[method] = func
        return func
    return register


def now() -> int:
    """Return the current unix time, as Telegram dates are."""
    return int(time.time())


def formatted(params: dict, field: str, entities_field: str) -> tuple[str, list[dict]]:
    """Return the visible text and entities of a text or caption field, as Telegram stores them."""
    raw = str(params.get(field) or "")
    explicit = params.get(entities_field)
    if explicit:
        return raw, list(explicit)
    try:
        return parse(raw, params.get("parse_mode"))
    except ParseError as error:  # rules.check_call refuses this first; kept for direct callers
        raise refuse(f"can't parse entities: {error}") from error


def inline_markup(params: dict) -> dict | None:
    """Return the inline keyboard of a call, the only reply_markup Telegram puts on a Message."""
    markup = params.get("reply_markup")
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        return {"inline_keyboard": markup["inline_keyboard"]}
    return None


def keyboard_markup(params: dict) -> dict | None:
    """Return a reply keyboard, keyboard removal or force-reply sent with a call (for the chat page)."""
    markup = params.get("reply_markup")
    if isinstance(markup, dict) and "inline_keyboard" not in markup:
        return markup
    return None
