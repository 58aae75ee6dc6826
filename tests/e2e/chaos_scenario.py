"""A chaos run: the real bot, killed with SIGKILL again and again, against a sandbox that fails calls at random.

Villagers file reports (intake) and add to them by replying to their receipt; the cadre answers each
new-case card by replying to it (relay both ways); a county broadcast goes to every household, three
of whom blocked the bot. Meanwhile the sandbox fails a share of all Bot API calls (429, 500, 502,
calls held past the bot's request timeout, connections reset) and the bot is killed at random
moments and started again. Then chaos stops, the outbox drains, and the run is judged:

- every case a villager saw a receipt for exists, once; no report was filed twice;
- every relayed text whose sender saw "✓ 已转达" reached the other side;
- the broadcast reached every household but the blocked ones, who are marked unreachable;
- the outbox is empty: every row sent, or failed only because its person is unreachable;
- a message reached its chat twice only through the documented window: its row was leased by the
  process that was killed, and its first copy had gone before that kill (Telegram accepted the
  send, the process died before writing it down). Any other repeat is a bug.

Used by tests/e2e/test_chaos_e2e.py (asserts) and bench/chaos.py (prints the figures).
"""
from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import sqlite3
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from bot.sandbox_run import SANDBOX_TOKEN, register_people
from sandbox.drive import wait_for_answer
from sandbox.people import ControlError, user_press, user_send
from sandbox.server import serve
from sandbox.state import SandboxState

ROOT = Path(__file__).resolve().parents[2]
FORKSERVER = Path(__file__).with_name("forkserver.py")

CADRE = 2001
REPORTERS = list(range(3501, 3507))
HOUSEHOLDS = list(range(3601, 3631))
BLOCKED = [3631, 3632, 3633]
BROADCAST = "森林防火：清明期间严禁上坟烧纸"
REQUEST_TIMEOUT = 5.0
STEP_TIMEOUT = 8.0
# A villager's report, step by step: what they do, and what the bot's answer to it contains.
STEPS = [("say", "/new", "反映什么问题"), ("press", "环境污染", "请说说情况"), ("say", "村口的河又黑了 {token}", "已记下"),
         ("press", "下一步", "名字"), ("press", "显示我的名字", "请核对"), ("press", "提交", "案件编号")]
TOKEN = re.compile(r"\b([KVG])(\d+)n(\d+)\b")
RECEIPT = re.compile(r"案件编号\s*(\d{4}-\d+)")


@dataclass
class Kill:
    """One SIGKILL: the sandbox's sequence number then, and the outbox rows the dead process held."""

    seq: int
    held: set[str]


@dataclass
class Figures:
    """What a chaos run did and how it came out."""

    kills: int = 0
    starts: int = 0
    startup_exits: int = 0
    seconds: float = 0.0
    drain_seconds: float = 0.0
    reports_started: int = 0
    cases_acknowledged: int = 0
    cases_lost: list[str] = field(default_factory=list)
    cases_doubled: list[str] = field(default_factory=list)
    relays_acknowledged: int = 0
    relays_lost: list[tuple[int, str]] = field(default_factory=list)
    households: int = 0
    broadcast_missing: list[int] = field(default_factory=list)
    blocked: int = 0
    blocked_unmarked: list[int] = field(default_factory=list)
    deliveries: int = 0
    repeats: int = 0
    repeats_after_timeout: int = 0
    repeats_outside_window: list[str] = field(default_factory=list)
    most_repeats_in_one_kill: int = 0
    most_repeats_in_one_chat_in_one_kill: int = 0
    pending_after_drain: int = 0
    failed_rows: list[str] = field(default_factory=list)
    injected: dict = field(default_factory=dict)

    @property
    def repeats_after_kill(self) -> int:
        return self.repeats - self.repeats_after_timeout - len(self.repeats_outside_window)

    def lines(self) -> list[str]:
        """Return the figures as lines for a person to read."""
        injected = ", ".join(f"{k} {v}" for k, v in self.injected.items())
        return [
            f"kills {self.kills} (starts {self.starts}, exits at start-up {self.startup_exits}), "
            f"run {self.seconds:.0f}s, drain after chaos {self.drain_seconds:.1f}s",
            f"chaos injected: {injected}",
            f"cases acknowledged {self.cases_acknowledged} of {self.reports_started} reports started; "
            f"lost {len(self.cases_lost)}, filed twice {len(self.cases_doubled)}",
            f"relays acknowledged {self.relays_acknowledged}; lost {len(self.relays_lost)}",
            f"broadcast: {self.households - len(self.broadcast_missing)}/{self.households} households reached; "
            f"blocked marked {self.blocked - len(self.blocked_unmarked)}/{self.blocked}",
            f"deliveries {self.deliveries}; repeated {self.repeats}: after a kill {self.repeats_after_kill} "
            f"(most in one kill {self.most_repeats_in_one_kill}, in one chat {self.most_repeats_in_one_chat_in_one_kill}), after a timed-out call {self.repeats_after_timeout}, "
            f"otherwise {len(self.repeats_outside_window)}",
            f"outbox after drain: pending {self.pending_after_drain}, failed other than unreachable "
            f"{len(self.failed_rows)}",
        ]


