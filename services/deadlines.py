"""Deadlines: first contact and settlement, from the category and the level."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from models import Case, Category
from models.enums import Level


@dataclass(frozen=True)
class DeadlinePolicy:
    """How long each level has; a level's override beats the category's own figure."""

    level_resolve: dict[Level, timedelta] = field(
        default_factory=lambda: {Level.township: timedelta(days=15), Level.county: timedelta(days=30)}
    )
    urgent_first_response: timedelta = timedelta(hours=2)
    escalate_after: timedelta = timedelta(days=2)

    def resolve_time(self, category: Category, level: Level, escalated: bool = True) -> timedelta:
        """Return the time to settle: the category's own at intake, the level's once escalated."""
        own = timedelta(seconds=category.resolve_s)
        if not escalated:
            return self.level_resolve.get(Level.village, own)
        return self.level_resolve.get(level, own)

    def first_response_time(self, category: Category) -> timedelta:
        """Return the time allowed before first contact."""
        own = timedelta(seconds=category.first_response_s)
        return min(own, self.urgent_first_response) if category.urgent else own


def can_escalate(case: Case) -> bool:
    """Tell whether there is a level above the case's (inspector cases never leave the inspector)."""
    return not case.confidential and case.level != Level.county


def set_deadlines(case: Case, category: Category, level: Level, policy: DeadlinePolicy, now: datetime,
                  escalated: bool = True) -> None:
    """Start the settlement clock at `now` for the level; first contact only once."""
    start_clock(case, now + policy.resolve_time(category, level, escalated), policy, now)
    if case.first_response_due is None:
        case.first_response_due = now + policy.first_response_time(category)


def start_clock(case: Case, due_at: datetime, policy: DeadlinePolicy, now: datetime) -> None:
    """Run a fresh settlement clock from now to `due_at`: reminders and escalation start over."""
    case.due_at = due_at
    case.deadline_started_at = now
    case.deadline_stage = 0
    case.supervised = False
    case.escalate_at = due_at + policy.escalate_after if can_escalate(case) else None
