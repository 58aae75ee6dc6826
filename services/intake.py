"""Intake: turn a villager's draft into a routed, numbered case with a deadline."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import Case, CaseMessage, Category, Person, Village
from models import queries as q
from models.enums import EventKind, MessageKind, Role, Status
from services import events
from services.config import ServiceConfig
from services.case_cap import take_slot
from services.deadlines import set_deadlines
from services.errors import InvalidInput, UnknownVillage
from services.lifecycle import Action, next_status
from services.numbering import next_case_number
from services.outbox import enqueue_rows, outbox_row
from services.risk import assess_new_case
from services.routing import route_case
from services.text import clean, is_blank

SUMMARY_CHARS = 200
MAX_TEXT = 20_000


@dataclass(frozen=True)
class Part:
    """One piece of a description or reply: text, a file, or a place."""

    kind: MessageKind
    text: str | None = None
    file_id: str | None = None
    latitude: float | None = None
    longitude: float | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None} | {"kind": str(self.kind)}

    @classmethod
    def from_dict(cls, data: dict) -> Part:
        return cls(
            kind=MessageKind(data["kind"]),
            text=data.get("text"),
            file_id=data.get("file_id"),
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
        )

    def message(self, case_id: int, author_id: int, now: datetime) -> CaseMessage:
        return CaseMessage(**self.values(case_id, author_id, now))

    def values(self, case_id: int, author_id: int, now: datetime) -> dict:
        """Return the values of the case message this part makes."""
        return {"case_id": case_id, "author_id": author_id, "at": now, "kind": str(self.kind), "text": self.text,
                "file_id": self.file_id, "latitude": self.latitude, "longitude": self.longitude}


def check_part(part: Part) -> Part:
    """Refuse a part with nothing in it, or text beyond what a case can carry."""
    text = clean(part.text) or None
    if text is not None and len(text) > MAX_TEXT:
        raise InvalidInput("too_long")
    if part.kind is MessageKind.text:
        if is_blank(text):
            raise InvalidInput("empty")
        return Part(MessageKind.text, text=text)
    if part.kind is MessageKind.location:
        if part.latitude is None or part.longitude is None or not (
                -90 <= part.latitude <= 90 and -180 <= part.longitude <= 180):
            raise InvalidInput("empty")
        return part
    if not part.file_id:
        raise InvalidInput("empty")
    return replace(part, text=None if is_blank(text) else text)


def summarize(parts: list[Part]) -> str:
    """Return the first words of the description, for lists and cards."""
    text = " ".join(p.text for p in parts if p.kind is MessageKind.text and p.text)
    return text[:SUMMARY_CHARS]


async def set_village(session: AsyncSession, person: Person, village_code: str) -> Village:
    """Bind the villager to a village of the directory."""
    village = await q.village_by_code(session, village_code)
    if village is None:
        raise UnknownVillage(village_code)
    person.village_id = village.id
    person.township_id = village.township_id
    await session.commit()
    return village


async def submit_case(
    session: AsyncSession,
    config: ServiceConfig,
    *,
    reporter: Person,
    category_code: str,
    parts: list[Part],
    anonymous: bool,
    now: datetime,
    village: Village | None = None,
    draft_key: str | None = None,
    open_cap: int | None = None,
) -> Case:
    """File the case, route it to its owner, start its clocks and queue the owner's card; a draft files once.

    `village` is where the case is (another system's reports name it); by default the reporter's own.
    `open_cap` is MAX_OPEN_CASES for a villager's own report: past it, TooManyOpenCases, unless a supervisor
    allowed one more.
    """
    if draft_key is not None:
        filed = await q.case_filed_from(session, draft_key)
        if filed is not None and filed.reporter_id == reporter.id:
            return filed
    await take_slot(session, reporter, open_cap)
    case = await file_case(session, config, reporter=reporter, category_code=category_code, parts=parts,
                           anonymous=anonymous, now=now, draft_key=draft_key, village=village)
    await session.commit()
    return case


async def file_case(
    session: AsyncSession,
    config: ServiceConfig,
    *,
    reporter: Person,
    category_code: str,
    parts: list[Part],
    anonymous: bool,
    now: datetime,
    draft_key: str | None = None,
    filed_by: Person | None = None,
    village: Village | None = None,
) -> Case:
    """Number, route and flag a new case and queue the owner's card, without committing.

    `filed_by` is the cadre who files for a household (代为反映); the reporter is the household. `village`
    is where the case is (another system's reports name it); by default the reporter's own.
    """
    if reporter.role != Role.villager or (village is None and reporter.village_id is None):
        raise InvalidInput("no_village")
    category = await session.get(Category, category_code)
    if category is None:
        raise InvalidInput("category")
    parts = [check_part(p) for p in parts]
    if not parts:
        raise InvalidInput("empty")
    if len(parts) > config.max_parts:
        raise InvalidInput("too_many")
    village = village or await session.get(Village, reporter.village_id)
    route = await route_case(session, village, category)

    # Submitted and assigned at once: written as one row, with both events.
    case = Case(
        number=await next_case_number(session, now, config.tz),
        intake_key=draft_key,
        kind=category.kind,
        category=category,
        village=village,
        reporter=reporter,
        anonymous=anonymous or category.confidential,
        confidential=category.confidential,
        status=next_status(Status.submitted, Action.assign),
        owner=route.owner,
        level=route.level,
        summary=summarize(parts),
        created_at=now,
        risk_flags=[],
        priority=0,
    )
    set_deadlines(case, category, route.level, config.deadlines, now, escalated=False)
    session.add(case)
    await session.flush()
    behalf = {"filed_by": filed_by.id} if filed_by is not None else {}
    await q.insert_messages(session, [part.values(case.id, reporter.id, now) for part in parts])
    await events.append_rows(session, [
        events.event_row(case.id, EventKind.submitted, now, filed_by or reporter, anonymous=case.anonymous,
                         parts=len(parts), **behalf),
        events.event_row(case.id, EventKind.assigned, now, owner_id=route.owner.id, level=route.level)])
    await enqueue_rows(session, [outbox_row(route.owner.id, "case_card", f"card:new:{case.id}", now, case.id,
                                            reason="new")])
    await assess_new_case(session, case, " ".join(p.text for p in parts if p.text), config.danger_words, now)
    return case
