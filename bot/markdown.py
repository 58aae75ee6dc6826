"""The little Markdown an explainer uses, as Telegram HTML: headings, bold, lists, paragraphs."""
from __future__ import annotations

import re

from bot.texts import esc, split_plain

BOLD = re.compile(r"\*\*(.+?)\*\*")


def to_html(markdown: str) -> str:
    """Render headings and **bold** as <b>, list items as •, everything else escaped."""
    lines = []
    for raw in markdown.strip().splitlines():
        line = raw.rstrip()
        heading = re.match(r"^#{1,6}\s+(.*)$", line)
        item = re.match(r"^\s*[-*]\s+(.*)$", line)
        if heading:
            lines.append(f"<b>{esc(heading.group(1))}</b>")
        elif item:
            lines.append("• " + BOLD.sub(r"<b>\1</b>", esc(item.group(1))))
        else:
            lines.append(BOLD.sub(r"<b>\1</b>", esc(line)))
    return "\n".join(lines)


def pages(markdown: str, limit: int = 3000) -> list[str]:
    """Split an explainer into messages Telegram accepts, each rendered on its own."""
    return [to_html(piece) for piece in split_plain(markdown, limit)]
