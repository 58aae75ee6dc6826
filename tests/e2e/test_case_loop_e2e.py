"""The whole case loop through HTTP: the real bot process, the sandbox, people pressing buttons."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


async def report(sandbox, who, category: str, text: str, anonymous: bool = False):
    start = await who.start("v_sq01")
    await who.wait_for("石桥村")
    await who.say("/new")
    menu = await who.wait_for("反映什么问题")
    await who.press(menu, category)
    await who.say(text)
    noted = await who.wait_for("已记下")
    await who.press(noted, "下一步")
    if category != "干部作风":
        question = await who.wait_for("名字")
        await who.press(question, "匿名" if anonymous else "显示我的名字")
    summary = await who.wait_for("请核对")
    await who.press(summary, "提交")
    return start, await who.wait_for("案件编号")


async def resolve(cadre, card, disposition: str, result: str) -> None:
    """Press 办结 on the card, pick the disposition and write the result."""
    await cadre.press(card, "办结")
    await cadre.press(await cadre.wait_for("办理结果如何"), disposition)
    await cadre.wait_for("写下办理结果")
    await cadre.say(result)


async def test_a_case_goes_from_report_to_closed_over_http(sandbox, bot):
    zhang = await sandbox.person(3001, "张大爷")
    wang = await sandbox.person(2001, "王建国")

    _, receipt = await report(sandbox, zhang, "环境污染", "村口的河被工厂排污染黑了 <b>&")
    card = await wang.wait_for("村口的河")
    await wang.reply(card, "明天上午去现场查看")
    relayed = await zhang.wait_for("明天上午去现场查看")
    await zhang.reply(relayed, "好的，谢谢")
    await wang.wait_for("好的，谢谢")
    await resolve(wang, card, "解决到位", "已责令工厂停止排污")
    verdict = await zhang.wait_for("真的解决了吗")
    await zhang.press(verdict, "满意")

    assert "2026-" in receipt["text"] or "-0000" in receipt["text"]
    assert "<b>&" in card["text"]  # shown as the villager wrote it, not as markup
    assert "已销号" in (await wang.wait_for("已销号"))["text"]
    assert await sandbox.unanswered() == []


async def test_an_anonymous_report_hides_the_name_and_conduct_goes_to_the_inspector(sandbox, bot):
    li = await sandbox.person(3002, "李大妈")
    zheng = await sandbox.person(2401, "郑纪检")
    wang = await sandbox.person(2001, "王建国")

    await report(sandbox, li, "社会治安", "晚上有人偷电动车", anonymous=True)
    anonymous_card = await wang.wait_for("偷电动车")
    await report(sandbox, li, "干部作风", "村干部优亲厚友")
    conduct_card = await zheng.wait_for("优亲厚友")

    assert "匿名群众" in anonymous_card["text"] and "李大妈" not in anonymous_card["text"]
    assert "李大妈" not in conduct_card["text"]
    assert not [m for m in await wang.messages() if "优亲厚友" in (m.get("text") or "")]


async def test_an_unsatisfied_villager_reopens_the_case(sandbox, bot):
    zhang = await sandbox.person(3001, "张大爷")
    wang = await sandbox.person(2001, "王建国")
    await report(sandbox, zhang, "环境污染", "河水发臭")
    card = await wang.wait_for("河水发臭")
    await resolve(wang, card, "解释到位", "已解释排污标准")

    await zhang.press(await zhang.wait_for("真的解决了吗"), "不满意")
    await zhang.wait_for("重新办理")
    await zhang.say("河水还是臭的")

    assert "群众不满意" in (await wang.wait_for("群众不满意"))["text"]
    assert "河水还是臭的" in (await wang.wait_for("河水还是臭的"))["text"]


async def test_bad_input_gets_clear_answers_and_nothing_telegram_would_refuse(sandbox, bot):
    zhang = await sandbox.person(3001, "张大爷")
    wang = await sandbox.person(2001, "王建国")
    await zhang.start("v_sq01")
    await zhang.wait_for("石桥村")

    await zhang.send_sticker()
    sticker_answer = await zhang.wait_for("贴图")
    await zhang.say("/nosuchcommand")
    command_answer = await zhang.wait_for("不认识")
    _, receipt = await report(sandbox, zhang, "环境污染", "水" * 4000)
    await zhang.reply(receipt, "补" * 4096)
    pieces = [await wang.wait_for("补补补"), await wang.wait_for("补补补")]

    assert sticker_answer and command_answer
    assert sum(p["text"].count("补") for p in pieces) == 4096
