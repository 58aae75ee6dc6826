"""The Bot API as a real aiogram Bot sees it: good calls succeed and parse, bad ones are refused like Telegram."""
from __future__ import annotations

import io

import httpx
import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramNotFound, TelegramUnauthorizedError
from aiogram.types import (
    BotCommand, BotCommandScopeAllPrivateChats, BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup,
    InputMediaPhoto, KeyboardButton, MenuButtonCommands, ReplyKeyboardMarkup, ReplyParameters,
)

KEYBOARD = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="受理", callback_data="case:1:accept")]])


def markup(*buttons: InlineKeyboardButton) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[list(buttons)])


async def test_get_me_returns_the_demo_bot(bot):
    me = await bot.get_me()

    assert (me.id, me.username, me.first_name, me.is_bot) == (7000000001, "massline_demo_bot", "群众路线助手", True)


async def test_a_token_of_the_wrong_shape_is_unauthorized(sandbox, bot_factory):
    bad = bot_factory(sandbox.base_url, token="123:short")

    with pytest.raises(TelegramUnauthorizedError):
        await bad.get_me()


async def test_send_message_returns_the_visible_text_with_entities_and_keyboard(bot, villager):
    sent = await bot.send_message(villager.id, "<b>案件</b> 已受理 &lt;A1&gt;", reply_markup=KEYBOARD)

    assert sent.text == "案件 已受理 <A1>"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 2)]
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "case:1:accept"
    assert sent.from_user.id == 7000000001 and sent.chat.id == villager.id and sent.chat.type == "private"


async def test_message_ids_increase_within_each_chat(bot, client, villager):
    other = await client.person(1002, "李秀英")
    await other.start()

    first = await bot.send_message(villager.id, "一")
    second = await bot.send_message(villager.id, "二")
    elsewhere = await bot.send_message(other.id, "三")

    assert second.message_id == first.message_id + 1
    assert elsewhere.message_id == 2  # after the /start that opened that chat


async def test_a_reply_carries_the_message_it_replies_to(bot, villager):
    said = await villager.say("路灯坏了")

    sent = await bot.send_message(villager.id, "收到", reply_parameters=ReplyParameters(message_id=said["message_id"]))

    assert sent.reply_to_message.text == "路灯坏了"
    assert sent.reply_to_message.from_user.id == villager.id


async def test_a_reply_to_a_message_that_is_not_there_is_refused(bot, villager):
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(villager.id, "收到", reply_parameters=ReplyParameters(message_id=999))


async def test_an_uploaded_photo_gets_a_file_id_the_bot_can_send_again(bot, villager):
    upload = BufferedInputFile(b"\x89PNG fake", filename="scene.png")
    first = await bot.send_photo(villager.id, upload, caption="<i>现场</i>", reply_markup=KEYBOARD)

    again = await bot.send_photo(villager.id, first.photo[-1].file_id)

    assert first.caption == "现场" and first.caption_entities[0].type == "italic"
    assert first.reply_markup.inline_keyboard[0][0].text == "受理"  # decoded from a multipart JSON field
    assert again.photo[-1].file_id == first.photo[-1].file_id


async def test_a_photo_a_person_sent_can_be_sent_on_by_its_file_id(bot, villager):
    said = await villager.send_photo(caption="水渠堵了")
    file_id = said["photo"][-1]["file_id"]

    forwarded = await bot.send_photo(villager.id, file_id, caption="转给干部")

    assert forwarded.photo[-1].file_id == file_id


async def test_get_file_and_download_return_the_uploaded_bytes(bot, villager):
    sent = await bot.send_document(villager.id, BufferedInputFile("台账".encode(), filename="ledger.csv"))

    info = await bot.get_file(sent.document.file_id)
    buffer = io.BytesIO()
    await bot.download_file(info.file_path, buffer)

    assert sent.document.file_name == "ledger.csv"
    assert buffer.getvalue() == "台账".encode()


