"""Reporting periods [start, end) in UTC, cut on the county's local calendar."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.errors import InvalidInput

DEFAULT_DAYS = 30
NAMED = ("week", "month", "year")


@dataclass(frozen=True)
class Period:
    """A half-open interval of time: start <= t < end, both aware UTC."""

    start: datetime
    end: datetime

    def previous(self) -> Period:
        """Return the period of the same length just before this one."""
        return Period(self.start - (self.end - self.start), self.start)

    def days(self, tz: ZoneInfo) -> list[Period]:
        """Split the period into local calendar days (the last one may be short)."""
        out, cursor = [], self.start
        while cursor < self.end:
            local = cursor.astimezone(tz).date()
            following = min(local_midnight(local + timedelta(days=1), tz), self.end)
            out.append(Period(cursor, following))
            cursor = following
        return out


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """Return the UTC moment at which `day` begins in the county's time zone."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(ZoneInfo("UTC"))


def named_period(name: str | None, now: datetime, tz: ZoneInfo) -> Period:
    """Return this week, this month or this year up to now (local calendar), or the last 30 days."""
    today = now.astimezone(tz).date()
    if not name:
        return Period(now - timedelta(days=DEFAULT_DAYS), now)
    if name == "week":
        return Period(local_midnight(today - timedelta(days=today.weekday()), tz), now)
    if name == "month":
        return Period(local_midnight(today.replace(day=1), tz), now)
    if name == "year":
        return Period(local_midnight(today.replace(month=1, day=1), tz), now)
    raise InvalidInput("period")


def between_dates(start: date | None, end: date | None, now: datetime, tz: ZoneInfo) -> Period:
    """Return [start, end) on local dates; no start means 30 days before the end, no end means now."""
    stop = local_midnight(end, tz) if end else now
    begin = local_midnight(start, tz) if start else stop - timedelta(days=DEFAULT_DAYS)
    if begin >= stop:
        raise InvalidInput("period")
    return Period(begin, stop)


def last_full_week(now: datetime, tz: ZoneInfo) -> Period:
    """Return the last complete local week, Monday 00:00 to Monday 00:00, before now."""
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    return Period(local_midnight(monday - timedelta(days=7), tz), local_midnight(monday, tz))


def week_label(period: Period, tz: ZoneInfo) -> str:
    """Return the ISO week of the period's start, e.g. 2026-W48."""
    year, week, _ = period.start.astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"
