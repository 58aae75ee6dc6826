"""Every input of the bad-input corpus, played in every step where a person could send it.

Each case starts from a copy of a database where the person stands in that step, plays the input through
the real dispatcher, and checks: nothing crashed or logged a traceback, Telegram would take every call the
bot made, the person got an answer in their language where they expect one, and nothing was stored that
should not be. In the description step whatever the draft took is then filed, and in the broadcast composer
whatever it took is sent to a township, so the calls those make are checked too.

Run: 119 inputs x 9 steps (1071 cases) in Chinese, and 20 inputs x 9 steps (180 cases) in English.
"""
from __future__ import annotations

import functools
import json
import itertools
import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiogram.types import Message, Update
from sqlalchemy import text as sql

from bot.i18n import make_i18n
from bot.migrate import upgrade_connection
from models.db import make_engine, make_sessionmaker
from services.config import ServiceConfig
from tests.conftest import FixedClock
from tests.corpus import INPUTS, Ctx, Input
from tests.harness import UPDATE_IDS, Harness
from tests.test_case_loop import WANG, ZHANG, report

WU = Harness.person(2301, "吴督查")  # county supervisor
HAN = re.compile(r"[\u3400-\u9fff]")
ENGLISH_WORD = re.compile(r"\b(the|a|an|it|of|to|is|or|and|please|you|your|not|this|case|send|here|what|who)\b",
                          re.IGNORECASE)
NAMES = sql("SELECT name FROM people UNION SELECT name FROM villages UNION SELECT name FROM townships")
COUNTED = ("cases", "case_messages", "case_events", "outbox", "broadcasts", "message_links")
SNAPSHOT = sql("SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in COUNTED)
               + ", (SELECT state FROM conversation_states WHERE key LIKE :k)"
               + ", (SELECT unreachable_at FROM people WHERE external_id = :id)")


async def _describing(chat: Harness) -> None:
    await chat.say(ZHANG, "/start v_sq01")
    await chat.say(ZHANG, "/new")
    await chat.press(ZHANG, "环境污染")


async def _category(chat: Harness) -> None:
    await chat.say(ZHANG, "/start v_sq01")
    await chat.say(ZHANG, "/new")


async def _anonymity(chat: Harness) -> None:
    await _describing(chat)
    await chat.say(ZHANG, "河水发黑")
    await chat.press(ZHANG, "下一步")


async def _confirm(chat: Harness) -> None:
    await _anonymity(chat)
    await chat.press(ZHANG, "显示我的名字")


async def _result(chat: Harness) -> None:
    await report(chat, ZHANG, "环境污染", "河水发黑")
    await chat.press(WANG, "办结", message=chat.find(WANG, contains="河水发黑"))
    await chat.press(WANG, "解决到位")


async def _reason(chat: Harness) -> None:
    await report(chat, ZHANG, "征地补偿", "补偿款没发")
    await chat.press(WANG, "上报")


async def _transfer(chat: Harness) -> None:
    await report(chat, ZHANG, "其他", "路灯坏了")
    await chat.press(WANG, "转办")
    await chat.press(WANG, "孙丽")


async def _composer(chat: Harness) -> None:
    await chat.say(ZHANG, "/start v_sq01")
    await chat.say(WU, "/broadcast")
    await chat.press(WU, "自己写")


async def _idle(chat: Harness) -> None:
    await chat.say(ZHANG, "/start v_sq01")


@dataclass(frozen=True)
class Step:
    """A step of a conversation, who stands in it, and how to get them there."""

    name: str
    person: object
    reach: object
    fsm_state: str | None
    takes_text: bool = False  # plain text completes the step and is stored (a cadre's note, a reason)


# One event loop for the module, so one engine serves every case (see case_engine).
pytestmark = pytest.mark.asyncio(loop_scope="module")

STEPS = [
    Step("idle", ZHANG, _idle, None),
    Step("category", ZHANG, _category, "Intake:category"),
    Step("description", ZHANG, _describing, "Intake:describing"),
    Step("anonymity", ZHANG, _anonymity, "Intake:anonymity"),
    Step("confirm", ZHANG, _confirm, "Intake:confirm"),
    Step("result", WANG, _result, "Resolving:note", takes_text=True),
    Step("reason", WANG, _reason, "Escalating:reason", takes_text=True),
    Step("transfer", WANG, _transfer, "Transferring:reason", takes_text=True),
    Step("composer", WU, _composer, "Compose:text"),
]


@dataclass
class Template:
    path: Path
    chats: dict[int, list[Message]]


_templates: dict[str, Template] = {}


async def base(root: Path) -> Path:
    """Return a migrated database holding the demo county (built once per run)."""
    path = root / "base.db"
    if not path.exists():
        from bot.demo import load_demo

        engine = make_engine(f"sqlite:///{path}")
        async with engine.begin() as conn:
            await conn.run_sync(upgrade_connection)
        async with make_sessionmaker(engine)() as s:
            await load_demo(s, FixedClock()())
        await engine.dispose()
    return path


