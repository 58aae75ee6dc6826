"""The dashboard's pages through HTTP: login, overview numbers, ledger filters and export, a case, CSRF, logout."""
from __future__ import annotations

import html
import io
import json
import re
from argparse import Namespace
from datetime import date, datetime, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.commands_supervision import _scope, stats
from bot.settings import Settings
from models import CaseEvent, OutboxMessage, Person
from tests.harness import Harness
from tests.supervision_builders import add_cases, person_named
from tests.web_support import add_township_supervisor, client, csrf_of, logged_in, login_link, web_app

ZHANG = Harness.person(3001, "张大爷")
METRIC = re.compile(r'data-metric="(\w+)" data-value="([^"]*)"')


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture
async def cases(sessionmaker, county, clock):
    await add_township_supervisor(sessionmaker, clock)
    return await add_cases(sessionmaker)


@pytest.fixture
def app(sessionmaker, clock):
    return web_app(sessionmaker, clock)


async def test_a_stranger_is_told_to_log_in_through_the_bot(app, county):
    async with client(app) as browser:
        response = await browser.get("/")

    assert response.status_code == 401
    assert "/dashboard" in response.text and "请通过机器人登录" in response.text


async def test_the_login_link_sets_a_private_cookie_and_leads_to_the_overview(app, sessionmaker, clock, county):
    async with client(app) as browser:
        response = await browser.get(await login_link(sessionmaker, "吴督查", clock))
        overview = await browser.get("/")

    cookie = response.headers["set-cookie"].lower()
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    assert overview.status_code == 200 and "吴督查" in overview.text


async def test_the_cookie_is_secure_when_the_dashboard_is_served_over_https(sessionmaker, clock, county):
    app = web_app(sessionmaker, clock, public_url="https://dashboard.example.gov.cn")

    async with client(app) as browser:
        response = await browser.get(await login_link(sessionmaker, "吴督查", clock))

    assert "secure" in response.headers["set-cookie"].lower()


async def test_a_used_link_does_not_log_in_again(app, sessionmaker, clock, county):
    link = await login_link(sessionmaker, "吴督查", clock)
    async with client(app) as first:
        await first.get(link)
    async with client(app) as second:
        response = await second.get(link)
        page = await second.get("/")

    assert response.status_code == 400 and "/dashboard" in response.text
    assert page.status_code == 401


@pytest.mark.parametrize("reader, township", [("吴督查", None), ("刘书记", "石桥镇")])
async def test_the_overview_shows_the_numbers_of_bot_stats_json(sessionmaker, clock, cases, capsys, reader, township):
    app = web_app(sessionmaker, _utc_now)
    start, end = date(2026, 11, 1), date(2026, 11, 30)
    async with logged_in(app, sessionmaker, reader, _utc_now) as browser:
        page = (await browser.get(f"/?from={start}&to={end}")).text
    async with sessionmaker() as session:
        await stats(session, Namespace(start=start, end=end, township=township, json=True), Settings(),
                    await _scope(session, township))
    expected = json.loads(capsys.readouterr().out)

    table = page[page.index('id="metrics"'):page.index("</table>", page.index('id="metrics"'))]
    shown = {key: json.loads(value) for key, value in METRIC.findall(table)}
    assert shown == {key: expected["total"][key] for key in shown}
    assert set(shown) >= {"received", "response_rate", "closure_rate", "on_time_rate", "resolution_rate",
                          "satisfaction_rate", "mediation_rate", "overdue"}
    units = page[page.index('id="units"'):]
    for unit in expected["units"]:
        row = units[units.index(f'data-unit="{unit["name"]}"'):]
        row = row[:row.index("</tr>")]
        assert {k: json.loads(v) for k, v in METRIC.findall(row)} == {
            k: unit[k] for k in ("received", "response_rate", "closure_rate", "on_time_rate", "resolution_rate",
                                 "satisfaction_rate", "mediation_rate", "overdue")}


async def test_the_overview_lists_the_overdue_cases_and_draws_two_charts(app, sessionmaker, clock, cases):
    async with logged_in(app, sessionmaker, "吴督查", clock) as browser:
        page = (await browser.get("/")).text

    overdue = page[page.index('id="overdue"'):page.index("</table>", page.index('id="overdue"'))]
    assert "2026-000006" in overdue and "2026-000009" in overdue and "2026-000001" not in overdue
    assert page.count('<svg class="chart"') == 2


def _numbers(html: str) -> list[str]:
    table = html[html.index('id="ledger"'):html.index("</table>", html.index('id="ledger"'))]
    return re.findall(r'href="/case/([\d-]+)"', table)


