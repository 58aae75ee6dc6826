"""Bot API methods that put a new message in a chat: sendMessage, the media sends, copy and forward."""
from __future__ import annotations

import logging
import mimetypes
from typing import Any

from sandbox.media import describe, sample
from sandbox.people import quoted
from sandbox.registry import ApiError, formatted, handles, inline_markup, keyboard_markup, now, refuse
from sandbox.state import BOT_USER, SandboxState, StoredFile

log = logging.getLogger(__name__)

MEDIA = {"sendPhoto": "photo", "sendVoice": "voice", "sendDocument": "document", "sendVideo": "video",
         "sendAudio": "audio", "sendAnimation": "animation", "sendSticker": "sticker"}
CONTENT_KEYS = ("text", "entities", "photo", "voice", "document", "video", "audio", "animation", "sticker",
                "caption", "caption_entities", "location", "venue")


def chat_of(state: SandboxState, params: dict) -> int:
    """Return the target chat id of a call (rules.check_call has already refused unknown chats)."""
    try:
        chat_id = int(params["chat_id"])
    except (KeyError, TypeError, ValueError):
        raise refuse("chat not found") from None
    if chat_id not in state.people:
        raise refuse("chat not found")
    return chat_id


def reply_target(state: SandboxState, chat_id: int, params: dict) -> dict | None:
    """Return the message a call replies to, or None; refuse a reply to a message that is not there."""
    reply = params.get("reply_parameters") or {}
    message_id = reply.get("message_id") if isinstance(reply, dict) else None
    allow_missing = reply.get("allow_sending_without_reply") if isinstance(reply, dict) else None
    if message_id is None:
        message_id = params.get("reply_to_message_id")
        allow_missing = params.get("allow_sending_without_reply")
    if message_id is None:
        return None
    target_chat = int(reply.get("chat_id", chat_id)) if isinstance(reply, dict) else chat_id
    entry = state.find_message(target_chat, int(message_id))
    if entry is None:
        if allow_missing:
            return None
        raise refuse("message to be replied not found")
    return quoted(entry.message)


def post(state: SandboxState, params: dict, content: dict[str, Any]) -> dict:
    """Store a new bot message with this content in the call's chat and return it."""
    chat_id = chat_of(state, params)
    message: dict[str, Any] = {"message_id": state.new_message_id(chat_id), "from": BOT_USER,
                               "chat": state.people[chat_id].chat(), "date": now()}
    reply = reply_target(state, chat_id, params)
    if reply is not None:
        message["reply_to_message"] = reply
    message.update({k: v for k, v in content.items() if v not in (None, [], "")})
    markup = inline_markup(params)
    if markup is not None:
        message["reply_markup"] = markup
    state.add_message(chat_id, message, from_bot=True, keyboard=keyboard_markup(params))
    log.info("bot sent message %s to chat %s", message["message_id"], chat_id)
    return message


@handles("sendMessage")
def send_message(state: SandboxState, params: dict, files: dict, method: str = "") -> dict:
    """Send a text message."""
    text, entities = formatted(params, "text", "entities")
    return post(state, params, {"text": text, "entities": entities})


def resolve_file(state: SandboxState, kind: str, value: Any, files: dict) -> StoredFile:
    """Return the stored file a media field names: an upload, a file_id the sandbox issued, or a URL."""
    upload = None
    if isinstance(value, str) and value.startswith("attach://"):
        upload = files.get(value[len("attach://"):])
        if upload is None:
            raise refuse(f"there is no {kind} in the request")
    elif isinstance(value, tuple):
        upload = value
    if upload is not None:
        data, filename, content_type = upload
        mime = content_type or mimetypes.guess_type(filename or "")[0] or "application/octet-stream"
        return state.store_file(kind, data, mime, filename or f"{kind}.bin")
    value = str(value)
    if value.startswith(("http://", "https://")):
        # Telegram would fetch it; the sandbox has no network, so a generated stand-in takes its place.
        data, mime, _ = sample(kind)
        return state.store_file(kind, data, mime, value.rsplit("/", 1)[-1] or f"{kind}.bin")
    stored = state.files.get(value)
    if stored is None:
        raise refuse("wrong file identifier/HTTP URL specified")
    if stored.kind != kind and "photo" in (stored.kind, kind):
        raise refuse(f"can't use file of type {stored.kind.capitalize()} as {kind.capitalize()}")
    return stored


