"""Intake and relay through the real bot and the sandbox, against a minimal aiogram echo bot (the floor).

    .venv/bin/python bench/intake_relay.py [--villagers 50] [--reports 1] [--relay 20]
        [--broadcast-rate 25] [--log-level WARNING] [--timeout 120] [--keep]

One process holds the sandbox (`sandbox.server.serve(port=0)`; its state is subclassed only to stamp
each bot message with the moment it is stored) and plays the villagers over the HTTP control API
(one aiohttp session). The bot runs as an operator runs it, in a child process: `python -m bot run`
with BOT_API_BASE pointing at the sandbox and a SQLite file in a temporary directory (demo county
loaded by `python -m bot demo`). The floor is a child process too (this file with --floor-bot):
aiogram's Dispatcher with one handler that answers the text; no middlewares, no database.

1. Intake. U villagers at once, each `--reports` times: /start v_sq01 → /new → category button →
   a text → 下一步 → 显示我的名字 → 提交. Each step waits for the answer the villager needs next (the
   greeting, the category menu, the edit of that menu, 已记下, the name question, the summary, the
   receipt). N = 7 · U · reports updates. Reply latency = from just before the villager's HTTP call to
   the moment the sandbox stored that answer (same process, same clock). updates/s = N / (first call
   → last answer). Also: how long after 提交 the new-case card reaches the cadre (outbox, priority 0).
2. Relay. Each villager sends `--relay` (M) texts as replies to their receipt, one after the other,
   each waiting for the bot's "✓ 已转达" ack. accepted/s = U·M / (first send → last ack). reached/s =
   U·M / (first send → last relay stored in a cadre's chat); its latency is per text, send → stored.
   The relay goes through the outbox, so reached/s is capped by BROADCAST_RATE (the outbox sender's
   rate for all it sends). Each text carries a token:
   every token must reach a staff chat as a relay exactly once, and the database must hold exactly one
   CaseMessage for it (by that villager, in their case), one `message` CaseEvent pointing at it, and
   its relay outbox row sent.
3. Floor. The sandbox is reset (people kept), the echo bot started, and the same U villagers send
   N / U texts each, one after the other, each waiting for the echo. Same measures.

`bot CPU ms/upd` is the bot process's user+system CPU (from /proc) over the phase, per update;
`harness CPU` the share of the phase this process (sandbox + villagers) kept a core busy. Both bots
see the same harness, so ours/floor compares the bots. Traffic goes to 127.0.0.1 only; the temporary
directory is removed unless --keep.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Self

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STEPS_PER_REPORT = 7
STEP_NAMES = ("/start", "/new", "category", "text", "next", "name", "submit")
RELAY_TOKEN = re.compile(r"R(\d+)x(\d+)\b")
REPORT_TOKEN = re.compile(r"V(\d+)n(\d+)\b")
FIRST_VILLAGER = 810_001
# The demo county's villages: --villages N spreads the villagers over the first N. Their cadres for 环境污染:
# sq01 王建国, sq02 李秀英, qh01 and qh02 赵志强 (so 1, 2, 3 and 3 cadres' chats).
VILLAGES = ("sq01", "sq02", "qh01", "qh02")


def log(msg: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The floor: a minimal aiogram echo bot, run as a child process of this script.


def floor_bot(api: str, token: str, log_level: str) -> None:
    import logging

    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def main() -> None:
        bot = Bot(token=token, session=AiohttpSession(api=TelegramAPIServer.from_base(api)))
        dp = Dispatcher()

        @dp.message()
        async def echo(message: Message) -> None:
            await message.answer(message.text or "?")

        await dp.start_polling(bot, allowed_updates=["message"], handle_signals=True)

    asyncio.run(main())


# ---------------------------------------------------------------------------------------------
# The sandbox, with every bot message stamped when stored.


def timed_state_class():
    from sandbox.state import SandboxState

    class TimedState(SandboxState):
        """A SandboxState that remembers when each bot message was stored or changed, per chat."""

        def __init__(self) -> None:
            self.bot_log: dict[int, list[tuple[float, str, dict]]] = defaultdict(list)
            self.waiters: dict[int, asyncio.Event] = {}
            self.relayed: dict[str, list[float]] = defaultdict(list)  # relay token -> when it reached staff
            self.in_cards: Counter = Counter()  # relay token -> case cards that listed it
            self.cards: dict[str, list[float]] = defaultdict(list)  # report token -> when its card arrived
            super().__init__()

        def _seen(self, chat_id: int, kind: str, view: dict) -> None:
            now = time.perf_counter()
            self.bot_log[chat_id].append((now, kind, view))
            if chat_id < FIRST_VILLAGER and kind == "message":  # staff chats
                text = text_of(view)
                if text.startswith("【"):  # a relayed message: 【number】who：text
                    for match in RELAY_TOKEN.finditer(text):
                        self.relayed[match.group(0)].append(now)
                elif text.startswith("🆕"):  # a new-case card
                    for match in REPORT_TOKEN.finditer(text):
                        self.cards[match.group(0)].append(now)
                    for match in RELAY_TOKEN.finditer(text):
                        self.in_cards[match.group(0)] += 1
            event = self.waiters.get(chat_id)
            if event is not None:
                event.set()

        def add_message(self, chat_id, message, from_bot, keyboard=None):
            entry = super().add_message(chat_id, message, from_bot, keyboard)
            if from_bot:
                self._seen(chat_id, "message", entry.view())
            return entry

        def change_message(self, chat_id, entry, kind):
            super().change_message(chat_id, entry, kind)
            if entry.from_bot:
                self._seen(chat_id, kind, entry.view())

        def reset(self, keep_users: bool = False) -> None:
            super().reset(keep_users)
            if hasattr(self, "bot_log"):
                for store in (self.bot_log, self.relayed, self.in_cards, self.cards):
                    store.clear()

        async def wait_bot(self, chat_id: int, cursor: int, pick, timeout: float) -> tuple[float, dict, int]:
            """Return (stored at, message view, new cursor) of the first bot message after cursor that matches."""
            deadline = time.monotonic() + timeout
            while True:
                entries = self.bot_log[chat_id]
                for i in range(cursor, len(entries)):
                    t, kind, view = entries[i]
                    if pick(kind, view):
                        return t, view, i + 1
                cursor = len(entries)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    texts = [(k, text_of(v)[:60]) for _, k, v in entries[-5:]]
                    raise TimeoutError(f"chat {chat_id}: no matching bot message within {timeout}s; last: {texts}")
                event = self.waiters.setdefault(chat_id, asyncio.Event())
                event.clear()
                try:
                    await asyncio.wait_for(event.wait(), remaining)
                except TimeoutError:
                    pass

    return TimedState


def text_of(view: dict) -> str:
    return view.get("text") or view.get("caption") or ""


def new_msg(contains: str):
    return lambda kind, view: kind == "message" and contains in text_of(view)


def edit_of(message_id: int, contains: str):
    return lambda kind, view: kind == "edit" and view["message_id"] == message_id and contains in text_of(view)


# ---------------------------------------------------------------------------------------------
# Child processes


def rss_mib(pid: int | None) -> float:
    """Return a process's resident memory now, in MiB (from /proc)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return float("nan")


