"""Benchmark the ledger export and the metrics on 100,000 cases in SQLite (a script, not a test).

Usage: .venv/bin/python bench/ledger_metrics.py [--cases 100000] [--keep FILE.db]
Each operation runs twice: once for the time, once under tracemalloc for its peak Python memory
(tracemalloc slows Python down, so the two are measured apart).
"""
from __future__ import annotations

import argparse
import asyncio
import random
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, insert  # noqa: E402

from bot.migrate import upgrade  # noqa: E402
from models import Category, Person, Township, Village  # noqa: E402
from models.db import make_engine, make_sessionmaker  # noqa: E402
from services.briefing import build_briefing  # noqa: E402
from services.categories import DEFAULT_CATEGORIES  # noqa: E402
from services.ledger import write_ledger  # noqa: E402
from services.metrics import Cut, Scope, compute, compute_by  # noqa: E402
from services.periods import Period  # noqa: E402
from services.ranking import RankWeights, ranking  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)
TOWNSHIPS, VILLAGES_PER_TOWNSHIP, CADRES_PER_VILLAGE = 12, 9, 2
CHUNK = 10_000


def populate(url: str, cases: int, seed: int = 7) -> None:
    """Create the directory and `cases` cases over the year before NOW, with a plausible mix of outcomes."""
    rnd = random.Random(seed)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(insert(Category), [dict(code=c.code, name_zh=c.name_zh, name_en=c.name_en, kind=c.kind,
                                              first_response_s=86400, resolve_s=7 * 86400, urgent=c.urgent,
                                              confidential=c.confidential, position=i)
                                         for i, c in enumerate(DEFAULT_CATEGORIES)])
        conn.execute(insert(Township), [dict(id=t, name=f"第{t}镇", county="青山县") for t in range(1, TOWNSHIPS + 1)])
        villages = [dict(id=(t - 1) * VILLAGES_PER_TOWNSHIP + v, code=f"t{t}v{v}", name=f"第{t}镇{v}村", township_id=t)
                    for t in range(1, TOWNSHIPS + 1) for v in range(1, VILLAGES_PER_TOWNSHIP + 1)]
        conn.execute(insert(Village), villages)
        people = [dict(id=1, name="督查", role="supervisor", created_at=NOW, active=True),
                  dict(id=2, name="纪检", role="inspector", created_at=NOW, active=True)]
        cadres = {}
        for village in villages:
            cadres[village["id"]] = []
            for n in range(CADRES_PER_VILLAGE):
                pid = len(people) + 1
                people.append(dict(id=pid, name=f"{village['name']}干部{n}", role="cadre", created_at=NOW,
                                   township_id=village["township_id"], active=True))
                cadres[village["id"]].append(pid)
        villagers = list(range(len(people) + 1, len(people) + 2001))
        people += [dict(id=i, name=f"村民{i}", role="villager", created_at=NOW, active=True,
                        village_id=rnd.choice(villages)["id"]) for i in villagers]
        conn.execute(insert(Person), people)
    engine.dispose()
    # The cases go in through sqlite3's executemany: ten times faster than the ORM's typed inserts.
    categories = list(DEFAULT_CATEGORIES)
    columns = list(_case(rnd, 0, villages, cadres, villagers, categories))
    sql = f"INSERT INTO cases ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    db = sqlite3.connect(url.removeprefix("sqlite:///"))
    with db:
        for start in range(0, cases, CHUNK):
            rows = (_case(rnd, n, villages, cadres, villagers, categories)
                    for n in range(start + 1, min(start + CHUNK, cases) + 1))
            db.executemany(sql, ([_stored(v) for v in row.values()] for row in rows))
    db.close()


