"""Open311 GeoReport v2: services, requests with the spec's filters, posting with a key, and what never appears."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from models import ApiKey, Case, OutboxMessage, Person, Village
from services import api_keys
from services.handling import accept_case
from tests.supervision_builders import add_cases, person_named
from tests.web_support import client, web_app

API = "/open311/v2"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
async def key(sessionmaker, county, clock) -> str:
    async with sessionmaker() as session:
        return await api_keys.create_key(session, "12345热线", clock())


@pytest.fixture
def app(sessionmaker, clock):
    return web_app(sessionmaker, clock)


async def post(app, **form):
    async with client(app) as api:
        return await api.post(f"{API}/requests.json", data=form)


async def test_services_are_the_categories_without_the_confidential_ones(app, county):
    async with client(app) as api:
        services = (await api.get(f"{API}/services.json")).json()

    codes = [s["service_code"] for s in services]
    assert "environment" in codes and "land" in codes and "conduct" not in codes
    assert set(services[0]) == {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}


async def test_a_posted_request_becomes_a_routed_case_with_its_card_queued(app, sessionmaker, key):
    response = await post(app, api_key=key, service_code="environment", address_id="sq01",
                          description="村口的河被排污染黑了")

    number = response.json()[0]["service_request_id"]
    async with sessionmaker() as session:
        case = await session.scalar(select(Case).where(Case.number == number))
        card = await session.scalar(select(OutboxMessage).where(OutboxMessage.case_id == case.id))
        owner = await session.get(Person, card.person_id)
    assert response.status_code == 201 and re.fullmatch(r"2026-\d{6}", number)
    assert case.status == "assigned" and case.due_at is not None and case.village.code == "sq01"
    assert owner.name == "王建国" and card.payload == {"notice": "case_card", "reason": "new"}
    assert case.reporter.channel == "open311" and case.reporter.external_id is None


async def test_nothing_is_queued_for_the_posting_system_when_its_case_moves(app, sessionmaker, key, clock):
    response = await post(app, api_key=key, service_code="environment", address_id="sq01", description="河水发黑")
    number = response.json()[0]["service_request_id"]
    async with sessionmaker() as session:
        case = await session.scalar(select(Case).where(Case.number == number))
        await accept_case(session, case_id=case.id, actor=await person_named(session, "王建国"), now=clock())
        to_reporter = await session.scalar(select(OutboxMessage).where(OutboxMessage.person_id == case.reporter_id))

    assert to_reporter is None


async def test_a_request_by_location_goes_to_the_nearest_village(app, sessionmaker, key):
    async with sessionmaker() as session:
        for code, lat, long in (("sq01", 28.20, 112.90), ("qh01", 28.40, 113.10)):
            village = await session.scalar(select(Village).where(Village.code == code))
            village.latitude, village.longitude = lat, long
        await session.commit()

    near = await post(app, api_key=key, service_code="hazard", lat="28.39", long="113.08", description="桥裂了")
    far = await post(app, api_key=key, service_code="hazard", lat="40.0", long="116.4", description="桥裂了")

    async with client(app) as api:
        listed = (await api.get(f"{API}/requests/{near.json()[0]['service_request_id']}.json")).json()[0]
    assert listed["address_id"] == "qh01" and listed["lat"] == 28.40
    assert far.status_code == 400


@pytest.mark.parametrize("form, status", [
    ({}, 403),
    ({"api_key": "o311_wrong"}, 403),
    ({"service_code": "nosuch"}, 400),
    ({"service_code": "conduct"}, 400),
    ({"address_id": "nowhere"}, 400),
    ({"address_id": None}, 400),
    ({"description": "  "}, 400),
    ({"lat": "north", "address_id": None}, 400),
])
async def test_a_request_that_cannot_be_filed_gets_the_specs_error_and_files_nothing(
        app, sessionmaker, key, form, status):
    good = {"api_key": key, "service_code": "environment", "address_id": "sq01", "description": "河水发黑"}
    data = {k: v for k, v in (good | form).items() if v is not None}
    if "api_key" not in form and status == 403:
        data.pop("api_key")

    response = await post(app, **data)

    async with sessionmaker() as session:
        filed = (await session.scalars(select(Case))).all()
    assert response.status_code == status
    assert response.json()[0]["code"] == status and response.json()[0]["description"]
    assert filed == []


async def test_a_revoked_key_files_nothing(app, sessionmaker, key, clock):
    async with sessionmaker() as session:
        await api_keys.revoke_key(session, "12345热线", clock())

    response = await post(app, api_key=key, service_code="environment", address_id="sq01", description="河水发黑")

    assert response.status_code == 403


async def test_keys_are_stored_hashed(sessionmaker, key):
    async with sessionmaker() as session:
        stored = (await session.scalars(select(ApiKey))).all()

    assert [k.name for k in stored] == ["12345热线"] and key not in stored[0].key_hash


@pytest.fixture
async def known(sessionmaker, county):
    return await add_cases(sessionmaker)


@pytest.mark.parametrize("query, expected", [
    # The last 90 days by default: case 9, received 40 days ago, is in; case 8 is confidential.
    ("", {"2026-000001", "2026-000002", "2026-000003", "2026-000004", "2026-000005", "2026-000006", "2026-000007",
          "2026-000009", "2026-000010"}),
    ("status=closed", {"2026-000001", "2026-000002", "2026-000003", "2026-000004", "2026-000005"}),
    ("status=open", {"2026-000006", "2026-000007", "2026-000009", "2026-000010"}),
    ("status=open,closed", {"2026-000001", "2026-000002", "2026-000003", "2026-000004", "2026-000005",
                            "2026-000006", "2026-000007", "2026-000009", "2026-000010"}),
    ("service_code=land,property", {"2026-000003", "2026-000004"}),
    ("start_date=2026-11-25T00:00:00%2B08:00", {"2026-000007", "2026-000010"}),
    ("start_date=2026-09-01&end_date=2026-10-25", {"2026-000009"}),
    ("service_request_id=2026-000002,2026-000008&status=open", {"2026-000002"}),
])
async def test_requests_are_filtered_as_the_spec_says(app, known, query, expected):
    async with client(app) as api:
        rows = (await api.get(f"{API}/requests.json?{query}")).json()

    assert {row["service_request_id"] for row in rows} == expected


async def test_a_request_carries_the_fields_of_the_spec(app, known):
    async with client(app) as api:
        row = (await api.get(f"{API}/requests/2026-000001.json")).json()[0]

    assert row["status"] == "closed" and row["expected_datetime"] == "2026-11-17T10:00:00+08:00"
    assert row["requested_datetime"] == "2026-11-10T10:00:00+08:00" and row["address_id"] == "sq01"
    assert row["agency_responsible"] == "石桥镇 石桥村" and row["status_notes"] == "已销号 · 解决到位"


@pytest.mark.parametrize("path", ["requests/2026-000008.json", "requests/2026-999999.json", "requests/x.xml"])
async def test_a_confidential_or_unknown_request_is_not_found(app, known, path):
    async with client(app) as api:
        response = await api.get(f"{API}/{path}")

    assert response.status_code == 404


@pytest.mark.parametrize("query", ["start_date=yesterday", "status=pending", "end_date=2026-13-01"])
async def test_a_bad_filter_is_refused_with_the_specs_error(app, known, query):
    async with client(app) as api:
        response = await api.get(f"{API}/requests.json?{query}")

    assert response.status_code == 400 and response.json()[0]["code"] == 400


async def test_no_villagers_name_phone_or_account_ever_appears(app, sessionmaker, chat, key):
    from tests.harness import Harness

    zhang = Harness.person(3001, "张大爷")
    async with sessionmaker() as session:
        await session.commit()
    await chat.say(zhang, "/start")
    await chat.press(zhang, "石桥镇")
    await chat.press(zhang, "石桥村")
    async with sessionmaker() as session:
        (await session.scalar(select(Person).where(Person.external_id == "3001"))).phone = "13912345678"
        await session.commit()
    await chat.say(zhang, "/new")
    await chat.press(zhang, "环境污染")
    await chat.say(zhang, "我是张大爷，电话13912345678，另一个号码0731-88886666，河水发黑")
    await chat.press(zhang, "下一步")
    await chat.press(zhang, "显示我的名字")
    await chat.press(zhang, "提交")
    await chat.say(zhang, "/new")
    await chat.press(zhang, "干部作风")
    await chat.say(zhang, "村干部收钱不办事")
    await chat.press(zhang, "下一步")
    await chat.press(zhang, "提交")

    async with client(app) as api:
        bodies = [(await api.get(f"{API}/{path}")).text for path in (
            "services.json", "services.xml", "requests.json", "requests.xml", "requests.json?status=open",
            "requests/2026-000001.json", "requests/2026-000001.xml", "requests/2026-000002.json")]

    everything = "\n".join(bodies)
    assert "2026-000001" in everything and "河水发黑" in everything
    for secret in ("张大爷", "13912345678", "88886666", "3001", "收钱不办事", "2026-000002"):
        assert secret not in everything


def test_the_apikey_commands_print_a_key_once_list_and_revoke(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'keys.db'}", "PATH": "/usr/bin:/bin", "DASHBOARD_LISTEN": ""}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "bot", "apikey", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True)

    created = run("create", "12345热线")
    again = run("create", "12345热线")
    listed = run("list")
    revoked = run("revoke", "12345热线")
    after = run("list")

    key = re.search(r"o311_\S+", created.stdout).group(0)
    assert created.returncode == 0 and again.returncode == 2 and "exists already" in again.stderr
    assert "12345热线" in listed.stdout and "active" in listed.stdout and key not in listed.stdout
    assert revoked.returncode == 0 and "revoked" in after.stdout
