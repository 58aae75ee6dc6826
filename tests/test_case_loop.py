"""The whole case loop through the dispatcher: report, card, replies, resolve, verdict, closed."""
from __future__ import annotations

from sqlalchemy import select

from models import Case, CaseEvent
from tests.harness import Harness

ZHANG = Harness.person(3001, "张大爷")
LI = Harness.person(3002, "李大妈")
TOM = Harness.person(3004, "Tom Li", "en")
WANG = Harness.person(2001, "王建国")  # default cadre of 石桥村 (sq01)
SUN = Harness.person(2004, "孙丽")  # cadre of 石桥村 for land and property disputes
LIU = Harness.person(2101, "刘书记")  # township leader of 石桥镇
ZHENG = Harness.person(2401, "郑纪检")  # discipline inspector


async def draft_ready_to_submit(chat: Harness, user, text: str = "河水发黑") -> None:
    """Take a villager of 石桥村 through a report up to its summary, where 提交 waits."""
    await chat.say(user, "/start v_sq01")
    await chat.say(user, "/new")
    await chat.press(user, "环境污染")
    await chat.say(user, text)
    await chat.press(user, "下一步")
    await chat.press(user, "显示我的名字")


async def report(chat: Harness, user, category: str, *texts: str, anonymous: bool = False,
                 village: str = "石桥村") -> None:
    await chat.say(user, "/start")
    await chat.press(user, "石桥镇")
    await chat.press(user, village)
    await chat.say(user, "/new")
    await chat.press(user, category)
    for text in texts:
        await chat.say(user, text)
    await chat.press(user, "下一步")
    if category != "干部作风":
        await chat.press(user, "匿名" if anonymous else "显示我的名字")
    await chat.press(user, "提交")


async def only_case(sessionmaker) -> Case:
    async with sessionmaker() as s:
        return await s.scalar(select(Case))


async def test_villager_report_reaches_cadre_and_is_closed_after_satisfied_verdict(chat, sessionmaker):
    await report(chat, ZHANG, "环境污染", "村口的河被工厂排污染黑了")
    card = chat.find(WANG, contains="村口的河")
    await chat.say(WANG, "明天上午去现场查看", reply_to=card)
    relayed = chat.find(ZHANG, contains="明天上午去现场查看")
    await chat.say(ZHANG, "好的，谢谢", reply_to=relayed)
    await chat.press(WANG, "办结", message=card)
    await chat.press(WANG, "解决到位")
    await chat.say(WANG, "已责令工厂停止排污，河道已清理")
    await chat.press(ZHANG, "满意")

    async with sessionmaker() as s:
        case = await s.scalar(select(Case))
        kinds = [e.kind for e in (await s.scalars(select(CaseEvent).order_by(CaseEvent.id))).all()]
    assert case.status == "closed" and case.rating == "satisfied" and case.close_reason == "confirmed"
    assert case.first_response_at is not None
    assert kinds[:2] == ["submitted", "assigned"] and kinds[-2:] == ["rated", "closed"]
    assert "好的，谢谢" in " ".join(chat.texts(WANG))
    assert "已责令工厂停止排污" in chat.find(ZHANG, contains="真的解决了吗").text
    assert any("已销号" in t for t in chat.texts(WANG))
    assert chat.refusals() == [] and chat.unanswered() == []


async def test_villager_is_told_case_number_owner_and_deadline(chat):
    await report(chat, ZHANG, "环境污染", "垃圾堆在路边")

    receipt = chat.find(ZHANG, contains="案件编号")
    assert "2026-000001" in receipt.text and "王建国" in receipt.text and "12月7日 10:00" in receipt.text


async def test_anonymous_report_hides_the_villagers_name_from_the_cadre(chat):
    await report(chat, ZHANG, "社会治安", "晚上有人偷电动车", anonymous=True)

    card = chat.find(WANG, contains="偷电动车")
    assert "匿名群众" in card.text and "张大爷" not in card.text


async def test_land_dispute_goes_to_the_cadre_assigned_for_that_category(chat):
    await report(chat, ZHANG, "山林土地流转纠纷", "邻居占了我家的承包地")

    assert "邻居占了我家的承包地" in chat.find(SUN, contains="承包地").text
    assert chat.inbox(WANG) == []


async def test_conduct_complaint_goes_to_the_inspector_and_never_to_the_village_chain(chat, sessionmaker):
    await report(chat, ZHANG, "干部作风", "村干部优亲厚友分低保")

    card = chat.find(ZHENG, contains="优亲厚友")
    assert "匿名群众" in card.text and "张大爷" not in card.text
    assert chat.inbox(WANG) == [] and chat.inbox(LIU) == [] and chat.inbox(SUN) == []
    assert (await only_case(sessionmaker)).confidential is True


