"""Everything the sandbox remembers: people, chats, pending updates, files, callback queries, logs, faults."""
from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from sandbox.faults import Faults

log = logging.getLogger(__name__)

BOT_USER = {"id": 7000000001, "is_bot": True, "first_name": "群众路线助手", "username": "massline_demo_bot",
            "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}
MAX_LOG = 20_000


@dataclass
class Person:
    """Someone registered in the sandbox; their private chat with the bot has their id."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "zh-hans"
    label: str | None = None
    started: bool = False

    def user(self) -> dict:
        """Return the Telegram User object."""
        fields = {"id": self.id, "is_bot": False, "first_name": self.first_name, "last_name": self.last_name,
                  "username": self.username, "language_code": self.language_code}
        return {k: v for k, v in fields.items() if v is not None}

    def chat(self) -> dict:
        """Return the Telegram Chat object of the private chat."""
        fields = {"id": self.id, "type": "private", "first_name": self.first_name, "last_name": self.last_name,
                  "username": self.username}
        return {k: v for k, v in fields.items() if v is not None}

    def public(self) -> dict:
        """Return the person as the control API shows them."""
        return asdict(self)


@dataclass
class StoredFile:
    """A file the sandbox holds and has given a file_id."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    mime_type: str
    file_name: str
    file_path: str

    def telegram(self) -> dict:
        """Return the Telegram File object."""
        return {"file_id": self.file_id, "file_unique_id": self.file_unique_id, "file_size": len(self.data),
                "file_path": self.file_path}


@dataclass
class Entry:
    """One message in a chat, with what the control API adds."""

    seq: int
    from_bot: bool
    message: dict
    deleted: bool = False
    keyboard: dict | None = None

    def view(self) -> dict:
        """Return the message as the control API shows it (keyboard: a reply keyboard sent with it)."""
        return {**self.message, "seq": self.seq, "from_bot": self.from_bot, "deleted": self.deleted,
                "edited": "edit_date" in self.message, "keyboard": self.keyboard}


@dataclass
class Query:
    """A callback query a person made by pressing a button."""

    id: str
    user_id: int
    message_id: int
    data: str | None
    answered: bool = False
    answer: dict | None = None

    def public(self) -> dict:
        """Return the query as the control API shows it."""
        return asdict(self)


class SandboxState:
    """The sandbox's memory; every change bumps a global sequence number and wakes waiters."""

    def __init__(self) -> None:
        self.people: dict[int, Person] = {}
        self.closing = False
        # The bot's web dashboard, when the program running the sandbox serves one (the chat page links it).
        self.dashboard_url: str | None = None
        self._changed: asyncio.Event | None = None
        self._changed_loop: asyncio.AbstractEventLoop | None = None
        self.reset()

    def reset(self, keep_users: bool = False) -> None:
        """Forget everything (but the people, if keep_users)."""
        if not keep_users:
            self.people = {}
        for person in self.people.values():
            person.started = False
        self.chats: dict[int, dict[int, Entry]] = {}
        self._message_ids: dict[int, itertools.count] = {}
        self.updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self.poll_generation = 0
        self.queries: dict[str, Query] = {}
        self._query_ids = itertools.count(1)
        self.files: dict[str, StoredFile] = {}
        self._file_ids = itertools.count(1)
        self.calls: deque[dict] = deque(maxlen=MAX_LOG)
        self.refusals: list[dict] = []
        self.events: deque[dict] = deque(maxlen=MAX_LOG)
        self.faults = Faults()
        self.webhook: dict[str, Any] = {"url": ""}
        self.webhook_log: deque[dict] = deque(maxlen=MAX_LOG)  # each delivery: update id, HTTP statuses
        self.commands: dict[str, list] = {}
        self.menu_button: dict = {"type": "default"}
        self.seq = getattr(self, "seq", 0)
        self.emit("reset")

    # -- change notification -------------------------------------------------------------------
    def emit(self, kind: str, **data: Any) -> int:
        """Record an event for the page and pollers, and wake everyone waiting for a change."""
        self.seq += 1
        self.events.append({"seq": self.seq, "type": kind, **data})
        self.notify()
        return self.seq

    def notify(self) -> None:
        """Wake everyone waiting for a change."""
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    async def wait_change(self, timeout: float) -> None:
        """Return after the next change, or after timeout seconds."""
        if self.closing or timeout <= 0:
            return
        loop = asyncio.get_running_loop()
        if self._changed is None or self._changed_loop is not loop:
            # An Event belongs to one loop; a state served again from a new loop needs a new one.
            self._changed, self._changed_loop = asyncio.Event(), loop
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except asyncio.TimeoutError:
            pass

    def close(self) -> None:
        """Make every waiter return now; the server is stopping."""
        self.closing = True
        self.notify()

    def events_after(self, seq: int) -> list[dict]:
        """Return the events after seq."""
        return [event for event in self.events if event["seq"] > seq]

    # -- people and chats ----------------------------------------------------------------------
    def register(self, **fields: Any) -> Person:
        """Add a person, or update the one with that id."""
        person = self.people.get(fields["id"])
        if person is None:
            person = self.people[fields["id"]] = Person(**fields)
        else:
            for key, value in fields.items():
                if value is not None:
                    setattr(person, key, value)
        self.emit("user", user=person.public())
        return person

    def known_chat(self, chat_id: int) -> bool:
        """Tell whether the bot may talk in this chat: a registered person who has started the bot."""
        person = self.people.get(chat_id)
        return person is not None and person.started

    def new_message_id(self, chat_id: int) -> int:
        """Return the next message id of a chat."""
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def add_message(self, chat_id: int, message: dict, from_bot: bool, keyboard: dict | None = None) -> Entry:
        """Store a new message in its chat and announce it."""
        self.seq += 1
        entry = Entry(seq=self.seq, from_bot=from_bot, message=message, keyboard=keyboard)
        self.chats.setdefault(chat_id, {})[message["message_id"]] = entry
        self.events.append({"seq": self.seq, "type": "message", "chat_id": chat_id, "message": entry.view()})
        self.notify()
        return entry

    def find_message(self, chat_id: int, message_id: int) -> Entry | None:
        """Return a chat's message, deleted ones excluded."""
        entry = self.chats.get(chat_id, {}).get(message_id)
        return None if entry is None or entry.deleted else entry

    def change_message(self, chat_id: int, entry: Entry, kind: str) -> None:
        """Announce that an existing message was edited or deleted."""
        self.seq += 1
        entry.seq = self.seq
        self.events.append({"seq": self.seq, "type": kind, "chat_id": chat_id, "message": entry.view()})
        self.notify()

    def messages(self, chat_id: int, after: int = 0) -> list[dict]:
        """Return the chat's messages changed after seq `after`, in chat order."""
        entries = sorted(self.chats.get(chat_id, {}).values(), key=lambda e: e.message["message_id"])
        return [entry.view() for entry in entries if entry.seq > after]

    # -- updates and callback queries ----------------------------------------------------------
    def queue_update(self, kind: str, payload: dict) -> dict:
        """Queue an update for getUpdates."""
        update = {"update_id": next(self._update_ids), kind: payload}
        self.updates.append(update)
        self.notify()
        return update

    def confirm_updates(self, offset: int) -> None:
        """Forget updates before offset (a negative offset keeps only the last -offset)."""
        if offset < 0:
            self.updates = self.updates[offset:]
        else:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]

    def new_query(self, user_id: int, message_id: int, data: str | None) -> Query:
        """Create a callback query and remember it until answered."""
        query = Query(id=f"{7000000001000 + next(self._query_ids)}", user_id=user_id, message_id=message_id,
                      data=data)
        self.queries[query.id] = query
        return query

    # -- files ---------------------------------------------------------------------------------
    def store_file(self, kind: str, data: bytes, mime_type: str, file_name: str) -> StoredFile:
        """Keep a file in memory and give it a file_id."""
        number = next(self._file_ids)
        unique = f"SBXu{kind[:2]}{number:06d}"
        extension = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        stored = StoredFile(file_id=f"SBX{kind}-{number:06d}-AgADsandbox", file_unique_id=unique, kind=kind,
                            data=data, mime_type=mime_type, file_name=file_name,
                            file_path=f"{kind}s/file_{number}.{extension}")
        self.files[stored.file_id] = stored
        return stored

    def file_by_path(self, path: str) -> StoredFile | None:
        """Return the file stored under a download path."""
        return next((f for f in self.files.values() if f.file_path == path), None)

    # -- logs ----------------------------------------------------------------------------------
    def log_call(self, method: str, params: dict) -> dict:
        """Append a bot API call to the log and return its entry (its outcome is filled in later)."""
        entry = {"method": method, "params": params, "time": time.time(), "status": None, "description": None}
        self.calls.append(entry)
        return entry

    def add_refusal(self, method: str, params: dict, error_code: int, description: str,
                    hint: str | None = None) -> None:
        """Remember a call Telegram would have refused (hint: the sandbox's own explanation, if any)."""
        log.warning("refused %s: %s", method, description)
        refusal = {"method": method, "params": params, "error_code": error_code, "description": description}
        if hint:
            refusal["hint"] = hint
        self.refusals.append(refusal)
        self.emit("refusal", refusal=refusal)