def cpu_seconds(pid: int | None) -> float:
    """Return a process's user + system CPU seconds so far (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, TypeError):
        return float("nan")


class Child:
    """A bot in a child process, polling the sandbox."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], logfile: Path) -> None:
        self.name, self.argv, self.env, self.logfile = name, argv, env, logfile
        self.process: asyncio.subprocess.Process | None = None
        self.first_poll = self.idle_rss_mib = float("nan")

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    async def start(self, state, timeout: float = 60.0) -> None:
        before = sum(1 for c in state.calls if c["method"] == "getUpdates")
        t0 = time.perf_counter()
        with self.logfile.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(*self.argv, cwd=ROOT, env=self.env,
                                                                stdout=out, stderr=out)
        deadline = time.monotonic() + timeout
        while sum(1 for c in state.calls if c["method"] == "getUpdates") <= before:
            if self.process.returncode is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start polling within {timeout}s:\n{self.tail()}")
            await asyncio.sleep(0.02)
        self.first_poll = time.perf_counter() - t0
        await asyncio.sleep(0.5)  # let it finish starting (set_my_commands, scheduler) before measuring
        self.idle_rss_mib = rss_mib(self.pid)

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), timeout=20)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()

    def tail(self, chars: int = 3000) -> str:
        return self.logfile.read_text(errors="replace")[-chars:] if self.logfile.exists() else ""


