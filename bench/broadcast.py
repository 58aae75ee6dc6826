"""A county broadcast to 10,000 villagers through the sandbox at a set rate, with and without injected 429s.

    .venv/bin/python bench/broadcast.py [--recipients 10000] [--rate 200] [--limit auto|N]
        [--retry-after 1] [--only plain|429] [--timeout 600]

Everything runs in this process, on one event loop: the sandbox (`sandbox.server.serve(port=0)`,
its state subclassed only to stamp and count the bot's messages), and the bot's OutboxSender
(`bot.delivery.OutboxSender(..., rate=--rate)`, built from `bot.app.build_app` with
BOT_API_BASE = the sandbox) on a SQLite file in a temporary directory. Schema by the Alembic
migrations, the demo county by `bot.demo.load_demo`; the villagers are bulk-inserted (role villager,
external_id, village and township round-robin over the four demo villages, subscribed) and put
into the sandbox's state directly as having started the bot.

Each run records a broadcast (`services.broadcasts.create_broadcast`, audience "county", its own
text), fans it out (`fan_out_due`: one priority-9 outbox row per villager) and starts
the sender (`deliver_due()` passes exactly as `OutboxSender.run()` makes them, in a loop that can be
told to stop between passes); it ends when the sandbox has every recipient's message and the outbox has
nothing queued (`broadcasts.counts`).

* achieved rate = delivered / (sender start → last broadcast message stored by the sandbox), and
  its share of --rate.
* duplicates / losses: the bot's messages carrying the run's text in each of the villagers' chats,
  counted in the sandbox: duplicates = messages beyond the first, losses = villagers without one.
  Cross-checked against the sandbox's call log (successful sendMessage calls per chat_id) and the
  outbox counts.
* reply delay: when half the villagers have the message, one villager files a case
  (`services.intake.submit_case`; its card to the cadre is an outbox row of priority 0), the sender
  is poked as the bot's commit hook would, and the time from that commit to the card stored in the
  cadre's chat is measured (--probes N files N cases, spread evenly over the broadcast).
* with 429s: the sandbox's fault `rate_limit: {sendMessage: L}` with `retry_after` (POST
  /sandbox/faults). The default L is "auto": 75% of the rate the fault-free run achieved, at most
  150/s, so that the limit is below what the sender really does and 429s are actually answered.

The process's CPU share is printed too: the sender and the sandbox share one core here.
Traffic goes to 127.0.0.1 only; the temporary directory is removed afterwards.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import math
import shutil
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


def counting_state_class():
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

    return CountingState


@dataclass
class Result:
    label: str
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
    cpu: float = 0.0
    probes: list[tuple[float, float | None]] = field(default_factory=list)  # (at fraction, delay s)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


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
        villages = (await session.execute(select(Village.id, Village.township_id).order_by(Village.code != "sq01", Village.code))).all()
        rows = [{"name": f"村民{FIRST_VILLAGER + i}", "role": Role.villager, "channel": "telegram",
                 "external_id": str(FIRST_VILLAGER + i), "language": "zh_CN", "village_id": villages[i % 4][0],
                 "township_id": villages[i % 4][1], "subscribed": True, "active": True, "created_at": now}
                for i in range(recipients)]
        for start in range(0, len(rows), 5000):
            await session.execute(insert(Person), rows[start:start + 5000])
        await session.commit()


def populate_sandbox(state, recipients: int) -> None:
    from bot.demo import STAFF
    from sandbox.state import Person as SandboxPerson

    for name, _role, tg, *_ in STAFF:
        state.people[tg] = SandboxPerson(id=tg, first_name=name, started=True)
    for i in range(recipients):
        uid = FIRST_VILLAGER + i
        person = state.people.get(uid)
        if person is None:
            state.people[uid] = SandboxPerson(id=uid, first_name=f"村民{uid}", started=True)
        else:
            person.started = True  # a reset forgets who started the bot


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


async def run_sender(sender, stop: asyncio.Event, idle: float = 1.0) -> None:
    """OutboxSender.run() (same passes, same wakeup and idle wait), but it ends between passes when asked.

    Cancelling run() can land inside a session and leave an aiosqlite connection mid-rollback.
    """
    while not stop.is_set():
        try:
            sent = await sender.deliver_due()
        except Exception:
            logging.getLogger(__name__).exception("outbox pass failed; trying again shortly")
            sent = 0
        if sent == 0 and not stop.is_set():
            try:
                await asyncio.wait_for(sender.wakeup.wait(), timeout=idle)
            except TimeoutError:
                pass
            sender.wakeup.clear()


async def one_run(app, running, state, control, args, label: str, limit: int | None) -> Result:
    from bot.delivery import OutboxSender
    from services.broadcasts import counts, create_broadcast, fan_out_due

    # Not state.reset(): Telegram never reuses a chat's message ids, and the bot keeps links to them.
    state.calls.clear()
    state.refusals.clear()
    state.marker = f"BENCH-{label}-{time.time_ns()}"
    state.per_chat.clear()
    state.staff_log.clear()
    await control("POST", "/faults", {"clear": True})
    if limit:
        await control("POST", "/faults", {"rate_limit": {"sendMessage": limit}, "retry_after": args.retry_after})

    async with app.sessionmaker() as session:
        broadcast = await create_broadcast(session, app.config, by=None, audience="county", now=app.clock(),
                                           text=f"{state.marker} 明天上午九点村委会开会，请各户派代表参加。")
        queued = await fan_out_due(session, app.config, app.clock())
    result = Result(label, args.recipients, queued, limit)
    log(f"{label}: broadcast #{broadcast.id}, {queued} rows queued; sending at {args.rate:g}/s"
        + (f", sandbox limit {limit}/s, retry_after {args.retry_after}" if limit else ""))

    sender = OutboxSender(app.bot, app.sessionmaker, app.sender.renderer, app.clock, rate=args.rate)
    probe_at = [(i + 1) / (args.probes + 1) for i in range(args.probes)]
    # Villagers of sq01 (every fourth from the first, see setup_database): the probe reporters.
    reporters = [str(FIRST_VILLAGER + 4 * i) for i in range(args.probes)]
    pending: list[tuple[float, str, float]] = []  # (fraction, token, committed at)
    t0, cpu0 = time.perf_counter(), time.process_time()
    stop = asyncio.Event()
    task = asyncio.create_task(run_sender(sender, stop), name="bench-outbox")
    try:
        deadline = time.monotonic() + args.timeout
        last_progress, last_count = time.monotonic(), -1
        while True:
            delivered = len(state.per_chat)
            while probe_at and delivered >= probe_at[0] * args.recipients:
                fraction = probe_at.pop(0)
                token = f"PROBE-{label}-{len(pending)}-{time.time_ns()}"
                committed = await probe(app, reporters[len(pending)], token)
                sender.wakeup.set()  # what the bot's on_commit hook does
                pending.append((fraction, token, committed))
            if delivered >= args.recipients and not probe_at:
                async with app.sessionmaker() as session:
                    tally = await counts(session, broadcast.id)
                if tally.queued == 0:
                    break
            if delivered != last_count:
                last_progress, last_count = time.monotonic(), delivered
            if time.monotonic() > deadline or time.monotonic() - last_progress > 60:
                log(f"{label}: stopped waiting at {delivered}/{args.recipients}")
                break
            await asyncio.sleep(0.02)
        # The probes' cards (priority 0) should long be there; wait a little if not.
        wait_until = time.monotonic() + 30
        while time.monotonic() < wait_until and not all(any(token in text for _, chat, text in state.staff_log)
                                                        for _, token, _ in pending):
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        sender.wakeup.set()
        try:
            await asyncio.wait_for(task, 30)
        except TimeoutError:
            log(f"{label}: the sender did not stop; cancelling it")
    result.cpu = (time.process_time() - cpu0) / (time.perf_counter() - t0)
    result.wall = state.last_at - t0
    for fraction, token, committed in pending:
        arrived = next((t for t, chat, text in state.staff_log if chat == CADRE and token in text), None)
        result.probes.append((fraction, None if arrived is None else arrived - committed))

    villagers = range(FIRST_VILLAGER, FIRST_VILLAGER + args.recipients)
    result.delivered = sum(1 for uid in villagers if state.per_chat[uid] >= 1)
    result.duplicates = sum(max(0, state.per_chat[uid] - 1) for uid in villagers)
    result.losses = sum(1 for uid in villagers if state.per_chat[uid] == 0)
    calls = [c for c in state.calls if c["method"] == "sendMessage"]
    result.log_complete = len(state.calls) < state.calls.maxlen
    ok_calls = Counter(c["params"].get("chat_id") for c in calls
                       if c["status"] == 200 and state.marker in str(c["params"].get("text", "")))
    result.log_duplicates = sum(max(0, ok_calls[uid] - 1) for uid in villagers)
    result.log_losses = sum(1 for uid in villagers if ok_calls[uid] == 0)
    result.too_many = sum(1 for c in calls if c["status"] == 429)
    result.refusals = len(state.refusals)
    async with app.sessionmaker() as session:
        tally = await counts(session, broadcast.id)
    result.db = (tally.queued, tally.delivered, tally.failed, tally.unreachable)
    return result


async def main_async(args: argparse.Namespace, url: str) -> list[Result]:
    import aiohttp

    from bot.app import build_app
    from bot.sandbox_run import SANDBOX_TOKEN
    from bot.settings import Settings
    from sandbox.server import serve

    state = counting_state_class()()
    running = await serve(port=0, state=state)
    http = aiohttp.ClientSession()

    async def control(method: str, path: str, body: dict | None = None):
        async with http.request(method, f"{running.base_url}/sandbox{path}", json=body) as response:
            response.raise_for_status()
            return await response.json()

    app = None
    try:
        app = await build_app(Settings(database_url=url, bot_api_base=running.base_url, log_level="WARNING"),
                              SANDBOX_TOKEN)
        t = time.perf_counter()
        await setup_database(app.sessionmaker, args.recipients)
        populate_sandbox(state, args.recipients)
        log(f"{args.recipients:,} villagers inserted in {time.perf_counter() - t:.1f}s")
        results = []
        plain = None
        if args.only in (None, "plain"):
            plain = await one_run(app, running, state, control, args, "plain", None)
            results.append(plain)
        if args.only in (None, "429"):
            if args.limit == "auto":
                achieved = plain.delivered / plain.wall if plain and plain.wall > 0 else args.rate
                limit = max(1, min(150, int(0.75 * min(achieved, args.rate))))
            else:
                limit = int(args.limit)
            results.append(await one_run(app, running, state, control, args, "429", limit))
        return results
    finally:
        if app is not None:
            await app.bot.session.close()
            await app.engine.dispose()
        await http.close()
        await running.stop()


def report(results: list[Result], args: argparse.Namespace) -> bool:
    print()
    print(f"broadcast to {args.recipients:,} villagers (audience county), OutboxSender rate={args.rate:g}/s, "
          f"in-process sandbox + sender on SQLite; retry_after {args.retry_after}s")
    print()
    print("| run | sandbox limit | delivered | wall s | achieved/s | share of rate | 429s | duplicates | losses "
          "| reply delay ms | process CPU |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    ok = True
    for r in results:
        rate = r.delivered / r.wall if r.wall > 0 else float("nan")
        delays = [d for _, d in r.probes if d is not None]
        if len(r.probes) == 1:
            delay = f"{delays[0] * 1000:.0f}" if delays else "lost"
        else:
            delay = (f"{percentile(delays, 50) * 1000:.0f} (max {max(delays) * 1000:.0f})" if delays else "lost")
            if len(delays) < len(r.probes):
                delay += f", {len(r.probes) - len(delays)} lost"
        print(f"| {r.label} | {r.limit or '-'}{'/s' if r.limit else ''} | {r.delivered:,} | {r.wall:.1f} "
              f"| {rate:.1f} | {rate / args.rate:.2f} | {r.too_many:,} | {r.duplicates} | {r.losses} | {delay} "
              f"| {r.cpu * 100:.0f}% |")
        ok &= r.duplicates == 0 and r.losses == 0 and len(delays) == len(r.probes)
        ok &= r.log_duplicates == 0 and r.log_losses == 0 and r.db[0] == 0 and r.db[1] == r.recipients
    print()
    for r in results:
        probes = ", ".join(f"at {f:.0%}: {'lost' if d is None else f'{d * 1000:.0f} ms'}" for f, d in r.probes)
        print(f"{r.label}: call log {'complete' if r.log_complete else 'TRUNCATED'}: duplicates "
              f"{r.log_duplicates}, losses {r.log_losses}; outbox counts queued/delivered/failed/unreachable "
              f"{'/'.join(map(str, r.db))}; refused calls {r.refusals}; probe cards {probes}")
    if not ok:
        print("CHECK FAILED")
    return ok


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipients", type=int, default=10_000, help="villagers (default 10,000)")
    p.add_argument("--rate", type=float, default=200.0, help="OutboxSender rate per second (default 200)")
    p.add_argument("--limit", default="auto",
                   help="sandbox sendMessage limit per second in the 429 run (default auto: 75%% of the "
                        "fault-free achieved rate, at most 150)")
    p.add_argument("--retry-after", type=int, default=1, help="retry_after of the injected 429s (default 1)")
    p.add_argument("--probes", type=int, default=1, help="cases filed during each broadcast (default 1: halfway)")
    p.add_argument("--only", choices=["plain", "429"], help="run only one of the two")
    p.add_argument("--timeout", type=float, default=600.0, help="give up a run after this many seconds")
    args = p.parse_args()
    from bot.migrate import upgrade

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # One warning per 429 (the sender's and the sandbox's); they are counted in the table instead.
    logging.getLogger("bot.delivery").setLevel(logging.ERROR)

    tmp = tempfile.mkdtemp(prefix="bench_broadcast_")
    try:
        url = f"sqlite:///{tmp}/broadcast.db"
        upgrade(url)
        results = asyncio.run(main_async(args, url))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(0 if report(results, args) else 1)


if __name__ == "__main__":
    main()
