"""Broadcasts through the sandbox at several send rates, with and without injected 429s.

    .venv/bin/python bench/broadcast.py [--rates 25,100,300,1000] [--seconds 10] [--max-recipients 10000]
        [--repeat 1] [--only plain|429] [--limit auto|N] [--retry-after 1] [--probes 3]
        [--concurrency 16] [--sandbox child|inproc] [--database-url URL] [--timeout 600]

The sandbox runs as a child process by default (`--sandbox child`: this script with `--serve-sandbox`,
i.e. `sandbox.server.create_app` around a state subclassed only to count and stamp the bot's messages,
plus a small /bench control route), so that the sender has this process to itself and the two can use
both cores; `--sandbox inproc` serves it in this process and event loop instead. The bot's side is
`bot.app.build_app` with BOT_API_BASE = the sandbox, on an SQLite file in a temporary directory (or
`--database-url`, whose public schema is dropped), schema by the Alembic migrations, the demo county by
`bot.demo.load_demo`; the villagers are bulk-inserted (role villager, external_id, village and township
round-robin over the four demo villages) and registered in the sandbox as having started the bot.

Each run subscribes the first N villagers (N = rate x --seconds, at most --max-recipients), records a
broadcast to the county (`services.broadcasts.create_broadcast`), fans it out (`fan_out_due`: one
priority-9 outbox row per subscribed villager) and runs `OutboxSender.run()` (rate, --concurrency) until
every recipient has the message and the outbox holds nothing queued, then `stop()`.

* achieved/s = delivered / (sender start -> last broadcast message stored by the sandbox); share = / rate.
* duplicates / losses: the bot's messages carrying the run's text per villager chat, counted in the
  sandbox (messages beyond the first / villagers without one), cross-checked against the sandbox's call
  log (successful sendMessage calls per chat) and the outbox counts (`broadcasts.counts`).
* card delay: at --probes points spread over the broadcast a sq01 villager files a case
  (`services.intake.submit_case`; the card to cadre 王建国 is a priority-0 outbox row), the sender is
  poked as the bot's commit hook does, and the time from that commit to the card stored in the cadre's
  chat is measured (both processes stamp with CLOCK_MONOTONIC).
* sender CPU ms/msg: this process's CPU time over the run / delivered (the sender, plus the harness's
  polling); sandbox CPU ms/call: the child's CPU time (from /proc) / calls it answered.
* 429 run (at the highest rate): the sandbox's fault `rate_limit: {sendMessage: L}` with `retry_after`.
  `--limit auto` sets L to 75% of what the fault-free run at that rate achieved, at most 150/s, so that
  429s are really answered.

Exit status 1 on a duplicate, a loss, or a probe card that never came. Traffic goes to 127.0.0.1 only.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST_VILLAGER = 5_000_001
CADRE = 2001  # 王建国, default cadre of sq01: owner of the probe cases (category environment)


def log(msg: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# -- the sandbox side ----------------------------------------------------------------------------------------

def counting_app():
    """Return the sandbox app around a state that counts marked bot messages per chat, with a /bench route."""
    from fastapi import APIRouter

    from sandbox.server import create_app
    from sandbox.state import Person as SandboxPerson
    from sandbox.state import SandboxState

    class CountingState(SandboxState):
        """A SandboxState that counts the bot's messages carrying a marker, per chat, and stamps them."""

        def __init__(self) -> None:
            self.marker: str | None = None
            self.per_chat: Counter = Counter()
            self.last_at = 0.0
            self.staff_log: list[tuple[float, int, str]] = []  # (stored at, chat, text) of staff chats
            super().__init__()

        def add_message(self, chat_id, message, from_bot, keyboard=None):
            entry = super().add_message(chat_id, message, from_bot, keyboard)
            if from_bot:
                now = time.perf_counter()
                text = message.get("text") or ""
                if self.marker and self.marker in text:
                    self.per_chat[chat_id] += 1
                    self.last_at = now
                if chat_id < FIRST_VILLAGER:
                    self.staff_log.append((now, chat_id, text))
            return entry

    state = CountingState()
    router = APIRouter(prefix="/bench")

    @router.post("/people")
    async def people(body: dict) -> dict:
        for uid in body["ids"]:
            person = state.people.get(uid)
            if person is None:
                state.people[uid] = SandboxPerson(id=uid, first_name=f"村民{uid}", started=True)
            else:
                person.started = True
        return {"people": len(state.people)}

    @router.post("/run")
    async def start_run(body: dict) -> dict:
        # Not state.reset(): Telegram never reuses a chat's message ids, and the bot keeps links to them.
        state.calls.clear()
        state.refusals.clear()
        state.events.clear()
        state.marker = body["marker"]
        state.per_chat.clear()
        state.staff_log.clear()
        state.last_at = 0.0
        return {"ok": True}

    @router.get("/tally")
    async def tally() -> dict:
        return {"delivered": len(state.per_chat), "last_at": state.last_at, "staff": state.staff_log}

    @router.get("/result")
    async def result() -> dict:
        calls = [c for c in state.calls if c["method"] == "sendMessage"]
        ok_calls = Counter(c["params"].get("chat_id") for c in calls
                           if c["status"] == 200 and state.marker in str(c["params"].get("text", "")))
        return {"per_chat": list(state.per_chat.items()), "ok_calls": list(ok_calls.items()),
                "log_complete": len(state.calls) < state.calls.maxlen, "calls": len(state.calls),
                "too_many": sum(1 for c in calls if c["status"] == 429), "refusals": len(state.refusals),
                "last_at": state.last_at}

    app = create_app(state)
    app.include_router(router)
    return app, state


