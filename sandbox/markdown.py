"""Telegram's MarkdownV2 and legacy Markdown parse modes, modelled on tdlib's parsers."""
from __future__ import annotations

import re

from sandbox.entities import EntityCollector, ParseError, byte_offset

MDV2_RESERVED = "_*[]()~`>#+-=|{}.!"
_MDV2_NAMES = {"bold": "Bold", "italic": "Italic", "underline": "Underline", "strikethrough": "Strikethrough",
               "spoiler": "Spoiler", "text_link": "TextUrl", "code": "Code", "pre": "Pre"}


def _mdv2_closes(kind: str, text: str, i: int) -> bool:
    ch, nxt = text[i], text[i + 1:i + 2]
    return {"bold": ch == "*", "italic": ch == "_" and nxt != "_", "underline": text.startswith("__", i),
            "strikethrough": ch == "~", "spoiler": text.startswith("||", i), "text_link": ch == "]",
            "code": ch == "`", "pre": text.startswith("```", i)}[kind]


def parse_markdown_v2(text: str) -> tuple[str, list[dict]]:
    """Parse MarkdownV2; return (visible text, entities) or raise ParseError."""
    acc = EntityCollector()
    stack: list[tuple[str, int, int, dict]] = []  # kind, utf16 start, index, extra
    quote_start: int | None = None
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        in_code = bool(stack) and stack[-1][0] in ("code", "pre")
        at_line_start = i == 0 or text[i - 1] == "\n"
        if at_line_start and not in_code:
            if quote_start is not None and ch != ">":
                acc.close("blockquote", quote_start)
                quote_start = None
            if ch == ">":
                quote_start = acc.offset if quote_start is None else quote_start
                i += 1
                continue
        if ch == "\\" and i + 1 < n and 0 < ord(text[i + 1]) < 127:
            acc.add(text[i + 1])
            i += 2
            continue
        if in_code and not (ch == "`"):
            acc.add(ch)
            i += 1
            continue
        if ch not in MDV2_RESERVED:
            acc.add(ch)
            i += 1
            continue
        if stack and _mdv2_closes(stack[-1][0], text, i):
            kind, start, _, extra = stack.pop()
            i += {"underline": 2, "spoiler": 2, "pre": 3}.get(kind, 1)
            if kind == "text_link":
                extra = {"url": ""}
                if text.startswith("(", i):
                    end = text.find(")", i)
                    if end < 0:
                        raise ParseError(f"Can't find end of a URL at byte offset {byte_offset(text, i)}")
                    extra["url"], i = text[i + 1:end].replace("\\)", ")"), end + 1
                if not extra["url"]:
                    continue
            acc.close(kind, start, extra)
            continue
        extra: dict = {}
        if text.startswith("__", i):
            kind, i = "underline", i + 2
        elif text.startswith("||", i):
            kind, i = "spoiler", i + 2
        elif text.startswith("```", i):
            end_of_line = text.find("\n", i + 3)
            language = text[i + 3:end_of_line] if end_of_line >= 0 else ""
            kind = "pre"
            i = end_of_line + 1 if end_of_line >= 0 and re.fullmatch(r"[\w+#.-]*", language) else i + 3
            if language and end_of_line >= 0:
                extra["language"] = language
        elif ch in "_*~[`":
            kind = {"_": "italic", "*": "bold", "~": "strikethrough", "[": "text_link", "`": "code"}[ch]
            i += 1
        else:
            raise ParseError(f"Character '{ch}' is reserved and must be escaped with the preceding '\\'")
        stack.append((kind, acc.offset, i, extra))
    if stack:
        kind, _, index, _ = stack[-1]
        raise ParseError(f"Can't find end of {_MDV2_NAMES[kind]} entity at byte offset "
                         f"{byte_offset(text, index - 1)}")
    if quote_start is not None:
        acc.close("blockquote", quote_start)
    return acc.result()


def parse_markdown(text: str) -> tuple[str, list[dict]]:
    """Parse legacy Markdown (*bold* _italic_ `code` ```pre``` [text](url)); raise ParseError if refused."""
    acc = EntityCollector()
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            acc.add(text[i + 1])
            i += 2
            continue
        if ch not in "_*`[":
            acc.add(ch)
            i += 1
            continue
        begin, start = i, acc.offset
        closer = {"_": "_", "*": "*", "`": "`", "[": "]"}[ch]
        if text.startswith("```", i):
            closer, kind, i = "```", "pre", i + 3
        else:
            kind, i = {"_": "italic", "*": "bold", "`": "code", "[": "text_link"}[ch], i + 1
        end = text.find(closer, i)
        if end < 0:
            raise ParseError(f"Can't find end of the entity starting at byte offset {byte_offset(text, begin)}")
        acc.add(text[i:end])
        i = end + len(closer)
        extra: dict = {}
        if kind == "text_link":
            if not text.startswith("(", i) or text.find(")", i) < 0:
                continue
            extra["url"], i = text[i + 1:text.find(")", i)], text.find(")", i) + 1
        acc.close(kind, start, extra)
    return acc.result()
