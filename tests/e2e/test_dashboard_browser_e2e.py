"""The dashboard in headless Chromium with the real bot: log in by the bot's link, overview, ledger, a case,
the filtered export; a township supervisor cannot open another township's case by URL. Cases come in
over Open311, so the API is exercised end to end too."""
from __future__ import annotations

import io
import re
import socket
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook

from sandbox.client import visible

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
pytestmark = [
    pytest.mark.e2e, pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install -y chromium)"),
]
LINK = re.compile(r"(http://127\.0\.0\.1:\d+)/login/[\w-]+")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def bot_env() -> dict[str, str]:
    return {"SWEEP_INTERVAL": "1s", "DASHBOARD_LISTEN": f"127.0.0.1:{_free_port()}"}


async def login_link(sandbox, user_id: int, name: str) -> str:
    """Send /dashboard as a staff member and return the link the bot answers with."""
    person = await sandbox.person(user_id, name, started=True)
    await person.say("/dashboard")
    answer = await person.wait_for("/login/", timeout=20)
    return LINK.search(visible(answer)).group(0)


async def file_over_open311(base: str, key: str, village: str, text: str) -> str:
    async with httpx.AsyncClient(base_url=base) as api:
        response = await api.post("/open311/v2/requests.json", data={
            "api_key": key, "service_code": "environment", "address_id": village, "description": text})
    assert response.status_code == 201, response.text
    return response.json()[0]["service_request_id"]


async def test_a_supervisor_logs_in_by_link_filters_the_ledger_opens_a_case_and_exports_it(
        sandbox, bot, bot_env, tmp_path):
    from playwright.async_api import async_playwright, expect

    base = f"http://{bot_env['DASHBOARD_LISTEN']}"
    key = re.search(r"o311_\S+", await bot.command("apikey", "create", "12345热线")).group(0)
    directory = tmp_path / "directory"
    directory.mkdir()
    (directory / "people.csv").write_text("name,role,telegram_id,phone,villages,categories,township\n"
                                          "石桥督查,supervisor,2302,,,,石桥镇\n", encoding="utf-8")
    await bot.command("directory", "import", str(directory))
    shiqiao = await file_over_open311(base, key, "sq01", "石桥村口的河被排污染黑了")
    qinghe = await file_over_open311(base, key, "qh01", "清河村的水渠堵了")

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        supervisor = await browser.new_page(viewport={"width": 1100, "height": 900}, accept_downloads=True)
        await supervisor.goto(await login_link(sandbox, 2301, "吴督查"))
        await expect(supervisor.locator("#metrics")).to_be_visible()
        await expect(supervisor.locator('#metrics [data-metric="received"]')).to_have_text("2")
        await supervisor.screenshot(path=str(tmp_path / "overview.png"), full_page=True)

        await supervisor.click("nav >> text=台账")
        await supervisor.select_option("select[name=township]", label="清河乡")
        await supervisor.click("#apply")
        await expect(supervisor.locator("#ledger tbody tr")).to_have_count(1)
        await expect(supervisor.locator("#ledger")).to_contain_text(qinghe)
        await supervisor.screenshot(path=str(tmp_path / "ledger.png"), full_page=True)

        async with supervisor.expect_download() as download:
            await supervisor.click("#export")
        exported = tmp_path / "export.xlsx"
        await (await download.value).save_as(str(exported))

        await supervisor.click(f"#ledger >> text={qinghe}")
        await expect(supervisor.locator("#messages")).to_contain_text("清河村的水渠堵了")
        await expect(supervisor.locator("#owner")).to_contain_text("赵志强")
        await supervisor.screenshot(path=str(tmp_path / "case.png"), full_page=True)

        township = await browser.new_page(viewport={"width": 390, "height": 800})
        await township.goto(await login_link(sandbox, 2302, "石桥督查"))
        await expect(township.locator("#area")).to_have_text("石桥镇")
        own = await township.goto(f"{base}/case/{shiqiao}")
        other = await township.goto(f"{base}/case/{qinghe}")
        await township.screenshot(path=str(tmp_path / "township-404.png"), full_page=True)
        await browser.close()

    rows = list(load_workbook(io.BytesIO(exported.read_bytes()), read_only=True)["台账"].iter_rows(
        min_row=2, values_only=True))
    assert [row[0] for row in rows] == [qinghe] and rows[0][2] == "清河乡"
    assert own.status == 200 and other.status == 404
    for shot in ("overview", "ledger", "case", "township-404"):
        assert (tmp_path / f"{shot}.png").stat().st_size > 10_000
