"""What the services need to know of the configuration, without reading settings themselves."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from services.deadlines import DeadlinePolicy


@dataclass(frozen=True)
class ServiceConfig:
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    deadlines: DeadlinePolicy = field(default_factory=DeadlinePolicy)
    followup_window: timedelta = timedelta(days=3)
    max_parts: int = 20
