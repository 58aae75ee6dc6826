"""The bot's log: one line per event an operator cares about, never a token or a phone number.

Every record that reaches the log's handler passes through `Redact`, whatever logger wrote it (ours,
aiogram's, aiohttp's, SQLAlchemy's): the bot token (the one in use, and anything shaped like one, as
in a Bot API URL) and phone-like numbers are masked in the message and in tracebacks. Libraries that
log per scheduler tick or per SQL statement are held at WARNING; SQLAlchemy also hides statement
parameters in its errors (models/db.py).
"""
from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# A Bot API token: the bot's id, a colon, 35 characters of secret; in URLs as /bot<token>/method.
TOKEN_SHAPE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
# Phone numbers: Chinese mobiles (11 digits from 13…19, maybe +86 and spaces or dashes), landlines with an
# area code (0xx-xxxxxxxx), and any number written with a leading +. Ids and counts have none of these shapes.
PHONE_SHAPE = re.compile(
    r"(?<![\d+])(?:(?:\+|00)86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)"
    r"|(?<!\d)0\d{2,3}-\d{7,8}(?!\d)"
    r"|(?<![\d+])\+\d[\d -]{6,}\d(?!\d)")
# Per-run chatter ("Running job …", "executed successfully"), per statement SQL, per request access lines.
QUIET = ("apscheduler", "alembic", "sqlalchemy", "aiohttp.access", "aiosqlite", "asyncio", "httpx", "httpcore",
         "uvicorn.access", "matplotlib", "PIL")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Return text with the given secrets, anything shaped like a bot token, and phone numbers masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<token>")
    text = TOKEN_SHAPE.sub("<token>", text)
    return PHONE_SHAPE.sub("<phone>", text)


class Redact(logging.Filter):
    """Mask secrets and phone numbers in a record before any handler writes it."""

    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message, self.secrets)
        if clean != message or record.args:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        return True


def configure(level: str = "INFO", secrets: Iterable[str] = (), stream: TextIO | None = None) -> logging.Handler:
    """Send the log to stderr (or `stream`) through the redaction filter; quiet the chatty libraries."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(Redact(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "massline", False):
            root.removeHandler(old)
    handler.massline = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler

