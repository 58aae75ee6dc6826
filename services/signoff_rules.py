"""Which cases need a supervisor's sign-off (销号): a category's own say, else SIGNOFF_REQUIRED."""
from __future__ import annotations

from dataclasses import dataclass

from models import Category
from models.enums import Kind
from services.categories import DISPUTE_CATEGORIES

WORDS = ("disputes", "supervised", "all", "none")


@dataclass(frozen=True)
class SignoffPolicy:
    """Which cases need a supervisor's sign-off when a category does not say (SIGNOFF_REQUIRED)."""

    disputes: bool = True
    supervised: bool = True
    everything: bool = False
    categories: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: str | None) -> SignoffPolicy:
        """Read "disputes,supervised" (the default), "all", "none", or category codes, comma-separated."""
        if text is None or not text.strip():
            return cls()
        words = [w.strip() for w in text.replace("，", ",").split(",") if w.strip()]
        if "none" in words and len(words) > 1:
            raise ValueError("SIGNOFF_REQUIRED: 'none' cannot be combined with anything else")
        codes = frozenset(w for w in words if w not in WORDS)
        return cls(disputes="disputes" in words, supervised="supervised" in words, everything="all" in words,
                   categories=codes)


def is_dispute(category: Category) -> bool:
    """Tell whether the category holds disputes between people (counted for mediation)."""
    return category.kind == Kind.complaint and category.code in DISPUTE_CATEGORIES


def category_requires(category: Category, policy: SignoffPolicy) -> bool | None:
    """Say whether the category alone requires sign-off: its own column first, then the setting."""
    if category.needs_signoff is not None:
        return category.needs_signoff
    if policy.everything or category.code in policy.categories or (policy.disputes and is_dispute(category)):
        return True
    return None