async def test_an_unknown_file_id_is_refused(bot, villager):
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_photo(villager.id, "AgACAgIAAxkBAAIBnotours")


async def test_voice_video_location_and_venue_are_sent_and_parse(bot, villager):
    voice = await bot.send_voice(villager.id, BufferedInputFile(b"OggS", filename="v.ogg"))
    video = await bot.send_video(villager.id, BufferedInputFile(b"mp4", filename="v.mp4"))
    location = await bot.send_location(villager.id, 28.2, 112.9)
    venue = await bot.send_venue(villager.id, 28.2, 112.9, "石桥村村委会", "石桥村一组")

    assert voice.voice.duration > 0 and video.video.width > 0
    assert (location.location.latitude, location.location.longitude) == (28.2, 112.9)
    assert venue.venue.title == "石桥村村委会" and venue.location.latitude == 28.2


async def test_copy_gives_a_new_message_id_and_forward_keeps_the_origin(bot, villager):
    said = await villager.say("我家门口的路修好了吗")

    copied = await bot.copy_message(villager.id, villager.id, said["message_id"])
    forwarded = await bot.forward_message(villager.id, villager.id, said["message_id"])

    assert copied.message_id > said["message_id"]
    assert forwarded.text == "我家门口的路修好了吗"
    assert forwarded.forward_origin.sender_user.id == villager.id


async def test_copying_a_message_that_is_not_there_is_refused(bot, villager):
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(villager.id, villager.id, 404)


async def test_commands_are_kept_per_scope_and_language(bot):
    scope = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands([BotCommand(command="start", description="开始")], scope=scope, language_code="zh")
    await bot.set_my_commands([BotCommand(command="help", description="Help")], language_code="en")

    chinese = await bot.get_my_commands(scope=scope, language_code="zh")
    await bot.delete_my_commands(language_code="en")
    english = await bot.get_my_commands(language_code="en")

    assert [c.command for c in chinese] == ["start"]
    assert english == []


async def test_chat_action_menu_button_webhook_info_close_and_log_out_succeed(bot, villager):
    results = [
        await bot.send_chat_action(villager.id, "typing"),
        await bot.set_chat_menu_button(menu_button=MenuButtonCommands()),
        await bot.close(),
        await bot.log_out(),
    ]
    info = await bot.get_webhook_info()

    assert results == [True, True, True, True]
    assert info.url == "" and info.pending_update_count == 1  # the /start waiting for getUpdates


async def test_a_reply_keyboard_is_accepted_but_not_put_on_the_returned_message(bot, villager):
    keyboard = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="我要反映问题")]], resize_keyboard=True)

    sent = await bot.send_message(villager.id, "请选择", reply_markup=keyboard)
    shown = await villager.current(sent)

    assert sent.reply_markup is None
    assert shown["keyboard"]["keyboard"][0][0]["text"] == "我要反映问题"


async def test_a_message_to_someone_not_registered_is_refused_as_chat_not_found(bot, client):
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(424242, "你好")

    assert [r["description"] for r in await client.refusals()] == ["Bad Request: chat not found"]


async def test_a_message_to_someone_who_never_started_the_bot_is_refused_with_a_hint(bot, client):
    await client.person(1003, "王大妈")

    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(1003, "你好")

    assert "has not started the bot" in (await client.refusals())[0]["hint"]


async def test_someone_registered_as_started_can_be_written_to_first(bot, client):
    await client.person(2001, "王书记", label="包村干部", started=True)

    sent = await bot.send_message(2001, "新案件待受理")

    assert sent.chat.first_name == "王书记"


async def test_text_over_4096_visible_characters_is_refused(bot, client, villager):
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(villager.id, "<b>" + "长" * 4097 + "</b>")

    assert (await client.refusals())[0]["method"] == "sendMessage"


async def test_text_of_4096_visible_characters_in_markup_is_sent(bot, villager):
    sent = await bot.send_message(villager.id, "<b>" + "长" * 4096 + "</b>")

    assert len(sent.text) == 4096