@handles(*MEDIA)
def send_media(state: SandboxState, params: dict, files: dict, method: str = "") -> dict:
    """Send a photo, voice, document, video, audio, animation or sticker."""
    kind = MEDIA[method]
    stored = resolve_file(state, kind, params.get(kind), files)
    content: dict[str, Any] = {kind: describe(stored, kind)}
    if kind == "animation":
        content["document"] = describe(stored, "document")
    if kind != "sticker":
        content["caption"], content["caption_entities"] = formatted(params, "caption", "caption_entities")
    return post(state, params, content)


@handles("sendMediaGroup")
def send_media_group(state: SandboxState, params: dict, files: dict, method: str = "") -> list[dict]:
    """Send an album: one message per item, sharing a media_group_id."""
    group_id = f"{state.seq + 1}{len(state.files)}"
    sent = []
    for item in params["media"]:
        kind = item.get("type", "photo")
        stored = resolve_file(state, kind, item.get("media"), files)
        caption, entities = formatted(item, "caption", "caption_entities")
        content = {kind: describe(stored, kind), "caption": caption, "caption_entities": entities,
                   "media_group_id": group_id}
        sent.append(post(state, {k: v for k, v in params.items() if k != "reply_markup"}, content))
    return sent


@handles("sendLocation")
def send_location(state: SandboxState, params: dict, files: dict, method: str = "") -> dict:
    """Send a point on the map."""
    location = {"latitude": float(params["latitude"]), "longitude": float(params["longitude"])}
    return post(state, params, {"location": location})


@handles("sendVenue")
def send_venue(state: SandboxState, params: dict, files: dict, method: str = "") -> dict:
    """Send a named place with an address."""
    location = {"latitude": float(params["latitude"]), "longitude": float(params["longitude"])}
    venue = {"location": location, "title": str(params["title"]), "address": str(params["address"])}
    return post(state, params, {"location": location, "venue": venue})


def source_message(state: SandboxState, params: dict, what: str) -> dict:
    """Return the message a copy or forward takes its content from."""
    try:
        entry = state.find_message(int(params["from_chat_id"]), int(params["message_id"]))
    except (TypeError, ValueError):
        entry = None
    if entry is None:
        raise refuse(f"message to {what} not found")
    return entry.message


@handles("copyMessage")
def copy_message(state: SandboxState, params: dict, files: dict, method: str = "") -> dict:
    """Send a copy of a message without a link to the original; return its MessageId."""
    source = source_message(state, params, "copy")
    content = {k: v for k, v in source.items() if k in CONTENT_KEYS}
    if params.get("caption") is not None:
        if not any(k in source for k in ("photo", "voice", "document", "video", "audio", "animation")):
            raise ApiError(400, "Bad Request: message has no caption")
        content["caption"], content["caption_entities"] = formatted(params, "caption", "caption_entities")
    message = post(state, params, content)
    return {"message_id": message["message_id"]}


@handles("forwardMessage")
def forward_message(state: SandboxState, params: dict, files: dict, method: str = "") -> dict:
    """Forward a message, with its origin."""
    source = source_message(state, params, "forward")
    content = {k: v for k, v in source.items() if k in CONTENT_KEYS}
    content["forward_origin"] = source.get("forward_origin") or {"type": "user", "sender_user": source["from"],
                                                                 "date": source["date"]}
    plain = {k: v for k, v in params.items() if k not in ("reply_markup", "reply_parameters")}
    return post(state, plain, content)
