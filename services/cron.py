"""Cron expressions as people write them (day of week 0 or 7 = Sunday, 1 = Monday)."""
from __future__ import annotations

import re
from datetime import datetime, tzinfo

from apscheduler.triggers.cron import CronTrigger

DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def cron_trigger(expression: str, tz: tzinfo) -> CronTrigger:
    """Return an APScheduler trigger for a standard five-field crontab line.

    APScheduler numbers weekdays from Monday = 0, crontab from Sunday = 0; names mean the same
    in both, so numbers in the day-of-week field are turned into names.
    """
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"a cron expression has 5 fields, not {len(fields)}: {expression!r}")
    minute, hour, day, month, weekday = fields
    weekday = re.sub(r"(?<![/\d])([0-7])(?!\d)", lambda m: DAYS[int(m.group(1))], weekday)
    return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=weekday, timezone=tz)


def next_fire(expression: str, after: datetime, tz: tzinfo) -> datetime | None:
    """Return the next moment the expression fires after `after`."""
    return cron_trigger(expression, tz).get_next_fire_time(None, after)
