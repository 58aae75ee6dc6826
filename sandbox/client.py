"""Test helpers: play people in the sandbox over HTTP and wait for what the bot answers them."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable

import httpx

log = logging.getLogger(__name__)

Predicate = Callable[[dict], bool]


def visible(message: dict) -> str:
    """Return what a person reads in a message: its text, caption, or venue."""
    venue = message.get("venue") or {}
    return message.get("text") or message.get("caption") or " ".join(filter(None, (venue.get("title"),
                                                                                  venue.get("address"))))


def buttons(message: dict) -> list[dict]:
    """Return a message's inline buttons, row by row flattened."""
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


def keyboard_buttons(message: dict) -> list[dict]:
    """Return the reply-keyboard buttons sent with a message."""
    rows = (message.get("keyboard") or {}).get("keyboard", [])
    return [b if isinstance(b, dict) else {"text": b} for row in rows for b in row]


def message_id_of(message: Any) -> int:
    """Return the id of a message given as an id, a control-API dict or an aiogram Message."""
    if isinstance(message, int):
        return message
    if isinstance(message, dict):
        return int(message["message_id"])
    return int(message.message_id)


def _summary(message: dict) -> str:
    labels = [b.get("text") for b in buttons(message) + keyboard_buttons(message)]
    text = visible(message) or next((k for k in ("photo", "voice", "document", "location", "sticker")
                                     if k in message), "?")
    return f"#{message['message_id']}: {text[:200]!r}" + (f" buttons={labels}" if labels else "")