class ForkedBot:
    """The bot as `python -m bot run`, forked by tests/e2e/forkserver.py so that a start costs no imports."""

    def __init__(self, env: dict[str, str], log: Path):
        self.env, self.log = env, log
        self.server: asyncio.subprocess.Process | None = None
        self.pid: int | None = None

    async def open(self) -> None:
        with self.log.open("ab") as out:
            self.server = await asyncio.create_subprocess_exec(
                sys.executable, str(FORKSERVER), cwd=ROOT, env=self.env, stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE, stderr=out)
        line = await asyncio.wait_for(self.server.stdout.readline(), timeout=180)
        assert line.strip() == b"ready", f"the fork server did not start: {line!r} {self.tail()}"

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def alive(self) -> bool:
        if self.pid is None:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    async def start(self, state: SandboxState) -> bool:
        """Fork a bot; True once it polls, False if it exited first."""
        before = sum(1 for call in state.calls if call["method"] == "getUpdates")
        self.server.stdin.write(f"{self.log}\n".encode())
        await self.server.stdin.drain()
        self.pid = int(await asyncio.wait_for(self.server.stdout.readline(), timeout=30))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if sum(1 for call in state.calls if call["method"] == "getUpdates") > before:
                return True
            if not self.alive():
                return False
            await asyncio.sleep(0.02)
        raise AssertionError(f"the bot did not poll within 60 s:\n{self.tail()}")

    async def kill(self, sig: int = signal.SIGKILL, wait: float = 20.0) -> None:
        if not self.alive():
            return
        os.kill(self.pid, sig)
        deadline = time.monotonic() + wait
        while self.alive():
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                deadline += wait
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        await self.kill(signal.SIGTERM)
        if self.server is not None:
            self.server.stdin.close()
            await asyncio.wait_for(self.server.wait(), timeout=30)


@dataclass
class Book:
    """What the people saw acknowledged."""

    reports_started: int = 0
    relays: list[tuple[int, str]] = field(default_factory=list)  # (chat that must get it, token)


async def step(state: SandboxState, uid: int, kind: str, what: str, expect: str, last: dict | None) -> dict | None:
    person = state.people[uid]
    mark = state.seq
    if kind == "say":
        user_send(state, person, {"text": what})
    else:
        user_press(state, person, last["message_id"], text=what)
    return await wait_for_answer(state, uid, mark, expect, STEP_TIMEOUT)


async def reply_acknowledged(state: SandboxState, uid: int, to_message: int, text: str) -> bool:
    """Reply to a message; True when the bot answers that reply (its "✓ 已转达") in time."""
    sent = user_send(state, state.people[uid], {"text": text, "reply_to_message_id": to_message})
    sent_id = sent.message["message_id"]
    deadline = time.monotonic() + STEP_TIMEOUT
    while time.monotonic() < deadline:
        for message in state.messages(uid, sent.seq):
            if message["from_bot"] and (message.get("reply_to_message") or {}).get("message_id") == sent_id:
                return True
        await state.wait_change(0.5)
    return False


