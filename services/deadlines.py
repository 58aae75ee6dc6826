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

    def resolve_time(self, category: Category, level: Level) -> timedelta:
        """Return the time to settle a case of this category at this level."""
        return self.level_resolve.get(level, timedelta(seconds=category.resolve_s))

    def first_response_time(self, category: Category) -> timedelta:
        """Return the time allowed before first contact."""
        own = timedelta(seconds=category.first_response_s)
        return min(own, self.urgent_first_response) if category.urgent else own


def set_deadlines(case: Case, category: Category, level: Level, policy: DeadlinePolicy, now: datetime) -> None:
    """Start the settlement clock at `now` for the level; first contact only once."""
    case.due_at = now + policy.resolve_time(category, level)
    if case.first_response_due is None:
        case.first_response_due = now + policy.first_response_time(category)
