"""Read the dashboard's query strings (period, ledger filters, sorting) into plain values.

People edit URLs by hand: a value that cannot be read is treated as absent, never as an error page.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.datastructures import QueryParams

from models.enums import Status
from services.dashboard import SORTS, CaseFilter
from services.errors import InvalidInput
from services.periods import NAMED, Period, between_dates, local_midnight, named_period

# The query keys of the ledger view; the export link carries exactly these.
LEDGER_KEYS = ("status", "township", "village", "category", "owner", "overdue", "period", "from", "to")


@dataclass(frozen=True)
class ChosenPeriod:
    """The period a page shows and how it was asked for."""

    period: Period | None
    name: str = ""
    start: str = ""
    end: str = ""
    invalid: bool = False


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) < 10 else None


def chosen_period(params: QueryParams, now: datetime, tz: ZoneInfo, default_all: bool = False) -> ChosenPeriod:
    """Return the period asked for: week, month, year, from/to local dates, else the default.

    The default is the last 30 days (as /stats), or every case when `default_all` (as /ledger).
    """
    name = params.get("period", "")
    start, end = _day(params.get("from")), _day(params.get("to"))
    if start or end:
        try:
            if default_all and start is None:
                return ChosenPeriod(Period(local_midnight(date(1970, 1, 1), tz), local_midnight(end, tz)),
                                    end=end.isoformat())
            period = between_dates(start, end, now, tz)
        except InvalidInput:
            return ChosenPeriod(None if default_all else named_period(None, now, tz), invalid=True)
        return ChosenPeriod(period, start=start.isoformat() if start else "", end=end.isoformat() if end else "")
    if name in NAMED:
        return ChosenPeriod(named_period(name, now, tz), name=name)
    return ChosenPeriod(None if default_all else named_period(None, now, tz))


def case_filter(params: QueryParams, period: Period | None) -> CaseFilter:
    """Return the ledger filters of a query string."""
    status = params.get("status", "")
    return CaseFilter(
        status=Status(status) if status in set(Status) else None,
        township_id=_int(params.get("township")), village_id=_int(params.get("village")),
        category_code=params.get("category") or None, owner_id=_int(params.get("owner")),
        overdue=params.get("overdue") in ("1", "on", "true"), period=period,
    )


@dataclass(frozen=True)
class Sorting:
    key: str = "number"
    descending: bool = True
    page: int = 1


def sorting(params: QueryParams) -> Sorting:
    """Return the ledger's sort key, direction and page."""
    key = params.get("sort", "number")
    return Sorting(key if key in SORTS else "number", params.get("dir", "desc") != "asc",
                   _int(params.get("page")) or 1)


def query_string(params: QueryParams, keys=LEDGER_KEYS, **changes) -> str:
    """Return the query string of the given keys with some values changed (None drops a key)."""
    values = {k: params.get(k) for k in keys if params.get(k)}
    for key, value in changes.items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    return urlencode(values)
