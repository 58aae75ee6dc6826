"""Bot API methods about the bot itself: identity, updates, webhook, files, commands, menu, chat actions."""
from __future__ import annotations

import asyncio
import json
import logging

from sandbox.registry import ApiError, handles, refuse
from sandbox.state import BOT_USER, SandboxState
from sandbox.webhook import ensure_delivery

log = logging.getLogger(__name__)

DEFAULT_UPDATES = frozenset({"message", "edited_message", "channel_post", "edited_channel_post", "inline_query",
                             "chosen_inline_result", "callback_query", "shipping_query", "pre_checkout_query",
                             "poll", "poll_answer", "my_chat_member", "chat_join_request"})
MAX_POLL_TIMEOUT = 50


@handles("getMe")
def get_me(state: SandboxState, params: dict, files: dict, method: str = "") -> dict:
    """Return the bot's user."""
    return BOT_USER


@handles("getUpdates")
async def get_updates(state: SandboxState, params: dict, files: dict, method: str = "") -> list[dict]:
    """Return pending updates, waiting up to `timeout` seconds for one; `offset` confirms earlier ones."""
    if state.webhook.get("url"):
        raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook "
                            "to delete the webhook first")
    if params.get("offset") not in (None, ""):
        state.confirm_updates(int(params["offset"]))
    if params.get("allowed_updates") is not None:
        state.webhook["allowed_updates"] = list(params["allowed_updates"])
    limit = min(max(int(params.get("limit") or 100), 1), 100)
    deadline = asyncio.get_running_loop().time() + min(float(params.get("timeout") or 0), MAX_POLL_TIMEOUT)
    state.poll_generation += 1
    generation = state.poll_generation
    state.notify()  # an older poll still waiting must now end with 409, as Telegram ends it
    while True:
        pending = deliverable(state)
        remaining = deadline - asyncio.get_running_loop().time()
        if pending or remaining <= 0 or state.closing:
            return pending[:limit]
        await state.wait_change(remaining)
        if state.poll_generation != generation:
            raise ApiError(409, "Conflict: terminated by other getUpdates request; make sure that only one bot "
                                "instance is running")


def deliverable(state: SandboxState) -> list[dict]:
    """Return the queued updates the bot asked for, dropping the others as Telegram does."""
    allowed = set(state.webhook.get("allowed_updates") or DEFAULT_UPDATES)
    state.updates = [u for u in state.updates if next(k for k in u if k != "update_id") in allowed]
    return list(state.updates)


@handles("getChat")
def get_chat(state: SandboxState, params: dict, files: dict, method: str = "") -> dict:
    """Describe a person's private chat with the bot."""
    person = state.people[int(params["chat_id"])]
    gifts = dict.fromkeys(("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription",
                           "gifts_from_channels"), False)
    return {**person.chat(), "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}


@handles("getChatMember")
def get_chat_member(state: SandboxState, params: dict, files: dict, method: str = "") -> dict:
    """Describe a person as a member of their private chat."""
    person = state.people.get(int(params["user_id"]))
    if person is None:
        raise refuse("user not found")
    return {"status": "member", "user": person.user()}


@handles("setWebhook")
def set_webhook(state: SandboxState, params: dict, files: dict, method: str = "") -> bool:
    """Remember a webhook and deliver the updates to it from now on (getUpdates then answers 409)."""
    if params.get("drop_pending_updates"):
        state.updates.clear()
    state.webhook = {"url": str(params["url"]), "allowed_updates": params.get("allowed_updates"),
                     "secret_token": params.get("secret_token"), "max_connections": params.get("max_connections")}
    ensure_delivery(state)
    state.notify()
    return True


@handles("deleteWebhook")
def delete_webhook(state: SandboxState, params: dict, files: dict, method: str = "") -> bool:
    """Forget the webhook."""
    if params.get("drop_pending_updates"):
        state.updates.clear()
    state.webhook = {"url": "", "allowed_updates": state.webhook.get("allowed_updates")}
    return True


@handles("getWebhookInfo")
def get_webhook_info(state: SandboxState, params: dict, files: dict, method: str = "") -> dict:
    """Describe the webhook."""
    info = {"url": state.webhook.get("url", ""), "has_custom_certificate": False,
            "pending_update_count": len(state.updates)}
    if state.webhook.get("allowed_updates"):
        info["allowed_updates"] = state.webhook["allowed_updates"]
    return info


@handles("getFile")
def get_file(state: SandboxState, params: dict, files: dict, method: str = "") -> dict:
    """Describe a stored file and where to download it."""
    stored = state.files.get(str(params["file_id"]))
    if stored is None:
        raise refuse("invalid file_id")
    return stored.telegram()


def commands_key(params: dict) -> str:
    """Return the key under which commands for a scope and language are kept."""
    scope = params.get("scope") or {"type": "default"}
    return json.dumps([scope, params.get("language_code") or ""], sort_keys=True, ensure_ascii=False)


@handles("setMyCommands")
def set_my_commands(state: SandboxState, params: dict, files: dict, method: str = "") -> bool:
    """Set the command list for a scope and language."""
    state.commands[commands_key(params)] = list(params["commands"])
    state.emit("commands", key=commands_key(params), commands=list(params["commands"]))
    return True


@handles("deleteMyCommands")
def delete_my_commands(state: SandboxState, params: dict, files: dict, method: str = "") -> bool:
    """Delete the command list for a scope and language."""
    state.commands.pop(commands_key(params), None)
    return True


@handles("getMyCommands")
def get_my_commands(state: SandboxState, params: dict, files: dict, method: str = "") -> list[dict]:
    """Return the command list for a scope and language."""
    return state.commands.get(commands_key(params), [])


@handles("setChatMenuButton")
def set_menu_button(state: SandboxState, params: dict, files: dict, method: str = "") -> bool:
    """Set the menu button."""
    state.menu_button = params.get("menu_button") or {"type": "default"}
    return True


@handles("getChatMenuButton")
def get_menu_button(state: SandboxState, params: dict, files: dict, method: str = "") -> dict:
    """Return the menu button."""
    return state.menu_button


@handles("sendChatAction")
def send_chat_action(state: SandboxState, params: dict, files: dict, method: str = "") -> bool:
    """Show 'typing…' and the like in a chat."""
    state.emit("chat_action", chat_id=int(params["chat_id"]), action=str(params["action"]))
    return True


@handles("close", "logOut", "setMyDescription", "setMyShortDescription", "setMyName",
         "setMyDefaultAdministratorRights")
def accept(state: SandboxState, params: dict, files: dict, method: str = "") -> bool:
    """Accept a call that changes nothing the sandbox shows."""
    return True
