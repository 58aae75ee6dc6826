"""Cron expressions mean what crontab means: day of week 0 and 7 are Sunday, 1 is Monday."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from services.cron import next_fire

SHANGHAI = ZoneInfo("Asia/Shanghai")
SUNDAY_NOON = datetime(2026, 11, 29, 4, 0, tzinfo=timezone.utc)  # 12:00 local, a Sunday


@pytest.mark.parametrize(("expression", "expected_local"), [
    ("0 8 * * *", "2026-11-30 08:00"),
    ("0 9 * * 1", "2026-11-30 09:00"),  # Monday
    ("0 9 * * 0", "2026-12-06 09:00"),  # Sunday
    ("0 9 * * 7", "2026-12-06 09:00"),  # Sunday too
    ("30 18 * * 1-5", "2026-11-30 18:30"),
    ("0 8 * * mon", "2026-11-30 08:00"),
])
def test_cron_expressions_fire_when_crontab_would(expression, expected_local):
    fired = next_fire(expression, SUNDAY_NOON, SHANGHAI)

    assert fired.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") == expected_local


@pytest.mark.parametrize("expression", ["", "0 8 * *", "61 8 * * *", "0 8 * * 9"])
def test_malformed_cron_expressions_are_refused(expression):
    with pytest.raises(ValueError):
        next_fire(expression, SUNDAY_NOON, SHANGHAI)
