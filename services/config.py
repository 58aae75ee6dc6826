"""What the services need to know of the configuration, without reading settings themselves."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from services.deadlines import DeadlinePolicy
from services.flood import FloodLimit
from services.risk import DEFAULT_DANGER_WORDS
from services.signoff_rules import SignoffPolicy


@dataclass(frozen=True)
class ServiceConfig:
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    deadlines: DeadlinePolicy = field(default_factory=DeadlinePolicy)
    followup_window: timedelta = timedelta(days=3)
    max_parts: int = 20
    signoff: SignoffPolicy = field(default_factory=SignoffPolicy)
    danger_words: tuple[str, ...] = DEFAULT_DANGER_WORDS
    pair_visit_every: timedelta = timedelta(days=30)
    # Abuse: messages and presses per person in a window (None: no limit), and the open cases a villager
    # may have at once without a supervisor's note (None: no cap). Settings turn both on by default.
    flood_limit: FloodLimit | None = None
    max_open_cases: int | None = None