async def template(step: Step, root: Path) -> Template:
    """Return a database where the person stands in `step` (built once per run; each case copies its rows)."""
    if step.name in _templates:
        return _templates[step.name]
    path = root / f"{step.name}.db"
    shutil.copyfile(await base(root), path)
    engine = make_engine(f"sqlite:///{path}")
    chat = Harness(make_sessionmaker(engine), FixedClock(), ServiceConfig())
    await step.reach(chat)
    assert chat.refusals() == [], chat.refusals()
    await engine.dispose()
    _templates[step.name] = Template(path, chat.fake.chats)
    return _templates[step.name]


@pytest.fixture(scope="module")
def template_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("corpus")


@dataclass
class Snapshot:
    counts: dict[str, int]
    state: str | None
    unreachable: bool


async def snapshot(sessionmaker, user_id: int) -> Snapshot:
    async with sessionmaker() as s:
        row = (await s.execute(SNAPSHOT, {"k": f"%:{user_id}:{user_id}%", "id": str(user_id)})).one()
    return Snapshot(dict(zip(COUNTED, row[:-2])), row[-2], row[-1] is not None)


def sent_to(chat: Harness, chat_id: int, until: int | None = None) -> list[str]:
    """Return the texts (or captions) of what the bot sent to a chat, up to the `until`-th call."""
    return [c.params.get("text") or c.params.get("caption") or "" for c in chat.fake.calls[:until]
            if c.method.startswith("send") and c.params.get("chat_id") == chat_id]


def words_of(updates: list[dict]) -> str:
    """Return the words a person typed into these updates (texts and captions)."""
    found = []
    for update in updates:
        for body in update.values():
            if isinstance(body, dict):
                found += [body.get("text") or "", body.get("caption") or ""]
    return "".join(found)


def in_language(reply: str, language: str, said: str, names: list[str]) -> bool:
    """Say whether a reply is in the person's language, the person's own words and the names of people and
    places aside."""
    for name in names:
        reply = reply.replace(name, "")
    foreign = {ch for ch in HAN.findall(reply) if ch not in said}
    if language == "en":
        return not foreign and ENGLISH_WORD.search(reply) is not None
    return bool(foreign)


def changes_allowed(step: Step, item: Input) -> bool:
    """Say whether the input may rightly store something in this step (a cadre's note or reason)."""
    if not step.takes_text or not item.is_text:
        return False
    return "command" not in item.tags and "blank" not in item.tags


def may_move(step: Step, item: Input) -> bool:
    """Say whether the input may rightly move the person to another step."""
    return item.is_text or "usable" in item.tags


_engines: dict[Path, object] = {}


async def case_engine(root: Path, tpl: Template):
    """Return the database every case runs on, holding what the template holds.

    One engine and its connections serve every case (the module shares one event loop), so the
    statement cache stays warm; each case copies the template's rows in, which takes milliseconds.
    """
    path = root / "case.db"
    if path not in _engines:
        shutil.copyfile(tpl.path, path)
        _engines[path] = make_engine(f"sqlite:///{path}")
    engine = _engines[path]
    async with engine.connect() as conn:
        await conn.exec_driver_sql(f"ATTACH DATABASE '{tpl.path}' AS tpl")
        tables = [row[0] for row in await conn.exec_driver_sql(
            "SELECT name FROM tpl.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_stat%'")]
        await conn.exec_driver_sql("PRAGMA foreign_keys = OFF")  # the rows copied are whole and consistent
        await conn.exec_driver_sql("BEGIN")
        for table in tables:
            await conn.exec_driver_sql(f'DELETE FROM main."{table}"')
            await conn.exec_driver_sql(f'INSERT INTO main."{table}" SELECT * FROM tpl."{table}"')
        await conn.exec_driver_sql("COMMIT")
        await conn.exec_driver_sql("PRAGMA foreign_keys = ON")
        await conn.exec_driver_sql("DETACH DATABASE tpl")
    return engine


@functools.lru_cache(maxsize=1)
def shared_i18n():
    return make_i18n()


