"""Durations as written in the directory and settings: 30s, 2h, 7d, 1d12h."""
from __future__ import annotations

from datetime import timedelta

import re

import pytest

from services.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("15m", timedelta(minutes=15)),
        ("2h", timedelta(hours=2)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        (" 24h ", timedelta(hours=24)),
        ("2H", timedelta(hours=2)),
        ("1d 12h", timedelta(days=1, hours=12)),
    ],
)
def test_a_written_duration_parses_to_its_length(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "   ", "7", "x", "0s", "0d0h", "-1d", "1.5d", "d", "7 days", "2h-1m", "1y"],
)
def test_a_malformed_or_non_positive_duration_is_refused(text):
    with pytest.raises(ValueError, match=re.escape(repr(text))):
        parse_duration(text)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=30), "30s"),
        (timedelta(minutes=15), "15m"),
        (timedelta(hours=2), "2h"),
        (timedelta(days=7), "1w"),
        (timedelta(days=15), "15d"),
        (timedelta(days=1, hours=12), "36h"),
        (timedelta(seconds=90), "90s"),
    ],
)
def test_a_duration_is_written_back_in_its_largest_whole_unit(delta, text):
    assert format_duration(delta) == text


@pytest.mark.parametrize("text", ["30s", "2h", "7d", "1d12h", "15d", "90s"])
def test_writing_a_parsed_duration_back_gives_the_same_length(text):
    delta = parse_duration(text)

    assert parse_duration(format_duration(delta)) == delta
