"""What people do in the sandbox: send messages and press buttons, which become updates for the bot."""
from __future__ import annotations

import logging
import time
from typing import Any

from sandbox.markup import utf16_len
from sandbox.media import describe, new_sample
from sandbox.state import Entry, Person, Query, SandboxState

log = logging.getLogger(__name__)


class ControlError(Exception):
    """A control API request that cannot be carried out; becomes an HTTP error with this status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def quoted(message: dict) -> dict:
    """Return a message as it appears in reply_to_message (Telegram does not nest replies further)."""
    return {k: v for k, v in message.items() if k != "reply_to_message"}


def person_or_404(state: SandboxState, user_id: int) -> Person:
    """Return a registered person or raise a 404 ControlError."""
    person = state.people.get(user_id)
    if person is None:
        raise ControlError(404, f"no person {user_id} is registered; POST /sandbox/users first")
    return person


def user_send(state: SandboxState, person: Person, body: dict[str, Any]) -> Entry:
    """Create the person's message in their chat with the bot and queue it as an update."""
    message: dict[str, Any] = {"message_id": state.new_message_id(person.id), "date": int(time.time()),
                               "chat": person.chat(), "from": person.user()}
    text = body.get("text")
    if body.get("photo"):
        message["photo"] = describe(new_sample(state, "photo"))
    elif body.get("voice"):
        message["voice"] = describe(new_sample(state, "voice"))
    elif body.get("document"):
        message["document"] = describe(new_sample(state, "document"))
    elif body.get("sticker"):
        message["sticker"] = describe(new_sample(state, "sticker"))
    elif body.get("location"):
        location = body["location"]
        message["location"] = {"latitude": float(location["latitude"]), "longitude": float(location["longitude"])}
    elif text is not None and str(text) != "":
        message["text"] = str(text)
        if message["text"].startswith("/"):
            command = message["text"].split(maxsplit=1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
    else:
        raise ControlError(400, "say something: text, photo, voice, document, sticker or location")
    if body.get("caption") and any(k in message for k in ("photo", "voice", "document")):
        message["caption"] = str(body["caption"])
    reply_to = body.get("reply_to_message_id")
    if reply_to is not None:
        original = state.find_message(person.id, int(reply_to))
        if original is None:
            raise ControlError(404, f"message {reply_to} is not in {person.first_name}'s chat")
        message["reply_to_message"] = quoted(original.message)
    if not person.started:
        person.started = True
        state.emit("user", user=person.public())
    entry = state.add_message(person.id, message, from_bot=False)
    state.queue_update("message", message)
    log.info("%s (%s) sent message %s", person.first_name, person.id, message["message_id"])
    return entry


def find_button(markup: dict | None, wanted: str) -> dict | None:
    """Return the inline button whose text is wanted, else whose text contains it, else whose data is it."""
    buttons = [b for row in (markup or {}).get("inline_keyboard", []) for b in row]
    for matches in (lambda b: b.get("text") == wanted, lambda b: wanted in str(b.get("text", "")),
                    lambda b: b.get("callback_data") == wanted):
        found = next((b for b in buttons if matches(b)), None)
        if found is not None:
            return found
    return None


def user_press(state: SandboxState, person: Person, message_id: int, data: str | None = None,
               text: str | None = None) -> Query:
    """Press an inline button on a bot message: queue a callback_query update and return the query."""
    entry = state.find_message(person.id, message_id)
    if entry is None or not entry.from_bot:
        raise ControlError(404, f"no bot message {message_id} in {person.first_name}'s chat")
    if data is None:
        button = find_button(entry.message.get("reply_markup"), text or "")
        if button is None or button.get("callback_data") is None:
            raise ControlError(400, f"no callback button {text!r} on message {message_id}")
        data = button["callback_data"]
    query = state.new_query(person.id, message_id, data)
    payload = {"id": query.id, "from": person.user(), "message": entry.message,
               "chat_instance": f"-{person.id}{7000000001}", "data": data}
    state.queue_update("callback_query", payload)
    state.emit("press", chat_id=person.id, query=query.public())
    log.info("%s (%s) pressed %r on message %s", person.first_name, person.id, data, message_id)
    return query