def serve_sandbox_child() -> None:
    """Serve the counting sandbox on a free port of 127.0.0.1; print the port; run until killed."""
    import uvicorn

    from sandbox.server import listening_socket

    logging.basicConfig(level=logging.WARNING)
    app, _ = counting_app()
    sock = listening_socket("127.0.0.1", 0)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")).run(sockets=[sock])


def cpu_seconds(pid: int) -> float:
    """Return a process's user + system CPU time."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Sandbox:
    """The counting sandbox, in a child process or in this event loop, reached over HTTP either way."""

    def __init__(self, mode: str):
        self.mode = mode
        self.proc: subprocess.Popen | None = None
        self.running = None
        self.base_url = ""
        self.http = None

    async def start(self) -> None:
        import aiohttp

        if self.mode == "child":
            self.proc = subprocess.Popen([sys.executable, __file__, "--serve-sandbox"], stdout=subprocess.PIPE,
                                         cwd=ROOT)
            line = await asyncio.get_running_loop().run_in_executor(None, self.proc.stdout.readline)
            self.base_url = f"http://127.0.0.1:{int(line.split()[1])}"
        else:
            from sandbox.server import serve

            app, state = counting_app()
            self.running = await serve(port=0, state=state)
            self.base_url = self.running.base_url
        self.http = aiohttp.ClientSession()

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid) if self.proc else 0.0

    async def call(self, method: str, path: str, body: dict | None = None) -> dict:
        async with self.http.request(method, self.base_url + path, json=body) as response:
            response.raise_for_status()
            return await response.json()

    async def stop(self) -> None:
        if self.http:
            await self.http.close()
        if self.proc:
            self.proc.terminate()
            self.proc.wait(10)
        if self.running:
            await self.running.stop()


# -- the bot side --------------------------------------------------------------------------------------------

@dataclass
class Result:
    label: str
    rate: float
    recipients: int
    queued: int
    limit: int | None
    wall: float = 0.0
    delivered: int = 0
    duplicates: int = 0
    losses: int = 0
    log_duplicates: int = 0
    log_losses: int = 0
    log_complete: bool = True
    db: tuple = ()
    too_many: int = 0
    refusals: int = 0
    sender_cpu: float = 0.0
    sandbox_cpu: float = 0.0
    calls: int = 0
    probes: list[tuple[float, float | None]] = field(default_factory=list)  # (at fraction, delay s)

    @property
    def achieved(self) -> float:
        return self.delivered / self.wall if self.wall > 0 else float("nan")

    @property
    def ok(self) -> bool:
        return (self.duplicates == 0 and self.losses == 0 and all(d is not None for _, d in self.probes)
                and self.log_duplicates == 0 and self.log_losses == 0 and self.db[0] == 0
                and self.db[1] == self.recipients)


async def setup_database(sessionmaker, recipients: int) -> None:
    from sqlalchemy import insert, select

    from bot.app import utc_now
    from bot.demo import load_demo
    from models import Person, Village
    from models.enums import Role

    now = utc_now()
    async with sessionmaker() as session:
        await load_demo(session, now)
        # sq01 first: villager i lives in villages[i % 4], so every fourth from the first is in sq01.
        villages = (await session.execute(select(Village.id, Village.township_id)
                                          .order_by(Village.code != "sq01", Village.code))).all()
        rows = [{"name": f"村民{FIRST_VILLAGER + i}", "role": Role.villager, "channel": "telegram",
                 "external_id": str(FIRST_VILLAGER + i), "language": "zh_CN", "village_id": villages[i % 4][0],
                 "township_id": villages[i % 4][1], "subscribed": False, "active": True, "created_at": now}
                for i in range(recipients)]
        for start in range(0, len(rows), 5000):
            await session.execute(insert(Person), rows[start:start + 5000])
        await session.commit()


async def subscribe_first(sessionmaker, count: int) -> None:
    """Subscribe the first `count` bench villagers to routine broadcasts and nobody else."""
    from sqlalchemy import case, update

    from models import Person
    from models.enums import Role

    async with sessionmaker() as session:
        last = str(FIRST_VILLAGER + count - 1)
        await session.execute(update(Person).where(Person.role == Role.villager).values(
            subscribed=case((Person.external_id.between(str(FIRST_VILLAGER), last), True), else_=False)))
        await session.commit()


async def probe(app, reporter_external_id: str, token: str) -> float:
    """File a case for one villager; return the moment its outbox row (the cadre's card) was committed."""
    from sqlalchemy import select

    from models import Person
    from models.enums import MessageKind
    from services.intake import Part, submit_case

    async with app.sessionmaker() as session:
        reporter = await session.scalar(select(Person).where(Person.external_id == reporter_external_id))
        await submit_case(session, app.config, reporter=reporter, category_code="environment",
                          parts=[Part(MessageKind.text, text=f"{token} 村口路灯坏了")], anonymous=False,
                          now=app.clock())
    return time.perf_counter()


async def one_run(app, sandbox: Sandbox, args, label: str, rate: float, recipients: int,
                  limit: int | None) -> Result:
    from bot.delivery import OutboxSender
    from services.broadcasts import counts, create_broadcast, fan_out_due

    marker = f"BENCH-{label}-{time.time_ns()}"
    await subscribe_first(app.sessionmaker, recipients)
    await sandbox.call("POST", "/bench/run", {"marker": marker})
    await sandbox.call("POST", "/sandbox/faults", {"clear": True})
    if limit:
        await sandbox.call("POST", "/sandbox/faults",
                           {"rate_limit": {"sendMessage": limit}, "retry_after": args.retry_after})
    async with app.sessionmaker() as session:
        broadcast = await create_broadcast(session, app.config, by=None, audience="county", now=app.clock(),
                                           text=f"{marker} 明天上午九点村委会开会，请各户派代表参加。")
        queued = await fan_out_due(session, app.config, app.clock())
    result = Result(label, rate, recipients, queued, limit)
    log(f"{label}: broadcast #{broadcast.id}, {queued} rows queued; sending at {rate:g}/s"
        + (f", sandbox limit {limit}/s, retry_after {args.retry_after}" if limit else ""))

    sender = OutboxSender(app.bot, app.sessionmaker, app.sender.renderer, app.clock, rate=rate,
                          concurrency=args.concurrency)
    probe_at = [(i + 1) / (args.probes + 1) for i in range(args.probes)]
    # Villagers of sq01 (every fourth from the first, see setup_database): the probe reporters.
    reporters = [str(FIRST_VILLAGER + 4 * i) for i in range(args.probes)]
    pending: list[tuple[float, str, float]] = []  # (fraction, token, committed at)
    t0, cpu0, sandbox_cpu0 = time.perf_counter(), time.process_time(), sandbox.cpu()
    task = asyncio.create_task(sender.run(), name="bench-outbox")
    staff: list = []
    try:
        deadline = time.monotonic() + args.timeout
        last_progress, last_count = time.monotonic(), -1
        while True:
            tally = await sandbox.call("GET", "/bench/tally")
            delivered, staff = tally["delivered"], tally["staff"]
            while probe_at and delivered >= probe_at[0] * recipients:
                fraction = probe_at.pop(0)
                token = f"PROBE-{label}-{len(pending)}-{time.time_ns()}"
                committed = await probe(app, reporters[len(pending)], token)
                sender.wakeup.set()  # what the bot's on_commit hook does
                pending.append((fraction, token, committed))
            cards = all(any(token in text for _, chat, text in staff) for _, token, _ in pending)
            if delivered >= recipients and not probe_at and cards:
                async with app.sessionmaker() as session:
                    if (await counts(session, broadcast.id)).queued == 0:
                        break
            if delivered != last_count:
                last_progress, last_count = time.monotonic(), delivered
            if time.monotonic() > deadline or time.monotonic() - last_progress > 60:
                log(f"{label}: stopped waiting at {delivered}/{recipients}")
                break
            await asyncio.sleep(0.05)
    finally:
        await sender.stop()
        try:
            await asyncio.wait_for(task, 30)
        except TimeoutError:
            log(f"{label}: the sender did not stop")
    cpu = time.process_time() - cpu0
    outcome = await sandbox.call("GET", "/bench/result")
    result.wall = outcome["last_at"] - t0
    for fraction, token, committed in pending:
        arrived = next((t for t, chat, text in staff if chat == CADRE and token in text), None)
        result.probes.append((fraction, None if arrived is None else arrived - committed))

    per_chat, ok_calls = Counter(dict(outcome["per_chat"])), Counter(dict(outcome["ok_calls"]))
    villagers = range(FIRST_VILLAGER, FIRST_VILLAGER + recipients)
    result.delivered = sum(1 for uid in villagers if per_chat[uid] >= 1)
    result.duplicates = sum(max(0, per_chat[uid] - 1) for uid in villagers)
    result.losses = sum(1 for uid in villagers if per_chat[uid] == 0)
    result.log_complete = outcome["log_complete"]
    result.log_duplicates = sum(max(0, ok_calls[uid] - 1) for uid in villagers)
    result.log_losses = sum(1 for uid in villagers if ok_calls[uid] == 0)
    result.too_many, result.refusals, result.calls = outcome["too_many"], outcome["refusals"], outcome["calls"]
    result.sender_cpu = cpu / max(1, result.delivered)
    if sandbox.mode == "child":
        result.sandbox_cpu = (sandbox.cpu() - sandbox_cpu0) / max(1, result.calls)
    async with app.sessionmaker() as session:
        tally = await counts(session, broadcast.id)
    result.db = (tally.queued, tally.delivered, tally.failed, tally.unreachable)
    log(f"{label}: {result.delivered} delivered in {result.wall:.1f}s = {result.achieved:.1f}/s "
        f"({result.achieved / rate:.0%}), sender CPU {result.sender_cpu * 1000:.2f} ms/msg")
    return result


async def main_async(args: argparse.Namespace, url: str) -> list[Result]:
    from bot.app import build_app
    from bot.sandbox_run import SANDBOX_TOKEN
    from bot.settings import Settings

    rates = [float(r) for r in args.rates.split(",")]
    most = min(args.max_recipients, max(round(r * args.seconds) for r in rates))
    sandbox = Sandbox(args.sandbox)
    await sandbox.start()
    app = None
    try:
        app = await build_app(Settings(database_url=url, bot_api_base=sandbox.base_url, log_level="WARNING"),
                              SANDBOX_TOKEN)
        t = time.perf_counter()
        await setup_database(app.sessionmaker, most)
        from bot.demo import STAFF

        await sandbox.call("POST", "/bench/people", {"ids": [tg for _, _, tg, *_ in STAFF]
                                                      + [FIRST_VILLAGER + i for i in range(most)]})
        log(f"{most:,} villagers inserted in {time.perf_counter() - t:.1f}s; sandbox at {sandbox.base_url} "
            f"({args.sandbox})")
        results = []
        for _ in range(args.repeat):
            if args.only in (None, "plain"):
                for rate in rates:
                    recipients = min(most, max(1, round(rate * args.seconds)))
                    results.append(await one_run(app, sandbox, args, f"plain-{rate:g}", rate, recipients, None))
            if args.only in (None, "429"):
                rate = max(rates)
                recipients = min(most, max(1, round(rate * args.seconds)))
                plain = [r for r in results if r.label == f"plain-{rate:g}"]
                if args.limit == "auto":
                    achieved = plain[-1].achieved if plain else rate
                    limit = max(1, min(150, int(0.75 * min(achieved, rate))))
                else:
                    limit = int(args.limit)
                recipients = min(recipients, round(limit * args.seconds))
                results.append(await one_run(app, sandbox, args, f"429-{rate:g}", rate, recipients, limit))
        return results
    finally:
        if app is not None:
            await app.bot.session.close()
            await app.engine.dispose()
        await sandbox.stop()


def report(results: list[Result], args: argparse.Namespace) -> bool:
    def ms(value: float | None) -> str:
        return "lost" if value is None else f"{value * 1000:.0f}"

    print()
    print(f"broadcasts through the sandbox ({args.sandbox}), OutboxSender concurrency "
          f"{args.concurrency or 'from the rate (rate/4, 8..256)'}, "
          f"{args.seconds:g} s of sending per run (at most {args.max_recipients:,} villagers); "
          f"retry_after {args.retry_after}s")
    print()
    print("| run | rate/s | sandbox limit | delivered | wall s | achieved/s | share of rate | 429s | duplicates "
          "| losses | card delay ms (max) | sender CPU ms/msg | sandbox CPU ms/call |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    ok = True
    for r in results:
        delays = [d for _, d in r.probes]
        found = [d for d in delays if d is not None]
        delay = (f"{ms(statistics.median(found))} ({ms(max(found))})" if found else "lost") + (
            f", {len(delays) - len(found)} lost" if found and len(found) < len(delays) else "")
        sandbox_cpu = f"{r.sandbox_cpu * 1000:.2f}" if r.sandbox_cpu else "-"
        print(f"| {r.label} | {r.rate:g} | {f'{r.limit}/s' if r.limit else '-'} | {r.delivered:,} | {r.wall:.1f} "
              f"| {r.achieved:.1f} | {r.achieved / r.rate:.2f} | {r.too_many:,} | {r.duplicates} | {r.losses} "
              f"| {delay} | {r.sender_cpu * 1000:.2f} | {sandbox_cpu} |")
        ok &= r.ok
    if args.repeat > 1:
        print()
        print("| run | runs | achieved/s median | share median | sender CPU ms/msg median | card delay ms median |")
        print("|---|---:|---:|---:|---:|---:|")
        for label in dict.fromkeys(r.label for r in results):
            same = [r for r in results if r.label == label]
            delays = [d for r in same for _, d in r.probes if d is not None]
            print(f"| {label} | {len(same)} | {statistics.median(r.achieved for r in same):.1f} "
                  f"| {statistics.median(r.achieved / r.rate for r in same):.2f} "
                  f"| {statistics.median(r.sender_cpu for r in same) * 1000:.2f} "
                  f"| {ms(statistics.median(delays)) if delays else 'lost'} |")
    print()
    for r in results:
        probes = ", ".join(f"at {f:.0%}: {ms(d)} ms" for f, d in r.probes)
        print(f"{r.label}: call log {'complete' if r.log_complete else 'TRUNCATED'}: duplicates "
              f"{r.log_duplicates}, losses {r.log_losses}; outbox counts queued/delivered/failed/unreachable "
              f"{'/'.join(map(str, r.db))}; refused calls {r.refusals}; probe cards {probes}")
    if not ok:
        print("CHECK FAILED")
    return ok


def main() -> None:
    if "--serve-sandbox" in sys.argv:
        serve_sandbox_child()
        return
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rates", default="25,100,300,1000", help="send rates per second, one run each")
    p.add_argument("--seconds", type=float, default=10.0,
                   help="seconds of sending per run: recipients = rate x seconds (default 10)")
    p.add_argument("--max-recipients", type=int, default=10_000, help="at most this many villagers (10,000)")
    p.add_argument("--repeat", type=int, default=1, help="run everything this many times; medians are printed")
    p.add_argument("--only", choices=["plain", "429"], help="run only the fault-free runs or only the 429 run")
    p.add_argument("--limit", default="auto",
                   help="sandbox sendMessage limit per second in the 429 run (default auto: 75%% of the "
                        "fault-free achieved rate, at most 150)")
    p.add_argument("--retry-after", type=int, default=1, help="retry_after of the injected 429s (default 1)")
    p.add_argument("--probes", type=int, default=3, help="cases filed during each broadcast (default 3)")
    p.add_argument("--concurrency", type=int,
                   help="requests in flight (SEND_CONCURRENCY; default: the bot's, from the rate)")
    p.add_argument("--sandbox", choices=["child", "inproc"], default="child",
                   help="the sandbox in a child process (default) or in this event loop")
    p.add_argument("--database-url", help="PostgreSQL database to use (its public schema is dropped); "
                                          "default: SQLite in a temporary directory")
    p.add_argument("--timeout", type=float, default=600.0, help="give up a run after this many seconds")
    args = p.parse_args()
    from bot.migrate import upgrade

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # One warning per 429 (the sender's and the sandbox's); they are counted in the table instead.
    logging.getLogger("bot.delivery").setLevel(logging.ERROR)

    tmp = tempfile.mkdtemp(prefix="bench_broadcast_")
    try:
        url = args.database_url or f"sqlite:///{tmp}/broadcast.db"
        if args.database_url:
            asyncio.run(drop_schema(url))
        upgrade(url)
        results = asyncio.run(main_async(args, url))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(0 if report(results, args) else 1)


async def drop_schema(url: str) -> None:
    from sqlalchemy import text

    from models.db import make_engine

    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


if __name__ == "__main__":
    main()
