"""Rank units by a composite of the three hotline rates (响应率, 解决率, 满意率), weights configurable."""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.metrics import Cut, Metrics, Scope, Unit, compute_by
from services.periods import Period

# Which rate of Metrics each weight applies to.
PARTS = {"response": "response_rate", "resolution": "resolution_rate", "satisfaction": "satisfaction_rate"}


@dataclass(frozen=True)
class RankWeights:
    """How much each rate counts in the composite score; they need not add up to 1."""

    response: float = 0.3
    resolution: float = 0.3
    satisfaction: float = 0.4

    def __post_init__(self):
        values = [getattr(self, f.name) for f in fields(self)]
        if any(v < 0 for v in values) or not any(values):
            raise ValueError("rank weights must be >= 0 and not all zero")

    @classmethod
    def parse(cls, text: str | None) -> RankWeights:
        """Read "response=0.3,resolution=0.3,satisfaction=0.4" (any subset; the rest keep defaults)."""
        if not text or not text.strip():
            return cls()
        values = {}
        for item in text.split(","):
            name, sep, number = item.partition("=")
            name = name.strip()
            if not sep or name not in PARTS:
                raise ValueError(f"RANK_WEIGHTS: expected name=number with names {', '.join(PARTS)}; got {item!r}")
            try:
                values[name] = float(number)
            except ValueError:
                raise ValueError(f"RANK_WEIGHTS: {number.strip()!r} is not a number") from None
        return cls(**values)

    def score(self, metrics: Metrics) -> float | None:
        """Return the weighted mean (0-100) of the rates that have data, or None when none has."""
        total = weight = 0.0
        for name, rate in PARTS.items():
            value = getattr(metrics, rate)
            if value is not None:
                total += getattr(self, name) * value
                weight += getattr(self, name)
        return 100 * total / weight if weight else None


@dataclass(frozen=True)
class Ranked:
    place: int | None
    unit: Unit
    score: float | None


def rank(units: list[Unit], weights: RankWeights) -> list[Ranked]:
    """Order units by score, best first; equal scores share a place; units without data go last."""
    scored = sorted(((weights.score(u.metrics), u) for u in units),
                    key=lambda pair: (pair[0] is None, -(pair[0] or 0), pair[1].name))
    out: list[Ranked] = []
    for index, (score, unit) in enumerate(scored, start=1):
        if score is None:
            place = None
        elif out and out[-1].score is not None and round(out[-1].score, 1) == round(score, 1):
            place = out[-1].place
        else:
            place = index
        out.append(Ranked(place, unit, score))
    return out


async def ranking(session: AsyncSession, period: Period, now: datetime, cut: Cut, scope: Scope,
                  weights: RankWeights) -> list[Ranked]:
    """Return the units of the cut in scope, ranked by their composite score over the period."""
    return rank(await compute_by(session, period, now, cut, scope), weights)
