"""What the formatting parsers share: their error, Telegram's UTF-16 lengths, and an entity collector."""
from __future__ import annotations


class ParseError(ValueError):
    """Markup that Telegram's parser refuses; str() is the text after 'can't parse entities: '."""


def utf16_len(text: str) -> int:
    """Return the length of text in UTF-16 code units, the unit of Telegram's offsets and limits."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def byte_offset(text: str, index: int) -> int:
    """Return the UTF-8 byte offset of text[index], the unit of Telegram's error messages."""
    return len(text[:index].encode("utf-8"))


class EntityCollector:
    """Collects entities while the visible text grows, with offsets in UTF-16 units."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.offset = 0
        self.entities: list[dict] = []

    def add(self, chunk: str) -> None:
        """Append visible text."""
        self.out.append(chunk)
        self.offset += utf16_len(chunk)

    def close(self, entity_type: str, start: int, extra: dict | None = None) -> None:
        """End an entity that began at UTF-16 offset start (empty entities are dropped, as Telegram drops them)."""
        if self.offset > start:
            self.entities.append({"type": entity_type, "offset": start, "length": self.offset - start,
                                  **(extra or {})})

    def result(self) -> tuple[str, list[dict]]:
        """Return the visible text and the entities in Telegram's order."""
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities
