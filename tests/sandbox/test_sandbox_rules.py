"""The pure checks of what Telegram refuses: sandbox.rules and the markup parsers under it."""
from __future__ import annotations

import pytest

from sandbox.markup import ParseError, parse
from sandbox.rules import Refusal, check_call, required_fields, visible_length

LONG_BOLD = "<b>" + "村" * 4096 + "</b>"


def send(text: str, parse_mode: str | None = "HTML", **extra) -> dict:
    return {"chat_id": 1001, "text": text, "parse_mode": parse_mode, **extra}


@pytest.mark.parametrize("text", [
    "<b>x</b>",
    "a &lt; b",
    "&amp;",
    "&quot;引号&quot; &gt; &#60; &#x3C;",
    "<strong>粗</strong><i>斜</i><em>e</em><u>u</u><ins>i</ins><s>s</s><strike>s</strike><del>d</del>",
    '<span class="tg-spoiler">剧透</span> <tg-spoiler>剧透</tg-spoiler>',
    '<a href="https://example.org/?a=1&amp;b=2">链接</a>',
    '<pre><code class="language-python">print(1 &lt; 2)</code></pre>',
    "<blockquote>引用</blockquote><blockquote expandable>可展开</blockquote>",
    '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
    "<B>大写标签</B>",
    "a > b",
    LONG_BOLD,
])
def test_html_telegram_accepts_is_accepted(text):
    params = send(text)

    refusal = check_call("sendMessage", params)

    assert refusal is None


@pytest.mark.parametrize("text, reason", [
    ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
    ("a < b", 'Unsupported start tag ""'),
    ("<script>alert(1)</script>", 'Unsupported start tag "script"'),
    ("& x", 'Character "&"'),
    ("AT&T", 'Character "&"'),
    ("&nbsp;", 'Character "&"'),
    ("<b>x</i>", "Unmatched end tag"),
    ("x</b>", "Unexpected end tag"),
    ("<b><i>x</b></i>", "Unmatched end tag"),
    ('<span class="red">x</span>', 'Tag "span" must have class "tg-spoiler"'),
    ("<div>块</div>", 'Unsupported start tag "div"'),
    ("<br>", 'Unsupported start tag "br"'),
    ('<a href="x>y', "Unclosed start tag"),
    ("<b", "Unclosed start tag"),
])
def test_html_telegram_refuses_is_refused_with_its_reason(text, reason):
    params = send(text)

    refusal = check_call("sendMessage", params)

    assert refusal is not None and refusal.error_code == 400
    assert refusal.description.startswith("Bad Request: can't parse entities: ")
    assert reason in refusal.description


def test_text_of_4096_visible_characters_is_accepted_though_markup_makes_it_longer():
    params = send(LONG_BOLD)

    refusal = check_call("sendMessage", params)

    assert len(LONG_BOLD) > 4096 and refusal is None


def test_text_over_4096_visible_characters_is_refused():
    params = send("<b>" + "村" * 4097 + "</b>")

    refusal = check_call("sendMessage", params)

    assert refusal == Refusal(400, "Bad Request: message is too long")


def test_entities_count_toward_the_length_once_decoded():
    params = send("&lt;" * 4096)

    refusal = check_call("sendMessage", params)

    assert refusal is None


def test_caption_over_1024_visible_characters_is_refused():
    params = {"chat_id": 1001, "photo": "file", "caption": "<i>" + "图" * 1025 + "</i>", "parse_mode": "HTML"}

    refusal = check_call("sendPhoto", params)

    assert refusal == Refusal(400, "Bad Request: message caption is too long")


def test_caption_of_1024_visible_characters_is_accepted():
    params = {"chat_id": 1001, "photo": "file", "caption": "<i>" + "图" * 1024 + "</i>", "parse_mode": "HTML"}

    refusal = check_call("sendPhoto", params)

    assert refusal is None


@pytest.mark.parametrize("text", ["", "   \n ", "<b></b>"])
def test_empty_text_is_refused(text):
    params = send(text)

    refusal = check_call("sendMessage", params)

    assert refusal == Refusal(400, "Bad Request: message text is empty")


def test_text_without_parse_mode_is_not_parsed_as_markup():
    params = send("a < b & <script>", parse_mode=None)

    refusal = check_call("sendMessage", params)

    assert refusal is None


def test_an_unknown_method_is_not_found():
    refusal = check_call("sendTelepathy", {"chat_id": 1})

    assert refusal == Refusal(404, "Not Found")


def test_method_names_are_matched_regardless_of_case_as_telegram_does():
    refusal = check_call("SENDMESSAGE", send("hi"))

    assert refusal is None


@pytest.mark.parametrize("method, params, description", [
    ("sendMessage", {"text": "hi"}, "Bad Request: chat_id is empty"),
    ("sendMessage", {"chat_id": 1}, "Bad Request: message text is empty"),
    ("sendPhoto", {"chat_id": 1}, "Bad Request: photo is required"),
    ("answerCallbackQuery", {}, "Bad Request: callback_query_id is required"),
    ("sendLocation", {"chat_id": 1, "latitude": 30.0}, "Bad Request: longitude is required"),
])
def test_a_missing_required_field_is_refused(method, params, description):
    refusal = check_call(method, params)

    assert refusal == Refusal(400, description)


def test_required_fields_come_from_aiogrammes_method_classes():
    fields = required_fields("sendVenue")

    assert set(fields) == {"chat_id", "latitude", "longitude", "title", "address"}


