"""Drive the real bot through the authorization matrix: the people, the two cases, and one try at a time.

A try puts the case in the cell's state (status, owner, helpers), plays one way in (a forged press, a
stale button on an old card, a conversation step left open, a reply to an old card), and returns what the
bot sent back and whether anything in the database changed.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime

from aiogram.fsm.state import State
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from aiogram.utils.i18n import gettext as _
from sqlalchemy import delete, insert, select, text, update

from bot.errors import explain
from bot.i18n import make_i18n
from bot.keyboards import MAX_ROW_ID, CaseCb
from handlers.cadre import Escalating, Resolving, Transferring
from handlers.deadlines import Extending
from handlers.mediation import Mediating
from handlers.signoff import SendingBack
from handlers.team import TeamNote
from models import Case, CaseHelper, MessageLink, Person, Township
from models.base import Base
from models.enums import MessageKind, Role
from services import errors
from services.intake import Part
from tests.authz_rules import HELPER, LEVEL, OWNER, RATE, SEE, Cell
from tests.campaign_support import file, villager
from tests.harness import UPDATE_IDS, Harness
from services.lifecycle import Action as A

MISSING = MAX_ROW_ID  # a well-formed case id that no case has
QUERY_IDS = itertools.count(1)
EXTRA_STAFF = [("石桥督查", Role.supervisor, "2302", "石桥镇"), ("清河督查", Role.supervisor, "2303", "清河乡"),
               ("钱纪检", Role.inspector, "2402", None)]
VILLAGERS = [("张大爷", "3001", "sq01"), ("李大妈", "3002", "sq01"), ("王小明", "3003", "qh01")]


@dataclass(frozen=True)
class Way:
    """One way in: a press of `code:arg`, or a conversation `step` left open for the case, then words or a press."""

    code: str = ""
    arg: str = ""
    step: State | None = None
    data: tuple = ()  # extra state data, besides the case id
    words: str | None = None
    reply_to_card: bool = False

    @property
    def form(self) -> str:
        if self.reply_to_card:
            return "reply to an old card"
        if self.step is not None:
            return f"step {self.step.state}" + (f" then {self.code}" if self.code else "")
        return f"press {self.code}:{self.arg}"


T = "{target}"  # replaced by the id of a cadre of the case's township who is not on it
H = "{helper}"  # replaced by the id of the case's helper
LOOSE = (("loose", Part(MessageKind.text, text="还有一件事").as_dict()),)
WAYS: dict[str, list[Way]] = {
    SEE: [Way("open"), Way("tl")],
    RATE: [Way("rate", "satisfied"), Way("rate", "basically"), Way("rate", "unsatisfied")],
    A.accept: [Way("acc")],
    A.reply: [Way("add", data=LOOSE), Way(reply_to_card=True, words="什么时候来修？")],
    A.resolve: [Way("res"), Way("disp", "resolved"), Way("disp", "deferred"), Way("rev", "7"),
                Way(step=Resolving.note, data=(("disposition", "resolved"), ("revisit_days", None)),
                    words="已经处理好了"),
                Way("last", step=Resolving.note, data=(("disposition", "resolved"), ("revisit_days", None)))],
    A.escalate: [Way("esc"), Way(step=Escalating.reason, words="需要镇里协调")],
    A.transfer: [Way("tr"), Way("to", T), Way(step=Transferring.reason, data=(("to", T),), words="不归我管")],
    A.extend: [Way("ext"), Way("extd", "3"), Way(step=Extending.reason, data=(("days", 3),), words="等材料")],
    A.sign_off: [Way("so")],
    A.send_back: [Way("sb"), Way(step=SendingBack.reason, words="还没办完")],
    A.note: [Way("note"), Way(step=TeamNote.text, words="内部记录")],
    A.team: [Way("team"), Way("hadd"), Way("hput", T), Way("hdel", H)],
    A.mediate: [Way("med"), Way("mnext", "law", step=Mediating.next_step, data=(
        ("parties", "张三、李四"), ("held_on", "2026-11-29"), ("place", "村委会"), ("outcome", "failure")))],
    A.link: [Way("link")],
}


@dataclass
class Outcome:
    calls: list[tuple[str, tuple]]  # what the bot sent, as (method, sorted params) without per-try ids
    texts: list[str]  # the words of each call
    changed: list[str]  # what differs in the database
    unanswered: bool  # a press left without an answer (the spinner would turn forever)


class World:
    """The demo county, the people of the roles table, an ordinary dispute and a 干部作风 case."""

    def __init__(self, sessionmaker, clock, config):
        self.sessionmaker, self.clock, self.config = sessionmaker, clock, config
        self.chat = Harness(sessionmaker, clock, config, storage=MemoryStorage())
        self.ids: dict[str, int] = {}
        self.users: dict[str, int] = {}
        self.cases: dict[bool, Case] = {}
        self.cards: dict[tuple, Message] = {}
        self.missing: dict[tuple, list] = {}
        self._placed: tuple | None = None  # the cell the cases were last put in, while nothing has moved them
        self._last: dict | None = None  # the snapshot taken after the last try, while nothing has moved
        i18n = make_i18n()
        with i18n.context(), i18n.use_locale("zh_CN"):
            self.not_found = explain(errors.CaseNotFound())
            self.words = {"not_found": self.not_found, "not_allowed": explain(errors.NotAllowed()),
                          "transition": explain(errors.InvalidTransition("closed", "x"))}
            self.refusals = {*self.words.values(),
                             explain(errors.InvalidInput("not_dispute")), _("This button is no longer valid.")}
            # Refusals that are not about who or when: an allowed owner may still meet them.
            self.harmless = {explain(errors.InvalidInput("not_dispute")),
                             explain(errors.InvalidInput("nothing_to_link"))}

    async def build(self) -> None:
        now = self.clock()
        async with self.sessionmaker() as s:
            towns = {t.name: t.id for t in (await s.scalars(select(Township))).all()}
            for name, role, tg, town in EXTRA_STAFF:
                s.add(Person(name=name, role=role, channel="telegram", external_id=tg, language="zh_CN",
                             township_id=towns.get(town), created_at=now, active=True))
            people = [await villager(s, name, tg, village, now) for name, tg, village in VILLAGERS]
            await s.commit()
            reporter = people[0]
            self.cases[False] = await file(s, self.config, reporter, "property", "地界被邻居占了，请来看看", now)
            self.cases[True] = await file(s, self.config, reporter, "conduct", "村干部办事要好处", now)
            for person in (await s.scalars(select(Person))).all():
                self.ids[person.name] = person.id
                if person.channel == "telegram" and person.external_id:
                    self.users[person.name] = int(person.external_id)
        for name in self.users:  # everyone has said hello before, so that their chat holds a message
            await self.chat.say(self.user(name), "/start")

    def forget(self) -> None:
        """Put the cases again before the next try: something outside a try may have moved them."""
        self._placed = self._last = None

    def refusal_of(self, problem: str) -> str:
        """The Chinese words of a refusal: not_found, not_allowed or transition."""
        return self.words[problem]

    async def make_listable(self, due: datetime) -> None:
        """Flag both cases and put them past their deadline, so that /risks and /overdue would list them."""
        async with self.sessionmaker() as s:
            await s.execute(update(Case).values(risk_flags=["danger"], priority=1, due_at=due))
            await s.commit()

    async def say(self, who: str, words: str) -> list[str]:
        """Send words as the person; return what the bot sent in answer."""
        mark = len(self.chat.fake.calls)
        await self.chat.say(self.user(who), words)
        return [str(c.params.get("text", c.params.get("caption", ""))) for c in self.chat.fake.calls[mark:]]

    def user(self, name: str):
        return self.chat.person(self.users[name], name)

    async def put(self, cell: Cell) -> Case:
        """Give the cell's case its status, owner (and the owner's level) and helpers."""
        persona, confidential = cell.persona, cell.confidential
        case = self.cases[confidential]
        placed = (persona.relation, persona.who, confidential, cell.status)
        if placed == self._placed:
            return case
        self._placed, self._last = placed, None
        owner = persona.who if persona.relation == OWNER else ("郑纪检" if confidential else "王建国")
        level = LEVEL[persona.role] if persona.relation == OWNER else "village"
        helpers = [persona.who] if persona.relation == HELPER else ([] if confidential else ["孙丽"])
        async with self.sessionmaker() as s:
            await s.execute(update(Case).where(Case.id == case.id).values(
                status=cell.status, owner_id=self.ids[owner], level=level, linked_to_id=None))
            await s.execute(delete(CaseHelper).where(CaseHelper.case_id == case.id))
            for name in helpers:
                await s.execute(insert(CaseHelper).values(case_id=case.id, person_id=self.ids[name]))
            await s.commit()
        return case

    async def snapshot(self) -> dict:
        """Count the rows of every table (but the record of handled updates) and read the cases and helpers."""
        tables = [t.name for t in Base.metadata.sorted_tables if t.name != "processed_updates"]
        counts = ", ".join(f"(SELECT count(*) FROM {name})" for name in tables)
        async with self.sessionmaker() as s:
            row = (await s.execute(text(f"SELECT {counts}"))).one()
            cases = (await s.execute(select(Case.__table__).order_by(Case.id))).all()
            helpers = (await s.execute(select(CaseHelper.__table__).order_by(CaseHelper.case_id,
                                                                              CaseHelper.person_id))).all()
        return {"counts": dict(zip(tables, row)), "cases": [tuple(c) for c in cases], "helpers": list(helpers)}

    def _fill(self, value):
        """Put real ids in a button's argument or a step's data."""
        if not isinstance(value, str):
            return value
        return {T: str(self.ids["李秀英"]), H: str(self.ids["孙丽"])}.get(value, value)

    async def attempt(self, cell: Cell, way: Way, stale: bool, case_id: int | None = None) -> Outcome:
        """Try the way in on the cell's case (or on `case_id`, a missing one); report what came back."""
        case = await self.put(cell)
        case_id = case.id if case_id is None else case_id
        who = cell.persona.who
        user = self.user(who)
        context = self.chat.dp.fsm.get_context(self.chat.bot, chat_id=user.id, user_id=user.id)
        await context.clear()
        if way.step is not None or way.data:
            if way.step is not None:
                await context.set_state(way.step)
            await context.set_data({"case_id": case_id, **{k: self._fill(v) for k, v in way.data}})
        # A forged press comes on the first message the person ever got (their greeting), which had no such button.
        message = await self._card(who, case_id, way) if stale or way.reply_to_card else self.chat.inbox(user)[0]
        before = self._last or await self.snapshot()
        mark = len(self.chat.fake.calls)
        query_id = None
        if way.reply_to_card:
            await self.chat.say(user, way.words, reply_to=message)
        elif way.code:
            query_id = f"m{next(QUERY_IDS)}"
            data = CaseCb(action=way.code, case_id=case_id, arg=self._fill(way.arg)).pack()
            query = CallbackQuery(id=query_id, from_user=user, chat_instance="ci", data=data, message=message)
            await self.chat.dp.feed_update(self.chat.bot, Update(update_id=next(UPDATE_IDS), callback_query=query))
        else:
            await self.chat.say(user, way.words)
        after = await self.snapshot()
        calls = [(c.method, tuple(sorted((k, repr(v)) for k, v in c.params.items() if k != "callback_query_id")))
                 for c in self.chat.fake.calls[mark:]]
        texts = [str(c.params.get("text", "")) for c in self.chat.fake.calls[mark:]]
        changed = [k for k in before if before[k] != after[k]]
        self._last = after
        if changed:
            self._placed = self._last = None
        if changed and "counts" in changed:
            changed = [f"{t}: {before['counts'][t]} -> {after['counts'][t]}" for t in before["counts"]
                       if before["counts"][t] != after["counts"][t]] + [k for k in changed if k != "counts"]
        await context.clear()
        return Outcome(calls, texts, changed, query_id is not None and query_id not in self.chat.fake.answered)

    async def _card(self, who: str, case_id: int, way: Way) -> Message:
        """Return an old card in the person's chat that carries the way's button (and, for a reply, the link)."""
        key = (who, case_id, repr(way))
        if key not in self.cards:
            markup = None
            if way.code:
                data = CaseCb(action=way.code, case_id=case_id, arg=self._fill(way.arg)).pack()
                markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="按钮", callback_data=data)]])
            sent = await self.chat.bot.send_message(self.users[who], "案件卡片（旧）", reply_markup=markup)
            if way.reply_to_card and case_id != MISSING:
                self._last = None
                async with self.sessionmaker() as s:
                    s.add(MessageLink(chat=str(self.users[who]), message_id=sent.message_id, case_id=case_id))
                    await s.commit()
            self.cards[key] = sent
        return self.cards[key]

    async def missing_reply(self, cell: Cell, way: Way, stale: bool) -> list:
        """What the same person gets for the same try on a case id that does not exist."""
        key = (cell.persona.who, repr(way), stale)
        if key not in self.missing:
            self.missing[key] = (await self.attempt(cell, way, stale, case_id=MISSING)).calls
        return self.missing[key]


def ways_of(action: str) -> list[tuple[Way, bool]]:
    """Each way in for the action, as (way, stale): the button on the card both forged (on a message that never
    had it) and stale (on an old card that had it); the buttons of later steps forged; steps and replies stale."""
    found = []
    for n, way in enumerate(WAYS[action]):
        if way.code and way.step is None and not way.data:
            found += [(way, False), (way, True)] if n == 0 else [(way, False)]
        else:
            found.append((way, way.reply_to_card))
    return found


def refused_with_a_word(world: World, outcome: Outcome, way: Way) -> str | None:
    """Return what is wrong with the bot's answer to a forbidden try, or None when it is a plain refusal."""
    if outcome.unanswered:
        return "the press was not answered"
    if len(outcome.calls) != 1:
        return f"expected one answer, got {[c[0] for c in outcome.calls]}"
    method, said = outcome.calls[0][0], outcome.texts[0]
    if method not in ("answerCallbackQuery", "sendMessage") or said not in world.refusals:
        return f"not a refusal: {method} {said[:80]!r}"
    return None
