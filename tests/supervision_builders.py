"""Hand-built cases for the metrics, ledger, briefing and supervision tests, with known answers.

The set below, counted over PERIOD (the 30 days before START) for the whole county:
received 7; first contact in time 5; closed 5, of them 4 by the deadline; solved (resolved or
assisted) 2; rated 5, content 4; disputes closed 2, of them 1 with a successful recorded mediation
(the other's mediation failed and it was referred to law); overdue now 2 (one received before
the period); median first contact 4 h; median time to close 5 days.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from models import Case, Category, Mediation, Person, Township, Village
from services.periods import Period
from tests.conftest import START

PERIOD = Period(START - timedelta(days=30), START)


@dataclass(frozen=True)
class Spec:
    """One case: where, who, what happened and when (offsets from its creation)."""

    village: str
    owner: str
    category: str = "environment"
    created: timedelta = timedelta(days=-20)  # relative to START
    contact: timedelta | None = None
    closed: timedelta | None = None
    status: str | None = None
    disposition: str | None = None
    rating: str | None = None
    reporter: str = "张大爷"
    anonymous: bool = False
    first_response: timedelta = timedelta(hours=24)
    resolve: timedelta = timedelta(days=7)
    mediation: str | None = None  # the outcome of a recorded mediation (调解成功 / 调解不成)


H, D = timedelta(hours=1), timedelta(days=1)
KNOWN_SET = [
    Spec("sq01", "王建国", contact=2 * H, closed=3 * D, disposition="resolved", rating="satisfied"),
    Spec("sq01", "王建国", contact=30 * H, closed=9 * D, disposition="explained", rating="basically",
         reporter="李大妈", anonymous=True),
    Spec("sq01", "孙丽", "land", contact=1 * H, closed=5 * D, disposition="referred_to_law", mediation="failure"),
    Spec("sq02", "李秀英", "property", contact=3 * H, closed=2 * D, disposition="explained", rating="satisfied",
         mediation="success"),
    Spec("qh01", "赵志强", "hardship", contact=10 * H, closed=6 * D, disposition="assisted", rating="satisfied"),
    Spec("qh01", "赵志强", "security", status="assigned"),
    Spec("qh02", "赵志强", contact=5 * H, status="in_progress", rating="unsatisfied", created=-3 * D),
    # The inspector's case: only an inspector counts it.
    Spec("sq01", "郑纪检", "conduct", contact=1 * H, closed=4 * D, disposition="resolved", rating="satisfied",
         resolve=timedelta(days=15)),
    # Received before the period and still open: overdue now, not received in the period.
    Spec("sq02", "李秀英", created=-40 * D, status="in_progress"),
    # Received at the very end of the period: outside [start, end).
    Spec("sq01", "王建国", created=timedelta(0), status="assigned"),
]


async def villager(session, name: str, village: Village) -> Person:
    """Return the villager of that name, creating them in the village."""
    person = await session.scalar(select(Person).where(Person.name == name))
    if person is None:
        person = Person(name=name, role="villager", channel="telegram", external_id=None, language="zh_CN",
                        village_id=village.id, created_at=START - timedelta(days=400), active=True)
        session.add(person)
        await session.flush()
    return person


async def add_case(session, spec: Spec, number: int) -> Case:
    """Insert one case row as the services would have left it (not committed)."""
    village = await session.scalar(select(Village).where(Village.code == spec.village))
    category = await session.get(Category, spec.category)
    owner = await session.scalar(select(Person).where(Person.name == spec.owner))
    reporter = await villager(session, spec.reporter, village)
    created = START + spec.created
    closed_at = created + spec.closed if spec.closed is not None else None
    case = Case(
        number=f"2026-{number:06d}", kind=category.kind, category_code=category.code, village_id=village.id,
        reporter_id=reporter.id, anonymous=spec.anonymous, confidential=category.confidential,
        owner_id=owner.id, level="village", status=spec.status or ("closed" if closed_at else "assigned"),
        summary=f"{category.name_zh}的问题", disposition=spec.disposition, rating=spec.rating,
        created_at=created, first_response_due=created + spec.first_response,
        first_response_at=created + spec.contact if spec.contact is not None else None,
        due_at=created + spec.resolve, resolved_at=closed_at, closed_at=closed_at,
        close_reason="confirmed" if closed_at else None,
    )
    session.add(case)
    await session.flush()
    if spec.mediation is not None:
        session.add(Mediation(case_id=case.id, parties="甲 与 乙", held_on=(created + timedelta(days=1)).date(),
                              place="村委会", outcome=spec.mediation, recorded_by_id=owner.id,
                              agreement_text="协议" if spec.mediation == "success" else None,
                              next_step="law" if spec.mediation == "failure" else None, at=created))
        await session.flush()
    return case


async def add_cases(sessionmaker, specs: list[Spec] = KNOWN_SET) -> list[Case]:
    """Insert the cases and commit."""
    async with sessionmaker() as session:
        cases = [await add_case(session, spec, n) for n, spec in enumerate(specs, start=1)]
        await session.commit()
    return cases


async def person_named(session, name: str) -> Person:
    return await session.scalar(select(Person).where(Person.name == name))


async def township_id(session, name: str) -> int:
    return await session.scalar(select(Township.id).where(Township.name == name))
