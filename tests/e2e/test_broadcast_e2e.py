"""Broadcasts through the sandbox: the right households, blocked people, 429 and 5xx, a killed sender."""
from __future__ import annotations

import asyncio
from collections import Counter

import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture
def bot_env(bot_env):
    return bot_env | {"BROADCAST_RATE": "4"}


async def villagers(sandbox, specs: list[tuple[int, str]]):
    people = []
    for tg, village in specs:
        person = await sandbox.person(tg, f"村民{tg}")
        await person.start(f"v_{village}")
        await person.wait_for("有什么需要帮忙的", timeout=20)
        people.append(person)
    return people


async def delivered(sandbox, text: str) -> Counter:
    calls = await sandbox.calls("sendMessage")
    return Counter(c["params"]["chat_id"] for c in calls if text in str(c["params"].get("text", ""))
                   and c.get("status") == 200)


async def wait_until(predicate, timeout: float = 60.0) -> None:
    for _ in range(int(timeout * 10)):
        if await predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


async def test_a_township_broadcast_reaches_its_subscribed_villagers_and_marks_the_blocked(sandbox, bot):
    a, b, c, d = await villagers(sandbox, [(3101, "sq01"), (3102, "sq02"), (3103, "qh01"), (3104, "sq01")])
    await d.say("/settings")
    settings = await d.wait_for("通知")
    await d.press(settings, "不再接收")
    await d.wait_for_edit(settings, "已停止")
    await sandbox.faults(block=[3102])

    broadcast_id = (await bot.command("broadcast", "send", "--text", "明天停水", "--to", "township:石桥镇")).strip()
    await a.wait_for("明天停水", timeout=30)
    await wait_until(lambda: _status_says(bot, broadcast_id, "unreachable 1"))

    assert (await delivered(sandbox, "明天停水")) == Counter({3101: 1})
    assert not [m for m in await c.messages() if "明天停水" in (m.get("text") or "")]


async def _status_says(bot, broadcast_id: str, words: str) -> bool:
    return words in await bot.command("broadcast", "status", broadcast_id)


async def test_injected_429s_and_5xx_lose_nothing_and_duplicate_nothing(sandbox, bot):
    people = await villagers(sandbox, [(3200 + i, "sq01") for i in range(6)])
    await sandbox.faults(rate_limit={"sendMessage": 2}, retry_after=1, fail_next={"count": 2, "status": 502})

    await bot.command("broadcast", "send", "--text", "森林防火", "--to", "county", "--urgent")
    for person in people:
        await person.wait_for("森林防火", timeout=60)

    assert (await delivered(sandbox, "森林防火")) == Counter({p.id: 1 for p in people})


async def test_a_broadcast_killed_half_way_resumes_without_repeats_or_gaps(sandbox, bot):
    people = await villagers(sandbox, [(3300 + i, "qh02") for i in range(12)])

    await bot.command("broadcast", "send", "--text", "低保公示", "--to", "village:qh02")
    await wait_until(lambda: _at_least(sandbox, "低保公示", 4))
    # At 4 a second the sender spends most of its time waiting its turn: kill it there, mid-broadcast.
    await asyncio.sleep(0.12)
    await bot.stop(kill=True)
    before_restart = sum((await delivered(sandbox, "低保公示")).values())
    await bot.start(sandbox)
    for person in people:
        await person.wait_for("低保公示", timeout=60)

    assert 4 <= before_restart < 12
    assert (await delivered(sandbox, "低保公示")) == Counter({p.id: 1 for p in people})


async def _at_least(sandbox, text: str, n: int) -> bool:
    return sum((await delivered(sandbox, text)).values()) >= n