@pytest.mark.parametrize("query, expected", [
    ("", {"2026-000001", "2026-000002", "2026-000003", "2026-000004", "2026-000005", "2026-000006", "2026-000007",
          "2026-000009", "2026-000010"}),
    ("status=closed", {"2026-000001", "2026-000002", "2026-000003", "2026-000004", "2026-000005"}),
    ("township=2", {"2026-000005", "2026-000006", "2026-000007"}),
    ("overdue=1", {"2026-000006", "2026-000009"}),
    ("category=land", {"2026-000003"}),
    ("from=2026-11-25&to=2026-11-30", {"2026-000007"}),
])
async def test_the_ledger_filters_the_area_and_the_export_holds_exactly_that_view(
        app, sessionmaker, clock, cases, query, expected):
    async with logged_in(app, sessionmaker, "吴督查", clock) as browser:
        page = await browser.get(f"/ledger?{query}")
        export = await browser.get(f"/ledger.xlsx?{query}")

    sheet = load_workbook(io.BytesIO(export.content), read_only=True)["台账"]
    exported = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(_numbers(page.text)) == expected
    assert exported == expected
    link = html.unescape(re.search(r'id="export" href="([^"]*)"', page.text).group(1))
    assert link == "/ledger.xlsx" + (f"?{query}" if query else "")


async def test_the_ledger_sorts_and_pages(app, sessionmaker, clock, cases):
    async with logged_in(app, sessionmaker, "吴督查", clock) as browser:
        ascending = _numbers((await browser.get("/ledger?sort=number&dir=asc")).text)
        descending = _numbers((await browser.get("/ledger?sort=number&dir=desc")).text)

    assert ascending == sorted(ascending) and descending == sorted(descending, reverse=True)


async def test_a_township_supervisor_gets_not_found_for_another_townships_case(app, sessionmaker, clock, cases):
    async with logged_in(app, sessionmaker, "石桥督查", clock) as browser:
        own = await browser.get("/case/2026-000001")
        other = await browser.get("/case/2026-000005")
        missing = await browser.get("/case/2026-999999")

    assert own.status_code == 200 and "2026-000001" in own.text
    assert other.status_code == 404 and missing.status_code == 404
    assert "清河村" not in other.text


async def report_with_photo(chat, text: str, photo: str, location=None) -> None:
    """Let 张大爷 report a hazard in 石桥村 with words, a photo and perhaps a place."""
    await chat.say(ZHANG, "/start")
    await chat.press(ZHANG, "石桥镇")
    await chat.press(ZHANG, "石桥村")
    await chat.say(ZHANG, "/new")
    await chat.press(ZHANG, "安全隐患")
    await chat.say(ZHANG, text)
    await chat.say(ZHANG, photo=photo)
    if location:
        await chat.say(ZHANG, location=location)
    await chat.press(ZHANG, "下一步")
    await chat.press(ZHANG, "显示我的名字")
    await chat.press(ZHANG, "提交")


async def test_the_case_page_shows_the_card_the_messages_and_the_timeline(sessionmaker, clock, chat, county):
    await report_with_photo(chat, "村口的河被工厂排污染黑了", "photo-1", location=(28.1, 112.9))

    async def fetch(file_id):
        return (b"\x89PNG fake", "photos/file_1.png") if file_id == "photo-1" else None

    app = web_app(sessionmaker, clock, fetch_file=fetch)
    async with logged_in(app, sessionmaker, "刘书记", clock) as browser:
        page = (await browser.get("/case/2026-000001")).text
        message_id = re.search(r'/case/2026-000001/file/(\d+)', page).group(1)
        photo = await browser.get(f"/case/2026-000001/file/{message_id}")

    assert "村口的河被工厂排污染黑了" in page and "王建国" in page
    assert "28.10000, 112.90000" in page and "openstreetmap.org" in page
    timeline = page[page.index('id="timeline"'):]
    assert "群众反映" in timeline and "分派" in timeline
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/png"


async def test_a_photo_without_a_bot_token_shows_a_placeholder(sessionmaker, clock, chat, county):
    await report_with_photo(chat, "路灯坏了", "photo-2")
    app = web_app(sessionmaker, clock)
    async with logged_in(app, sessionmaker, "王建国", clock) as browser:
        page = (await browser.get("/case/2026-000001")).text
        message_id = re.search(r'/case/2026-000001/file/(\d+)', page).group(1)
        photo = await browser.get(f"/case/2026-000001/file/{message_id}")

    assert photo.headers["content-type"].startswith("image/svg+xml") and "照片在聊天中" in photo.text


async def test_a_form_without_the_csrf_token_is_refused_and_changes_nothing(app, sessionmaker, clock, cases):
    async with logged_in(app, sessionmaker, "王建国", clock) as browser:
        refused = await browser.post("/case/2026-000001/escalate", data={"reason": "需要乡镇协调"})
    async with sessionmaker() as session:
        events = await session.scalar(select(func.count()).select_from(CaseEvent))

    assert refused.status_code == 403 and events == 0


async def test_the_owner_escalates_from_the_case_page_and_the_new_owner_gets_the_card(
        app, sessionmaker, clock, cases):
    async with logged_in(app, sessionmaker, "赵志强", clock) as browser:
        page = (await browser.get("/case/2026-000006")).text
        done = await browser.post("/case/2026-000006/escalate",
                                  data={"csrf": csrf_of(page), "reason": "需要乡镇协调"}, follow_redirects=True)
    async with sessionmaker() as session:
        leader = await person_named(session, "周乡长")
        card = await session.scalar(select(OutboxMessage).where(OutboxMessage.person_id == leader.id))

    assert done.status_code == 200 and 'id="done"' in done.text and "2026-000006" in done.text
    assert card is not None and card.payload["notice"] == "case_card" and card.payload["reason"] == "escalated"


