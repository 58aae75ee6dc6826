"""Deadlines in seconds, a sweep every second: reminders, supervision, escalation, follow-up — once each,
across a killed and restarted bot."""
from __future__ import annotations

import asyncio

import pytest

from tests.e2e.test_case_loop_e2e import report, resolve

pytestmark = pytest.mark.e2e

FAST_CATEGORIES = "code,name_zh,name_en,kind,first_response,resolve,urgent\n" \
                  "environment,环境污染,Environmental pollution,complaint,4s,60s,\n"


@pytest.fixture
def bot_env(bot_env):
    # 50% at 30s, 80% at 48s, deadline at 60s, escalation at 80s: wide enough gaps for a slow restart.
    return bot_env | {"ESCALATE_AFTER": "20s", "RESOLVE_TOWNSHIP": "1h", "FOLLOWUP_WINDOW": "8s"}


async def fast_categories(bot, tmp_path) -> None:
    folder = tmp_path / "fast"
    folder.mkdir()
    (folder / "categories.csv").write_text(FAST_CATEGORIES, encoding="utf-8")
    await bot.command("directory", "import", str(folder))


def count(messages: list[dict], words: str) -> int:
    return sum(words in (m.get("text") or "") for m in messages if m["from_bot"])


async def test_reminders_supervision_and_escalation_arrive_once_across_a_restart(sandbox, bot, tmp_path):
    await fast_categories(bot, tmp_path)
    zhang = await sandbox.person(3001, "张大爷")
    wang = await sandbox.person(2001, "王建国")
    wu = await sandbox.person(2301, "吴督查")
    liu = await sandbox.person(2101, "刘书记")
    await report(sandbox, zhang, "环境污染", "河水发黑")
    await wang.wait_for("河水发黑")
    await wang.wait_for("首次联系已到期", timeout=30)
    # Let the sender record the delivery: a kill between Telegram's answer and that commit (a few
    # milliseconds) is the one window in which a message can be sent again after a restart.
    await asyncio.sleep(1)

    await bot.stop(kill=True)
    await bot.start(sandbox)
    await wang.wait_for("50%", timeout=60)
    await wang.wait_for("80%", timeout=60)
    await wang.wait_for("挂牌督办", timeout=60)
    await wu.wait_for("挂牌督办", timeout=60)
    await liu.wait_for("上报给您", timeout=60)
    await zhang.wait_for("已上报", timeout=60)
    await asyncio.sleep(3)  # a few more sweeps: nothing further may arrive

    to_wang = await wang.messages()
    assert count(to_wang, "首次联系已到期") == 1
    assert count(to_wang, "50%") == 1 and count(to_wang, "80%") == 1
    assert count(to_wang, "挂牌督办") == 1
    assert count(await wu.messages(), "挂牌督办") == 1
    assert count(await liu.messages(), "上报给您") == 1


async def test_the_followup_window_closes_an_unrated_case(sandbox, bot, tmp_path):
    zhang = await sandbox.person(3001, "张大爷")
    wang = await sandbox.person(2001, "王建国")
    await report(sandbox, zhang, "环境污染", "垃圾没人清")
    card = await wang.wait_for("垃圾没人清")
    await resolve(wang, card, "解决到位", "已清理")
    await zhang.wait_for("真的解决了吗")

    reminder = await zhang.wait_for("提醒", timeout=30)
    closed = await wang.wait_for("群众未答复", timeout=30)

    assert "已清理" in reminder["text"]
    assert "已销号" in closed["text"]
