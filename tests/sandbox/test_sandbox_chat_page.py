"""The chat page in headless Chromium: pick a person, chat with a small echo bot, press its button."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium "
                                                     "(apt-get install -y chromium fonts-noto-cjk)"),
]


@pytest.fixture
async def page(sandbox):
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = await browser.new_page(viewport={"width": 1100, "height": 720}, locale="zh-CN")
        yield page
        await browser.close()


async def test_a_person_chats_with_the_bot_and_presses_its_button_on_the_page(page, sandbox, client, echo,
                                                                              tmp_path):
    from playwright.async_api import expect

    await client.person(1001, "张大爷", label="村民 · 石桥村")
    await client.person(2001, "王书记", label="包村干部 · 石桥村")
    await page.goto(sandbox.base_url + "/")
    await page.fill("#np-id", "3001")
    await page.fill("#np-name", "赵镇长")
    await page.fill("#np-label", "乡镇领导 · 青山镇")
    await page.click("#add-person button")
    await expect(page.locator("[data-person-id='3001']")).to_contain_text("乡镇领导")

    await page.locator("[data-person-id='1001']").click()
    await page.fill("#composer-text", "村口的路灯坏了三天了")
    await page.click("#send")
    answer = page.locator(".msg.from-bot").filter(has_text="收到：村口的路灯坏了三天了")
    await expect(answer).to_be_visible()
    bold = await answer.locator("b").inner_text()

    await answer.locator(".kb-button", has_text="好的").click()
    await expect(page.locator(".msg.from-bot").filter(has_text="你按了：ok")).to_be_visible()
    await expect(page.locator("#toast")).to_contain_text("已收到")

    await page.locator(".msg.from-bot .reply-link").last.click()
    await page.fill("#composer-text", "补充：晚上很危险")
    await page.click("#send")
    reply = page.locator(".msg.from-user").filter(has_text="补充：晚上很危险")
    await expect(reply.locator(".quote")).to_contain_text("你按了")
    await page.click("#send-photo")
    await expect(page.locator(".msg.from-user img")).to_be_visible()
    await expect(page.locator(".msg.from-bot").filter(has_text="非文字")).to_be_visible()
    await page.screenshot(path=str(tmp_path / "chat.png"))
    if os.environ.get("SANDBOX_SCREENSHOT"):
        await page.screenshot(path=os.environ["SANDBOX_SCREENSHOT"])

    assert bold == "村口的路灯坏了三天了"
    assert await page.locator("[data-person-id='1001']").get_attribute("class") == "active"
    assert await page.locator("[data-person-id='2001'] .label").inner_text() == "包村干部 · 石桥村"
    assert [u["first_name"] for u in await client.users()] == ["张大爷", "王书记", "赵镇长"]
    assert await client.refusals() == []
    assert (tmp_path / "chat.png").stat().st_size > 0


async def test_formatting_from_the_bot_is_shown_and_markup_in_text_is_not_run(page, sandbox, client, bot):
    from playwright.async_api import expect

    person = await client.person(1001, "张大爷")
    await person.start()
    await bot.send_message(1001, "<b>粗</b><i>斜</i> &lt;img src=x onerror=alert(1)&gt; "
                                 '<a href="javascript:alert(1)">坏链接</a> <a href="https://example.org">好链接</a>')
    await page.goto(sandbox.base_url + "/#1001")

    message = page.locator(".msg.from-bot").last
    await expect(message).to_contain_text("<img src=x onerror=alert(1)>")

    assert await message.locator("b").inner_text() == "粗"
    assert await message.locator("i").inner_text() == "斜"
    assert await message.locator("img").count() == 0
    assert await message.locator("a", has_text="坏链接").get_attribute("href") is None
    assert await message.locator("a", has_text="好链接").get_attribute("href") == "https://example.org"
