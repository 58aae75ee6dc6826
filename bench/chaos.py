"""Chaos: the real bot, SIGKILLed at random moments, against a sandbox that fails Bot API calls at random.

    .venv/bin/python bench/chaos.py [--runs 1] [--kills 50] [--seed 13] [--rate 0.05] [--json] [--keep]

Each run is tests/e2e/chaos_scenario.py: six villagers file reports again and again and reply to each
receipt, the cadre answers every new-case card, a county broadcast goes to 30 households (3 more
blocked the bot); chaos fails `--rate` of all calls (429, 500, 502, held past the bot's 5 s request
timeout, connection reset); the bot is killed `--kills` times, 0.5-3 s apart, and started again from
a parent that has imported it. Then chaos stops and the outbox drains. Printed per run: kills,
chaos injected, cases acknowledged (the villager saw the receipt) and lost, relays acknowledged
("✓ 已转达" seen) and lost, broadcast reach, blocked households marked, repeated deliveries by cause,
time to drain. Seeds run `--seed`, `--seed + 1`, ... Temporary directories are removed unless --keep.
"""
from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.chaos_scenario import dump, run  # noqa: E402


async def main() -> int:
    """Run the scenario the times asked and print each run's figures, and the totals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--rate", type=float, default=0.05)
    parser.add_argument("--json", action="store_true", help="print each run's figures as one JSON line too")
    parser.add_argument("--keep", action="store_true", help="keep each run's directory (database, bot log)")
    args = parser.parse_args()
    bad = 0
    totals = {"kills": 0, "cases": 0, "lost": 0, "repeats": 0, "unexplained": 0}
    for i in range(args.runs):
        workdir = Path(tempfile.mkdtemp(prefix="chaos-"))
        try:
            figures = await run(workdir, kills=args.kills, seed=args.seed + i, rate=args.rate)
        finally:
            if not args.keep:
                shutil.rmtree(workdir, ignore_errors=True)
        print(f"run {i + 1} (seed {args.seed + i}" + (f", kept in {workdir}" if args.keep else "") + "):")
        for line in figures.lines():
            print(f"  {line}")
        if args.json:
            print(dump(figures))
        failures = (figures.cases_lost or figures.cases_doubled or figures.relays_lost or figures.broadcast_missing
                    or figures.blocked_unmarked or figures.pending_after_drain or figures.failed_rows
                    or figures.repeats_outside_window)
        bad += bool(failures)
        totals["kills"] += figures.kills
        totals["cases"] += figures.cases_acknowledged
        totals["lost"] += len(figures.cases_lost)
        totals["repeats"] += figures.repeats
        totals["unexplained"] += len(figures.repeats_outside_window)
    print(f"{args.runs} run(s), {totals['kills']} kills: {totals['cases']} cases acknowledged, {totals['lost']} lost; "
          f"{totals['repeats']} repeated deliveries, {totals['unexplained']} outside the windows; "
          f"{bad} run(s) with a failure")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
