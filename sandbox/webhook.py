"""Deliver queued updates to a webhook as Telegram does: POST with the secret, again until it answers 200.

Updates of one chat go one at a time and in order; different chats go at once, up to the webhook's
`max_connections`. An update is forgotten only when the bot answered 200; any other answer, a
timeout or a refused connection sends it again later (with a growing pause for that chat), which is
what lets a bot that could not commit an update leave it unacknowledged. The sandbox's fault
`duplicate_updates` posts every update twice at once, as a bot behind a load balancer may receive it.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import aiohttp

from sandbox.state import SandboxState

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_PAUSE = 10.0


def chat_of(update: dict) -> int | None:
    """Return the chat an update belongs to, for keeping one chat's updates in order."""
    payload = next(v for k, v in update.items() if k != "update_id")
    if "chat" in payload:
        return payload["chat"]["id"]
    if "message" in payload and isinstance(payload["message"], dict):
        return payload["message"]["chat"]["id"]
    return (payload.get("from") or {}).get("id")


def ensure_delivery(state: SandboxState) -> None:
    """Start delivering to the webhook in this event loop, unless already doing so."""
    task = getattr(state, "webhook_task", None)
    if task is None or task.done():
        state.webhook_task = asyncio.get_running_loop().create_task(deliver(state), name="sandbox-webhook")


async def deliver(state: SandboxState) -> None:
    """Post pending updates while a webhook is set; stop when the sandbox closes."""
    from sandbox.admin import deliverable

    running: dict = {}  # chat -> the task posting its oldest pending update
    paused: dict = {}  # chat -> monotonic time before which it is not tried again
    failures: dict = {}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        while not state.closing:
            url = state.webhook.get("url")
            if url:
                limit = int(state.webhook.get("max_connections") or 40)
                now, first_of_chat = time.monotonic(), set()
                for update in deliverable(state):
                    chat = chat_of(update)
                    if chat in first_of_chat:
                        continue  # a chat's later updates wait for its first
                    first_of_chat.add(chat)
                    if chat in running or paused.get(chat, 0) > now or len(running) >= limit:
                        continue
                    task = asyncio.create_task(_post(state, http, url, update, chat, paused, failures))
                    running[chat] = task
                    task.add_done_callback(lambda _t, chat=chat: running.pop(chat, None))
            await state.wait_change(0.2)
        for task in list(running.values()):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*running.values(), return_exceptions=True)


async def _post(state: SandboxState, http: aiohttp.ClientSession, url: str, update: dict, chat, paused: dict,
                failures: dict) -> None:
    headers = {SECRET_HEADER: state.webhook["secret_token"]} if state.webhook.get("secret_token") else {}
    copies = 2 if state.faults.duplicate_updates else 1
    try:
        statuses = await asyncio.gather(*(_send(http, url, update, headers) for _ in range(copies)))
        state.webhook_log.append({"update_id": update["update_id"], "statuses": statuses})
        if 200 in statuses:
            failures.pop(chat, None)
            state.updates = [u for u in state.updates if u["update_id"] != update["update_id"]]
        else:
            failures[chat] = failures.get(chat, 0) + 1
            paused[chat] = time.monotonic() + min(0.25 * 2 ** failures[chat], MAX_PAUSE)
    finally:
        state.notify()


async def _send(http: aiohttp.ClientSession, url: str, update: dict, headers: dict) -> int:
    try:
        async with http.post(url, json=update, headers=headers) as response:
            await response.read()
            return response.status
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        log.info("webhook %s unreachable: %s", url, exc)
        return 0