async def villager(state: SandboxState, uid: int, stop: asyncio.Event, book: Book) -> None:
    """Report again and again; after each receipt, add a word by replying to it."""
    greeted, k = False, 0
    while not stop.is_set():
        try:
            if not greeted:
                greeted = await step(state, uid, "say", "/start v_sq01", "有什么需要帮忙", None) is not None
                continue
            k += 1
            book.reports_started += 1
            last = None
            for kind, what, expect in STEPS:
                last = await step(state, uid, kind, what.format(token=f"K{uid}n{k}"), expect, last)
                if last is None:
                    break
        except ControlError:  # a button gone from a stale message: start over
            last = None
        if last is None:
            user_send(state, state.people[uid], {"text": "/cancel"})
            await asyncio.sleep(0.5)
            continue
        if await reply_acknowledged(state, uid, last["message_id"], f"村民补充 V{uid}n{k}"):
            book.relays.append((CADRE, f"V{uid}n{k}"))


async def cadre(state: SandboxState, stop: asyncio.Event, book: Book) -> None:
    """Answer every new-case card once, by replying to it."""
    answered: set[str] = set()
    waiting: dict[int, tuple[int, str, float]] = {}  # sent message id -> (villager, token, give up at)
    person = state.people[CADRE]
    cursor = 0
    while not stop.is_set() or waiting:
        for message in state.messages(CADRE, cursor):
            cursor = max(cursor, message["seq"])
            if not message["from_bot"]:
                continue
            replied = (message.get("reply_to_message") or {}).get("message_id")
            if replied in waiting:
                uid, token, _ = waiting.pop(replied)
                book.relays.append((uid, token))
            found = TOKEN.search(message.get("text") or "")
            if found and found.group(1) == "K" and found.group(0) not in answered and not stop.is_set():
                answered.add(found.group(0))
                uid, k = found.group(2), found.group(3)
                token = f"G{uid}n{k}"
                sent = user_send(state, person, {"text": f"干部答复 {token}", "reply_to_message_id": message["message_id"]})
                waiting[sent.message["message_id"]] = (int(uid), token, time.monotonic() + STEP_TIMEOUT)
        now = time.monotonic()
        for sent_id in [i for i, (_, _, until) in waiting.items() if until < now]:
            del waiting[sent_id]
        await state.wait_change(0.3)


def held_rows(database: Path) -> set[str]:
    """Return the keys of outbox rows leased and not yet recorded as sent: what a killed process held."""
    with sqlite3.connect(database, timeout=30) as db:
        return {key for (key,) in db.execute(
            "SELECT key FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND claimed_until IS NOT NULL")}


def pending_rows(database: Path) -> int:
    with sqlite3.connect(database, timeout=30) as db:
        return db.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL").fetchone()[0]