def test_a_chat_that_is_not_known_is_not_found():
    refusal = check_call("sendMessage", send("hi"), known_chat=lambda chat_id: chat_id == 42)

    assert refusal == Refusal(400, "Bad Request: chat not found")


def test_a_known_chat_is_accepted():
    refusal = check_call("sendMessage", send("hi"), known_chat=lambda chat_id: chat_id == 1001)

    assert refusal is None


def keyboard(*buttons: dict) -> dict:
    return {"inline_keyboard": [list(buttons)]}


@pytest.mark.parametrize("markup, description", [
    (keyboard({"text": "确认", "callback_data": "x" * 65}), "Bad Request: BUTTON_DATA_INVALID"),
    (keyboard({"text": "确认", "callback_data": "案" * 22}), "Bad Request: BUTTON_DATA_INVALID"),
    (keyboard({"text": "确认"}), "Bad Request: can't parse inline keyboard button: Text buttons are unallowed "
                                 "in the inline keyboard"),
    (keyboard({"text": "", "callback_data": "ok"}), "Bad Request: inline keyboard button text is empty"),
    (keyboard({"text": "看看", "url": "not a url"}), "Bad Request: inline keyboard button URL 'not a url' is "
                                                     "invalid: Wrong HTTP URL"),
    ({"inline_keyboard": [{"text": "a", "callback_data": "b"}]},
     'Bad Request: field "inline_keyboard" must be an Array of Arrays'),
    ({"keyboard": [[{"text": ""}]]}, "Bad Request: keyboard button text is empty"),
])
def test_a_bad_keyboard_is_refused(markup, description):
    params = send("请选择", reply_markup=markup)

    refusal = check_call("sendMessage", params)

    assert refusal == Refusal(400, description)


@pytest.mark.parametrize("markup", [
    keyboard({"text": "确认", "callback_data": "x" * 64}),
    keyboard({"text": "确认", "callback_data": "案" * 21}),
    keyboard({"text": "详情", "url": "https://example.org/case/1"}),
    '{"inline_keyboard": [[{"text": "确认", "callback_data": "ok"}]]}',
    {"keyboard": [[{"text": "我要反映问题"}], [{"text": "发送位置", "request_location": True}]]},
    {"remove_keyboard": True},
])
def test_a_good_keyboard_is_accepted(markup):
    refusal = check_call("sendMessage", send("请选择", reply_markup=markup))

    assert refusal is None


def test_a_keyboard_given_as_a_pydantic_model_is_checked_too():
    from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="确认", callback_data="y" * 80)]])

    refusal = check_call("sendMessage", send("请选择", reply_markup=markup))

    assert refusal == Refusal(400, "Bad Request: BUTTON_DATA_INVALID")


def test_an_edit_without_message_id_is_refused():
    refusal = check_call("editMessageText", {"chat_id": 1001, "text": "新"})

    assert refusal == Refusal(400, "Bad Request: message identifier is not specified")


@pytest.mark.parametrize("commands, description", [
    ([{"command": "Start", "description": "开始"}], "Bad Request: BOT_COMMAND_INVALID"),
    ([{"command": "start", "description": ""}], "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"),
])
def test_bad_bot_commands_are_refused(commands, description):
    refusal = check_call("setMyCommands", {"commands": commands})

    assert refusal == Refusal(400, description)


def test_a_callback_answer_over_200_characters_is_refused():
    refusal = check_call("answerCallbackQuery", {"callback_query_id": "1", "text": "长" * 201})

    assert refusal == Refusal(400, "Bad Request: MESSAGE_TOO_LONG")


@pytest.mark.parametrize("text, mode, length", [
    ("<b>粗体</b> &amp; 普通", "HTML", 7),
    ("plain <b>", None, 9),
    ("*粗体* and \\.", "MarkdownV2", 8),
    ("👍", None, 2),  # outside the BMP: two UTF-16 units, as Telegram counts
])
def test_visible_length_counts_what_a_person_sees(text, mode, length):
    assert visible_length(text, mode) == length


def test_visible_length_raises_on_markup_telegram_refuses():
    with pytest.raises(ParseError):
        visible_length("<b>unclosed", "HTML")


@pytest.mark.parametrize("text", [
    "*粗体* _斜体_ __下划线__ ~删除~ ||剧透||",
    "`a.b` and ```python\nprint(1)\n```",
    "[链接](https://example.org/a_b) 1\\.5",
    ">引用一行\n>第二行\n正文",
])
def test_markdown_v2_that_telegram_accepts_is_accepted(text):
    refusal = check_call("sendMessage", send(text, parse_mode="MarkdownV2"))

    assert refusal is None


@pytest.mark.parametrize("text, reason", [
    ("第1.5条", "Character '.' is reserved"),
    ("价格(元)", "Character '(' is reserved"),
    ("*粗体", "Can't find end of Bold entity"),
    ("_斜体", "Can't find end of Italic entity"),
])
def test_markdown_v2_that_telegram_refuses_is_refused(text, reason):
    refusal = check_call("sendMessage", send(text, parse_mode="MarkdownV2"))

    assert refusal is not None and reason in refusal.description


def test_html_parsing_yields_telegram_entities_with_utf16_offsets():
    text, entities = parse('👍<b>粗</b><a href="https://example.org">链</a>', "HTML")

    assert text == "👍粗链"
    assert entities == [{"type": "bold", "offset": 2, "length": 1},
                        {"type": "text_link", "offset": 3, "length": 1, "url": "https://example.org"}]


def test_pre_with_a_language_code_block_becomes_one_pre_entity():
    _, entities = parse('<pre><code class="language-python">x = 1</code></pre>', "HTML")

    assert entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]
