"""Telegram's formatting: markup in, visible text and entities out, for each parse mode."""
from __future__ import annotations

from functools import lru_cache

from sandbox.entities import ParseError, utf16_len
from sandbox.html_markup import parse_html
from sandbox.markdown import parse_markdown, parse_markdown_v2

__all__ = ["ParseError", "parse", "parse_html", "parse_markdown", "parse_markdown_v2", "utf16_len"]


def parse(text: str, parse_mode: str | None) -> tuple[str, list[dict]]:
    """Return the visible text and entities of text under parse_mode; raise ParseError if refused."""
    mode = (parse_mode or "").lower()
    if mode not in ("", "html", "markdownv2", "markdown"):
        raise ParseError(f"unsupported parse_mode {parse_mode!r}")
    visible, entities = _parsed(text, mode)
    return visible, [dict(entity) for entity in entities]


# A call's text is parsed twice (its check, then the stored message) and a broadcast's is the same for
# every chat: remember recent results. (Refusals are not remembered; they raise every time.)
@lru_cache(maxsize=256)
def _parsed(text: str, mode: str) -> tuple[str, list[dict]]:
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    return text, []
