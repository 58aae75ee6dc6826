"""What Telegram refuses, as pure checks on a method name and its parameters (no server, no state).

`check_call` is meant to be run on every call a bot makes, in process or through the sandbox server,
so tests can assert the bot made no call that Telegram would refuse.
"""
from __future__ import annotations

import inspect
import json
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

import aiogram.methods

from sandbox.markup import ParseError, parse, utf16_len

log = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_CALLBACK_ANSWER = 200
INLINE_ACTIONS = ("url", "callback_data", "web_app", "login_url", "switch_inline_query",
                  "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
                  "callback_game", "pay")
CHAT_ACTIONS = frozenset({"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
                          "upload_document", "choose_sticker", "find_location", "record_video_note",
                          "upload_video_note"})
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_CAPTIONED = frozenset({"sendPhoto", "sendVoice", "sendDocument", "sendVideo", "sendAudio", "sendAnimation",
                        "copyMessage", "editMessageCaption", "sendPaidMedia"})
_TEXTED = frozenset({"sendMessage", "editMessageText"})


@dataclass(frozen=True)
class Refusal:
    """Telegram's answer to a call it refuses."""

    error_code: int
    description: str

    def __str__(self) -> str:
        return self.description


def bad_request(reason: str) -> Refusal:
    """Return a 400 refusal with Telegram's 'Bad Request: ' prefix."""
    return Refusal(400, f"Bad Request: {reason}")


@lru_cache(maxsize=1)
def method_classes() -> dict[str, type]:
    """Return aiogram's method classes keyed by lower-case Bot API method name."""
    classes = {}
    for name in aiogram.methods.__all__:
        cls = getattr(aiogram.methods, name)
        if inspect.isclass(cls) and isinstance(getattr(cls, "__api_method__", None), str):
            classes[cls.__api_method__.lower()] = cls
    return classes


def canonical_method(method: str) -> str | None:
    """Return the Bot API's spelling of a method name (Telegram ignores case), or None if unknown."""
    cls = method_classes().get(method.lower())
    return cls.__api_method__ if cls else None


def required_fields(method: str) -> list[str]:
    """Return the fields Telegram requires for a method."""
    cls = method_classes().get(method.lower())
    return [] if cls is None else [name for name, field in cls.model_fields.items() if field.is_required()]


def visible_length(text: str, parse_mode: str | None) -> int:
    """Return the length Telegram counts for text (UTF-16 units after parsing); raise ParseError on bad markup."""
    return utf16_len(parse(text, parse_mode)[0])


def _present(value: Any) -> bool:
    return value is not None and value != ""


def _as_object(value: Any) -> Any:
    """Decode a JSON-encoded nested object (as form fields carry them); leave anything else alone."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_none=True)
    return value


def check_call(method: str, params: dict, known_chat: Callable[[int], bool] | None = None) -> Refusal | None:
    """Return how Telegram would refuse this call, or None if it would accept it."""
    name = canonical_method(method)
    if name is None:
        return Refusal(404, "Not Found")
    for field in required_fields(name):
        if not _present(params.get(field)):
            return _missing(name, field)
    checks = (_check_chat, _check_text, _check_album, _check_markup, _check_callback_answer, _check_commands,
              _check_misc)
    for check in checks:
        refusal = check(name, params, known_chat)
        if refusal is not None:
            return refusal
    return None


def _missing(method: str, field: str) -> Refusal:
    if field == "text" and method in _TEXTED:
        return bad_request("message text is empty")
    if field == "chat_id":
        return bad_request("chat_id is empty")
    return bad_request(f"{field} is required")


def _check_chat(method: str, params: dict, known_chat: Callable[[int], bool] | None) -> Refusal | None:
    if known_chat is None:
        return None
    for field in ("chat_id", "from_chat_id"):
        value = params.get(field)
        if not _present(value):
            continue
        try:
            chat_id = int(value)
        except (TypeError, ValueError):
            return bad_request("chat not found")
        if not known_chat(chat_id):
            return bad_request("chat not found")
    return None


def _check_text(method: str, params: dict, _known_chat) -> Refusal | None:
    if method in _TEXTED:
        field, limit, too_long = "text", MAX_TEXT, "message is too long"
    elif method in _CAPTIONED:
        field, limit, too_long = "caption", MAX_CAPTION, "message caption is too long"
    else:
        return None
    value = params.get(field)
    if value is None:
        return None
    explicit = _present(params.get(f"{'entities' if field == 'text' else 'caption_entities'}"))
    try:
        visible, _ = parse(str(value), None if explicit else params.get("parse_mode"))
    except ParseError as error:
        return bad_request(f"can't parse entities: {error}")
    if field == "text" and not visible.strip():
        return bad_request("message text is empty")
    if utf16_len(visible) > limit:
        return bad_request(too_long)
    return None


def _check_album(method: str, params: dict, _known_chat) -> Refusal | None:
    if method != "sendMediaGroup":
        return None
    media = _as_object(params.get("media"))
    if not isinstance(media, list) or not 2 <= len(media) <= 10:
        return bad_request("media group must have from 2 to 10 items")
    for item in media:
        refusal = _check_text("sendPhoto", _as_object(item) if isinstance(_as_object(item), dict) else {}, None)
        if refusal is not None:
            return refusal
    return None


def _check_markup(method: str, params: dict, _known_chat) -> Refusal | None:
    markup = _as_object(params.get("reply_markup"))
    if markup is None:
        return None
    if not isinstance(markup, dict):
        return bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        return _check_inline_keyboard(markup["inline_keyboard"])
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            return bad_request("field \"keyboard\" must be an Array of Arrays")
        for row in rows:
            for button in row:
                text = button if isinstance(button, str) else (button or {}).get("text")
                if not _present(text):
                    return bad_request("keyboard button text is empty")
    return None


def _check_inline_keyboard(rows: Any) -> Refusal | None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        return bad_request("field \"inline_keyboard\" must be an Array of Arrays")
    for row in rows:
        for button in row:
            if not isinstance(button, dict):
                return bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
            if not _present(button.get("text")):
                return bad_request("inline keyboard button text is empty")
            actions = [key for key in INLINE_ACTIONS if button.get(key) is not None]
            if not actions:
                return bad_request("can't parse inline keyboard button: Text buttons are unallowed in the "
                                   "inline keyboard")
            if len(actions) > 1:
                return bad_request(f"can't parse inline keyboard button: only one of {', '.join(actions)} "
                                   f"may be used")
            data = button.get("callback_data")
            if data is not None and (not str(data) or len(str(data).encode("utf-8")) > MAX_CALLBACK_DATA):
                return bad_request("BUTTON_DATA_INVALID")
            url = button.get("url")
            if url is not None and not re.match(r"^(https?|tg)://\S+$", str(url)):
                return bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
    return None


def _check_callback_answer(method: str, params: dict, _known_chat) -> Refusal | None:
    if method != "answerCallbackQuery":
        return None
    text = params.get("text")
    if text is not None and utf16_len(str(text)) > MAX_CALLBACK_ANSWER:
        return bad_request("MESSAGE_TOO_LONG")
    return None


def _check_commands(method: str, params: dict, _known_chat) -> Refusal | None:
    if method != "setMyCommands":
        return None
    commands = _as_object(params.get("commands"))
    if not isinstance(commands, list) or len(commands) > 100:
        return bad_request("commands must be an Array of up to 100 BotCommand")
    for command in commands:
        command = _as_object(command)
        if not isinstance(command, dict) or not _COMMAND.match(str(command.get("command", ""))):
            return bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            return bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    return None


def _check_misc(method: str, params: dict, _known_chat) -> Refusal | None:
    if method.startswith("editMessage") and not _present(params.get("inline_message_id")):
        if not _present(params.get("chat_id")):
            return bad_request("chat_id is empty")
        if not _present(params.get("message_id")):
            return bad_request("message identifier is not specified")
    if method == "sendChatAction" and str(params.get("action")) not in CHAT_ACTIONS:
        return bad_request("wrong type of the action specified")
    if method in ("sendLocation", "sendVenue"):
        try:
            latitude, longitude = float(params["latitude"]), float(params["longitude"])
        except (TypeError, ValueError):
            return bad_request("wrong latitude or longitude specified")
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            return bad_request("wrong latitude or longitude specified")
    return None
