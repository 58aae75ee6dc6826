"""Serving freezes what start-up made and collects young objects less often."""
from __future__ import annotations

import gc

from bot.collector import YOUNG_THRESHOLD, freeze_long_lived


def test_freezing_exempts_the_objects_alive_now_and_raises_the_young_threshold():
    before = gc.get_threshold()
    try:
        freeze_long_lived()

        frozen, threshold = gc.get_freeze_count(), gc.get_threshold()
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)

    assert frozen > 1_000
    assert threshold == (YOUNG_THRESHOLD, before[1], before[2])