async def play(step: Step, item: Input, language: str, root: Path, caplog, monkeypatch) -> None:
    tpl = await template(step, root)
    engine = await case_engine(root, tpl)
    # The catalogs are read once, not twice for every case.
    monkeypatch.setattr("bot.app.make_i18n", shared_i18n)
    monkeypatch.setattr("tests.harness.make_i18n", shared_i18n)
    sessionmaker = make_sessionmaker(engine)
    chat = Harness(sessionmaker, FixedClock(), ServiceConfig())
    chat.fake.chats = {k: list(v) for k, v in tpl.chats.items()}
    chat.fake._ids = itertools.count(100_000)
    user = step.person.model_copy(update={"language_code": "en" if language == "en" else "zh-hans"})
    ctx = Ctx(user=user.model_dump(mode="json", by_alias=True, exclude_none=True), update_ids=UPDATE_IDS.__next__)
    caplog.set_level(logging.INFO)
    caplog.clear()
    try:
        before = await snapshot(sessionmaker, user.id)
        updates = item.build(ctx)
        said = words_of(updates)
        first = 0
        for n, raw in enumerate(updates):
            await chat.feed(Update.model_validate(raw, context={"bot": chat.bot}))
            if n == 0:
                first = len(sent_to(chat, user.id))
        second = len(sent_to(chat, user.id)) - first
        after = await snapshot(sessionmaker, user.id)
        async with sessionmaker() as s:
            names = sorted((await s.scalars(NAMES)).all(), key=len, reverse=True)
        handled = len(chat.fake.calls)
        if step.name == "description" and language != "en":
            has_parts = after.state == "Intake:describing" and await draft_parts(sessionmaker, user.id) > 0
            filed = await file_the_draft(chat, sessionmaker, user)
        if step.name == "composer" and language != "en":
            took = after.state == "Compose:audience"
            sent = await send_the_broadcast(chat, sessionmaker, user)
    finally:
        await chat.bot.session.close()

    failures = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert failures == [], [(r.getMessage(), logging.Formatter().formatException(r.exc_info) if r.exc_info else "")
                            for r in failures]
    assert chat.refusals() == []
    private = sent_to(chat, user.id, until=handled)
    if item.expect == "reply":
        assert private, "the person got no answer"
        assert all(in_language(t, language, said, names) for t in private), private
    else:
        assert private == [], private
    group = [c for c in chat.fake.calls if c.params.get("chat_id") not in (user.id, None)
             and c.params.get("chat_id", 0) < 0]
    assert len(group) == (1 if item.expect == "group" else 0), group
    if "twice" in item.tags:
        assert second == 0, "the update delivered again was handled again"
    if "blocked" in item.tags:
        assert after.unreachable, "a person who blocked the bot must be marked unreachable"
    else:
        assert after.unreachable == before.unreachable
    if not changes_allowed(step, item):
        assert after.counts == before.counts
    if not may_move(step, item):
        assert after.state == before.state
    if step.name == "description" and language != "en":
        # What the draft took is filed and reaches the cadre in calls Telegram takes.
        assert chat.refusals() == []
        assert filed == has_parts, "a draft that took the input could not be filed"
    if step.name == "composer" and language != "en":
        # A text the composer took is sent to the township, in calls Telegram takes.
        assert chat.refusals() == []
        assert sent == took, "a broadcast that took the input was not sent"


async def send_the_broadcast(chat: Harness, sessionmaker, user) -> bool:
    """Send the broadcast being composed to 石桥镇 now; say whether a villager received it."""
    from scheduler.context import JobContext
    from scheduler.jobs import fan_out_broadcasts

    if (await snapshot(sessionmaker, user.id)).state != "Compose:audience":
        return False
    for label in ("石桥镇", "立即发送", "确认"):
        await chat.press(user, label)
    await fan_out_broadcasts(JobContext(sessionmaker, chat.config, chat.clock))
    await chat.feed_nothing()
    return sent_to(chat, ZHANG.id) != []


async def draft_parts(sessionmaker, user_id: int) -> int:
    async with sessionmaker() as s:
        data = await s.scalar(sql("SELECT data FROM conversation_states WHERE key LIKE :k"),
                              {"k": f"%:{user_id}:{user_id}%"})
    return len((json.loads(data) if isinstance(data, str) else data or {}).get("parts", []))


async def file_the_draft(chat: Harness, sessionmaker, user) -> bool:
    """Take a draft being described to its filing; say whether a case was filed."""
    steps = [("Intake:describing", "下一步"), ("Intake:anonymity", "显示我的名字"), ("Intake:confirm", "提交")]
    for state, label in steps:
        if (await snapshot(sessionmaker, user.id)).state != state:
            return False
        await chat.press(user, label)
    return (await snapshot(sessionmaker, user.id)).counts["cases"] == 1


_case_ids = itertools.count(1)
ENGLISH = ["space", "4097 latin", "html script", "format braces", "sql drop", "nul inside", "zalgo",
           "emoji run", "new at botname", "long unknown command", "sticker", "poll", "photo with 2000 character caption",
           "location at null island", "forwarded from a person", "reply to an unknown bot message", "edited text",
           "html name of 64 characters", "the same text twice", "blocked by the person"]


@pytest.mark.parametrize("item", INPUTS, ids=[i.name for i in INPUTS])
@pytest.mark.parametrize("step", STEPS, ids=[s.name for s in STEPS])
async def test_bad_input_is_answered_and_changes_nothing_it_should_not(step, item, template_root, caplog, monkeypatch):
    await play(step, item, "zh_CN", template_root, caplog, monkeypatch)


@pytest.mark.parametrize("item", [i for i in INPUTS if i.name in ENGLISH], ids=lambda i: i.name)
@pytest.mark.parametrize("step", STEPS, ids=[s.name for s in STEPS])
async def test_bad_input_from_an_english_reader_is_answered_in_english(step, item, template_root, caplog, monkeypatch):
    await play(step, item, "en", template_root, caplog, monkeypatch)
