"""Room to grow: two bot processes take webhooks behind a balancer, on PostgreSQL and Redis, and one is killed.

200 villagers report at once while 1,000 overdue cases are reminded and a county broadcast goes to
2,000 households; the process that runs the scheduled jobs is killed with SIGKILL halfway. Every
receipt a villager got stands for exactly one case; every queued message goes out in the end, once
(beyond the documented window: a message Telegram accepted just before the kill, whose sending
was not yet recorded, goes again); the other process takes the jobs over within a sweep interval.
"""
from __future__ import annotations

import asyncio
import os
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, insert, select, text, update

from bot.sandbox_run import SANDBOX_TOKEN, register_people
from sandbox.balancer import Balancer
from sandbox.drive import report
from sandbox.server import serve
from tests.e2e.conftest import BotProcess

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

REPORTERS, RECIPIENTS, OVERDUE = 200, 2000, 1000
FIRST_REPORTER, FIRST_RECIPIENT = 700_001, 800_001
SECRET = "scale-test-secret"
SWEEP = 1.0


@pytest.fixture
def pg_url():
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set; the several-process test needs PostgreSQL")
    return url


@pytest.fixture
async def redis_url(redis_client):
    """TEST_REDIS_URL, cleared of aiogram's keys left by an earlier run."""
    keys = [key async for key in redis_client.scan_iter("fsm:*")]
    if keys:
        await redis_client.delete(*keys)
    return os.environ["TEST_REDIS_URL"]