def child_env(base_url: str, database: Path, extra: dict[str, str]) -> dict[str, str]:
    from bot.sandbox_run import SANDBOX_TOKEN

    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_", "REDIS_"))}
    # A load test sends each villager far past FLOOD_LIMIT on purpose.
    env.update(BOT_TOKEN=SANDBOX_TOKEN, BOT_API_BASE=base_url, DATABASE_URL=f"sqlite:///{database}",
               PYTHONUNBUFFERED="1", FLOOD_LIMIT="off", **extra)
    return env


async def run_command(env: dict[str, str], *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", *args, cwd=ROOT, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"python -m bot {' '.join(args)} failed:\n{out.decode()}")
    return out.decode()


# ---------------------------------------------------------------------------------------------
# Villagers


class Control:
    """The control API over one aiohttp session (httpx's pool costs O(connections) per request at 50 at once)."""

    def __init__(self, base_url: str, connections: int) -> None:
        import aiohttp

        self.base_url = base_url
        # uvicorn closes a connection idle for 5 s; one kept longer here could be reused just as it closes
        # (a reset mid-run). Let them go first.
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections, keepalive_timeout=3))

    async def request(self, method: str, path: str, json: dict | None = None):
        async with self.http.request(method, f"{self.base_url}/sandbox{path}", json=json) as response:
            if response.status >= 400:
                raise AssertionError(f"{method} /sandbox{path} answered {response.status}: {await response.text()}")
            return await response.json()

    async def aclose(self) -> None:
        await self.http.close()


class Schedule:
    """Give each villager fixed send times, `rate` updates/s in all: an open loop.

    Every villager steps every U / rate seconds. Staggered (the default), villager i starts i · 7 / rate
    seconds after the first, so once all have started they are spread evenly over the seven steps of a
    report: the mix a county sends. Lockstep (`--open-lockstep`), villager i starts i / rate after the
    first, so all are at the same step at once: for half a second every update is a 提交. The offered
    load does not slow down when answers do; a step sent more than one interval (1 / rate) after its time,
    because its villager was still waiting for the previous answer, counts as late.
    """

    def __init__(self, rate: float, villagers: int, lockstep: bool = False) -> None:
        self.interval = 1.0 / rate
        self.period = villagers / rate
        self.spread = (1 if lockstep else STEPS_PER_REPORT) * self.interval
        self.start = 0.0
        self.late = 0
        self.sent = 0

    def pace(self, villagers: list[Villager]) -> None:
        """Start the clock and give every villager its own send times."""
        self.start = time.perf_counter() + 0.05
        for i, v in enumerate(villagers):
            v.pacer = Slots(self, self.start + i * self.spread)

    def steady_latencies(self, villagers: list[Villager], steps: int) -> tuple[float, list[float]]:
        """Return how long every villager had started and none had finished, and the latencies of that part."""
        first, last = self.start + (len(villagers) - 1) * self.spread, self.start + steps * self.period
        return last - first, [lat for v in villagers for lat, t in zip(v.latencies, v.sent_at) if first <= t < last]