def _stored(value):
    """Store an aware datetime the way UTCDateTime does on SQLite: naive UTC text with microseconds."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def _case(rnd: random.Random, n: int, villages, cadres, villagers, categories) -> dict:
    category = rnd.choice(categories)
    village = rnd.choice(villages)
    created = NOW - timedelta(seconds=rnd.randint(0, 365 * 86400))
    due = created + timedelta(days=15 if category.confidential else 7)
    age = NOW - created
    contact = created + timedelta(hours=rnd.expovariate(1 / 10))
    status = rnd.choices(["closed", "resolved", "in_progress", "assigned"], [70, 8, 14, 8])[0]
    if age < timedelta(days=2):
        status = rnd.choice(["assigned", "in_progress"])
    closed = created + min(timedelta(days=rnd.uniform(0.5, 12)), age) if status == "closed" else None
    disposition = (rnd.choices(["resolved", "explained", "assisted", "referred_to_law"], [55, 25, 15, 5])[0]
                   if status in ("closed", "resolved") else None)
    rating = rnd.choices(["satisfied", "basically", "unsatisfied", None], [60, 20, 5, 15])[0] if closed else None
    return dict(
        number=f"2026-{n:06d}", kind=category.kind, category_code=category.code, village_id=village["id"],
        reporter_id=rnd.choice(villagers), anonymous=rnd.random() < 0.2, confidential=category.confidential,
        owner_id=2 if category.confidential else rnd.choice(cadres[village["id"]]), level="village", status=status,
        summary="……", disposition=disposition, rating=rating, created_at=created,
        first_response_due=created + timedelta(hours=24),
        first_response_at=contact if (status != "assigned" and contact < NOW) else None, due_at=due,
        resolved_at=closed, closed_at=closed, close_reason="confirmed" if closed else None, supervised=False,
        deadline_stage=0, first_contact_reminded=False, followup_stage=0,
    )


async def measure(name: str, make, repeat: int) -> tuple[str, float, float]:
    """Run the operation for its best time of `repeat`, then under tracemalloc for its peak; return both."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        await make()
        times.append(time.perf_counter() - began)
    seconds = min(times)
    tracemalloc.start()
    await make()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return name, seconds, peak / 2**20


async def run(url: str, out: Path) -> list[tuple[str, float, float]]:
    """Time every metric and both exports on the database; write the workbooks into `out`."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    year = Period(NOW - timedelta(days=365), NOW)
    month = Period(NOW - timedelta(days=30), NOW)

    def with_session(fn):
        async def go():
            async with sessions() as session:
                return await fn(session)
        return go

    operations = [
        ("metrics: county, one year", lambda s: compute(s, year, NOW, Scope())),
        ("metrics: by township", lambda s: compute_by(s, year, NOW, Cut.township)),
        ("metrics: by village", lambda s: compute_by(s, year, NOW, Cut.village)),
        ("metrics: by cadre", lambda s: compute_by(s, year, NOW, Cut.owner)),
        ("metrics: by category", lambda s: compute_by(s, year, NOW, Cut.category)),
        ("metrics: one township", lambda s: compute(s, year, NOW, Scope(township_id=1))),
        ("metrics: inspector", lambda s: compute(s, year, NOW, Scope(confidential=True))),
        ("rank: villages, 30 days", lambda s: ranking(s, month, NOW, Cut.village, Scope(), RankWeights())),
        ("weekly briefing: county", lambda s: build_briefing(s, NOW, TZ, Scope())),
        ("ledger export: every case", lambda s: write_ledger(s, str(out / "all.xlsx"), scope=Scope(), period=None,
                                                             now=NOW, tz=TZ)),
        ("ledger export: 30 days", lambda s: write_ledger(s, str(out / "month.xlsx"), scope=Scope(), period=month,
                                                          now=NOW, tz=TZ)),
    ]
    results = [await measure(name, with_session(op), 1 if name.startswith("ledger") else 3)
               for name, op in operations]
    await engine.dispose()
    return results


def main() -> int:
    """Create the cases, run the operations and print their time and peak memory."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=100_000)
    p.add_argument("--keep", type=Path, help="keep the database in this file (the rest is removed)")
    args = p.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-ledger-"))
    db = args.keep or folder / "bench.db"
    url = f"sqlite:///{db}"
    began = time.perf_counter()
    upgrade(url)
    populate(url, args.cases)
    print(f"created {args.cases:,} cases in {time.perf_counter() - began:.1f} s ({db.stat().st_size / 2**20:.0f} MiB)")
    results = asyncio.run(run(url, folder))
    print(f"{'operation':<28}{'time':>10}{'peak (tracemalloc)':>22}")
    for name, seconds, peak in results:
        print(f"{name:<28}{seconds:>9.2f}s{peak:>18.1f} MiB")
    sizes = ", ".join(f"{f.name} {f.stat().st_size / 2**20:.1f} MiB" for f in sorted(folder.glob("*.xlsx")))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"ledger files: {sizes}; process max RSS: {rss:.0f} MiB")
    shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