async def test_caption_over_1024_visible_characters_is_refused(bot, villager):
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(villager.id, BufferedInputFile(b"png", "a.png"), caption="图" * 1025)


async def test_empty_text_is_refused(bot, villager):
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(villager.id, "")


@pytest.mark.parametrize("text", ["<b>未闭合", "a < b", "<script>x</script>", "张三 & 李四", "<b>x</i>"])
async def test_html_telegram_cannot_parse_is_refused(bot, villager, text):
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(villager.id, text)


async def test_markdown_v2_with_an_unescaped_reserved_character_is_refused(bot, villager):
    with pytest.raises(TelegramBadRequest, match="Character '.' is reserved"):
        await bot.send_message(villager.id, "*第1.5条*", parse_mode="MarkdownV2")


async def test_markdown_v2_that_escapes_properly_is_sent_with_its_entities(bot, villager):
    sent = await bot.send_message(villager.id, "*第1\\.5条*", parse_mode="MarkdownV2")

    assert sent.text == "第1.5条" and sent.entities[0].type == "bold"


async def test_callback_data_over_64_bytes_is_refused(bot, villager):
    long_data = markup(InlineKeyboardButton(text="受理", callback_data="case:" + "9" * 60))

    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(villager.id, "新案件", reply_markup=long_data)


async def test_an_inline_button_without_an_action_is_refused(bot, villager):
    with pytest.raises(TelegramBadRequest, match="Text buttons are unallowed"):
        await bot.send_message(villager.id, "新案件", reply_markup=markup(InlineKeyboardButton(text="受理")))


async def test_an_inline_button_with_empty_text_is_refused(bot, villager):
    with pytest.raises(TelegramBadRequest, match="button text is empty"):
        await bot.send_message(villager.id, "新案件", reply_markup=markup(InlineKeyboardButton(text="", callback_data="x")))


async def test_an_edit_that_changes_nothing_is_refused_as_not_modified(bot, villager):
    sent = await bot.send_message(villager.id, "案件已受理", reply_markup=KEYBOARD)

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("案件已受理", chat_id=villager.id, message_id=sent.message_id,
                                    reply_markup=KEYBOARD)
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(chat_id=villager.id, message_id=sent.message_id, reply_markup=KEYBOARD)


async def test_an_edit_that_only_drops_the_keyboard_is_a_change(bot, villager):
    sent = await bot.send_message(villager.id, "案件已受理", reply_markup=KEYBOARD)

    edited = await bot.edit_message_text("案件已受理", chat_id=villager.id, message_id=sent.message_id)

    assert edited.reply_markup is None and edited.edit_date is not None


async def test_edits_are_applied_and_returned(bot, villager):
    photo = await bot.send_photo(villager.id, BufferedInputFile(b"png", "a.png"), caption="旧")
    text = await bot.send_message(villager.id, "旧")

    new_text = await bot.edit_message_text("<b>新</b>", chat_id=villager.id, message_id=text.message_id)
    new_caption = await bot.edit_message_caption(chat_id=villager.id, message_id=photo.message_id, caption="新")
    new_markup = await bot.edit_message_reply_markup(chat_id=villager.id, message_id=text.message_id,
                                                     reply_markup=KEYBOARD)

    assert new_text.text == "新" and new_text.entities[0].type == "bold"
    assert new_caption.caption == "新"
    assert new_markup.reply_markup.inline_keyboard[0][0].text == "受理"


async def test_editing_a_message_that_does_not_exist_is_refused(bot, villager):
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("新", chat_id=villager.id, message_id=777)


async def test_editing_a_persons_message_is_refused(bot, villager):
    said = await villager.say("原话")

    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_text("改", chat_id=villager.id, message_id=said["message_id"])


async def test_a_deleted_message_is_marked_and_cannot_be_deleted_twice(bot, villager):
    sent = await bot.send_message(villager.id, "撤回我")

    assert await bot.delete_message(villager.id, sent.message_id) is True
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(villager.id, sent.message_id)
    assert (await villager.current(sent))["deleted"] is True


