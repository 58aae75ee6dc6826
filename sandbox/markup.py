"""Telegram's formatting: markup in, visible text and entities out, for each parse mode."""
from __future__ import annotations

from sandbox.entities import ParseError, utf16_len
from sandbox.html_markup import parse_html
from sandbox.markdown import parse_markdown, parse_markdown_v2

__all__ = ["ParseError", "parse", "parse_html", "parse_markdown", "parse_markdown_v2", "utf16_len"]


def parse(text: str, parse_mode: str | None) -> tuple[str, list[dict]]:
    """Return the visible text and entities of text under parse_mode; raise ParseError if refused."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    if mode:
        raise ParseError(f"unsupported parse_mode {parse_mode!r}")
    return text, []
