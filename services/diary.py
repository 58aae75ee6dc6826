"""The cadre's diary (民情日记): household visits of the four kinds (四访), and cases filed from them.

A visit can open a case on the household's behalf (代为反映). The case's reporter is the household:
its own villager record when it uses the bot (linked in the directory), else a villager record made
for it on the channel "household", which has no account and is never written to (services/outbox.py);
the cadre who filed it joins the case's team and carries the news to the household in person.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Case, CaseHelper, DiaryEntry, Person, Village
from models.enums import HOUSEHOLD_CHANNEL, EventKind, MessageKind, Role, VisitKind
from services import events
from services.config import ServiceConfig
from services.errors import InvalidInput, NotAllowed
from services.households import household_for, villages_of_staff
from services.intake import Part, file_case
from services.people import MAX_NAME
from services.text import clean, is_blank

MAX_NOTES = 4000
MAX_PHOTOS = 10
LIST_LIMIT = 10


@dataclass(frozen=True)
class Visit:
    """What a cadre noted on a visit, before it is checked and stored."""

    kind: VisitKind
    notes: str = ""
    photos: tuple[str, ...] = ()
    latitude: float | None = None
    longitude: float | None = None
    household_id: int | None = None
    household_name: str | None = None
    village_id: int | None = None


def _staff(person: Person) -> None:
    if person.role in (Role.villager, Role.inspector):
        raise NotAllowed()


async def record_visit(session: AsyncSession, *, cadre: Person, visit: Visit, now: datetime) -> DiaryEntry:
    """Log a household visit in the cadre's diary."""
    _staff(cadre)
    notes = clean(visit.notes)
    if len(notes) > MAX_NOTES:
        raise InvalidInput("too_long")
    if is_blank(notes) and not visit.photos:
        raise InvalidInput("empty")
    if len(visit.photos) > MAX_PHOTOS:
        raise InvalidInput("too_many")
    if visit.latitude is not None and not (-90 <= visit.latitude <= 90 and -180 <= (visit.longitude or 0) <= 180):
        raise InvalidInput("empty")
    if visit.household_id is not None:
        household = await household_for(session, visit.household_id, cadre)
        village_id, name = household.village_id, None
    else:
        name = clean(visit.household_name)
        if is_blank(name) or len(name) > MAX_NAME:
            raise InvalidInput("empty" if is_blank(name) else "too_long")
        if visit.village_id not in {v.id for v in await villages_of_staff(session, cadre)}:
            raise NotAllowed()
        village_id = visit.village_id
    entry = DiaryEntry(cadre_id=cadre.id, household_id=visit.household_id, household_name=name,
                       village_id=village_id, kind=VisitKind(visit.kind), notes=notes, photos=list(visit.photos),
                       latitude=visit.latitude, longitude=visit.longitude, visited_at=now)
    session.add(entry)
    await session.commit()
    return entry


async def visits_of(session: AsyncSession, cadre: Person, limit: int = LIST_LIMIT) -> Sequence[DiaryEntry]:
    """Return the cadre's latest visits, newest first."""
    _staff(cadre)
    return (await session.scalars(select(DiaryEntry).where(DiaryEntry.cadre_id == cadre.id)
                                  .order_by(DiaryEntry.visited_at.desc(), DiaryEntry.id.desc()).limit(limit))
            ).unique().all()


async def own_entry(session: AsyncSession, entry_id: int, cadre: Person) -> DiaryEntry:
    """Return one of the cadre's own diary entries, or raise NotAllowed."""
    entry = await session.get(DiaryEntry, entry_id)
    if entry is None or entry.cadre_id != cadre.id:
        raise NotAllowed()
    return entry


def household_label(entry: DiaryEntry) -> str:
    """Name the household of a visit: the head's name from the directory, or the name the cadre wrote."""
    return entry.household.head if entry.household is not None else (entry.household_name or "")


async def _reporter_for(session: AsyncSession, entry: DiaryEntry, now: datetime) -> Person:
    """Return the villager record that reports for the visited household, making one if needed."""
    household = entry.household
    if household is not None and household.person_id is not None:
        person = await session.get(Person, household.person_id)
        if person is not None and person.active:
            return person
    village = await session.get(Village, entry.village_id)
    person = Person(name=household_label(entry)[:MAX_NAME], role=Role.villager, channel=HOUSEHOLD_CHANNEL,
                    external_id=None, language="zh_CN", village_id=village.id, township_id=village.township_id,
                    subscribed=False, created_at=now, active=True)
    session.add(person)
    await session.flush()
    if household is not None:
        household.person_id = person.id
    return person


def visit_parts(entry: DiaryEntry) -> list[Part]:
    """Turn the visit's notes, photos and place into the parts of a case description."""
    parts = [Part(MessageKind.text, text=entry.notes)] if not is_blank(entry.notes) else []
    parts += [Part(MessageKind.photo, file_id=file_id) for file_id in entry.photos or []]
    if entry.latitude is not None and entry.longitude is not None:
        parts.append(Part(MessageKind.location, latitude=entry.latitude, longitude=entry.longitude))
    return parts


async def open_case_for_visit(session: AsyncSession, config: ServiceConfig, *, cadre: Person, entry_id: int,
                              category_code: str, anonymous: bool, now: datetime) -> Case:
    """File a case from a visit on the household's behalf; the cadre joins its team unless they own it."""
    entry = await own_entry(session, entry_id, cadre)
    if entry.case_id is not None:
        return await session.get(Case, entry.case_id)
    reporter = await _reporter_for(session, entry, now)
    case = await file_case(session, config, reporter=reporter, category_code=category_code,
                           parts=visit_parts(entry), anonymous=anonymous, now=now, filed_by=cadre)
    entry.case_id = case.id
    if case.owner_id != cadre.id and not case.confidential:
        session.add(CaseHelper(case_id=case.id, person_id=cadre.id))
        events.append(session, case, EventKind.helper_added, now, actor=cadre, person_id=cadre.id, name=cadre.name)
    await session.commit()
    return case

