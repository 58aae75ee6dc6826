"""Logging in through the bot: one-time links, sessions, expiry and logout, as services."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from models import LoginToken, WebSession
from services.errors import InvalidInvitation, NotAllowed
from services.web_auth import (
    csrf_matches, current_session, end_session, issue_login_link, redeem_login_link,
)
from tests.supervision_builders import person_named


async def test_a_login_link_opens_one_session_and_only_once(session, county, clock):
    supervisor = await person_named(session, "吴督查")
    token = await issue_login_link(session, supervisor, clock())

    opened = await redeem_login_link(session, token, clock())
    with pytest.raises(InvalidInvitation):
        await redeem_login_link(session, token, clock())

    found = await current_session(session, opened.token, clock())
    assert found is not None and found.person_id == supervisor.id


@pytest.mark.parametrize("after, works", [(timedelta(minutes=9, seconds=59), True), (timedelta(minutes=10), False)])
async def test_a_login_link_works_for_ten_minutes(session, county, clock, after, works):
    cadre = await person_named(session, "王建国")
    token = await issue_login_link(session, cadre, clock())
    clock.advance(seconds=after.total_seconds())

    if works:
        assert (await redeem_login_link(session, token, clock())).token
    else:
        with pytest.raises(InvalidInvitation):
            await redeem_login_link(session, token, clock())


async def test_an_unknown_link_opens_nothing(session, county, clock):
    with pytest.raises(InvalidInvitation):
        await redeem_login_link(session, "made-up-token", clock())

    assert (await session.scalars(select(WebSession))).all() == []


async def test_a_villager_gets_no_login_link(session, county, clock):
    from tests.supervision_builders import villager
    from models import Village

    village = await session.scalar(select(Village).where(Village.code == "sq01"))
    person = await villager(session, "张大爷", village)

    with pytest.raises(NotAllowed):
        await issue_login_link(session, person, clock())


async def test_only_hashes_of_the_secrets_are_stored(session, county, clock):
    leader = await person_named(session, "刘书记")
    token = await issue_login_link(session, leader, clock())
    opened = await redeem_login_link(session, token, clock())

    stored = [row.token_hash for row in (await session.scalars(select(LoginToken))).all()]
    stored += [row.token_hash for row in (await session.scalars(select(WebSession))).all()]

    assert token not in stored and opened.token not in stored and len(stored) == 2


@pytest.mark.parametrize("hours, alive", [(11, True), (12, False)])
async def test_a_session_lasts_twelve_hours(session, county, clock, hours, alive):
    supervisor = await person_named(session, "吴督查")
    opened = await redeem_login_link(session, await issue_login_link(session, supervisor, clock()), clock())
    clock.advance(hours=hours)

    assert (await current_session(session, opened.token, clock()) is not None) is alive


async def test_logging_out_ends_the_session_at_once(session, county, clock):
    supervisor = await person_named(session, "吴督查")
    opened = await redeem_login_link(session, await issue_login_link(session, supervisor, clock()), clock())

    await end_session(session, await current_session(session, opened.token, clock()), clock())

    assert await current_session(session, opened.token, clock()) is None


async def test_a_form_must_carry_its_sessions_csrf_token(session, county, clock):
    supervisor = await person_named(session, "吴督查")
    opened = await redeem_login_link(session, await issue_login_link(session, supervisor, clock()), clock())
    web_session = await current_session(session, opened.token, clock())

    assert csrf_matches(web_session, web_session.csrf)
    assert not csrf_matches(web_session, None)
    assert not csrf_matches(web_session, "forged")
