"""/dashboard in chat: staff get a one-time login link, villagers a polite refusal."""
from __future__ import annotations

import re

import pytest

from services.errors import InvalidInvitation
from services.web_auth import redeem_login_link
from tests.harness import Harness

ZHANG = Harness.person(3001, "张大爷")
LINK = re.compile(r"http://127\.0\.0\.1:8082/login/([\w-]+)")


@pytest.mark.parametrize("user", [Harness.person(2301, "吴督查"), Harness.person(2101, "刘书记"),
                                  Harness.person(2401, "郑纪检"), Harness.person(2001, "王建国")],
                         ids=["supervisor", "township leader", "inspector", "cadre"])
async def test_staff_get_a_one_time_login_link(chat, sessionmaker, clock, user):
    await chat.say(user, "/dashboard")

    token = LINK.search(chat.last(user).text).group(1)
    async with sessionmaker() as session:
        assert (await redeem_login_link(session, token, clock())).token
        with pytest.raises(InvalidInvitation):
            await redeem_login_link(session, token, clock())
    assert "10 分钟" in chat.last(user).text


async def test_the_link_is_sent_without_a_preview_that_would_use_it_up(chat):
    await chat.say(Harness.person(2301, "吴督查"), "/dashboard")

    call = [c for c in chat.fake.calls if c.method == "sendMessage"][-1]
    assert call.params["link_preview_options"]["is_disabled"] is True


async def test_a_villager_is_refused_politely(chat):
    await chat.say(ZHANG, "/dashboard")

    assert "网页工作台供干部、领导和督查使用" in chat.last(ZHANG).text
    assert not LINK.search(chat.last(ZHANG).text)