class WebhookBot(BotProcess):
    """`python -m bot run` in webhook mode, listening on its own port behind the balancer."""

    def __init__(self, name: str, port: int, env: dict[str, str], log: Path):
        self.name, self.port, self.env, self.log = name, port, env, log
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        # Any free port for each process's dashboard: two processes on one machine.
        env = {**self.env, "WEBHOOK_LISTEN": f"127.0.0.1:{self.port}", "DASHBOARD_LISTEN": "127.0.0.1:0"}
        with self.log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", cwd=ROOT, env=env, stdout=out, stderr=out)
        async with aiohttp.ClientSession() as http:
            for _ in range(600):
                if self.process.returncode is not None:
                    raise AssertionError(f"{self.name} exited:\n{self.log.read_text()[-3000:]}")
                try:
                    async with http.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"{self.name} did not listen within 60 s")

    def leads(self) -> bool:
        return "now runs the scheduled jobs" in self.log.read_text(errors="replace")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def bot_command(env: dict[str, str], *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", *args, cwd=ROOT, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    assert proc.returncode == 0, out.decode()
    return out.decode()


async def seed(url: str, recipients: list[int]) -> None:
    """Households for the broadcast, and 1,000 cases four days into a week's deadline (their 50% is due)."""
    from models import Case, OutboxMessage, Person
    from models.db import make_engine, make_sessionmaker
    from services.config import ServiceConfig
    from services.intake import Part, submit_case
    from models.enums import MessageKind

    engine = make_engine(url)
    now = datetime.now(timezone.utc)
    async with make_sessionmaker(engine)() as session:
        await session.execute(insert(Person), [
            {"name": f"户{uid}", "role": "villager", "channel": "telegram", "external_id": str(uid),
             "language": "zh_CN", "village_id": 1 + i % 4, "township_id": 1 if i % 4 < 2 else 2,
             "subscribed": True, "active": True, "created_at": now} for i, uid in enumerate(recipients)])
        await session.commit()
        reporters = (await session.scalars(select(Person).where(Person.external_id.in_(
            [str(uid) for uid in recipients[:OVERDUE]])).order_by(Person.id))).all()
        past = now - timedelta(days=4)
        for reporter in reporters:
            await submit_case(session, ServiceConfig(), reporter=reporter, category_code="environment",
                              parts=[Part(MessageKind.text, text=f"旧案 {reporter.external_id}")],
                              anonymous=False, now=past)
        # Their cards went out long ago; contact was made, so only the 50% reminder is due.
        await session.execute(update(OutboxMessage).values(sent_at=past))
        for case in (await session.scalars(select(Case))).all():
            case.first_response_at = past + timedelta(hours=1)
        await session.commit()
    await engine.dispose()


async def test_two_webhook_processes_file_remind_and_broadcast_each_once_across_a_kill(
        pg_url, redis_url, tmp_path):
    from models.db import make_engine

    engine = make_engine(pg_url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    running = await serve()
    state = running.state
    await register_people(running.base_url)
    reporters = [FIRST_REPORTER + i for i in range(REPORTERS)]
    recipients = [FIRST_RECIPIENT + i for i in range(RECIPIENTS)]
    for uid in reporters + recipients:
        state.register(id=uid, first_name=f"村民{uid}", language_code="zh-hans", started=uid in recipients)
    ports = [free_port(), free_port()]
    balancer = Balancer([f"http://127.0.0.1:{port}" for port in ports])
    hook = await balancer.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_", "REDIS_", "WEBHOOK_"))}
    env.update(BOT_TOKEN=SANDBOX_TOKEN, BOT_API_BASE=running.base_url, DATABASE_URL=pg_url, REDIS_URL=redis_url,
               WEBHOOK_URL=f"{hook}/telegram", WEBHOOK_SECRET=SECRET, SWEEP_INTERVAL=f"{SWEEP:g}s",
               BROADCAST_RATE="400", LOG_LEVEL="INFO", PYTHONUNBUFFERED="1")
    bots = [WebhookBot(f"bot{i}", port, env, tmp_path / f"bot{i}.log") for i, port in enumerate(ports)]
    try:
        await bot_command(env, "demo")
        await seed(pg_url, recipients)
        await asyncio.gather(*(b.start() for b in bots))
        await bot_command(env, "broadcast", "send", "--text", "森林防火：清明期间严禁上坟烧纸", "--to", "county")

        # Act: everyone reports at once; the scheduler's leader is killed a few seconds in.
        reports = asyncio.gather(*(report(state, uid, timeout=120, patience=30) for uid in reporters))
        await asyncio.sleep(4)
        leader = next((b for b in bots if b.leads()), bots[0])
        survivor = next(b for b in bots if b is not leader)
        killed_at = time.monotonic()
        await leader.stop(kill=True)
        while not survivor.leads() and time.monotonic() - killed_at < 30:
            await asyncio.sleep(0.05)
        takeover = time.monotonic() - killed_at
        outcomes = await reports
        await wait_until_sent(pg_url, timeout=180)
    finally:
        for b in bots:
            await b.stop()
        await balancer.stop()
        await running.stop()

    # Assert: every villager, trying a step again when the killed process left it unanswered, filed one case;
    # only a receipt can be missing (the case was filed, the process died before answering, its button is gone).
    counts = await cases_by_reporter(pg_url, reporters)
    assert all(counts[str(uid)] == 1 for uid in reporters), Counter(outcomes)
    assert set(outcomes) <= {"filed", "提交"}, Counter(outcomes)
    filed = [uid for uid, outcome in zip(reporters, outcomes) if outcome == "filed"]
    # Every queued message went out, each once but for the documented window. (A reporter who tried a step
    # again got its answer again: that is the step's answer, not a queued message.)
    sent = Counter((m["chat"]["id"], m.get("text")) for uid in state.people if uid not in set(reporters)
                   for m in state.messages(uid) if m["from_bot"] and not m["edited"])
    repeated = sum(n - 1 for n in sent.values() if n > 1)
    reminders = [key for key in sent if "办理时间已过 50%" in (key[1] or "")]
    broadcast = {chat for chat, body in sent if body and "森林防火" in body}
    assert broadcast >= set(recipients)
    assert len(reminders) >= OVERDUE
    assert repeated <= 16, [key for key, n in sent.items() if n > 1][:10]
    assert takeover <= 2 * SWEEP + 1.0
    print(f"\nscale: {len(filed)}/{REPORTERS} filed, takeover {takeover:.2f}s, repeated {repeated}, "
          f"forwarded {balancer.forwarded}")


async def wait_until_sent(url: str, timeout: float) -> None:
    from models import OutboxMessage
    from models.db import make_engine, make_sessionmaker

    engine = make_engine(url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            async with make_sessionmaker(engine)() as session:
                pending = await session.scalar(select(func.count()).select_from(OutboxMessage).where(
                    OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None)))
            if pending == 0:
                return
            assert time.monotonic() < deadline, f"{pending} outbox rows still unsent"
            await asyncio.sleep(1)
    finally:
        await engine.dispose()


async def cases_by_reporter(url: str, reporters: list[int]) -> Counter:
    from models import Case, Person
    from models.db import make_engine, make_sessionmaker

    engine = make_engine(url)
    async with make_sessionmaker(engine)() as session:
        rows = (await session.execute(select(Person.external_id).join(Case, Case.reporter_id == Person.id).where(
            Person.external_id.in_([str(uid) for uid in reporters])))).all()
    await engine.dispose()
    return Counter(row[0] for row in rows)
