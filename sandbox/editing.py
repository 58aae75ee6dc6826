"""Bot API methods that change what is already there: edits, deletions, answers to button presses."""
from __future__ import annotations

import logging
from typing import Any

from sandbox.registry import formatted, handles, inline_markup, now, refuse
from sandbox.state import Entry, SandboxState

log = logging.getLogger(__name__)

NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are exactly the same "
                "as a current content and reply markup of the message")
MEDIA_KEYS = ("photo", "voice", "document", "video", "audio", "animation")


def editable(state: SandboxState, params: dict) -> tuple[int, Entry]:
    """Return the chat and the bot message an edit names; refuse if it is not there or not the bot's."""
    if params.get("inline_message_id"):
        raise refuse("message to edit not found")  # the sandbox has no inline mode
    try:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
    except (KeyError, TypeError, ValueError):
        raise refuse("message to edit not found") from None
    entry = state.find_message(chat_id, message_id)
    if entry is None:
        raise refuse("message to edit not found")
    if not entry.from_bot:
        raise refuse("message can't be edited")
    return chat_id, entry


def apply_edit(state: SandboxState, chat_id: int, entry: Entry, changes: dict[str, Any]) -> dict:
    """Apply changes (None removes a field) unless they change nothing; return the edited message."""
    message = entry.message
    if all(message.get(key) == (value or None) for key, value in changes.items()):
        raise refuse(NOT_MODIFIED)
    for key, value in changes.items():
        if value:
            message[key] = value
        else:
            message.pop(key, None)
    message["edit_date"] = now()
    state.change_message(chat_id, entry, "edit")
    log.info("bot edited message %s in chat %s", message["message_id"], chat_id)
    return message


@handles("editMessageText")
def edit_text(state: SandboxState, params: dict, files: dict, method: str = "") -> dict:
    """Replace a text message's text (and its inline keyboard, which is dropped if not given again)."""
    chat_id, entry = editable(state, params)
    if "text" not in entry.message:
        raise refuse("there is no text in the message to edit")
    text, entities = formatted(params, "text", "entities")
    return apply_edit(state, chat_id, entry, {"text": text, "entities": entities,
                                              "reply_markup": inline_markup(params)})


@handles("editMessageCaption")
def edit_caption(state: SandboxState, params: dict, files: dict, method: str = "") -> dict:
    """Replace a media message's caption (and its inline keyboard)."""
    chat_id, entry = editable(state, params)
    if not any(key in entry.message for key in MEDIA_KEYS):
        raise refuse("there is no caption in the message to edit")
    caption, entities = formatted(params, "caption", "caption_entities")
    return apply_edit(state, chat_id, entry, {"caption": caption, "caption_entities": entities,
                                              "reply_markup": inline_markup(params)})


@handles("editMessageReplyMarkup")
def edit_markup(state: SandboxState, params: dict, files: dict, method: str = "") -> dict:
    """Replace or remove a message's inline keyboard."""
    chat_id, entry = editable(state, params)
    return apply_edit(state, chat_id, entry, {"reply_markup": inline_markup(params)})


@handles("deleteMessage")
def delete_message(state: SandboxState, params: dict, files: dict, method: str = "") -> bool:
    """Delete a message from a chat."""
    chat_id = int(params["chat_id"])
    entry = state.find_message(chat_id, int(params["message_id"]))
    if entry is None:
        raise refuse("message to delete not found")
    entry.deleted = True
    state.change_message(chat_id, entry, "delete")
    return True


@handles("deleteMessages")
def delete_messages(state: SandboxState, params: dict, files: dict, method: str = "") -> bool:
    """Delete several messages, skipping those that are not there, as Telegram does."""
    chat_id = int(params["chat_id"])
    for message_id in params.get("message_ids") or []:
        entry = state.find_message(chat_id, int(message_id))
        if entry is not None:
            entry.deleted = True
            state.change_message(chat_id, entry, "delete")
    return True


@handles("answerCallbackQuery")
def answer_callback(state: SandboxState, params: dict, files: dict, method: str = "") -> bool:
    """Answer a button press (a toast or an alert on the person's screen); each press is answered once."""
    query = state.queries.get(str(params["callback_query_id"]))
    if query is None or query.answered:
        raise refuse("query is too old and response timeout expired or query ID is invalid")
    query.answered = True
    query.answer = {key: params[key] for key in ("text", "show_alert", "url", "cache_time") if key in params}
    state.emit("callback_answer", chat_id=query.user_id, query=query.public())
    return True
