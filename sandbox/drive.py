"""Play villagers against a sandbox served in this process: act through its state, wait for the bot's answer."""
from __future__ import annotations

import time

from sandbox.people import ControlError, user_press, user_send
from sandbox.state import SandboxState

# A report as a villager makes it: what they do, and what the bot's answer to it contains.
REPORT_STEPS = [("say", "/start v_sq01", "有什么需要帮忙"), ("say", "/new", "反映什么问题"),
                ("press", "环境污染", "请说说情况"), ("say", "村口的河又黑了 {uid}", "已记下"),
                ("press", "下一步", "名字"), ("press", "显示我的名字", "请核对"), ("press", "提交", "案件编号")]


async def wait_for_answer(state: SandboxState, uid: int, mark: int, contains: str, timeout: float) -> dict | None:
    """Return the bot's first message to `uid` changed after `mark` that contains the text, or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in state.messages(uid, mark):
            if message["from_bot"] and contains in (message.get("text") or ""):
                return message
        await state.wait_change(min(0.5, max(0.0, deadline - time.monotonic())))
    return None


async def report(state: SandboxState, uid: int, timeout: float, latencies: list[float] | None = None,
                 pace=None, patience: float | None = None) -> str:
    """Go through a report; return 'filed' with a receipt, or the step whose answer never came.

    `latencies` collects each step's seconds from the action to the answer; `pace`, an async callable,
    is awaited before each step (an open-loop pacer). With `patience`, a villager who has had no answer
    for that long does the step again, as people do when a bot went quiet (say, its process was killed).
    """
    person = state.people[uid]
    last = None
    for kind, what, expect in REPORT_STEPS:
        what = what.format(uid=uid)
        if pace is not None:
            await pace()
        mark, started = state.seq, time.perf_counter()
        deadline = time.monotonic() + timeout
        answer, tries = None, 0
        while answer is None and time.monotonic() < deadline:
            tries += 1
            if kind == "say":
                user_send(state, person, {"text": what})
            else:
                try:
                    user_press(state, person, last["message_id"], text=what)
                except ControlError:
                    if tries == 1:
                        raise
                    # The first press was taken (its buttons are gone); only its answer is late.
            wait = deadline - time.monotonic()
            answer = await wait_for_answer(state, uid, mark, expect, min(wait, patience or wait))
        if answer is None:
            return what
        if latencies is not None:
            latencies.append(time.perf_counter() - started)
        last = answer
    return "filed"
