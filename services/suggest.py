"""Suggest a category from the villager's own words, offline: keywords and character n-grams.

Each category is known by its names, the shipped words of services/category_words.py and the
summaries of past cases filed under it. A report scores a category by the keywords it contains
(longer words weigh more) plus the cosine similarity of its character unigrams and bigrams with the
category's (tf-idf); the best category is suggested only when the report shares some word or
n-gram with it. Nothing leaves the process
and no model is downloaded: the whole model is a few dictionaries, rebuilt from the database now
and then (`CategorySuggester`).
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Case
from models import queries as q
from services.category_words import KEYWORDS

NAME_WEIGHT = 3  # a category's name and keywords count as this many examples each
# How much full n-gram similarity (cosine, 0..1) counts against one character of a matched keyword.
SIMILARITY_WEIGHT = 4.0
# Below this score (no keyword, little shared n-gram weight) nothing is suggested.
MIN_SCORE = 0.4
FALLBACK = "other"


def _is_word_char(ch: str) -> bool:
    return ch.isalnum()


def grams(text: str) -> list[str]:
    """Return the character unigrams and bigrams of the text's runs of letters (CJK or not)."""
    out: list[str] = []
    run: list[str] = []
    for ch in (text or "").lower() + " ":
        if _is_word_char(ch):
            run.append(ch)
            continue
        out += run + ["".join(run[i:i + 2]) for i in range(len(run) - 1)]
        run = []
    return out


@dataclass(frozen=True)
class CategoryInfo:
    code: str
    name_zh: str
    name_en: str = ""


class SuggestionModel:
    """Keyword and n-gram scores per category, built once from names, keywords and examples."""

    def __init__(self, categories: Sequence[CategoryInfo], examples: Iterable[tuple[str, str]] = (),
                 keywords: dict[str, tuple[str, ...]] = KEYWORDS):
        self.codes = [c.code for c in categories]
        self.keywords: dict[str, tuple[str, ...]] = {}
        counts: dict[str, Counter] = {c.code: Counter() for c in categories}
        for category in categories:
            words = keywords.get(category.code)
            if words is None:
                # An imported category: its name and the name's two-character pieces are its words.
                name = category.name_zh
                words = tuple(dict.fromkeys([name] + [name[i:i + 2] for i in range(len(name) - 1)]))
            self.keywords[category.code] = tuple(w.lower() for w in words if w)
            for text in (category.name_zh, *words):
                for gram in grams(text):
                    counts[category.code][gram] += NAME_WEIGHT
        for code, text in examples:
            if code in counts:
                counts[code].update(grams(text))
        # Each category as a vector of n-gram weights: log term frequency times inverse category frequency.
        seen_in = Counter(g for c in counts.values() for g in c)
        self.idf = {g: math.log((1 + len(counts)) / (1 + n)) + 1 for g, n in seen_in.items()}
        self.vectors = {code: {g: (1 + math.log(n)) * self.idf[g] for g, n in c.items()} for code, c in counts.items()}
        self.norms = {code: math.sqrt(sum(w * w for w in v.values())) or 1.0 for code, v in self.vectors.items()}

    def keyword_score(self, code: str, text: str) -> int:
        """Sum the lengths of the category's keywords found in the text."""
        return sum(len(word) for word in self.keywords.get(code, ()) if word in text)

    def similarity(self, code: str, text_grams: set[str]) -> float:
        """Return the cosine similarity (0..1) of the text's n-grams and the category's."""
        vector = self.vectors[code]
        weights = {g: self.idf[g] for g in text_grams if g in self.idf}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        if not norm:
            return 0.0
        return sum(w * vector.get(g, 0.0) for g, w in weights.items()) / (norm * self.norms[code])

    def ranking(self, text: str) -> list[tuple[str, float]]:
        """Return every category with its score, best first."""
        text = (text or "").lower()
        text_grams = set(grams(text))
        if not text_grams or not self.codes:
            return []
        scored = [(code, self.keyword_score(code, text) + SIMILARITY_WEIGHT * self.similarity(code, text_grams))
                  for code in self.codes]
        return sorted(scored, key=lambda pair: (-pair[1], self.codes.index(pair[0])))

    def suggest(self, text: str, min_score: float = MIN_SCORE) -> str | None:
        """Return the category the words point at best, or None when none scores at least `min_score`."""
        ranking = self.ranking(text)
        if not ranking or ranking[0][1] < min_score or ranking[0][0] == FALLBACK:
            return None
        return ranking[0][0]


class CategorySuggester:
    """The suggestion model of a running bot, rebuilt from the database every `refresh`."""

    def __init__(self, refresh: timedelta = timedelta(hours=1), history: int = 3000):
        self.refresh, self.history = refresh, history
        self._model: SuggestionModel | None = None
        self._built_at: datetime | None = None

    async def model(self, session: AsyncSession, now: datetime) -> SuggestionModel:
        """Return the model, rebuilding it when it is older than `refresh`."""
        if self._model is None or self._built_at is None or now - self._built_at >= self.refresh:
            categories = [CategoryInfo(c.code, c.name_zh, c.name_en) for c in await q.categories(session)]
            examples = (await session.execute(select(Case.category_code, Case.summary)
                                              .order_by(Case.id.desc()).limit(self.history))).all()
            self._model, self._built_at = SuggestionModel(categories, examples), now
        return self._model

    async def suggest(self, session: AsyncSession, text: str, now: datetime) -> str | None:
        """Return the suggested category code for the words, or None."""
        if not (text or "").strip():
            return None
        return (await self.model(session, now)).suggest(text)
