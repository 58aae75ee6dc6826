"""A corpus of bad input: raw Telegram updates a person (or Telegram itself) could send at any moment.

Each input builds the update dicts Telegram would post, for the person `ctx.user` in their private chat
unless it is about a group or a channel. `expect` says what a person may expect of the bot:
  "reply"   an answer in their private chat, in their language;
  "group"   one line in the group (a command or a reply to the bot there), nothing in private;
  "none"    no message at all (chatter in a group, a channel post, the bot blocked by the person).
"""
from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakebot import BOT_USER

DATE = 1764468000  # 2025-11-30 02:00 UTC; Telegram dates are only shown, never trusted
BOT = {"id": BOT_USER.id, "is_bot": True, "first_name": BOT_USER.first_name, "username": BOT_USER.username}
BOTNAME = BOT_USER.username
GROUP = {"id": -1001234567890, "type": "supergroup", "title": "<b>石桥村群</b>"}
CHANNEL = {"id": -1009876543210, "type": "channel", "title": "<i>频道</i>"}
STRANGER = {"id": 4242, "is_bot": False, "first_name": "Stranger"}
OTHER_BOT = {"id": 5555, "is_bot": True, "first_name": "Other", "username": "other_bot"}
HTML_NAME = ("<b>&amp;<script>" * 8)[:64]
_ids = itertools.count(1)


def _file(kind: str, **extra) -> dict:
    n = next(_ids)
    return {"file_id": f"{kind}-{n}", "file_unique_id": f"u-{kind}-{n}", **extra}


@dataclass
class Ctx:
    """Who sends, and the counters Telegram would number updates and messages with."""

    user: dict
    update_ids: Callable[[], int]
    message_ids: Callable[[], int] = field(default_factory=lambda: itertools.count(500_000).__next__)

    @property
    def private(self) -> dict:
        return {"id": self.user["id"], "type": "private", "first_name": self.user["first_name"]}

    def message(self, chat: dict | None = None, sender: dict | None = None, **fields) -> dict:
        """Return a message dict from the person (or `sender`) in their private chat (or `chat`)."""
        body = {"message_id": self.message_ids(), "date": DATE, "chat": chat or self.private, **fields}
        if sender is not False:
            body["from"] = sender or self.user
        return body

    def update(self, kind: str = "message", **payload) -> dict:
        return {"update_id": self.update_ids(), kind: payload}

    def says(self, **fields) -> list[dict]:
        """One message update from the person in private."""
        return [{"update_id": self.update_ids(), "message": self.message(**fields)}]


@dataclass(frozen=True)
class Input:
    """One bad input: a name, the updates it makes, and what the person may expect."""

    name: str
    build: Callable[[Ctx], list[dict]]
    expect: str = "reply"
    tags: frozenset[str] = frozenset()

    @property
    def is_text(self) -> bool:
        return "text" in self.tags

    def __repr__(self) -> str:
        return self.name


def text(name: str, value: str, *tags: str) -> Input:
    """A plain text message."""
    return Input(name, lambda ctx: ctx.says(text=value), tags=frozenset({"text", *tags}))


def media(name: str, *tags: str, **fields: Callable[[], Any]) -> Input:
    """A message carrying media (built fresh each time so file ids differ)."""
    return Input(name, lambda ctx: ctx.says(**{k: v() for k, v in fields.items()}),
                 tags=frozenset({"media", *tags}))


def _photo(caption: str | None = None) -> dict:
    sizes = [_file("photo", width=90, height=90), _file("photo", width=1280, height=960)]
    return {"photo": sizes, **({"caption": caption} if caption is not None else {})}


def _photo_input(name: str, caption: str | None, *tags: str) -> Input:
    return Input(name, lambda ctx: ctx.says(**_photo(caption)), tags=frozenset({"media", "usable", *tags}))


def _location(lat: float, lon: float, **extra) -> Callable[[], dict]:
    return lambda: {"latitude": lat, "longitude": lon, **extra}