class Slots:
    """One villager's send times in a Schedule: its first, then one every period."""

    def __init__(self, schedule: Schedule, first: float) -> None:
        self.schedule, self.next = schedule, first

    async def slot(self) -> None:
        schedule, at = self.schedule, self.next
        self.next += schedule.period
        now = time.perf_counter()
        if at > now:
            await asyncio.sleep(at - now)
        elif now - at > schedule.interval:
            schedule.late += 1
        schedule.sent += 1


class Villager:
    def __init__(self, client: Control, state, uid: int, timeout: float, village: str = "sq01") -> None:
        self.client, self.state, self.uid, self.timeout = client, state, uid, timeout
        self.village = village
        self.pacer: Slots | None = None  # its send times in the open loop
        self.cursor = 0
        self.latencies: list[float] = []
        self.sent_at: list[float] = []  # when each step of `latencies` was sent
        self.receipt_id: int | None = None
        self.submitted: dict[str, float] = {}  # report token -> when 提交 was pressed
        self.relay_sent: dict[str, float] = {}  # relay token -> when it was sent

    async def step(self, action, pick) -> dict:
        """Do one thing over HTTP, wait for the bot's answer, and note the latency."""
        self.cursor = len(self.state.bot_log[self.uid])
        if self.pacer is not None:
            await self.pacer.slot()
        t0 = time.perf_counter()
        self.sent_at.append(t0)
        await action()
        t, view, self.cursor = await self.state.wait_bot(self.uid, self.cursor, pick, self.timeout)
        self.latencies.append(t - t0)
        return view

    def say(self, text: str, reply_to: int | None = None):
        body = {"text": text} | ({"reply_to_message_id": reply_to} if reply_to else {})
        return lambda: self.client.request("POST", f"/users/{self.uid}/send", json=body)

    def press(self, message_id: int, button: str):
        return lambda: self.client.request("POST", f"/users/{self.uid}/press",
                                           json={"message_id": message_id, "text": button})

    async def report(self, n: int) -> None:
        token = f"V{self.uid}n{n}"
        await self.step(self.say(f"/start v_{self.village}"), new_msg("有什么需要帮忙"))
        menu = await self.step(self.say("/new"), new_msg("反映什么问题"))
        await self.step(self.press(menu["message_id"], "环境污染"), edit_of(menu["message_id"], "请说说情况"))
        noted = await self.step(self.say(f"村口的河被排污染黑了 {token}"), new_msg("已记下"))
        question = await self.step(self.press(noted["message_id"], "下一步"), new_msg("名字"))
        summary = await self.step(self.press(question["message_id"], "显示我的名字"), new_msg("请核对"))
        receipt = await self.step(self.press(summary["message_id"], "提交"), new_msg("案件编号"))
        self.submitted[token] = self.sent_at[-1]  # when 提交 was pressed, after any wait for its slot
        self.receipt_id = receipt["message_id"]

    async def relay(self, count: int) -> None:
        for j in range(count):
            token = f"R{self.uid}x{j}"
            self.relay_sent[token] = time.perf_counter()
            await self.step(self.say(f"{token} 补充情况：今天又排了一次", reply_to=self.receipt_id), new_msg("已转达"))

    async def echo(self, count: int) -> None:
        for j in range(count):
            token = f"E{self.uid}x{j}"
            await self.step(self.say(f"{token} 你好"), new_msg(token))


# ---------------------------------------------------------------------------------------------
# Measures


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


class Phase:
    """Wall time, the bot's CPU and the harness's CPU over one phase."""

    def __init__(self, child: Child) -> None:
        self.child = child

    def __enter__(self) -> Self:
        self.t0, self.cpu0, self.bot0 = time.perf_counter(), time.process_time(), cpu_seconds(self.child.pid)
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self.t0
        self.harness = (time.process_time() - self.cpu0) / self.wall
        self.bot = cpu_seconds(self.child.pid) - self.bot0


