"""Benchmark `python -m bot ledger export` on 100,000 cases, per xlsx writer (a script, not a test).

Usage:
  .venv/bin/python bench/ledger_export.py                     # SQLite, every writer, 3 rounds
  .venv/bin/python bench/ledger_export.py --backend postgres  # database bench_ledger (BENCH_DATABASE_URL)
  .venv/bin/python bench/ledger_export.py --writers rvgsrust,xlsxwriter --repeat 5 --cases 20000

Each run is a child process doing what the CLI does (settings, migrations, `ledger export`) with
the project's writer swapped for the one measured: wall time and CPU time of the whole process,
its peak RSS (VmHWM), the export alone, and the longest the event loop went without running
(what a bot answering updates during `/ledger` would feel). Writers take turns in every round;
medians are reported. Each workbook is then read back with openpyxl and compared with the
project writer's: every cell's value, the number formats, the frozen header and the filters.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ledger_writers import WRITERS  # noqa: E402

PRODUCTION = "rvgsrust"
PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench_ledger")


# --------------------------------------------------------------------------------------------
# The child: one export through the CLI path


def child(writer: str, url: str, out: str, now: float) -> None:
    """Export the county ledger as the CLI does, with this writer; print the in-process figures."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    from bot import cli, commands_supervision
    from services import ledger

    class Clock(datetime):
        """Every child counts days late to the same moment, so the workbooks compare cell by cell."""

        @classmethod
        def now(cls, tz=None):
            return datetime.fromtimestamp(now, tz)

    commands_supervision.datetime = Clock
    if writer != PRODUCTION:
        ledger.Book = WRITERS[writer]
    args = cli.parser().parse_args(["ledger", "export", out])
    settings = cli.load_settings()
    cli.migrate(settings)

    async def run() -> dict:
        late: list[float] = []

        async def meter():
            while True:
                began = time.perf_counter()
                await asyncio.sleep(0.005)
                late.append(time.perf_counter() - began - 0.005)

        ticking = asyncio.create_task(meter())
        began = time.perf_counter()
        await commands_supervision.dispatch(args, settings)
        export = time.perf_counter() - began
        ticking.cancel()
        late.sort()
        return {"export_s": export, "stall_ms": late[-1] * 1000, "p99_ms": late[int(len(late) * 0.99)] * 1000}

    figures = asyncio.run(run())
    print("FIGURES " + json.dumps({**figures, "rss_mib": peak_rss_mib()}), flush=True)


def peak_rss_mib() -> float:
    """Return this program's peak RSS since exec (VmHWM).

    Not ru_maxrss: a child's ru_maxrss keeps the high-water mark of the memory it was forked with,
    which is this benchmark's parent, holding the workbooks it read back.
    """
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


# --------------------------------------------------------------------------------------------
# The parent: build, run the children, compare


def spawn(writer: str, url: str, out: Path, now: float) -> dict:
    """Run one child; return its wall and CPU time (os.wait4) with its own figures."""
    log = tempfile.TemporaryFile()
    began = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--child", writer, "--url", url, "--out", str(out),
                             "--now", str(now)],
                            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - began
    proc.returncode = os.waitstatus_to_exitcode(status)
    log.seek(0)
    output = log.read().decode(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"{writer} failed:\n{output}")
    figures = json.loads(next(line for line in output.splitlines() if line.startswith("FIGURES "))[8:])
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, **figures}