def _forward(origin: Callable[[Ctx], dict], **fields) -> Callable[[Ctx], list[dict]]:
    return lambda ctx: ctx.says(forward_origin=origin(ctx), **fields)


def _reply_to(original: Callable[[Ctx], dict], value: str = "这是回复") -> Callable[[Ctx], list[dict]]:
    return lambda ctx: ctx.says(text=value, reply_to_message=original(ctx))


def _edited(**fields) -> Callable[[Ctx], list[dict]]:
    return lambda ctx: [ctx.update("edited_message", **ctx.message(edit_date=DATE + 60, **fields))]


def _in_group(chat: dict, **fields) -> Callable[[Ctx], list[dict]]:
    return lambda ctx: [ctx.update("message", **ctx.message(chat=chat, **fields))]


def _channel(kind: str, **fields) -> Callable[[Ctx], list[dict]]:
    extra = {"edit_date": DATE + 60} if kind.startswith("edited") else {}
    return lambda ctx: [ctx.update(kind, **ctx.message(chat=CHANNEL, sender=False, sender_chat=CHANNEL,
                                                       **extra, **fields))]


def _member(old: str, new: str, chat: Callable[[Ctx], dict] | None = None) -> Callable[[Ctx], list[dict]]:
    def build(ctx: Ctx) -> list[dict]:
        def member(status: str) -> dict:
            return {"status": status, "user": BOT, **({"until_date": 0} if status == "kicked" else {})}
        return [ctx.update("my_chat_member", chat=chat(ctx) if chat else ctx.private, **{"from": ctx.user},
                           date=DATE, old_chat_member=member(old), new_chat_member=member(new))]
    return build


def _renamed(value: str) -> Callable[[Ctx], list[dict]]:
    return lambda ctx: ctx.says(text=value, sender={**ctx.user, "first_name": HTML_NAME, "last_name": HTML_NAME,
                                                    "username": "a" * 32})


def _twice(value: str) -> Callable[[Ctx], list[dict]]:
    def build(ctx: Ctx) -> list[dict]:
        update = ctx.says(text=value)[0]
        return [update, update]
    return build


def _album(ctx: Ctx) -> list[dict]:
    return [ctx.says(media_group_id="album-1", **_photo("相册"))[0], ctx.says(media_group_id="album-1", **_photo())[0]]


ZALGO = "Z" + "".join(chr(0x0300 + i % 0x70) for i in range(300))
MDV2 = r"_*[]()~`>#+-=|{}.!\ "


