"""Telegram's HTML parse mode, modelled on tdlib's parser so errors read as the Bot API's do.

One deliberate difference: a bare ``&`` that starts no character entity is refused here, while Telegram
shows it literally. That catches untrusted text put into HTML without escaping.
"""
from __future__ import annotations

import re

from sandbox.entities import EntityCollector, ParseError, byte_offset

HTML_TAGS = frozenset({"a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "tg-spoiler", "tg-emoji",
                       "span", "pre", "code", "blockquote"})
_HTML_ENTITY_TYPES = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
                      "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
                      "tg-spoiler": "spoiler", "span": "spoiler", "code": "code", "pre": "pre",
                      "blockquote": "blockquote", "a": "text_link", "tg-emoji": "custom_emoji"}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACE = " \t\r\n\f\v"
_MARKUP = re.compile(r"[&<]")


def _decode_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode the character entity at text[pos] == '&' into (character, next position), or None."""
    end = pos + 1
    if text.startswith("#", end):
        end += 1
        hexadecimal = text.startswith("x", end) or text.startswith("X", end)
        if hexadecimal:
            end += 1
        digits = re.match(r"[0-9a-fA-F]*" if hexadecimal else r"[0-9]*", text[end:]).group()
        end += len(digits)
        if not digits or end - pos >= 10:
            return None
        code = int(digits, 16 if hexadecimal else 10)
        if code == 0 or code >= 0x10FFFF:
            return None
        char = chr(code)
    else:
        name = re.match(r"[A-Za-z]*", text[end:]).group()
        end += len(name)
        if name not in _NAMED:
            return None
        char = _NAMED[name]
    if text.startswith(";", end):
        end += 1
    return char, end


def parse_html(text: str) -> tuple[str, list[dict]]:
    """Parse Telegram's HTML subset; return (visible text, entities) or raise ParseError."""
    acc = EntityCollector()
    stack: list[tuple[str, dict, int, int]] = []  # tag, attributes, utf16 start, index of '<'
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "&":
            decoded = _decode_entity(text, i)
            if decoded is None:
                raise ParseError(f'Character "&" at byte offset {byte_offset(text, i)} starts no character '
                                 f'entity; write &amp;')
            acc.add(decoded[0])
            i = decoded[1]
            continue
        if ch != "<":
            # Plain text up to the next tag or character entity, in one piece.
            found = _MARKUP.search(text, i)
            end = found.start() if found else n
            acc.add(text[i:end])
            i = end
            continue
        begin = i
        i += 1
        if i < n and text[i] == "/":
            i = _close_tag(text, begin, stack, acc)
            continue
        while i < n and text[i] not in _SPACE and text[i] != ">":
            i += 1
        if i >= n:
            raise ParseError(f"Unclosed start tag at byte offset {byte_offset(text, begin)}")
        tag = text[begin + 1:i].lower()
        if tag not in HTML_TAGS:
            raise ParseError(f'Unsupported start tag "{tag}" at byte offset {byte_offset(text, begin)}')
        attributes, i = _attributes(text, i, tag, begin)
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            raise ParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(text, begin)}')
        stack.append((tag, attributes, acc.offset, begin))
        i += 1  # past '>'
    if stack:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return _merge_pre_code(*acc.result())


def _attributes(text: str, i: int, tag: str, begin: int) -> tuple[dict, int]:
    """Read a start tag's attributes from text[i:]; return them and the index of the closing '>'."""
    n = len(text)
    attributes: dict[str, str] = {}
    while True:
        while i < n and text[i] in _SPACE:
            i += 1
        if i >= n:
            raise ParseError(f'Unclosed start tag "{tag}" at byte offset {byte_offset(text, begin)}')
        if text[i] == ">":
            return attributes, i
        name_start = i
        while i < n and text[i] not in _SPACE and text[i] not in "=>":
            i += 1
        name = text[name_start:i].lower()
        while i < n and text[i] in _SPACE:
            i += 1
        if i >= n or text[i] != "=":
            if name == "expandable" and tag == "blockquote":  # the one attribute Telegram takes without value
                attributes[name] = ""
                continue
            raise ParseError(f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                             f"at byte offset {byte_offset(text, begin)}")
        i += 1
        while i < n and text[i] in _SPACE:
            i += 1
        if i >= n:
            raise ParseError(f'Unclosed start tag "{tag}" at byte offset {byte_offset(text, begin)}')
        if text[i] in "'\"":
            quote, i = text[i], i + 1
            value: list[str] = []
            while i < n and text[i] != quote:
                decoded = _decode_entity(text, i) if text[i] == "&" else None
                if decoded:
                    value.append(decoded[0])
                    i = decoded[1]
                else:
                    value.append(text[i])
                    i += 1
            if i >= n:
                raise ParseError(f'Unclosed start tag "{tag}" at byte offset {byte_offset(text, begin)}')
            i += 1
            attributes[name] = "".join(value)
        else:
            token = re.match(r"[A-Za-z0-9.\-]*", text[i:]).group()
            i += len(token)
            if i < n and text[i] not in _SPACE and text[i] != ">":
                raise ParseError(f"Unexpected end of name token at byte offset {byte_offset(text, i)}")
            attributes[name] = token.lower()


def _close_tag(text: str, begin: int, stack: list, acc: EntityCollector) -> int:
    """Handle the end tag starting at text[begin]; return the index after its '>'."""
    n = len(text)
    if not stack:
        raise ParseError(f"Unexpected end tag at byte offset {byte_offset(text, begin)}")
    i = begin + 2
    while i < n and text[i] not in _SPACE and text[i] != ">":
        i += 1
    name = text[begin + 2:i].lower()
    while i < n and text[i] in _SPACE:
        i += 1
    if i >= n or text[i] != ">":
        raise ParseError(f"Unclosed end tag at byte offset {byte_offset(text, begin)}")
    tag, attributes, start, _ = stack.pop()
    if name and name != tag:
        raise ParseError(f'Unmatched end tag at byte offset {byte_offset(text, begin)}, expected "</{tag}>", '
                         f'found "</{name}>"')
    extra: dict = {}
    entity_type = _HTML_ENTITY_TYPES[tag]
    if tag == "a":
        extra["url"] = attributes.get("href", "")
        if not extra["url"]:
            entity_type = ""
    elif tag == "code" and attributes.get("class", "").startswith("language-"):
        extra["language"] = attributes["class"][len("language-"):]
    elif tag == "blockquote" and "expandable" in attributes:
        entity_type = "expandable_blockquote"
    elif tag == "tg-emoji":
        extra["custom_emoji_id"] = attributes.get("emoji-id", "")
    if entity_type:
        acc.close(entity_type, start, extra)
    return i + 1


def _merge_pre_code(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    """Fold <pre><code class="language-x"> into one pre entity with a language, as Telegram does."""
    pres = {(e["offset"], e["length"]): e for e in entities if e["type"] == "pre"}
    merged = []
    for entity in entities:
        outer = pres.get((entity["offset"], entity["length"]))
        if entity["type"] == "code" and outer is not None:
            if "language" in entity:
                outer["language"] = entity["language"]
            continue
        merged.append(entity)
    return text, merged
