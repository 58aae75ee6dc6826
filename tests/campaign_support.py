"""Helpers for the tests of the campaign's tools: people of the demo county, a filed and answered case."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from models import Case, OutboxMessage, Person
from models.enums import Disposition, MessageKind
from services.config import ServiceConfig
from services.handling import resolve_case
from services.intake import Part, set_village, submit_case
from services.people import identify


async def staff(session, name: str) -> Person:
    return await session.scalar(select(Person).where(Person.name == name))


async def villager(session, name: str, external_id: str, village: str, now: datetime) -> Person:
    person = await identify(session, channel="telegram", external_id=external_id, name=name, language_code="zh",
                            now=now)
    await set_village(session, person, village)
    return person


async def file(session, config: ServiceConfig, reporter: Person, category: str, words: str, now: datetime,
               anonymous: bool = False) -> Case:
    return await submit_case(session, config, reporter=reporter, category_code=category,
                             parts=[Part(MessageKind.text, text=words)], anonymous=anonymous, now=now)


async def answered(session, config: ServiceConfig, case: Case, now: datetime,
                   disposition: Disposition = Disposition.resolved) -> Case:
    return await resolve_case(session, config, case_id=case.id, actor=case.owner, disposition=disposition,
                              note="已经处理好了", now=now)


async def notices(session, notice: str | None = None) -> list[tuple[str, str, dict]]:
    """Return (recipient, notice kind, payload) of every outbox row, oldest first."""
    rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    names = {p.id: p.name for p in (await session.scalars(select(Person))).all()}
    return [(names[r.person_id], r.payload["notice"], r.payload) for r in rows
            if notice is None or r.payload["notice"] == notice]


async def report_more(chat, user, category: str, *texts: str, anonymous: bool = False) -> None:
    """Report again as a villager already registered in a village (tests.test_case_loop.report did it once)."""
    await chat.say(user, "/new")
    await chat.press(user, category)
    for words in texts:
        await chat.say(user, words)
    await chat.press(user, "下一步")
    if category != "干部作风":
        await chat.press(user, "匿名" if anonymous else "显示我的名字")
    await chat.press(user, "提交")
