"""The operator's supervision commands: `python -m bot stats` and `python -m bot ledger export`."""
from __future__ import annotations

import json
import logging
import unicodedata
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli import CommandError
from bot.settings import Settings
from models import Township
from models.db import make_engine, make_sessionmaker
from services.diary_stats import VisitCount, visits_per_cadre
from services.errors import InvalidInput
from services.ledger import write_ledger
from services.metrics import RATES, Cut, Metrics, Scope, compute, compute_by
from services.periods import Period, between_dates, local_midnight

log = logging.getLogger(__name__)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# (header, how to show the metric)
TABLE = (
    ("received", lambda m: str(m.received)),
    ("response", lambda m: _pct(m.response_rate)),
    ("closure", lambda m: _pct(m.closure_rate)),
    ("on time", lambda m: _pct(m.on_time_rate)),
    ("resolution", lambda m: _pct(m.resolution_rate)),
    ("satisfaction", lambda m: _pct(m.satisfaction_rate)),
    ("mediation", lambda m: _pct(m.mediation_rate)),
    ("contact h", lambda m: _num(m.median_first_contact_s, 3600)),
    ("close d", lambda m: _num(m.median_close_s, 86400)),
    ("overdue", lambda m: str(m.overdue)),
)


async def dispatch(args, settings: Settings) -> int:
    """Run `stats` or `ledger export` against the configured database."""
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            scope = await _scope(session, args.township)
            if args.command == "stats":
                return await stats(session, args, settings, scope)
            return await export_ledger(session, args, settings, scope)
    finally:
        await engine.dispose()


async def _scope(session: AsyncSession, township: str | None) -> Scope:
    """Return the operator's scope: the county, or one township named exactly; never inspector cases."""
    if township is None:
        return Scope()
    found = await session.scalar(select(Township).where(Township.name == township))
    if found is None:
        known = (await session.scalars(select(Township.name).order_by(Township.name))).all()
        names = ", ".join(known) or "none (import the directory first)"
        raise CommandError(f"no township named {township!r}; known: {names}")
    return Scope(township_id=found.id)


async def stats(session: AsyncSession, args, settings: Settings, scope: Scope) -> int:
    """Print the metrics per township (or per village of one township) and in total."""
    now = datetime.now(timezone.utc)
    try:
        period = between_dates(args.start, args.end, now, settings.tz)
    except InvalidInput:
        raise CommandError("--from must be before --to") from None
    cut = Cut.township if scope.township_id is None else Cut.village
    units = await compute_by(session, period, now, cut, scope)
    total = await compute(session, period, now, scope)
    visits = await visits_per_cadre(session, period, scope)
    if args.json:
        print(json.dumps({
            "from": period.start.isoformat(), "to": period.end.isoformat(), "township": args.township,
            "rates": list(RATES), "total": total.as_dict(),
            "units": [{"cut": u.cut, "name": u.name, **u.metrics.as_dict()} for u in units],
            "visits": [v.as_dict() for v in visits],
        }, ensure_ascii=False, indent=2))
        return 0
    start, end = (f"{t.astimezone(settings.tz):%Y-%m-%d %H:%M}" for t in (period.start, period.end))
    print(f"period {start} – {end} ({settings.timezone}), {args.township or 'whole county'}")
    print(table([(u.name, u.metrics) for u in units] + [("total", total)], cut.value))
    print()
    print(visits_table(visits))
    return 0


def visits_table(visits: list[VisitCount]) -> str:
    """Lay out the household visits (民情日记) per cadre."""
    if not visits:
        return "household visits: none logged"
    rows = [["cadre", "visits", "households"]] + [[v.cadre, str(v.visits), str(v.households)] for v in visits]
    widths = [max(_width(row[i]) for row in rows) for i in range(3)]
    return "\n".join("  ".join([_pad(row[0], widths[0], left=True)] + [_pad(c, w) for c, w in zip(row[1:], widths[1:])])
                     for row in rows)


async def export_ledger(session: AsyncSession, args, settings: Settings, scope: Scope) -> int:
    """Write the ledger; without dates, every case."""
    now = datetime.now(timezone.utc)
    period = None
    if args.start or args.end:
        start = local_midnight(args.start, settings.tz) if args.start else EPOCH
        end = local_midnight(args.end, settings.tz) if args.end else now
        if start >= end:
            raise CommandError("--from must be before --to")
        period = Period(start, end)
    if args.file.suffix.lower() != ".xlsx":
        raise CommandError(f"{args.file} should end in .xlsx")
    args.file.parent.mkdir(parents=True, exist_ok=True)
    count = await write_ledger(session, str(args.file), scope=scope, period=period, now=now, tz=settings.tz)
    print(f"ledger written to {args.file}: {count} case(s)")
    return 0


def table(rows: list[tuple[str, Metrics]], unit: str) -> str:
    """Lay the rows out in columns; Chinese names count two columns wide."""
    header = [unit] + [title for title, _show in TABLE]
    body = [[name] + [show(m) for _title, show in TABLE] for name, m in rows]
    widths = [max(_width(row[i]) for row in [header] + body) for i in range(len(header))]
    lines = []
    for row in [header] + body:
        cells = [_pad(row[0], widths[0], left=True)] + [_pad(c, w) for c, w in zip(row[1:], widths[1:])]
        lines.append("  ".join(cells))
    return "\n".join(lines)


def _pct(rate: float | None) -> str:
    """Show a rate in percent, or a dash for no data."""
    return "-" if rate is None else f"{rate * 100:.1f}%"


def _num(seconds: float | None, unit: int) -> str:
    """Show seconds in hours or days, or a dash for no data."""
    return "-" if seconds is None else f"{seconds / unit:.1f}"


def _width(text: str) -> int:
    """Return how many terminal columns the text takes."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, left: bool = False) -> str:
    """Pad the text to the width, right-aligned unless `left`."""
    fill = " " * (width - _width(text))
    return text + fill if left else fill + text
