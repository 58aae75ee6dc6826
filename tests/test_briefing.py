"""The weekly briefing on a fixed clock: its content, the job that queues it once, the PNG it draws."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.i18n import make_i18n
from bot.notices import Renderer
from bot.notices_supervision import briefing_chart, chart_labels
from models import OutboxMessage
from scheduler.briefing import BRIEFING_AT, send_weekly_briefing
from scheduler.context import JobContext
from services.briefing import Briefing, Thresholds, build_briefing
from services.cron import next_fire
from services.periods import last_full_week
from services.metrics import Scope
from tests.conftest import START
from tests.harness import Harness
from tests.supervision_builders import Spec, add_cases, person_named, township_id

H, D = timedelta(hours=1), timedelta(days=1)
# START is Monday 30 Nov 10:00 local: the briefing covers Monday 23 to Sunday 29 November.
THIS_WEEK, WEEK_BEFORE = -5 * D, -12 * D
WEEKS = [
    Spec("sq01", "王建国", created=THIS_WEEK, contact=1 * H, closed=2 * D, disposition="resolved",
         rating="satisfied"),
    Spec("sq01", "王建国", created=THIS_WEEK, contact=30 * H, status="in_progress"),
    Spec("qh01", "赵志强", created=THIS_WEEK, contact=2 * H, closed=1 * D, disposition="explained",
         rating="basically"),
    Spec("qh02", "赵志强", created=THIS_WEEK, contact=3 * H, closed=1 * D, disposition="resolved",
         rating="satisfied"),
    Spec("sq02", "李秀英", created=WEEK_BEFORE, contact=1 * H, closed=3 * D, disposition="resolved",
         rating="satisfied"),
    Spec("qh01", "赵志强", created=WEEK_BEFORE, status="assigned"),
] + [Spec("sq02", "李秀英", created=-(30 - n) * D, status="in_progress") for n in range(5)]
WU = Harness.person(2301, "吴督查")


@pytest.fixture
async def weeks(sessionmaker, county):
    return await add_cases(sessionmaker, WEEKS)


@pytest.fixture
async def briefing(session, weeks, config) -> Briefing:
    return await build_briefing(session, START, config.tz, Scope())


def test_the_briefing_counts_the_week_against_the_week_before(briefing):
    this, last = briefing.this_week, briefing.last_week

    assert briefing.week == "2026-W48"
    assert (this.received, this.response_rate, this.satisfaction_rate) == (4, 0.75, 1.0)
    assert (last.received, last.response_rate) == (2, 0.5)


def test_the_briefing_names_the_units_below_the_thresholds(briefing):
    named = [(b.cut, b.name, b.low_response, b.low_satisfaction) for b in briefing.behind]

    assert named == [("township", "石桥镇", True, False), ("village", "石桥村", True, False),
                     ("owner", "王建国", True, False)]


@pytest.mark.parametrize(("thresholds", "named"), [
    (Thresholds(), {"石桥镇", "石桥村", "王建国"}),
    (Thresholds(response=0.5), set()),  # 50% is not below 50%
    (Thresholds(satisfaction=1.01), {"石桥镇", "清河乡", "石桥村", "清河村", "桃园村", "王建国", "赵志强"}),
])
async def test_the_thresholds_decide_who_is_named(session, weeks, config, thresholds, named):
    briefing = await build_briefing(session, START, config.tz, Scope(), thresholds)

    assert {b.name for b in briefing.behind} == named


def test_the_briefing_lists_the_five_longest_overdue_cases_longest_first(briefing):
    overdue = [(c.number, c.days_late) for c in briefing.overdue]

    assert overdue == [("2026-000007", 23), ("2026-000008", 22), ("2026-000009", 21), ("2026-000010", 20),
                       ("2026-000011", 19)]


def test_the_briefing_counts_each_local_day_by_status(briefing):
    days = {d["day"]: d for d in briefing.daily}

    assert list(days) == [f"2026-11-{n}" for n in range(23, 30)]
    assert (days["2026-11-25"]["closed"], days["2026-11-25"]["in_progress"]) == (3, 1)
    assert sum(d["closed"] for d in briefing.daily) == 3


async def test_a_township_briefing_keeps_to_the_township(session, weeks, config):
    town = await township_id(session, "清河乡")

    briefing = await build_briefing(session, START, config.tz, Scope(township_id=town), area="清河乡")

    assert briefing.this_week.received == 2 and briefing.behind == []
    assert [t["name"] for t in briefing.townships] == ["清河乡"]


def test_the_briefing_survives_the_outbox_as_json(briefing):
    again = Briefing.from_payload(json.loads(json.dumps(briefing.to_payload())))

    assert again == briefing


async def test_the_job_queues_one_briefing_per_supervisor_however_often_it_runs(sessionmaker, weeks, config):
    ctx = JobContext(sessionmaker, config, lambda: START)

    first, second = await send_weekly_briefing(ctx), await send_weekly_briefing(ctx)

    async with sessionmaker() as s:
        supervisor = await person_named(s, "吴督查")
        keys = (await s.scalars(select(OutboxMessage.key).where(OutboxMessage.key.like("briefing:%")))).all()
    assert (first, second) == (1, 0)
    assert keys == [f"briefing:2026-W48:{supervisor.id}"]


async def test_the_briefing_is_rendered_as_text_and_a_png_chart(sessionmaker, weeks, config):
    await send_weekly_briefing(JobContext(sessionmaker, config, lambda: START))

    async with sessionmaker() as s:
        row = await s.scalar(select(OutboxMessage).where(OutboxMessage.key.like("briefing:%")))
        calls = await Renderer(make_i18n(), config.tz).render(s, row, await person_named(s, "吴督查"))

    text, photo = calls
    assert "工作简报 2026-W48" in text.text and "通报" in text.text
    assert "<i>乡镇</i>\n• 石桥镇：响应率 50.0% ⚠，满意率 100.0%" in text.text
    assert "响应率：75.0%（上周 50.0%） ↑25.0" in text.text
    assert "2026-000007" in text.text and "超期 23 天" in text.text
    assert photo.photo.filename == "briefing.png" and photo.photo.data.startswith(b"\x89PNG")


async def test_the_briefing_reaches_the_supervisors_chat(sessionmaker, weeks, config, clock):
    chat = Harness(sessionmaker, clock, config)
    await send_weekly_briefing(JobContext(sessionmaker, config, clock))

    await chat.sender.deliver_due()

    assert [c.method for c in chat.fake.calls] == ["sendMessage", "sendPhoto"]
    assert "工作简报" in chat.texts(WU)[0]
    assert chat.refusals() == []


def test_the_chart_is_a_png_even_without_any_case(config):
    empty = Briefing.from_payload({
        "week": "2026-W48", "start": "2026-11-22T16:00:00+00:00", "end": "2026-11-29T16:00:00+00:00",
        "at": START.isoformat(), "area": None, "this_week": {}, "last_week": {},
        "thresholds": {"satisfaction": 0.85, "response": 0.92}, "behind": [], "overdue": [], "daily": [],
        "townships": [],
    })

    with make_i18n().context(), make_i18n().use_locale("zh_CN"):
        png = briefing_chart(empty, chart_labels())

    assert png.startswith(b"\x89PNG")


def test_the_default_schedule_sends_on_monday_morning_about_the_week_just_ended(config):
    fires = next_fire(BRIEFING_AT, START, config.tz)

    assert fires.astimezone(config.tz).strftime("%a %d %b %H:%M") == "Mon 07 Dec 08:00"
    assert last_full_week(fires, config.tz).start == datetime(2026, 11, 29, 16, 0, tzinfo=timezone.utc)