def row(name: str, count: int, wall: float, latencies: list[float], bot_cpu: float = float("nan"),
        harness: float = float("nan")) -> dict:
    return {"name": name, "count": count, "wall": wall, "rate": count / wall if wall > 0 else float("nan"),
            "p50": pct(latencies, 50) * 1000, "p95": pct(latencies, 95) * 1000,
            "max": max(latencies, default=float("nan")) * 1000, "cpu": bot_cpu / count * 1000 if count else 0,
            "harness": harness}


def fmt(value: float, spec: str) -> str:
    return "" if math.isnan(value) else format(value, spec)  # NaN -> empty cell


async def run_all(villagers: list[Villager], job) -> None:
    for v in villagers:
        v.latencies, v.sent_at = [], []
    await asyncio.gather(*(job(v) for v in villagers))


# ---------------------------------------------------------------------------------------------
# The database check of the relay


def check_database(path: Path, expected: set[str]) -> dict:
    """Every relayed token: one CaseMessage by its villager in their case, one `message` event, one sent relay row."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        messages = db.execute(
            "SELECT m.id, m.text, m.case_id, p.external_id, c.reporter_id = m.author_id "
            "FROM case_messages m JOIN people p ON p.id = m.author_id JOIN cases c ON c.id = m.case_id "
            "WHERE m.text LIKE 'R%x%'").fetchall()
        events = db.execute("SELECT case_id, data FROM case_events WHERE kind = 'message'").fetchall()
        relay_rows = db.execute("SELECT payload, sent_at IS NOT NULL FROM outbox WHERE key LIKE 'relay:%'").fetchall()
    finally:
        db.close()
    tokens: Counter = Counter()
    wrong_author = 0
    message_case: dict[int, int] = {}
    for mid, text, case_id, external_id, by_reporter in messages:
        match = RELAY_TOKEN.match(text or "")
        if match is None:
            continue
        tokens[match.group(0)] += 1
        message_case[mid] = case_id
        if match.group(1) != external_id or not by_reporter:
            wrong_author += 1
    event_for: Counter = Counter()
    for case_id, data in events:
        mid = json.loads(data).get("message_id")
        if message_case.get(mid) == case_id:
            event_for[mid] += 1
    sent_for: Counter = Counter()
    for payload, sent in relay_rows:
        mid = json.loads(payload).get("message_id")
        if mid in message_case and sent:
            sent_for[mid] += 1
    return {
        "rows": sum(tokens[t] for t in expected),
        "missing": len(expected - set(tokens)),
        "duplicated": sum(1 for t in expected if tokens[t] > 1),
        "wrong_author": wrong_author,
        "with_event": sum(1 for mid in message_case if event_for[mid] == 1),
        "relay_sent": sum(1 for mid in message_case if sent_for[mid] == 1),
    }


# ---------------------------------------------------------------------------------------------
# The run


async def run(args: argparse.Namespace, workdir: Path) -> int:
    from bot.sandbox_run import register_people
    from sandbox.server import serve

    state = timed_state_class()()
    sandbox = await serve(port=0, state=state)
    client = Control(sandbox.base_url, args.villagers + 10)
    database = workdir / "bench.db"
    ours = floor = None
    rows: list[dict] = []
    try:
        await register_people(sandbox.base_url)  # the demo county's staff, started
        uids = [FIRST_VILLAGER + i for i in range(args.villagers)]
        await asyncio.gather(*(client.request("POST", "/users", {"id": uid, "first_name": f"村民{uid}"})
                               for uid in uids))
        env = child_env(sandbox.base_url, database, {"LOG_LEVEL": args.log_level,
                                                     "BROADCAST_RATE": f"{args.broadcast_rate:g}"})
        log("python -m bot demo")
        await run_command(env, "demo")
        ours = Child("python -m bot run", [sys.executable, "-m", "bot", "run"], env, workdir / "bot.log")
        await ours.start(state)
        villagers = [Villager(client, state, uid, args.timeout, VILLAGES[i % args.villages_spread])
                     for i, uid in enumerate(uids)]
        n_updates = STEPS_PER_REPORT * args.reports * len(villagers)

        log(f"intake: {args.villagers} villagers x {args.reports} report(s) = {n_updates} updates")

        async def intake(v: Villager) -> None:
            for n in range(args.reports):
                await v.report(n)

        with Phase(ours) as phase:
            await run_all(villagers, intake)
        rows.append(row("ours: intake steps", n_updates, phase.wall, [x for v in villagers for x in v.latencies],
                        phase.bot, phase.harness))
        # The new-case cards go through the outbox; give the last ones time to arrive.
        submitted = {tok: t for v in villagers for tok, t in v.submitted.items()}
        deadline = time.monotonic() + args.timeout
        while not submitted.keys() <= state.cards.keys() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        card_delays = [state.cards[tok][0] - t for tok, t in submitted.items() if state.cards.get(tok)]
        card_count = sum(len(state.cards.get(tok, ())) for tok in submitted)

        open_ours = open_steps = None
        open_cards: list[float] = []
        open_submitted: dict[str, float] = {}
        if args.open_rate:
            mode = "lockstep" if args.open_lockstep else "staggered"
            log(f"intake, open loop: {args.open_rate:g} updates/s offered, {mode}, {args.open_reports} report(s) each")
            pacer = Schedule(args.open_rate, len(villagers), args.open_lockstep)
            pacer.pace(villagers)

            async def open_reports(v: Villager) -> None:
                for n in range(args.reports, args.reports + args.open_reports):
                    await v.report(n)

            with Phase(ours) as phase:
                await run_all(villagers, open_reports)
            for v in villagers:
                v.pacer = None
            open_ours = pacer
            span, steady = pacer.steady_latencies(villagers, STEPS_PER_REPORT * args.open_reports)
            rows.append(row(f"ours: intake steps, {args.open_rate:g}/s offered ({mode})", pacer.sent, phase.wall,
                            [x for v in villagers for x in v.latencies], phase.bot, phase.harness))
            rows.append(row(f"ours: the same, steady part ({span:.1f} s)", len(steady), span, steady))
            by_step = [[lat for v in villagers for j, lat in enumerate(v.latencies) if j % STEPS_PER_REPORT == i]
                       for i in range(STEPS_PER_REPORT)]
            open_steps = ", ".join(f"{name} {pct(lat, 50) * 1000:.0f}/{pct(lat, 95) * 1000:.0f}"
                                   for name, lat in zip(STEP_NAMES, by_step))
            open_submitted = {tok: t for v in villagers for tok, t in v.submitted.items()
                              if int(REPORT_TOKEN.search(tok).group(2)) >= args.reports}
            deadline = time.monotonic() + args.timeout
            while not open_submitted.keys() <= state.cards.keys() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            open_cards = [state.cards[tok][0] - t for tok, t in open_submitted.items() if state.cards.get(tok)]

        log(f"relay: {args.relay} replies per villager")
        expected = {f"R{v.uid}x{j}" for v in villagers for j in range(args.relay)}
        with Phase(ours) as accepted:
            await run_all(villagers, lambda v: v.relay(args.relay))
        with Phase(ours) as reached:
            deadline = time.monotonic() + args.timeout
            while not expected <= state.relayed.keys() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        arrived = expected & state.relayed.keys()
        sent = {tok: t for v in villagers for tok, t in v.relay_sent.items()}
        first_send = min(sent.values())
        last_arrival = max((state.relayed[tok][0] for tok in arrived), default=first_send)
        relay_lat = [state.relayed[tok][0] - sent[tok] for tok in arrived]
        rows.append(row("ours: relay accepted (ack)", len(expected), accepted.wall,
                        [x for v in villagers for x in v.latencies], accepted.bot, accepted.harness))
        rows.append(row("ours: relay reached the cadre", len(arrived), last_arrival - first_send, relay_lat,
                        accepted.bot + reached.bot,
                        (accepted.harness * accepted.wall + reached.harness * reached.wall)
                        / (accepted.wall + reached.wall)))
        relayed_twice = sum(1 for tok in arrived if len(state.relayed[tok]) > 1)
        in_cards = sum(1 for tok in expected if state.in_cards[tok])
        refusals_ours = len(state.refusals)
        await ours.stop()
        db = check_database(database, expected)

        log("floor: minimal aiogram echo bot")
        state.reset(keep_users=True)
        floor = Child("echo bot", [sys.executable, str(Path(__file__).resolve()), "--floor-bot", sandbox.base_url,
                                   "--log-level", args.log_level], env, workdir / "floor.log")
        await floor.start(state)
        per_villager = STEPS_PER_REPORT * args.reports
        with Phase(floor) as phase:
            await run_all(villagers, lambda v: v.echo(per_villager))
        rows.append(row("floor: aiogram echo bot", per_villager * len(villagers), phase.wall,
                        [x for v in villagers for x in v.latencies], phase.bot, phase.harness))
        open_floor = None
        if args.open_rate:
            pacer = Schedule(args.open_rate, len(villagers), args.open_lockstep)
            pacer.pace(villagers)
            with Phase(floor) as phase:
                await run_all(villagers, lambda v: v.echo(STEPS_PER_REPORT * args.open_reports))
            open_floor = pacer
            span, steady = pacer.steady_latencies(villagers, STEPS_PER_REPORT * args.open_reports)
            rows.append(row(f"floor: echo, {args.open_rate:g}/s offered", pacer.sent, phase.wall,
                            [x for v in villagers for x in v.latencies], phase.bot, phase.harness))
            rows.append(row("floor: the same, steady part", len(steady), span, steady))
        await floor.stop()
        refusals_floor = len(state.refusals)
    except BaseException:
        for child in (ours, floor):
            if child is not None:
                await child.stop()
                print(f"--- {child.name} log tail ---\n{child.tail()}", file=sys.stderr)
        raise
    finally:
        await client.aclose()
        await sandbox.stop()

    ours_row = rows[0]
    floor_row = next(r for r in rows if r["name"] == "floor: aiogram echo bot")
    print()
    print(f"intake + relay: {args.villagers} villagers in {args.villages_spread} village(s); N = {n_updates} intake updates ({STEPS_PER_REPORT} steps x "
          f"{args.reports} report(s) each); relay {args.relay} replies each ({len(expected)}); ours = `python -m bot "
          f"run` (child process, SQLite, BROADCAST_RATE={args.broadcast_rate:g}, LOG_LEVEL={args.log_level}); "
          f"{os.cpu_count()} CPUs")
    print()
    print("| measure | count | wall s | per s | p50 ms | p95 ms | max ms | bot CPU ms/upd | harness CPU |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['name']} | {r['count']:,} | {r['wall']:.2f} | {r['rate']:.1f} | {fmt(r['p50'], '.0f')} "
              f"| {fmt(r['p95'], '.0f')} | {fmt(r['max'], '.0f')} | {fmt(r['cpu'], '.1f')} "
              f"| {fmt(r['harness'] * 100, '.0f')}% |")
    print()
    print(f"ours/floor: updates/s {ours_row['rate'] / floor_row['rate']:.2f}; p95 latency "
          f"{ours_row['p95'] / floor_row['p95']:.1f}x; bot CPU per update {ours_row['cpu'] / floor_row['cpu']:.1f}x")
    if open_ours is not None:
        print(f"open loop at {args.open_rate:g}/s: late sends (no villager ready within one interval) ours "
              f"{open_ours.late}/{open_ours.sent}, floor {open_floor.late}/{open_floor.sent}; ours p50/p95 ms by "
              f"step: {open_steps}")
        print(f"new-case cards after 提交 in the open loop: {len(open_cards)}/{len(open_submitted)} arrived, "
              f"p50 {fmt(pct(open_cards, 50) * 1000, '.0f')} ms, p95 {fmt(pct(open_cards, 95) * 1000, '.0f')} ms, "
              f"max {fmt(max(open_cards, default=float('nan')) * 1000, '.0f')} ms")
    print(f"new-case cards (outbox) after 提交, closed-loop burst: {len(card_delays)}/{len(submitted)} arrived ({card_count} cards), "
          f"p50 {fmt(pct(card_delays, 50) * 1000, '.0f')} ms, p95 {fmt(pct(card_delays, 95) * 1000, '.0f')} ms, "
          f"max {fmt(max(card_delays, default=float('nan')) * 1000, '.0f')} ms")
    print(f"relay: {len(arrived)}/{len(expected)} texts reached a staff chat as a relay, {relayed_twice} more than "
          f"once; {in_cards} were also listed inside a new-case card sent after them")
    print(f"relay in the DB: {db['rows']}/{len(expected)} CaseMessage rows (missing {db['missing']}, duplicated "
          f"{db['duplicated']}, wrong author/case {db['wrong_author']}), {db['with_event']} with one `message` "
          f"CaseEvent, {db['relay_sent']} with their relay outbox row sent")
    print(f"refused Bot API calls: ours {refusals_ours}, floor {refusals_floor}")
    print(f"start: ours first getUpdates {ours.first_poll:.2f} s after exec, RSS {ours.idle_rss_mib:.0f} MiB "
          f"before the first update; floor {floor.first_poll:.2f} s, {floor.idle_rss_mib:.0f} MiB")
    ok = (len(arrived) == len(expected) and relayed_twice == 0 and db["rows"] == len(expected)
          and db["missing"] == db["duplicated"] == db["wrong_author"] == 0
          and db["with_event"] == db["relay_sent"] == len(expected))
    if not ok:
        print("RELAY CHECK FAILED")
    return 0 if ok else 1


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--floor-bot":
        p = argparse.ArgumentParser()
        p.add_argument("--floor-bot", dest="api", required=True)
        p.add_argument("--log-level", default="WARNING")
        a = p.parse_args()
        from bot.sandbox_run import SANDBOX_TOKEN

        floor_bot(a.api, SANDBOX_TOKEN, a.log_level)
        return
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--villagers", "-U", type=int, default=50, help="villagers at once (default 50)")
    p.add_argument("--reports", type=int, default=1, help="intakes per villager, 7 updates each (default 1)")
    p.add_argument("--relay", "-M", type=int, default=20, help="relayed replies per villager (default 20)")
    p.add_argument("--broadcast-rate", type=float, default=25.0,
                   help="the bot's BROADCAST_RATE: the outbox sender's messages per second (default 25)")
    p.add_argument("--log-level", default="WARNING", help="LOG_LEVEL of both bots (default WARNING)")
    p.add_argument("--open-rate", type=float, default=100.0,
                   help="updates/s offered in the open-loop intake phase, for both bots (default 100; 0 skips)")
    p.add_argument("--villages", dest="villages_spread", type=int, default=1, choices=range(1, len(VILLAGES) + 1),
                   help="spread the villagers over this many demo villages (default 1: every card and relay goes "
                        "to 王建国's one chat, whose messages keep their order, one at a time)")
    p.add_argument("--open-reports", type=int, default=3,
                   help="reports per villager in the open loop (default 3; the echo floor sends as many updates)")
    p.add_argument("--open-lockstep", action="store_true",
                   help="start the villagers together in the open loop instead of spread over a report's steps")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for any one answer")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (database, bot logs)")
    args = p.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench_intake_")
    try:
        code = asyncio.run(run(args, Path(tmp)))
    finally:
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
