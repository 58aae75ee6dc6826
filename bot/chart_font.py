"""The font every chart is drawn in: Noto Sans SC, shipped as a Python dependency, registered explicitly.

Matplotlib only knows the fonts it found when it first built its cache; a fresh server has no CJK font
at all, and then every Chinese label is an empty box. So the charts never rely on system fonts.
Nothing here imports aiogram or FastAPI: the briefing notice and the web dashboard both call it.
"""
from __future__ import annotations

import threading
import unicodedata
from functools import cache
from pathlib import Path

import pylopdf_fonts_zh_cn

FAMILY = "Noto Sans SC"
# Ships with matplotlib: the per-glyph fallback for the rare symbol or letter Noto Sans SC lacks.
FALLBACK = "DejaVu Sans"

_lock = threading.Lock()
_registered = False


def chart_font_path() -> Path:
    """Return the shipped Noto Sans SC file (OFL; also what a web page can serve as its @font-face)."""
    return pylopdf_fonts_zh_cn.sans_path()


def use_chart_font() -> None:
    """Register the shipped font with matplotlib and make it the default family, once per process."""
    global _registered
    with _lock:
        if _registered:
            return
        import matplotlib
        from matplotlib import font_manager

        font_manager.fontManager.addfont(str(chart_font_path()))
        # Set once for the process rather than per chart: rc_context is not thread-safe, and charts are
        # drawn off the event loop in threads. Matplotlib falls back per glyph along this list.
        matplotlib.rcParams.update({"font.family": [FAMILY, FALLBACK], "axes.unicode_minus": False})
        _registered = True


@cache
def _drawable_code_points() -> frozenset[int]:
    """Collect the code points the chart fonts can draw."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    fallback = font_manager.findfont(font_manager.FontProperties(family=FALLBACK), fallback_to_default=False)
    return frozenset(FT2Font(str(chart_font_path())).get_charmap()) | frozenset(
        FT2Font(str(fallback)).get_charmap())


def drawable(text: str) -> str:
    """Drop what no chart font draws (emoji, rare symbols) and invisible format marks (joiners, bidi)."""
    points = _drawable_code_points()
    return "".join(c for c in text if c.isspace() or (ord(c) in points and unicodedata.category(c) != "Cf"))
