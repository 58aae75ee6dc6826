"""Charts draw Chinese in the font the project ships, whatever fonts the machine has."""
from __future__ import annotations

import json
import logging
import subprocess
import sys
import warnings
from pathlib import Path

import pylopdf_fonts_zh_cn
import pytest

from bot.chart_font import chart_font_path, drawable
from bot.i18n import make_i18n
from bot.notices_supervision import briefing_chart, chart_labels
from services.briefing import STATUS_ORDER, Briefing
from tests.conftest import START

ROOT = Path(__file__).resolve().parent.parent
# Township names come from the directory: common ones, a rarer character (Ext A), a flag and an emoji.
TOWNSHIPS = ["石桥镇", "清河乡", "㙟头镇", "桃园乡⚠️", "柳树村🌳"]


def weekly(townships: list[str]) -> Briefing:
    return Briefing.from_payload({
        "week": "2026-W48", "start": "2026-11-22T16:00:00+00:00", "end": "2026-11-29T16:00:00+00:00",
        "at": START.isoformat(), "area": None, "this_week": {}, "last_week": {},
        "thresholds": {"satisfaction": 0.85, "response": 0.92}, "behind": [], "overdue": [],
        "daily": [{"day": f"2026-11-{d}"} | {s.value: 1 for s in STATUS_ORDER} for d in range(23, 30)],
        "townships": [{"name": name, "response_rate": 0.9, "resolution_rate": 0.8, "satisfaction_rate": 0.95}
                      for name in townships],
    })


def test_the_briefing_chart_draws_every_chinese_label_without_a_missing_glyph(caplog):
    with make_i18n().context(), make_i18n().use_locale("zh_CN"):
        labels = chart_labels()
    caplog.set_level(logging.INFO, logger="matplotlib")

    with warnings.catch_warnings():
        # "Glyph … missing from font(s)" is a UserWarning: as an error, one empty box fails the test.
        warnings.simplefilter("error")
        png = briefing_chart(weekly(TOWNSHIPS), labels)

    assert labels["per_township"] == "本周各乡镇三率"
    assert png.startswith(b"\x89PNG")
    # Nothing in the bot's log a newcomer would wonder about (e.g. day names taken for dates).
    assert [r.getMessage() for r in caplog.records if r.name.startswith("matplotlib")] == []


@pytest.mark.parametrize("name, drawn", [
    ("石桥镇", "石桥镇"),
    ("㙟头镇", "㙟头镇"),
    ("桃园乡⚠️", "桃园乡⚠️"),
    ("柳树村🌳", "柳树村"),
    ("👨‍👩‍👧", ""),
])
def test_a_name_keeps_only_the_characters_the_chart_fonts_can_draw(name, drawn):
    assert drawable(name) == drawn


# Run in a fresh interpreter: forget every system font matplotlib found, then draw.
FRESH_MACHINE = """
import json, warnings
warnings.simplefilter("error")
import matplotlib
from matplotlib import font_manager
bundled = matplotlib.get_data_path()
font_manager.fontManager.ttflist = [f for f in font_manager.fontManager.ttflist if f.fname.startswith(bundled)]
from bot.chart_font import FAMILY, use_chart_font
from bot.notices_supervision import briefing_chart
from tests.test_chart_font import TOWNSHIPS, weekly
use_chart_font()
labels = {"statuses": ["已提交", "待受理", "办理中", "办结答复", "已销号"], "rates": ["响应率", "解决率", "满意率"],
          "per_day": "每日受理案件（按当前状态）", "per_township": "本周各乡镇三率", "threshold": "通报线"}
png = briefing_chart(weekly(TOWNSHIPS), labels)
found = font_manager.findfont(font_manager.FontProperties(family=matplotlib.rcParams["font.family"]),
                              fallback_to_default=False)
print(json.dumps({"font": str(found), "png": png[:4].hex()}))
"""


def test_a_fresh_machine_without_system_fonts_draws_the_chart_in_the_shipped_font(tmp_path):
    home = tmp_path / "home"
    env = {
        # An empty matplotlib config and cache, no fontconfig on PATH, nothing from the user's home.
        "MPLCONFIGDIR": str(tmp_path / "mpl"), "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"), "XDG_DATA_HOME": str(home / ".local/share"),
        "PATH": str(tmp_path / "bin"), "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8",
    }

    run = subprocess.run([sys.executable, "-c", FRESH_MACHINE], cwd=ROOT, env=env, capture_output=True,
                         text=True)

    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert Path(result["font"]) == chart_font_path()
    assert chart_font_path().parent == Path(pylopdf_fonts_zh_cn.__file__).parent
    assert result["png"] == b"\x89PNG".hex()