def read_back(path: Path) -> dict:
    """Read a workbook with openpyxl: each sheet's values and number formats, panes and filters."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    sheets = {}
    for sheet in book.worksheets:
        rows = [tuple((cell.value, cell.number_format if cell.value is not None else None) for cell in row)
                for row in sheet.iter_rows()]
        sheets[sheet.title] = rows
    book.close()
    with zipfile.ZipFile(path) as archive:
        names = sorted(n for n in archive.namelist() if n.startswith("xl/worksheets/sheet"))
        views = {}
        for name in names:
            xml = archive.read(name).decode()
            pane = xml[xml.find("<pane"):xml.find(">", xml.find("<pane"))] if "<pane" in xml else ""
            start = xml.find("<autoFilter")
            views[name] = ('state="frozen"' in pane and 'topLeftCell="A2"' in pane,
                           xml[start:xml.find(">", start)].split('ref="')[1].split('"')[0] if start >= 0 else None)
    return {"sheets": sheets, "views": [views[n] for n in names]}


def _near(a, b) -> bool:
    """Whether two values differ only by how a float was printed (a date by at most a millisecond)."""
    if isinstance(a, datetime) and isinstance(b, datetime):
        return abs(a - b) <= timedelta(milliseconds=1)
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b))
    return numbers and math.isclose(a, b, rel_tol=1e-12)


def differences(reference: dict, other: dict) -> list[str]:
    """Say where a workbook read back differs from the reference (numbers compare by value)."""
    found = []
    if list(reference["sheets"]) != list(other["sheets"]):
        return [f"sheets {list(other['sheets'])}"]
    for title, rows in reference["sheets"].items():
        theirs = other["sheets"][title]
        if len(rows) != len(theirs):
            found.append(f"{title}: {len(theirs)} rows, not {len(rows)}")
        values = near = formats = 0
        for mine, yours in zip(rows, theirs):
            for (value, fmt), (their_value, their_fmt) in zip(mine, yours):
                if value != their_value:
                    if _near(value, their_value):
                        near += 1
                    else:
                        values += 1
                formats += fmt != their_fmt
        if values:
            found.append(f"{title}: {values} cell value(s) differ")
        if near:
            found.append(f"{title}: {near} float(s) printed with fewer digits (≤ 1 ms, ≤ 1e-12)")
        if formats:
            found.append(f"{title}: {formats} number format(s) differ")
    for (title, (frozen, ref)), (their_frozen, their_ref) in zip(zip(reference["sheets"], reference["views"]),
                                                                 other["views"]):
        if frozen != their_frozen:
            found.append(f"{title}: header not frozen")
        if ref != their_ref:
            found.append(f"{title}: filter {their_ref}, not {ref}")
    return found


def measure(backend: str, url: str, writers: list[str], repeat: int, check: bool, folder: Path) -> None:
    runs: dict[str, list[dict]] = {w: [] for w in writers}
    now = time.time()
    for round_ in range(repeat):
        for writer in writers:
            runs[writer].append(spawn(writer, url, folder / f"{backend}-{writer}.xlsx", now))
        print(f"  round {round_ + 1}/{repeat} done, load average {os.getloadavg()[0]:.1f}", flush=True)
    notes = {}
    if check:
        reference = read_back(folder / f"{backend}-{PRODUCTION}.xlsx") if PRODUCTION in writers else None
        rows = len(reference["sheets"]["台账"]) - 1 if reference else None
        print(f"  ledger rows read back: {rows}", flush=True)
        for writer in writers:
            if writer == "none" or reference is None:
                continue
            notes[writer] = "; ".join(differences(reference, read_back(folder / f"{backend}-{writer}.xlsx"))) \
                or "same as " + PRODUCTION
    header = (f"{'writer':<14}{'wall s':>8}{'CPU s':>8}{'peak RSS MiB':>14}{'export s':>10}"
              f"{'loop late p99/max ms':>22}")
    print(f"\n{backend}: medians of {repeat} (the whole CLI process; export = query + write)\n{header}")
    for writer in writers:
        med = {k: statistics.median(r[k] for r in runs[writer]) for k in runs[writer][0]}
        print(f"{writer:<14}{med['wall_s']:>8.2f}{med['cpu_s']:>8.2f}{med['rss_mib']:>14.0f}{med['export_s']:>10.2f}"
              f"{med['p99_ms']:>13.0f} / {med['stall_ms']:<6.0f}  {notes.get(writer, '')}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="sqlite")
    p.add_argument("--cases", type=int, default=100_000, help="cases in the county's ledger")
    p.add_argument("--writers", default=",".join(WRITERS), help=f"comma-separated, of {', '.join(WRITERS)}")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--no-check", dest="check", action="store_false", help="skip reading the workbooks back")
    p.add_argument("--keep", type=Path, help="keep the databases (SQLite) and workbooks in this folder")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--url", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--now", type=float, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args.child, args.url, args.out, args.now)
        return 0
    writers = args.writers.split(",")
    unknown = set(writers) - set(WRITERS)
    if unknown:
        p.error(f"unknown writer(s): {', '.join(sorted(unknown))}")
    from bench.ledger_data import build

    import openpyxl

    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; Python {sys.version.split()[0]}; "
          f"openpyxl {'with' if openpyxl.LXML else 'without'} lxml")
    with tempfile.TemporaryDirectory(prefix="bench-ledger-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for backend in ["sqlite", "postgres"] if args.backend == "both" else [args.backend]:
            url = f"sqlite:///{folder / 'bench.db'}" if backend == "sqlite" else PG_URL
            began = time.perf_counter()
            total = build(url, args.cases, confidential_extra=True)
            print(f"{backend}: {total:,} cases loaded ({args.cases:,} in the county ledger) "
                  f"in {time.perf_counter() - began:.1f} s", flush=True)
            measure(backend, url, writers, args.repeat, args.check, folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