async def test_a_township_leader_transfers_with_a_reason(app, sessionmaker, clock, cases):
    async with logged_in(app, sessionmaker, "刘书记", clock) as browser:
        page = (await browser.get("/case/2026-000010")).text
        target = re.search(r'<option value="(\d+)">孙丽', page).group(1)
        empty = await browser.post("/case/2026-000010/transfer", data={"csrf": csrf_of(page), "to": target,
                                                                        "reason": " "})
        done = await browser.post("/case/2026-000010/transfer", data={"csrf": csrf_of(page), "to": target,
                                                                       "reason": "土地问题由孙丽负责"},
                                  follow_redirects=True)

    assert empty.status_code == 400
    assert done.status_code == 200 and "孙丽" in done.text[done.text.index('id="owner"'):]


async def test_a_supervisor_sees_no_actions_the_chat_does_not_allow_them(app, sessionmaker, clock, cases):
    async with logged_in(app, sessionmaker, "吴督查", clock) as browser:
        page = (await browser.get("/case/2026-000006")).text
        forced = await browser.post("/case/2026-000006/escalate", data={"csrf": csrf_of(page), "reason": "试试"})

    assert 'action="/case/2026-000006/escalate"' not in page
    assert forced.status_code == 403


async def test_logging_out_ends_the_session(app, sessionmaker, clock, cases):
    async with logged_in(app, sessionmaker, "吴督查", clock) as browser:
        page = (await browser.get("/")).text
        out = await browser.post("/logout", data={"csrf": csrf_of(page)})
        after = await browser.get("/")

    assert out.status_code == 303 and after.status_code == 401


async def test_a_session_expires_after_twelve_hours(app, sessionmaker, clock, cases):
    async with logged_in(app, sessionmaker, "吴督查", clock) as browser:
        before = await browser.get("/")
        clock.advance(hours=12)
        after = await browser.get("/ledger")

    assert before.status_code == 200 and after.status_code == 401


async def test_an_english_reader_gets_english_pages(app, sessionmaker, clock, cases):
    async with sessionmaker() as session:
        (await person_named(session, "吴督查")).language = "en"
        await session.commit()

    async with logged_in(app, sessionmaker, "吴督查", clock) as browser:
        page = (await browser.get("/ledger")).text

    assert "Ledger" in page and "Download this view" in page and "台账</" not in page


async def test_the_broadcasts_and_the_directory_pages_show_what_the_area_holds(app, sessionmaker, clock, cases):
    from services.broadcasts import create_broadcast
    from services.config import ServiceConfig

    async with sessionmaker() as session:
        await create_broadcast(session, ServiceConfig(), by=None, audience="township:清河乡", now=clock(),
                               text="清河乡明天停水")
        await create_broadcast(session, ServiceConfig(), by=None, audience="county", now=clock(), text="森林防火")
    async with logged_in(app, sessionmaker, "刘书记", clock) as browser:
        broadcasts = (await browser.get("/broadcasts")).text
        directory = (await browser.get("/directory")).text

    assert "森林防火" in broadcasts and "清河乡明天停水" not in broadcasts
    assert "王建国" in directory and "桃园村" in directory


async def test_pages_forbid_framing_scripts_and_caching(app, sessionmaker, clock, cases):
    async with logged_in(app, sessionmaker, "吴督查", clock) as browser:
        response = await browser.get("/")

    assert "script-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store" and response.headers["x-frame-options"] == "DENY"


async def test_a_staff_member_who_left_is_logged_out(app, sessionmaker, clock, cases):
    async with logged_in(app, sessionmaker, "吴督查", clock) as browser:
        async with sessionmaker() as session:
            (await session.scalar(select(Person).where(Person.name == "吴督查"))).active = False
            await session.commit()
        response = await browser.get("/")

    assert response.status_code == 401


@pytest.mark.parametrize("path", ["/case/2026-000001/file/abc", "/case/2026-000001/file/999999"])
async def test_a_hand_edited_file_address_is_a_missing_page(app, sessionmaker, clock, cases, path):
    async with logged_in(app, sessionmaker, "吴督查", clock) as browser:
        response = await browser.get(path)

    assert response.status_code == 404 and "<html" in response.text


@pytest.mark.parametrize("reader, area, received", [
    ("郑纪检", "全县·干部作风案件", "1"), ("王建国", "我的案件", "2"), ("周乡长", "清河乡", "3")])
async def test_each_reader_sees_the_overview_of_their_own_area(app, sessionmaker, clock, cases, reader, area, received):
    async with logged_in(app, sessionmaker, reader, clock) as browser:
        page = (await browser.get("/")).text

    assert f'<span id="area">{area}</span>' in page
    assert f'data-metric="received" data-value="{received}"' in page