async def test_unsatisfied_verdict_reopens_the_case_to_its_owner_with_the_villagers_words(chat, sessionmaker):
    await report(chat, ZHANG, "环境污染", "河水发臭")
    await chat.press(WANG, "办结")
    await chat.press(WANG, "解释到位")
    await chat.say(WANG, "已向群众解释排污标准")
    await chat.press(ZHANG, "不满意")
    await chat.say(ZHANG, "河水还是臭的")

    case = await only_case(sessionmaker)
    assert case.status == "in_progress" and case.disposition is None
    assert "群众不满意" in chat.find(WANG, contains="重新办理").text
    assert "河水还是臭的" in chat.find(WANG, contains="河水还是臭的").text


async def test_photo_and_location_in_a_report_reach_the_cadre(chat):
    await chat.say(ZHANG, "/start")
    await chat.press(ZHANG, "石桥镇")
    await chat.press(ZHANG, "石桥村")
    await chat.say(ZHANG, "/new")
    await chat.press(ZHANG, "安全隐患")
    await chat.say(ZHANG, "桥裂了")
    await chat.say(ZHANG, photo="photo-1", caption="裂缝")
    await chat.say(ZHANG, location=(30.1, 120.2))
    await chat.press(ZHANG, "下一步")
    await chat.press(ZHANG, "显示我的名字")
    await chat.press(ZHANG, "提交")

    methods = [c.method for c in chat.fake.calls if c.params.get("chat_id") == WANG.id]
    assert methods == ["sendMessage", "sendPhoto", "sendVenue"]
    assert "2 个附件" in chat.find(WANG, contains="桥裂了").text


async def test_cadre_photo_reply_reaches_the_villager_with_the_case_number(chat):
    await report(chat, ZHANG, "环境污染", "臭水沟")
    await chat.say(WANG, photo="photo-2", caption="已经清理", reply_to=chat.find(WANG, contains="臭水沟"))

    photo = [c for c in chat.fake.calls if c.method == "sendPhoto" and c.params["chat_id"] == ZHANG.id][0]
    assert photo.params["photo"] == "photo-2" and "2026-000001" in photo.params["caption"]


async def test_escalation_hands_the_case_to_the_township_leader_and_tells_the_villager(chat, sessionmaker):
    await report(chat, ZHANG, "征地补偿", "补偿款没发")
    await chat.press(WANG, "上报")
    await chat.say(WANG, "涉及乡镇资金，村里解决不了")

    case = await only_case(sessionmaker)
    assert case.owner_id is not None and case.level == "township"
    assert "涉及乡镇资金" in chat.find(LIU, contains="上报给您").text
    assert "刘书记" in chat.find(ZHANG, contains="已上报").text


async def test_transfer_hands_the_case_to_the_chosen_cadre(chat):
    await report(chat, ZHANG, "其他", "路灯坏了")
    await chat.press(WANG, "转办")
    await chat.press(WANG, "孙丽")
    await chat.say(WANG, "孙丽负责基础设施")

    assert "孙丽负责基础设施" in chat.find(SUN, contains="转办给您").text
    assert "孙丽" in chat.find(ZHANG, contains="已转交").text


async def test_deferred_case_tells_the_villager_when_it_will_be_taken_up(chat, sessionmaker):
    await report(chat, ZHANG, "生产生活困难", "想修通组公路")
    await chat.press(WANG, "办结")
    await chat.press(WANG, "暂缓")
    await chat.press(WANG, "90 天后")
    await chat.say(WANG, "已列入明年计划")

    case = await only_case(sessionmaker)
    assert case.disposition == "deferred" and case.revisit_at is not None
    assert "已列入明年计划" in chat.find(ZHANG, contains="重新办理").text


async def test_lists_show_the_villagers_and_the_cadres_cases(chat):
    await report(chat, ZHANG, "环境污染", "烧秸秆")
    await chat.say(ZHANG, "/mycases")
    await chat.press(ZHANG, "2026-000001")
    await chat.say(WANG, "/cases")

    assert "办理进度" in chat.last(ZHANG).text and "群众反映" in chat.last(ZHANG).text
    assert "2026-000001" in chat.last(WANG).text


async def test_english_speaker_is_answered_in_english(chat):
    await chat.say(TOM, "/start")

    assert "Which township" in chat.last(TOM).text


async def test_village_poster_link_registers_the_villager_directly(chat, sessionmaker):
    await chat.say(LI, "/start v_sq02")
    await chat.say(LI, "/new")

    assert "柳树村" in chat.texts(LI)[0]
    assert "请选择" in chat.last(LI).text


async def test_a_card_shows_what_the_case_was_filed_with_not_what_came_after(chat, sessionmaker):
    await report(chat, ZHANG, "征地补偿", "补偿款没发")
    await chat.say(ZHANG, "又过了一周", reply_to=chat.find(ZHANG, contains="案件编号"))
    await chat.press(WANG, "上报")
    await chat.say(WANG, "需要乡镇协调")

    card = chat.find(LIU, contains="上报给您")
    assert "补偿款没发" in card.text and "又过了一周" not in card.text
