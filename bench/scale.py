"""Updates/s and latency through webhooks with 1, 2 and 4 bot processes, and through long polling, on PostgreSQL + Redis.

    .venv/bin/python bench/scale.py [--villagers 100] [--reports 2] [--processes 1,2,4] [--no-polling]
        [--database postgresql://postgres@127.0.0.1:5432/bench_scale] [--redis redis://127.0.0.1:6379/15]

For each configuration: a fresh schema (the database's `public` schema is dropped), the demo county,
the sandbox served in this process, and the bots as an operator runs them (`python -m bot run`, role
all, REDIS_URL set). Webhook runs put `sandbox.balancer.Balancer` (round robin, as nginx would) in
front of N processes; the polling run is one process (Telegram allows one poller). U villagers
(`--villagers`) report at once, `--reports` times each (7 updates a report), each step waiting for the
answer it needs: updates/s = updates / (first step → last answer); latency per step from the action to
the answer. `bot CPU ms/upd` sums the bot processes' CPU (from /proc) over the phase. On a 2-core
machine the bots, PostgreSQL, Redis and this harness share the cores.
"""
from __future__ import annotations

import argparse
import asyncio
import math
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "bench-secret"


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))] if ordered else math.nan


async def bot_command(env: dict, *args: str) -> None:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", *args, cwd=ROOT, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    if proc.returncode:
        raise RuntimeError(out.decode())


async def reset(database: str, redis_url: str) -> None:
    import redis.asyncio as redis
    from sqlalchemy import text

    from models.db import make_engine

    engine = make_engine(database)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    client = redis.from_url(redis_url)
    await client.flushdb()
    await client.aclose()


async def start_bot(env: dict, log: Path, ready) -> asyncio.subprocess.Process:
    with log.open("ab") as out:
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=ROOT, env=env,
                                                    stdout=out, stderr=out)
    deadline = time.monotonic() + 90
    while not await ready():
        if proc.returncode is not None or time.monotonic() > deadline:
            raise RuntimeError(f"bot did not start:\n{log.read_text()[-2000:]}")
        await asyncio.sleep(0.1)
    return proc


async def one_run(args, processes: int, webhook: bool, workdir: Path) -> dict:
    import aiohttp

    from bot.sandbox_run import SANDBOX_TOKEN, register_people
    from sandbox.balancer import Balancer
    from sandbox.drive import report
    from sandbox.server import serve

    await reset(args.database, args.redis)
    running = await serve()
    balancer = None
    procs: list[asyncio.subprocess.Process] = []
    try:
        await register_people(running.base_url)
        villagers = [900_001 + i for i in range(args.villagers)]
        for uid in villagers:
            running.state.register(id=uid, first_name=f"村民{uid}", language_code="zh-hans")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_", "REDIS_", "WEBHOOK_"))}
        env.update(BOT_TOKEN=SANDBOX_TOKEN, BOT_API_BASE=running.base_url, DATABASE_URL=args.database,
                   REDIS_URL=args.redis, BROADCAST_RATE="1000", LOG_LEVEL="WARNING", FLOOD_LIMIT="off")
        await bot_command(env, "demo")
        ports = [free_port() for _ in range(processes)]
        if webhook:
            balancer = Balancer([f"http://127.0.0.1:{p}" for p in ports])
            hook = await balancer.start()
            env.update(WEBHOOK_URL=f"{hook}/telegram", WEBHOOK_SECRET=SECRET)
        async with aiohttp.ClientSession() as http:
            for i, port in enumerate(ports):
                async def ready(port=port):
                    if not webhook:
                        return any(c["method"] == "getUpdates" for c in running.state.calls)
                    try:
                        async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                            return response.status == 200
                    except aiohttp.ClientError:
                        return False
                procs.append(await start_bot({**env, "WEBHOOK_LISTEN": f"127.0.0.1:{port}"},
                                             workdir / f"bot-{processes}-{webhook}-{i}.log", ready))
        await asyncio.sleep(1.0)
        latencies: list[float] = []
        cpu0 = sum(cpu_seconds(p.pid) for p in procs)
        t0 = time.perf_counter()

        async def villager(uid: int) -> list[str]:
            return [await report(running.state, uid, args.timeout, latencies) for _ in range(args.reports)]

        outcomes = await asyncio.gather(*(villager(uid) for uid in villagers))
        wall = time.perf_counter() - t0
        cpu = sum(cpu_seconds(p.pid) for p in procs) - cpu0
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
        if balancer is not None:
            await balancer.stop()
        await running.stop()
    updates = len(latencies)
    return {"name": f"{'webhook' if webhook else 'long polling'}, {processes} process{'es' * (processes > 1)}",
            "updates": updates, "rate": updates / wall, "p50": 1000 * pct(latencies, 50),
            "p95": 1000 * pct(latencies, 95), "cpu": 1000 * cpu / max(updates, 1),
            "lost": sum(1 for run in outcomes for o in run if o != "filed")}


async def main(args) -> None:
    rows = []
    workdir = Path(tempfile.mkdtemp(prefix="bench_scale_"))
    try:
        configs = [(n, True) for n in args.processes] + ([] if args.no_polling else [(1, False)])
        for processes, webhook in configs:
            print(f"  [{time.strftime('%H:%M:%S')}] {'webhook' if webhook else 'polling'} x{processes}",
                  file=sys.stderr, flush=True)
            rows.append(await one_run(args, processes, webhook, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\n{args.villagers} villagers x {args.reports} report(s), PostgreSQL + Redis, {os.cpu_count()} CPUs\n")
    print("| setup | updates | per s | p50 ms | p95 ms | bot CPU ms/upd | reports not finished |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['name']} | {r['updates']:,} | {r['rate']:.1f} | {r['p50']:.0f} | {r['p95']:.0f} "
              f"| {r['cpu']:.1f} | {r['lost']} |")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--villagers", "-U", type=int, default=100)
    p.add_argument("--reports", type=int, default=2)
    p.add_argument("--processes", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2, 4])
    p.add_argument("--no-polling", action="store_true")
    p.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/bench_scale")
    p.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    p.add_argument("--timeout", type=float, default=120.0)
    asyncio.run(main(p.parse_args()))
