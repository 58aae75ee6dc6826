"""Text people type: what counts as empty, and what a database cannot store."""
from __future__ import annotations

import unicodedata

# Characters that render as nothing although Unicode does not class them as format characters.
_INVISIBLE = frozenset("\u115f\u1160\u2800\u3164\uffa0")
_KEPT_CONTROLS = frozenset("\n\t")


def clean(text: str | None) -> str:
    """Return the text trimmed and without control characters (PostgreSQL cannot store NUL)."""
    text = text or ""
    if not text.isprintable():
        text = "".join(ch for ch in text if ch in _KEPT_CONTROLS or unicodedata.category(ch) != "Cc")
    return text.strip()


def is_blank(text: str | None) -> bool:
    """Say whether the text shows nothing: spaces, zero-width, format or control characters only."""
    return all(ch.isspace() or ch in _INVISIBLE or unicodedata.category(ch) in ("Cc", "Cf") for ch in text or "")


def telegram_length(text: str | None) -> int:
    """Return the length Telegram counts against its limits: UTF-16 code units (most emoji count two)."""
    return len((text or "").encode("utf-16-le")) // 2


def fitting(text: str, limit: int) -> int:
    """Return how many characters from the start of the text fit in `limit` UTF-16 code units."""
    if len(text) <= limit // 2 or text.isascii():
        return min(len(text), limit)
    units = 0
    for index, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)