def inputs() -> list[Input]:
    """Return every input of the corpus."""
    items = [
        # Blank and invisible text.
        text("space", " ", "blank"),
        text("whitespace mix", " \t\n \r\n ", "blank"),
        text("ideographic space", "\u3000\u3000", "blank"),
        text("zero-width run", "\u200b\u200c\u200d", "blank"),
        text("byte order mark", "\ufeff", "blank"),
        text("word joiner and filler", "\u2060\u3164\u115f", "blank"),
        text("braille blank", "\u2800" * 5, "blank"),
        text("soft hyphen", "\u00ad", "blank"),
        # Lengths around Telegram's limits.
        text("4096 latin", "x" * 4096, "long"),
        text("4097 latin", "x" * 4097, "long"),
        text("10000 latin", "x" * 10_000, "long"),
        text("50000 latin", "y" * 50_000, "long"),
        text("4096 chinese", "水" * 4096, "long"),
        text("4097 words", ("word " * 820)[:4097], "long"),
        text("4096 ampersands", "&" * 4096, "long", "html"),
        text("4096 less-thans", "<" * 4096, "long", "html"),
        text("3000 emoji", "😀" * 3000, "long", "emoji"),
        # HTML and Markdown specials.
        text("html bold", "<b>bold</b>", "html"),
        text("html script", "<script>alert(1)</script>", "html"),
        text("html comparison", "a < b && c > d", "html"),
        text("html entities", "&amp; &lt; &#0; &#x110000; &bogus;", "html"),
        text("html unclosed", "<b><i>unclosed", "html"),
        text("html stray close", "</b></i></pre>", "html"),
        text("html javascript link", '<a href="javascript:alert(1)">x</a>', "html"),
        text("html tg-spoiler", "<tg-spoiler>x</tg-spoiler><blockquote expandable>y", "html"),
        text("markdown", "*bold* _it_ `code` [link](http://x.example)", "markdown"),
        text("markdown fence", "```python\nprint(1)\n```", "markdown"),
        text("markdown v2 specials", MDV2, "markdown"),
        text("markdown link to bot command", "[x](tg://user?id=1) /new", "markdown"),
        # Format-string and SQL bait.
        text("format braces", "{0} {name} {count} {number} {{}} {", "format"),
        text("percent format", "%s %d %(name)s %n %x %%", "format"),
        text("format attribute", "{0.__class__.__mro__} {text!r:>99999}", "format"),
        text("sql drop", "'; DROP TABLE cases; --", "sql"),
        text("sql tautology", "1' OR '1'='1", "sql"),
        text("sql comment", '" OR 1=1 /* */ --', "sql"),
        text("like wildcards", "%_%\\", "sql"),
        # Control characters and NUL.
        text("control characters", "a\x01\x02\x07\x08\x1b[31mred\x7f", "control"),
        text("nul inside", "前\x00后", "control"),
        text("nul only", "\x00", "control", "blank"),
        text("carriage returns", "a\r\rb\r", "control"),
        text("line and paragraph separators", "a\u2028b\u2029c", "control"),
        # Right-to-left, combining marks, odd scripts.
        text("rtl override", "\u202eevil\u202c text", "rtl"),
        text("arabic and hebrew", "مرحبا שלום", "rtl"),
        text("zalgo", ZALGO, "combining"),
        text("lone combining mark", "\u0301", "combining"),
        text("fullwidth", "ｆｕｌｌｗｉｄｔｈ　／ｎｅｗ", "odd"),
        text("astral characters", "𝕳𝖊𝖑𝖑𝖔 𠀀𠀁", "odd"),
        # Emoji runs.
        text("emoji run", "😀" * 500, "emoji"),
        text("zwj family run", "👨\u200d👩\u200d👧\u200d👦" * 300, "emoji"),
        text("flag run", "🇨🇳" * 500, "emoji"),
        text("skin tone run", "👍🏽" * 500, "emoji"),
        # Commands with junk arguments and @botname suffixes.
        text("start with html payload", "/start <b>x</b>", "command"),
        text("start with unknown village", "/start v_nope", "command"),
        text("start with forged invitation", "/start c_forged", "command"),
        text("start with 500 character payload", "/start " + "x" * 500, "command"),
        text("new at botname", f"/new@{BOTNAME}", "command"),
        text("new at other bot", "/new@other_bot", "command"),
        text("cancel at botname", f"/cancel@{BOTNAME} now please", "command"),
        text("help with junk", "/help %s {0} <b>", "command"),
        text("cases with sql", "/cases' OR 1=1", "command"),
        text("mycases at botname", f"/mycases@{BOTNAME}", "command"),
        text("broadcast with script", "/broadcast <script>", "command"),
        text("stats with huge number", "/stats 99999999999999999999", "command"),
        text("slash only", "/", "command"),
        text("double slash", "//", "command"),
        text("long unknown command", "/x" + "x" * 64, "command"),
        text("upper-case command", "/NEW", "command"),
        text("botname alone", f"@{BOTNAME}", "odd"),
        # Every media type.
        media("sticker", sticker=lambda: _file("stk", type="regular", width=512, height=512, is_animated=False,
                                               is_video=False, emoji="😀")),
        media("video sticker", sticker=lambda: _file("vstk", type="regular", width=512, height=512,
                                                     is_animated=False, is_video=True)),
        media("document", "usable", document=lambda: _file("doc", file_name="<b>x</b>.pdf",
                                                          mime_type="application/pdf")),
        media("document with html caption", "usable", document=lambda: _file("doc", file_name="a.txt"),
              caption=lambda: "<b>说明</b> & <i>"),
        media("contact", contact=lambda: {"phone_number": "+8613800000000", "first_name": "<b>张</b>",
                                          "user_id": 123}),
        media("dice", dice=lambda: {"emoji": "🎲", "value": 6}),
        media("poll", poll=lambda: {"id": f"poll-{next(_ids)}", "question": "<b>?</b>", "total_voter_count": 0,
                                    "options": [{"text": "a", "voter_count": 0, "persistent_id": "a"},
                                                {"text": "b", "voter_count": 0, "persistent_id": "b"}],
                                    "is_closed": False, "is_anonymous": True, "type": "regular",
                                    "allows_multiple_answers": False, "allows_revoting": False,
                                    "members_only": False}),
        media("video note", video_note=lambda: _file("vn", length=240, duration=5)),
        media("audio", audio=lambda: _file("audio", duration=30, title="<i>歌", performer="&")),
        # Telegram sends an animation with a document alongside, for old clients.
        media("animation", "usable", animation=lambda: _file("gif", width=1, height=1, duration=1),
              document=lambda: _file("gifdoc", file_name="a.gif.mp4", mime_type="video/mp4")),
        _photo_input("photo", None),
        _photo_input("photo with 2000 character caption", "图" * 2000, "long"),
        _photo_input("photo with html caption", "<b>x</b> & <script>"),
        _photo_input("photo with blank caption", "\u200b "),
        media("voice", "usable", voice=lambda: _file("voice", duration=3)),
        media("video with 2000 character caption", "usable", "long",
              video=lambda: _file("video", width=1, height=1, duration=1), caption=lambda: "v" * 2000),
        media("web app data", web_app_data=lambda: {"data": "<b>x</b>", "button_text": "go"}),
        media("story", story=lambda: {"chat": {"id": 1, "type": "private"}, "id": 1}),
        media("game-like location with live period", "usable",
              location=_location(31.2, 121.5, live_period=900, heading=90)),
        # Locations far away.
        media("location at null island", "usable", location=_location(0.0, 0.0)),
        media("location at the south pole", "usable", location=_location(-90.0, 180.0)),
        media("location at the date line", "usable", location=_location(89.999999, -179.999999)),
        media("venue far away", "usable", location=_location(-54.8, -68.3),
              venue=lambda: {"location": {"latitude": -54.8, "longitude": -68.3}, "title": "<b>Ushuaia</b>",
                             "address": "&" * 300}),
        Input("album of two photos", _album, tags=frozenset({"media", "usable", "two"})),
        # Forwarded messages.
        Input("forwarded from a person", _forward(lambda ctx: {"type": "user", "date": DATE,
                                                               "sender_user": STRANGER}, text="转发的话"),
              tags=frozenset({"text", "forward"})),
        Input("forwarded from a channel", _forward(lambda ctx: {"type": "channel", "date": DATE, "chat": CHANNEL,
                                                                "message_id": 7}, **_photo("频道图片")),
              tags=frozenset({"media", "usable", "forward"})),
        Input("forwarded from a hidden user", _forward(lambda ctx: {"type": "hidden_user", "date": DATE,
                                                                    "sender_user_name": HTML_NAME}, text="<b>x"),
              tags=frozenset({"text", "forward"})),
        Input("forwarded sticker", _forward(lambda ctx: {"type": "user", "date": DATE, "sender_user": STRANGER},
                                            sticker=_file("stk", type="regular", width=1, height=1,
                                                          is_animated=False, is_video=False)),
              tags=frozenset({"media", "forward"})),
        # Replies to unknown or foreign messages.
        Input("reply to an unknown bot message", _reply_to(lambda ctx: ctx.message(
            sender=BOT, text="早就没了", message_id=999_999)), tags=frozenset({"text", "reply"})),
        Input("reply to my own message", _reply_to(lambda ctx: ctx.message(text="我自己说的")),
              tags=frozenset({"text", "reply"})),
        Input("reply to another bot's message", _reply_to(lambda ctx: ctx.message(sender=OTHER_BOT, text="x")),
              tags=frozenset({"text", "reply"})),
        Input("reply to a message of another chat", lambda ctx: ctx.says(
            text="引用别处", external_reply={"origin": {"type": "user", "date": DATE, "sender_user": STRANGER},
                                          "chat": GROUP, "message_id": 3},
            quote={"text": "<b>q</b>", "position": 0}), tags=frozenset({"text", "reply"})),
        Input("command replying to an unknown message", _reply_to(lambda ctx: ctx.message(
            sender=BOT, text="x", message_id=999_998), "/cancel"), tags=frozenset({"text", "command", "reply"})),
        # Text with entities Telegram attaches.
        Input("text with a javascript text link", lambda ctx: ctx.says(
            text="click here", entities=[{"type": "text_link", "offset": 0, "length": 5,
                                         "url": "javascript:alert(1)"}]), tags=frozenset({"text"})),
        Input("text with out-of-range entities", lambda ctx: ctx.says(
            text="ab", entities=[{"type": "bold", "offset": 1, "length": 500}]), tags=frozenset({"text"})),
        # Edited messages.
        Input("edited text", _edited(text="改过的话"), tags=frozenset({"edit"})),
        Input("edited caption", _edited(caption="<b>改</b>", **_photo()), tags=frozenset({"edit"})),
        Input("edited command", _edited(text="/new"), tags=frozenset({"edit"})),
        # Groups and channels.
        Input("group chatter", _in_group(GROUP, text="大家好 <b>"), expect="none", tags=frozenset({"outside"})),
        Input("group command at botname", _in_group(GROUP, text=f"/new@{BOTNAME} junk"), expect="group",
              tags=frozenset({"outside"})),
        Input("group sticker", _in_group(GROUP, sticker=_file("stk", type="regular", width=1, height=1,
                                                              is_animated=False, is_video=False)),
              expect="none", tags=frozenset({"outside"})),
        Input("group reply to the bot", lambda ctx: [ctx.update("message", **ctx.message(
            chat=GROUP, text="还没修好", reply_to_message=ctx.message(chat=GROUP, sender=BOT, text="x")))],
            expect="group", tags=frozenset({"outside"})),
        Input("group edited message", lambda ctx: [ctx.update("edited_message", **ctx.message(
            chat=GROUP, text="/new", edit_date=DATE + 5))], expect="none", tags=frozenset({"outside", "edit"})),
        Input("channel post", _channel("channel_post", text="/start <b>"), expect="none",
              tags=frozenset({"outside"})),
        Input("edited channel post", _channel("edited_channel_post", text="x"), expect="none",
              tags=frozenset({"outside"})),
        Input("bot added to a group", _member("left", "member", lambda ctx: GROUP), expect="none",
              tags=frozenset({"outside", "member"})),
        # The person blocks (or unblocks) the bot.
        Input("blocked by the person", _member("member", "kicked"), expect="none",
              tags=frozenset({"member", "blocked"})),
        Input("unblocked by the person", _member("kicked", "member"), expect="none", tags=frozenset({"member"})),
        # Names of 64 characters of HTML, and the same update twice.
        Input("html name of 64 characters", _renamed("你好"), tags=frozenset({"text", "name"})),
        Input("the same text twice", _twice("同一条消息"), tags=frozenset({"text", "twice"})),
        Input("the same command twice", _twice("/help"), tags=frozenset({"text", "command", "twice"})),
    ]
    names = [item.name for item in items]
    assert len(names) == len(set(names)), "input names must be unique"
    return items


INPUTS = inputs()