def seed_households(database: Path) -> None:
    """Households of 石桥村 with the bot started, for the broadcast; three of them will have blocked it."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    with sqlite3.connect(database, timeout=30) as db:
        village, township = db.execute("SELECT id, township_id FROM villages WHERE code = 'sq01'").fetchone()
        columns = {row[1] for row in db.execute("PRAGMA table_info(people)")}
        for uid in HOUSEHOLDS + BLOCKED:
            row = {"name": f"户{uid}", "role": "villager", "channel": "telegram", "external_id": str(uid),
                   "language": "zh_CN", "village_id": village, "township_id": township, "subscribed": 1,
                   "active": 1, "created_at": now}
            row = {k: v for k, v in row.items() if k in columns}
            db.execute(f"INSERT INTO people ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                       list(row.values()))


async def bot_command(env: dict[str, str], *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", *args, cwd=ROOT, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    assert proc.returncode == 0, out.decode()
    return out.decode()


async def run(workdir: Path, kills: int = 50, seed: int = 13, rate: float = 0.05,
              drain_timeout: float = 180.0) -> Figures:
    """Play the scenario in `workdir` and return its figures (assert nothing; the caller judges)."""
    rng = random.Random(seed)
    figures = Figures()
    began = time.monotonic()
    running = await serve()
    state = running.state
    database = workdir / "chaos.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_", "REDIS_", "WEBHOOK_"))}
    env.update(BOT_TOKEN=SANDBOX_TOKEN, BOT_API_BASE=running.base_url, DATABASE_URL=f"sqlite:///{database}",
               LOG_LEVEL="INFO", PYTHONUNBUFFERED="1", DASHBOARD_LISTEN="", SWEEP_INTERVAL="1s",
               REQUEST_TIMEOUT=f"{REQUEST_TIMEOUT:g}", BROADCAST_RATE="30")
    bot = ForkedBot(env, workdir / "bot.log")
    drivers: list[asyncio.Task] = []
    try:
        await register_people(running.base_url)
        for uid in REPORTERS:
            state.register(id=uid, first_name=f"村民{uid}", language_code="zh-hans")
        for uid in HOUSEHOLDS + BLOCKED:
            state.register(id=uid, first_name=f"户{uid}", language_code="zh-hans", started=True)
        state.faults.blocked.update(BLOCKED)
        opening = asyncio.create_task(bot.open())
        await bot_command(env, "demo")
        seed_households(database)
        await opening
        assert await bot.start(state), bot.tail()
        figures.starts += 1
        state.faults.chaos.configure(rate=rate, seed=seed, hold=REQUEST_TIMEOUT + 1.5, retry_after=1)
        stop = asyncio.Event()
        book = Book()
        drivers = [asyncio.create_task(villager(state, uid, stop, book)) for uid in REPORTERS]
        drivers.append(asyncio.create_task(cadre(state, stop, book)))
        # The broadcast is queued by another process (the operator's command) while all this goes on.
        broadcast = asyncio.create_task(bot_command(env, "broadcast", "send", "--text", BROADCAST, "--to", "county"))
        marks: list[Kill] = []
        for _ in range(kills):
            await asyncio.sleep(rng.uniform(0.5, 3.0))
            await bot.kill()
            marks.append(Kill(state.seq, held_rows(database)))
            figures.kills += 1
            while not await bot.start(state):
                figures.startup_exits += 1
            figures.starts += 1
        # Chaos off: the people finish what they were doing, and everything queued must go out.
        state.faults.chaos.configure(rate=0.0)
        drained = time.monotonic()
        stop.set()
        await broadcast
        await asyncio.gather(*drivers)
        while pending_rows(database) and time.monotonic() - drained < drain_timeout:
            await asyncio.sleep(0.5)
        figures.drain_seconds = time.monotonic() - drained
        await asyncio.sleep(1.0)  # let the last outcomes be written
        figures.pending_after_drain = pending_rows(database)
    finally:
        for task in drivers:
            task.cancel()
        await bot.close()
        await running.stop()
    figures.seconds = time.monotonic() - began
    figures.injected = state.faults.chaos.public()["injected"]
    figures.reports_started = book.reports_started
    judge(state, database, book, marks, figures)
    return figures


def judge(state: SandboxState, database: Path, book: Book, marks: list[Kill], figures: Figures) -> None:
    """Fill in the figures from what the chats hold and what the database says."""
    created = {(e["chat_id"], e["message"]["message_id"]): e["seq"] for e in reversed(state.events)
               if e["type"] == "message"}
    copies: dict[tuple[int, str], list[int]] = defaultdict(list)  # (chat, token) -> creation seq of each copy
    receipts: dict[int, set[str]] = defaultdict(set)
    for chat in state.people:
        for message in state.messages(chat):
            if not message["from_bot"] or message["deleted"]:
                continue
            text = message.get("text") or message.get("caption") or ""
            seq = created.get((chat, message["message_id"]), message["seq"])
            tokens = {m.group(0) for m in TOKEN.finditer(text) if m.group(1) in "VG"}
            if chat == CADRE:
                tokens |= {m.group(0) for m in TOKEN.finditer(text) if m.group(1) == "K"}
            if BROADCAST in text:
                tokens.add("BC")
            for token in tokens:
                copies[(chat, token)].append(seq)
            receipts[chat].update(RECEIPT.findall(text))
    with sqlite3.connect(database, timeout=30) as db:
        cases = {number: external for number, external in db.execute(
            "SELECT c.number, p.external_id FROM cases c JOIN people p ON p.id = c.reporter_id")}
        texts = defaultdict(set)
        for case_id, text in db.execute("SELECT case_id, text FROM case_messages WHERE text IS NOT NULL"):
            for m in TOKEN.finditer(text):
                texts[m.group(0)].add(case_id)
        unmarked = [uid for uid in BLOCKED if db.execute(
            "SELECT unreachable_at FROM people WHERE external_id = ?", (str(uid),)).fetchone()[0] is None]
        keys = {}
        for key, external, payload, message_text, case_id in db.execute(
                "SELECT o.key, p.external_id, o.payload, m.text, o.case_id FROM outbox o "
                "JOIN people p ON p.id = o.person_id LEFT JOIN case_messages m ON m.id = "
                "CAST(json_extract(o.payload, '$.message_id') AS INTEGER)"):
            keys.update({(int(external), t): key for t in row_tokens(key, message_text, case_id, texts)})
        figures.failed_rows = [f"{key}: {error}" for key, error in db.execute(
            "SELECT key, last_error FROM outbox WHERE failed_at IS NOT NULL") if not str(error).startswith("unreach")]
        errors = dict(db.execute("SELECT key, last_error FROM outbox WHERE last_error IS NOT NULL"))
    for uid in REPORTERS:
        for number in receipts[uid]:
            figures.cases_acknowledged += 1
            if cases.get(number) != str(uid):
                figures.cases_lost.append(number)
    figures.cases_doubled = sorted(token for token, ids in texts.items() if token[0] == "K" and len(ids) > 1)
    figures.relays_acknowledged = len(book.relays)
    figures.relays_lost = [(chat, token) for chat, token in book.relays if not copies.get((chat, token))]
    figures.households = len(HOUSEHOLDS)
    figures.broadcast_missing = [uid for uid in HOUSEHOLDS if not copies.get((uid, "BC"))]
    figures.blocked, figures.blocked_unmarked = len(BLOCKED), unmarked
    per_kill: Counter = Counter()
    per_lane: Counter = Counter()
    for (chat, token), seqs in copies.items():
        seqs.sort()
        figures.deliveries += len(seqs)
        key = keys.get((chat, token))
        for before, after in zip(seqs, seqs[1:]):
            figures.repeats += 1
            kill = next((i for i, mark in enumerate(marks) if before <= mark.seq < after and key in mark.held), None)
            if kill is not None:
                per_kill[kill] += 1
                per_lane[(kill, chat)] += 1
            elif "timeout" in str(errors.get(key, "")).lower():
                # The bot gave up waiting for a call that Telegram then carried out (a slow answer, not chaos:
                # a chaos timeout never carries the call out); an at-least-once sender cannot tell.
                figures.repeats_after_timeout += 1
            else:
                figures.repeats_outside_window.append(
                    f"{token} to {chat} (row {key}, last error {errors.get(key)!r}) at seq {before} and {after}")
    figures.most_repeats_in_one_kill = max(per_kill.values(), default=0)
    figures.most_repeats_in_one_chat_in_one_kill = max(per_lane.values(), default=0)


def row_tokens(key: str, message_text: str | None, case_id: int | None, texts: dict[str, set[int]]) -> list[str]:
    """Return the tokens an outbox row's message carries, so that a repeat can be traced to its row."""
    if key.startswith("bc:"):
        return ["BC"]
    if key.startswith("relay:") and message_text:
        return [m.group(0) for m in TOKEN.finditer(message_text)]
    if key.startswith("card:new:") and case_id is not None:
        return [token for token, ids in texts.items() if token[0] == "K" and case_id in ids]
    return []


def dump(figures: Figures) -> str:
    """Return the figures as JSON."""
    return json.dumps(figures.__dict__, ensure_ascii=False, default=str)
