"""Benchmark the ledger export and the metrics on 100,000 cases in SQLite (a script, not a test).

Usage: .venv/bin/python bench/ledger_metrics.py [--cases 100000] [--keep FILE.db]
Each operation runs twice: once for the time, once under tracemalloc for its peak Python memory
(tracemalloc slows Python down, so the two are measured apart).
"""
from __future__ import annotations

import argparse
import asyncio
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ledger_data import NOW, build  # noqa: E402
from models.db import make_engine, make_sessionmaker  # noqa: E402
from services.briefing import build_briefing  # noqa: E402
from services.ledger import write_ledger  # noqa: E402
from services.metrics import Cut, Scope, compute, compute_by  # noqa: E402
from services.periods import Period  # noqa: E402
from services.ranking import RankWeights, ranking  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")


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
    build(url, args.cases)
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
