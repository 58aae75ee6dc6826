"""The campaign's tools through HTTP: a supervisor's sign-off, and a diary visit that opens a case."""
from __future__ import annotations

import pytest

from tests.e2e.test_case_loop_e2e import report, resolve

pytestmark = pytest.mark.e2e


async def test_a_dispute_is_struck_off_only_after_the_supervisor_signs_it_off(sandbox, bot):
    zhang = await sandbox.person(3001, "张大爷")
    sun = await sandbox.person(2004, "孙丽")
    wu = await sandbox.person(2301, "吴督查")

    await report(sandbox, zhang, "产权纠纷", "邻居把围墙砌到了我家宅基地上")
    card = await sun.wait_for("宅基地")
    await resolve(sun, card, "解决到位", "已调解，邻居同意拆除围墙")
    await zhang.press(await zhang.wait_for("真的解决了吗"), "满意")
    waiting = await zhang.wait_for("复核后销号")
    request = await wu.wait_for("待您审核销号")
    await wu.press(request, "同意销号")

    assert "已调解，邻居同意拆除围墙" in request["text"] and "张大爷" not in request["text"]
    assert waiting
    assert "予以销号" in (await zhang.wait_for("予以销号"))["text"]
    assert "经督查组同意" in (await sun.wait_for("经督查组同意"))["text"]


async def test_a_diary_visit_opens_a_case_for_the_household(sandbox, bot):
    wang = await sandbox.person(2001, "王建国")

    await wang.say("/diary")
    diary = await wang.wait_for("我的民情日记")
    await wang.press(diary, "记一次走访")
    households = await wang.wait_for("走访的是哪一户")
    await wang.press(households, "刘桂兰")
    kinds = await wang.wait_for("这次走访的内容是")
    await wang.press(kinds, "访生活状况")
    await wang.wait_for_edit(kinds, "所见所闻")
    await wang.say("老伴住院花了好几万，家里拿不出钱")
    noted = await wang.wait_for("已记下")
    await wang.press(noted, "完成")
    saved = await wang.wait_for_edit(noted, "已记入民情日记")
    await wang.press(saved, "代为反映")
    categories = await wang.wait_for_edit(saved, "代刘桂兰反映")
    await wang.press(categories, "生产生活困难")
    anonymity = await wang.wait_for_edit(categories, "是否告诉办理干部")
    await wang.press(anonymity, "告知户主姓名")
    filed = await wang.wait_for_edit(anonymity, "已代农户反映")
    card = await wang.wait_for("新案件")

    assert "当面告知" in filed["text"]
    assert "刘桂兰" in card["text"] and "老伴住院" in card["text"]
