"""Each metric on a hand-built set of cases with a known answer (see tests/supervision_builders.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from models import Person
from models.enums import Role
from services.errors import InvalidInput
from services.metrics import Cut, Metrics, Scope, compute, compute_by, scope_for
from services.periods import Period, last_full_week, named_period, week_label
from services.ranking import RankWeights, rank
from tests.conftest import START
from tests.supervision_builders import PERIOD, add_cases, person_named, township_id

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def known(sessionmaker, county):
    return await add_cases(sessionmaker)


@pytest.mark.parametrize(("metric", "expected"), [
    ("received", 7),
    ("responded_on_time", 5),
    ("response_rate", 5 / 7),
    ("closed", 5),
    ("closure_rate", 5 / 7),
    ("on_time_rate", 4 / 5),
    ("resolution_rate", 2 / 5),
    ("satisfaction_rate", 4 / 5),
    ("mediation_rate", 1 / 2),
    ("median_first_contact_s", 4 * 3600),
    ("median_close_s", 5 * 86400),
    ("overdue", 2),
])
async def test_each_county_metric_has_its_known_value(session, known, metric, expected):
    metrics = await compute(session, PERIOD, START, Scope())

    assert getattr(metrics, metric) == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize(("township", "expected"), [
    ("石桥镇", {"received": 4, "response_rate": 3 / 4, "closure_rate": 1.0, "on_time_rate": 3 / 4,
             "resolution_rate": 1 / 4, "satisfaction_rate": 1.0, "mediation_rate": 1 / 2, "overdue": 1}),
    ("清河乡", {"received": 3, "response_rate": 2 / 3, "closure_rate": 1 / 3, "on_time_rate": 1.0,
             "resolution_rate": 1.0, "satisfaction_rate": 1 / 2, "mediation_rate": None, "overdue": 1}),
])
async def test_the_metrics_are_cut_by_township(session, known, township, expected):
    units = {u.name: u.metrics for u in await compute_by(session, PERIOD, START, Cut.township)}

    assert {name: getattr(units[township], name) for name in expected} == pytest.approx(expected)


async def test_the_cut_by_cadre_counts_each_owners_cases(session, known):
    units = await compute_by(session, PERIOD, START, Cut.owner)

    assert {u.name: u.metrics.received for u in units} == {"王建国": 2, "孙丽": 1, "李秀英": 1, "赵志强": 3}


async def test_the_cut_by_village_and_by_category_add_up_to_the_county(session, known):
    villages = await compute_by(session, PERIOD, START, Cut.village)
    categories = await compute_by(session, PERIOD, START, Cut.category)

    assert sum(u.metrics.received for u in villages) == sum(u.metrics.received for u in categories) == 7
    assert {u.name: u.metrics.received for u in villages} == {"石桥村": 3, "柳树村": 1, "清河村": 2, "桃园村": 1}


async def test_a_township_scope_counts_only_that_township(session, known):
    town = await township_id(session, "石桥镇")

    metrics = await compute(session, PERIOD, START, Scope(township_id=town))

    assert (metrics.received, metrics.closed, metrics.overdue) == (4, 4, 1)


async def test_an_inspector_counts_only_the_cadre_conduct_cases(session, known):
    inspector = await person_named(session, "郑纪检")

    metrics = await compute(session, PERIOD, START, scope_for(inspector))

    assert (metrics.received, metrics.closed, metrics.satisfied, metrics.response_rate) == (1, 1, 1, 1.0)


async def test_an_empty_period_gives_no_data_rather_than_a_division_error(session, known):
    empty = Period(START - timedelta(days=400), START - timedelta(days=300))

    metrics = await compute(session, empty, START, Scope())

    assert metrics.received == 0
    assert [getattr(metrics, r) for r in ("response_rate", "closure_rate", "on_time_rate", "resolution_rate",
                                          "satisfaction_rate", "mediation_rate")] == [None] * 6
    assert (metrics.median_first_contact_s, metrics.median_close_s) == (None, None)


async def test_an_empty_database_gives_no_data_and_no_units(session, county):
    metrics = await compute(session, PERIOD, START, Scope())
    units = await compute_by(session, PERIOD, START, Cut.township)

    assert metrics == Metrics()
    assert units == []


@pytest.mark.parametrize(("township", "contact_hours", "close_days"), [
    ("石桥镇", 2.5, 4.0),  # contacts after 1, 2, 3, 30 h; closed after 2, 3, 5, 9 days
    ("清河乡", 7.5, 6.0),  # contacts after 5, 10 h; one closed after 6 days
])
async def test_the_medians_are_taken_per_unit(session, known, township, contact_hours, close_days):
    units = {u.name: u.metrics for u in await compute_by(session, PERIOD, START, Cut.township)}

    assert units[township].median_first_contact_s == pytest.approx(contact_hours * 3600, abs=1)
    assert units[township].median_close_s == pytest.approx(close_days * 86400, abs=1)


@pytest.mark.parametrize(("role", "township", "expected"), [
    (Role.villager, None, None),
    (Role.cadre, None, None),
    (Role.supervisor, None, Scope()),
    (Role.supervisor, 7, Scope(township_id=7)),
    (Role.township_leader, 7, Scope(township_id=7)),
    (Role.county_leader, None, Scope()),
    (Role.inspector, None, Scope(confidential=True)),
])
def test_who_may_count_what(role, township, expected):
    person = Person(name="x", role=role, township_id=township)

    assert scope_for(person) == expected


def test_metrics_survive_a_round_trip_through_json_data():
    metrics = Metrics(received=3, responded_on_time=2, closed=1, median_close_s=60.0)

    again = Metrics.from_dict(metrics.as_dict())

    assert again == metrics and again.as_dict()["response_rate"] == pytest.approx(2 / 3)


@pytest.mark.parametrize(("metrics", "expected"), [
    (Metrics(received=10, responded_on_time=10, closed=10, solved=10, rated=10, satisfied=10), 100.0),
    (Metrics(received=10, responded_on_time=5, closed=10, solved=10, rated=10, satisfied=0), 45.0),
    (Metrics(received=10, responded_on_time=10), 100.0),  # only the response rate has data
    (Metrics(), None),
])
def test_the_composite_score_weighs_the_rates_that_have_data(metrics, expected):
    score = RankWeights().score(metrics)

    assert score == (pytest.approx(expected) if expected is not None else None)


def test_ranking_puts_the_best_first_and_units_without_data_last():
    from services.metrics import Unit

    units = [Unit("township", 1, "甲", Metrics()), Unit("township", 2, "乙", Metrics(received=1)),
             Unit("township", 3, "丙", Metrics(received=1, responded_on_time=1))]

    ranked = rank(units, RankWeights())

    assert [(r.place, r.unit.name) for r in ranked] == [(1, "丙"), (2, "乙"), (None, "甲")]


@pytest.mark.parametrize(("text", "expected"), [
    (None, RankWeights()),
    ("", RankWeights()),
    ("satisfaction=1", RankWeights(satisfaction=1.0)),
    ("response=0.5, resolution=0.25,satisfaction=0.25", RankWeights(0.5, 0.25, 0.25)),
])
def test_rank_weights_are_read_from_configuration(text, expected):
    assert RankWeights.parse(text) == expected


@pytest.mark.parametrize("text", ["speed=1", "response", "response=x", "response=0,resolution=0,satisfaction=0",
                                  "response=-1"])
def test_bad_rank_weights_are_refused_with_a_reason(text):
    with pytest.raises(ValueError):
        RankWeights.parse(text)


@pytest.mark.parametrize(("name", "start"), [
    ("week", datetime(2026, 11, 29, 16, 0, tzinfo=timezone.utc)),  # Monday 30 Nov, 00:00 local
    ("month", datetime(2026, 10, 31, 16, 0, tzinfo=timezone.utc)),  # 1 Nov, 00:00 local
    ("year", datetime(2025, 12, 31, 16, 0, tzinfo=timezone.utc)),  # 1 Jan, 00:00 local
    (None, START - timedelta(days=30)),
])
def test_named_periods_follow_the_local_calendar_up_to_now(name, start):
    assert named_period(name, START, TZ) == Period(start, START)


def test_an_unknown_period_name_is_invalid_input():
    with pytest.raises(InvalidInput):
        named_period("fortnight", START, TZ)


def test_the_briefing_week_is_the_last_full_local_week():
    week = last_full_week(START, TZ)  # START is Monday 30 Nov 10:00 local

    assert week == Period(datetime(2026, 11, 22, 16, 0, tzinfo=timezone.utc),
                          datetime(2026, 11, 29, 16, 0, tzinfo=timezone.utc))
    assert week_label(week, TZ) == "2026-W48"
