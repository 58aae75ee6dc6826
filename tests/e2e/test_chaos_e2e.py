"""Faults: the bot killed with SIGKILL at random moments, 50 times, while the sandbox fails calls at random.

Intake, relay both ways and a broadcast run all along (see tests/e2e/chaos_scenario.py). CHAOS_KILLS,
CHAOS_SEED and CHAOS_RATE change the run; the figures are printed (run pytest with -s to see them).
"""
from __future__ import annotations

import os

import pytest

from tests.e2e.chaos_scenario import run

pytestmark = pytest.mark.e2e

KILLS = int(os.environ.get("CHAOS_KILLS", "50"))
SEED = int(os.environ.get("CHAOS_SEED", "13"))
RATE = float(os.environ.get("CHAOS_RATE", "0.05"))


async def test_kills_and_random_faults_lose_no_acknowledged_work_and_repeat_only_in_the_window(tmp_path):
    figures = await run(tmp_path, kills=KILLS, seed=SEED, rate=RATE)
    print("\nchaos: " + "\n       ".join(figures.lines()))

    assert figures.kills == KILLS
    assert figures.startup_exits == 0  # a passing fault at start-up no longer stops the bot
    assert figures.cases_acknowledged > 0 and figures.relays_acknowledged > 0
    assert figures.cases_lost == []
    assert figures.cases_doubled == []
    assert figures.relays_lost == []
    assert figures.broadcast_missing == []
    assert figures.blocked_unmarked == []
    assert figures.pending_after_drain == 0
    assert figures.failed_rows == []
    assert figures.repeats_outside_window == []
    assert sum(figures.injected.values()) > 0