class SandboxClient:
    """Talk to a sandbox's control API."""

    def __init__(self, base_url: str, http: httpx.AsyncClient | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        # Certificates are never needed for a local http:// sandbox, and loading them costs ~50 ms a client.
        verify = not self.base_url.startswith("http://")
        self.http = http or httpx.AsyncClient(base_url=self.base_url, timeout=30.0, verify=verify)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self.http.aclose()

    async def __aenter__(self) -> SandboxClient:
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.aclose()

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the control API and return its JSON; raise AssertionError with the answer on failure."""
        response = await self.http.request(method, f"/sandbox{path}", **kwargs)
        if response.status_code >= 400:
            raise AssertionError(f"{method} /sandbox{path} answered {response.status_code}: {response.text}")
        return response.json()

    async def person(self, id: int, first_name: str, language_code: str = "zh-hans", label: str | None = None,
                     last_name: str | None = None, started: bool | None = None) -> Person:
        """Register a person (idempotent) and return a handle to act as them."""
        body = {"id": id, "first_name": first_name, "language_code": language_code, "label": label,
                "last_name": last_name, "started": started}
        await self.request("POST", "/users", json={k: v for k, v in body.items() if v is not None})
        return Person(self, id, first_name)

    async def users(self) -> list[dict]:
        """Return everyone registered."""
        return await self.request("GET", "/users")

    async def messages(self, user_id: int, after: int = 0, wait: float = 0.0) -> list[dict]:
        """Return the messages of a person's chat changed after seq `after` (waiting up to `wait` s for one)."""
        return await self.request("GET", f"/users/{user_id}/messages", params={"after": after, "wait": wait})

    async def refusals(self) -> list[dict]:
        """Return every call the sandbox refused as Telegram would."""
        return await self.request("GET", "/refusals")

    async def unanswered(self) -> list[dict]:
        """Return the callback queries the bot has not answered."""
        return await self.request("GET", "/unanswered_callbacks")

    async def calls(self, method: str | None = None) -> list[dict]:
        """Return the log of Bot API calls, optionally of one method."""
        return await self.request("GET", "/calls", params={"method": method} if method else None)

    async def webhook(self) -> dict:
        """Return the webhook the bot set, how many updates wait, and every delivery (update id, statuses)."""
        return await self.request("GET", "/webhook")

    async def faults(self, **settings: Any) -> dict:
        """Set faults: clear, rate_limit={method: n}, retry_after, block=[ids], unblock, fail_next={...}, latency,
        chaos={rate, kinds, methods, seed, retry_after, hold}."""
        return await self.request("POST", "/faults", json=settings)

    async def chaos(self, rate: float, seed: int | None = None, **settings: Any) -> dict:
        """Turn random faults on (rate > 0) or off (0); return their settings and what was injected so far."""
        return (await self.faults(chaos={"rate": rate, "seed": seed, **settings}))["chaos"]

    async def chaos_counts(self) -> dict:
        """Return how many faults of each kind chaos injected, and on how many calls it drew."""
        chaos = (await self.request("GET", "/faults"))["chaos"]
        return {**chaos["injected"], "calls": chaos["calls"]}

    async def reset(self, keep_users: bool = False) -> None:
        """Forget everything the sandbox holds (the people too unless keep_users)."""
        await self.request("POST", "/reset", json={"keep_users": keep_users})


class Person:
    """Someone in the sandbox: says things, presses buttons, and waits for the bot's answers."""

    def __init__(self, client: SandboxClient, id: int, first_name: str) -> None:
        self.client = client
        self.id = id
        self.first_name = first_name
        self.consumed = 0  # message_id of the last bot message wait_for returned

    def __repr__(self) -> str:
        return f"Person({self.id}, {self.first_name!r})"

    async def send(self, **body: Any) -> dict:
        """Send a message with any fields of POST /sandbox/users/{id}/send; return it."""
        return await self.client.request("POST", f"/users/{self.id}/send", json=body)

    async def say(self, text: str) -> dict:
        """Send a text message."""
        return await self.send(text=text)

    async def start(self, payload: str | None = None) -> dict:
        """Send /start, with a deep-link payload if given."""
        return await self.say(f"/start {payload}" if payload else "/start")

    async def reply(self, to_message: Any, text: str) -> dict:
        """Send text as a reply to a message (a message dict or its id)."""
        return await self.send(text=text, reply_to_message_id=message_id_of(to_message))

    async def send_photo(self, caption: str | None = None) -> dict:
        """Send a generated photo."""
        return await self.send(photo=True, **({"caption": caption} if caption else {}))

    async def send_location(self, lat: float, lon: float) -> dict:
        """Send a location."""
        return await self.send(location={"latitude": lat, "longitude": lon})

    async def send_sticker(self) -> dict:
        """Send a sticker."""
        return await self.send(sticker=True)

    async def send_voice(self) -> dict:
        """Send a generated voice message."""
        return await self.send(voice=True)

    async def send_document(self, caption: str | None = None) -> dict:
        """Send a generated document."""
        return await self.send(document=True, **({"caption": caption} if caption else {}))

    async def messages(self) -> list[dict]:
        """Return the whole chat, both directions, in order."""
        return await self.client.messages(self.id)

    async def current(self, message: Any) -> dict:
        """Return the latest state of a message in this chat (edits applied)."""
        message_id = message_id_of(message)
        found = [m for m in await self.messages() if m["message_id"] == message_id]
        if not found:
            raise AssertionError(f"message {message_id} is not in {self.first_name}'s chat")
        return found[0]

    async def press(self, message: Any, button: str) -> str | dict:
        """Press a button by exact text, then substring, then callback data; return the query id.

        A reply-keyboard button is 'pressed' by sending its text; then the sent message is returned.
        """
        latest = await self.current(message)
        inline = buttons(latest)
        for matches in (lambda b: b.get("text") == button, lambda b: button in str(b.get("text", "")),
                        lambda b: b.get("callback_data") == button):
            found = next((b for b in inline if matches(b)), None)
            if found is not None:
                if found.get("callback_data") is None:
                    raise AssertionError(f"button {found.get('text')!r} is not a callback button: {found}")
                answer = await self.client.request("POST", f"/users/{self.id}/press", json={
                    "message_id": latest["message_id"], "data": found["callback_data"]})
                return answer["query_id"]
        typed = next((b for b in keyboard_buttons(latest) if b.get("text") == button), None)
        if typed is not None:
            return await self.say(typed["text"])
        labels = [(b.get("text"), b.get("callback_data") or b.get("url")) for b in inline]
        labels += [(b.get("text"), "keyboard") for b in keyboard_buttons(latest)]
        raise AssertionError(f"no button {button!r} on message {latest['message_id']}; its buttons: {labels}")

    async def wait_for(self, contains: str | None = None, predicate: Predicate | None = None,
                       timeout: float = 10.0) -> dict:
        """Return the first new bot message in this chat that matches; raise AssertionError on timeout."""
        def matches(message: dict) -> bool:
            return ((contains is None or contains in visible(message))
                    and (predicate is None or predicate(message)))

        found = await self._poll(lambda chat: next(
            (m for m in chat if m["from_bot"] and not m["deleted"] and m["message_id"] > self.consumed
             and matches(m)), None), timeout, f"new bot message containing {contains!r}" if contains
            else "new bot message" + (" matching the predicate" if predicate else ""))
        self.consumed = found["message_id"]
        return found

    async def wait_for_edit(self, message: Any, contains: str | None = None,
                            predicate: Predicate | None = None, timeout: float = 10.0) -> dict:
        """Return a bot message once it has been edited (after `message`'s state, if a dict) and matches."""
        message_id = message_id_of(message)
        seen = message.get("seq", 0) if isinstance(message, dict) else 0

        def edited(chat: list[dict]) -> dict | None:
            current = next((m for m in chat if m["message_id"] == message_id), None)
            if current is None or current["seq"] <= seen or not current["edited"]:
                return None
            ok = (contains is None or contains in visible(current)) and (predicate is None or predicate(current))
            return current if ok else None

        return await self._poll(edited, timeout, f"edit of message {message_id}"
                                + (f" containing {contains!r}" if contains else ""))

    async def _poll(self, pick: Callable[[list[dict]], dict | None], timeout: float, what: str) -> dict:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        cursor = 0
        chat: dict[int, dict] = {}
        while True:
            remaining = deadline - loop.time()
            for message in await self.client.messages(self.id, after=cursor, wait=max(0.0, min(remaining, 1.0))):
                cursor = max(cursor, message["seq"])
                chat[message["message_id"]] = message
            found = pick(sorted(chat.values(), key=lambda m: m["message_id"]))
            if found is not None:
                return found
            if remaining <= 0:
                raise AssertionError(await self._timeout_report(what, timeout, chat))

    async def _timeout_report(self, what: str, timeout: float, chat: dict[int, dict]) -> str:
        received = [_summary(m) for m in sorted(chat.values(), key=lambda m: m["message_id"])
                    if m["from_bot"] and m["message_id"] > self.consumed]
        refusals = [f"{r['method']}: {r['description']}" + (f" ({r['hint']})" if r.get("hint") else "")
                    for r in await self.client.refusals()]
        lines = [f"{self.first_name} ({self.id}) got no {what} within {timeout:g}s.",
                 "New bot messages: " + ("; ".join(received) if received else "none")]
        if refusals:
            lines.append("Refused calls: " + "; ".join(refusals))
        return "\n".join(lines)