async def test_answering_an_unknown_callback_query_is_refused(bot):
    with pytest.raises(TelegramBadRequest, match="query is too old and response timeout expired or query ID"):
        await bot.answer_callback_query("123456")


async def test_answering_a_callback_query_twice_is_refused(bot, client, villager):
    sent = await bot.send_message(villager.id, "请确认", reply_markup=KEYBOARD)
    query_id = await villager.press(sent, "受理")

    first = await bot.answer_callback_query(query_id, text="已受理")
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query_id)

    assert first is True
    assert await client.unanswered() == []


async def test_an_unknown_method_is_not_found(sandbox, client, bot):
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        answer = await http.post(f"/bot{bot.token}/sendTelepathy", json={"chat_id": 1})

    assert answer.status_code == 404
    assert answer.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert (await client.refusals())[0]["method"] == "sendTelepathy"


async def test_aiogram_reports_an_unknown_method_as_not_found(bot):
    from aiogram.methods import SendMessage

    class SendTelepathy(SendMessage):
        __api_method__ = "sendTelepathy"

    with pytest.raises(TelegramNotFound):
        await bot(SendTelepathy(chat_id=1001, text="?"))


async def test_a_missing_required_field_is_refused_with_its_name(sandbox, client, bot, villager):
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        answer = await http.post(f"/bot{bot.token}/sendPhoto", data={"chat_id": str(villager.id)})

    assert answer.status_code == 400
    assert answer.json()["description"] == "Bad Request: photo is required"
    assert (await client.refusals())[0]["params"] == {"chat_id": villager.id}


@pytest.mark.parametrize("body", [
    {"json": {"chat_id": 1001, "text": "<b>你好</b>", "parse_mode": "HTML",
              "reply_markup": {"inline_keyboard": [[{"text": "好", "callback_data": "ok"}]]}}},
    {"data": {"chat_id": "1001", "text": "<b>你好</b>", "parse_mode": "HTML",
              "reply_markup": '{"inline_keyboard": [[{"text": "好", "callback_data": "ok"}]]}'}},
    {"files": {"chat_id": (None, "1001"), "text": (None, "<b>你好</b>"), "parse_mode": (None, "HTML"),
               "reply_markup": (None, '{"inline_keyboard": [[{"text": "好", "callback_data": "ok"}]]}')}},
])
async def test_json_urlencoded_and_multipart_bodies_are_all_understood(sandbox, bot, villager, body):
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        answer = await http.post(f"/bot{bot.token}/sendMessage", **body)

    result = answer.json()["result"]
    assert result["text"] == "你好"
    assert result["reply_markup"] == {"inline_keyboard": [[{"text": "好", "callback_data": "ok"}]]}


async def test_an_album_is_sent_as_messages_sharing_a_media_group(bot, villager):
    said = await villager.send_photo()
    media = [InputMediaPhoto(media=BufferedInputFile(b"png", "a.png"), caption="<b>一</b>"),
             InputMediaPhoto(media=said["photo"][-1]["file_id"])]

    album = await bot.send_media_group(villager.id, media)

    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
    assert album[0].caption == "一" and album[1].photo[-1].file_id == said["photo"][-1]["file_id"]


async def test_an_album_of_one_is_refused(bot, villager):
    with pytest.raises(TelegramBadRequest, match="media group must have from 2 to 10 items"):
        await bot.send_media_group(villager.id, [InputMediaPhoto(media=BufferedInputFile(b"png", "a.png"))])


async def test_get_chat_and_get_chat_member_describe_the_person(bot, villager):
    chat = await bot.get_chat(villager.id)
    member = await bot.get_chat_member(villager.id, villager.id)

    assert (chat.id, chat.type, chat.first_name) == (villager.id, "private", "张大爷")
    assert member.user.first_name == "张大爷" and member.status == "member"
