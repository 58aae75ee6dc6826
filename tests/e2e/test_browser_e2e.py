"""The chat page in headless Chromium with the real bot: a villager reports, a cadre answers."""
from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
pytestmark = [
    pytest.mark.e2e, pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install -y chromium)"),
]


@pytest.fixture
async def page(sandbox):
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = await browser.new_page(viewport={"width": 1100, "height": 820})
        await page.goto(sandbox.base_url + "/")
        yield page
        await browser.close()


async def test_a_villager_reports_and_a_cadre_answers_on_the_chat_page(page, sandbox, bot, tmp_path):
    from playwright.async_api import expect

    bot_says = page.locator(".msg.from-bot")

    async def type_and_send(text: str) -> None:
        await page.fill("#composer-text", text)
        await page.click("#send")

    async def press(button: str) -> None:
        await bot_says.locator(".kb-button", has_text=button).last.click()

    await page.locator("[data-person-id='3001']").click()
    await type_and_send("/start")
    await press("石桥镇")
    await press("石桥村")
    await expect(bot_says.filter(has_text="有什么需要帮忙的")).to_be_visible(timeout=20_000)
    await type_and_send("/new")
    await press("环境污染")
    await type_and_send("村口的河被工厂排污染黑了")
    await press("下一步")
    await press("显示我的名字")
    await press("提交")
    await expect(bot_says.filter(has_text="案件编号")).to_be_visible(timeout=20_000)

    await page.locator("[data-person-id='2001']").click()
    card = bot_says.filter(has_text="村口的河被工厂排污染黑了")
    await expect(card).to_be_visible(timeout=20_000)
    await card.locator(".reply-link").click()
    await type_and_send("收到，明天上午到现场查看。")
    await expect(bot_says.filter(has_text="已转达")).to_be_visible(timeout=20_000)
    await page.locator("[data-person-id='3001']").click()
    await expect(bot_says.filter(has_text="明天上午到现场查看")).to_be_visible(timeout=20_000)
    await page.screenshot(path=str(tmp_path / "villager.png"))

    assert (tmp_path / "villager.png").stat().st_size > 10_000
    assert await sandbox.unanswered() == []
