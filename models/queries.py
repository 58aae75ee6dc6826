"""Query helpers. They read and add; they never commit."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, Select, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.cases import Case, CaseEvent, CaseHelper, CaseMessage
from models.delivery import MessageLink
from models.directory import Assignment, Category, Person, Township, Village
from models.enums import Role


# Built once: every update runs it, and building a statement costs more than SQLite running it.
_PERSON_BY_EXTERNAL = select(Person).where(Person.channel == bindparam("channel"),
                                           Person.external_id == bindparam("external_id"))


async def person_by_external(session: AsyncSession, channel: str, external_id: str) -> Person | None:
    return await session.scalar(_PERSON_BY_EXTERNAL, {"channel": channel, "external_id": external_id})


async def village_by_code(session: AsyncSession, code: str) -> Village | None:
    return await session.scalar(select(Village).where(Village.code == code))


async def townships(session: AsyncSession) -> Sequence[Township]:
    return (await session.scalars(select(Township).order_by(Township.name))).all()


async def villages_of(session: AsyncSession, township_id: int) -> Sequence[Village]:
    return (
        await session.scalars(select(Village).where(Village.township_id == township_id).order_by(Village.code))
    ).all()


async def categories(session: AsyncSession) -> Sequence[Category]:
    return (await session.scalars(select(Category).order_by(Category.position, Category.code))).all()


async def assigned_cadre(session: AsyncSession, village_id: int, category_code: str | None) -> Person | None:
    """Return the active cadre assigned to the village for that category (None: default)."""
    cond = Assignment.category_code.is_(None) if category_code is None else Assignment.category_code == category_code
    return await session.scalar(
        select(Person)
        .join(Assignment, Assignment.person_id == Person.id)
        .where(Assignment.village_id == village_id, cond, Person.active.is_(True))
        .order_by(Assignment.id)
        .limit(1)
    )


async def first_with_role(session: AsyncSession, role: Role, township_id: int | None = None) -> Person | None:
    query = select(Person).where(Person.role == role, Person.active.is_(True))
    if township_id is not None:
        query = query.where(Person.township_id == township_id)
    return await session.scalar(query.order_by(Person.id).limit(1))


async def people_with_role(session: AsyncSession, role: Role) -> Sequence[Person]:
    return (await session.scalars(select(Person).where(Person.role == role, Person.active.is_(True)))).all()


async def staff_of_township(session: AsyncSession, township_id: int) -> Sequence[Person]:
    return (
        await session.scalars(
            select(Person)
            .where(Person.township_id == township_id, Person.role != Role.villager, Person.active.is_(True))
            .order_by(Person.role, Person.name)
        )
    ).all()


async def case_by_id(session: AsyncSession, case_id: int) -> Case | None:
    return await session.get(Case, case_id)


async def case_filed_from(session: AsyncSession, draft_key: str) -> Case | None:
    """Return the case filed from this draft, if it was (the lookup itself loads nothing)."""
    case_id = await session.scalar(select(Case.id).where(Case.intake_key == draft_key))
    return await session.get(Case, case_id) if case_id is not None else None


# On the table, not the mapped class: a plain Core select skips the ORM's compile step (~20 µs a statement).
_LINKS = MessageLink.__table__
_CASE_OF_LINK = select(_LINKS.c.case_id).where(_LINKS.c.chat == bindparam("chat"),
                                               _LINKS.c.message_id == bindparam("message_id"))


async def case_id_by_link(session: AsyncSession, chat: str, message_id: int) -> int | None:
    """Return the id of the case a message in a chat belongs to (cheap: no case is loaded)."""
    return await session.scalar(_CASE_OF_LINK, {"chat": chat, "message_id": message_id})


_CASE_FOR_REPLY = (
    select(Case.__table__.c.id, Case.__table__.c.number, Case.__table__.c.status, Case.__table__.c.owner_id,
           Case.__table__.c.reporter_id, Case.__table__.c.confidential, Case.__table__.c.first_response_at,
           Village.__table__.c.township_id, CaseHelper.__table__.c.person_id.label("helper_id"),
           Person.__table__.c.channel.label("reporter_channel"))
    .join(Village.__table__, Village.__table__.c.id == Case.__table__.c.village_id)
    .join(Person.__table__, Person.__table__.c.id == Case.__table__.c.reporter_id)
    .outerjoin(CaseHelper.__table__, CaseHelper.__table__.c.case_id == Case.__table__.c.id)
    .where(Case.__table__.c.id == bindparam("case_id"))
)


async def case_for_reply(session: AsyncSession, case_id: int) -> tuple[Row | None, set[int]]:
    """Return what a reply needs of a case (no case object is loaded) and the ids of its helpers."""
    rows = (await session.execute(_CASE_FOR_REPLY, {"case_id": case_id})).all()
    if not rows:
        return None, set()
    return rows[0], {r.helper_id for r in rows if r.helper_id is not None}


_MESSAGES, _CASES, _PEOPLE = CaseMessage.__table__, Case.__table__, Person.__table__
_AUTHOR, _REPORTER = _PEOPLE.alias("author"), _PEOPLE.alias("reporter")
_RELAYED = (
    select(_MESSAGES.c.kind, _MESSAGES.c.text, _MESSAGES.c.file_id, _MESSAGES.c.latitude, _MESSAGES.c.longitude,
           _MESSAGES.c.author_id, _CASES.c.number, _CASES.c.reporter_id, _CASES.c.anonymous,
           _REPORTER.c.name.label("reporter_name"), _AUTHOR.c.name.label("author_name"),
           _AUTHOR.c.role.label("author_role"))
    .join(_CASES, _CASES.c.id == _MESSAGES.c.case_id)
    .join(_REPORTER, _REPORTER.c.id == _CASES.c.reporter_id)
    .join(_AUTHOR, _AUTHOR.c.id == _MESSAGES.c.author_id)
    .where(_MESSAGES.c.id == bindparam("message_id"))
)


async def relayed_message(session: AsyncSession, message_id: int) -> Row | None:
    """Return a case message with what its relay shows: its case's number, the reporter and the author."""
    return (await session.execute(_RELAYED, {"message_id": message_id})).first()


_INSERT_MESSAGE = insert(_MESSAGES).returning(_MESSAGES.c.id)


async def insert_message(session: AsyncSession, values: dict) -> int:
    """Insert one case message and return its id."""
    return (await session.execute(_INSERT_MESSAGE, values)).scalar_one()


async def insert_messages(session: AsyncSession, rows: list[dict]) -> None:
    """Insert case messages in one statement."""
    if rows:
        await session.execute(insert(_MESSAGES), rows)


async def helper_ids(session: AsyncSession, case_id: int) -> set[int]:
    return set((await session.scalars(select(CaseHelper.person_id).where(CaseHelper.case_id == case_id))).all())


async def events_of(session: AsyncSession, case_id: int) -> Sequence[CaseEvent]:
    return (await session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))).all()


async def messages_of(session: AsyncSession, case_id: int) -> Sequence[CaseMessage]:
    return (
        await session.scalars(select(CaseMessage).where(CaseMessage.case_id == case_id).order_by(CaseMessage.id))
    ).all()


async def last_message_by(session: AsyncSession, case_id: int, author_id: int) -> CaseMessage | None:
    return await session.scalar(
        select(CaseMessage)
        .where(CaseMessage.case_id == case_id, CaseMessage.author_id == author_id, CaseMessage.kind == "text")
        .order_by(CaseMessage.id.desc())
        .limit(1)
    )


async def description_of(session: AsyncSession, case: Case) -> list[CaseMessage]:
    """Return the messages the villager filed the case with (not what they added later)."""
    submitted = await session.scalar(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "submitted").limit(1))
    count = (submitted.data or {}).get("parts") if submitted else None
    own = [m for m in await messages_of(session, case.id) if m.author_id == case.reporter_id]
    return own[:count] if count is not None else own


def due_cases_query(now: datetime, limit: int, columns: Sequence[str]) -> Select:
    """Select the named case columns, the township and the settle time of the first `limit` cases due by `now`.

    On PostgreSQL the rows are locked and locked ones skipped, so concurrent sweeps share the work;
    SQLite has one writer and renders no lock clause.
    """
    return (
        select(*(getattr(Case, name) for name in columns), Village.township_id, Category.resolve_s)
        .join(Village, Village.id == Case.village_id)
        .join(Category, Category.code == Case.category_code)
        .where(Case.next_check_at <= now)
        .order_by(Case.next_check_at, Case.id)
        .limit(limit)
        .with_for_update(of=Case, skip_locked=True)
    )


async def due_cases(session: AsyncSession, now: datetime, limit: int, columns: Sequence[str]) -> Sequence[Row]:
    return (await session.execute(due_cases_query(now, limit, columns))).all()


async def update_cases(session: AsyncSession, changes: Sequence[dict]) -> None:
    """Write each dict's columns to the case of its "id": one executemany per set of columns, no ORM."""
    table = Case.__table__
    by_columns: dict[tuple[str, ...], list[dict]] = {}
    for change in changes:
        columns = tuple(sorted(name for name in change if name != "id"))
        by_columns.setdefault(columns, []).append({"case_id": change["id"]} | {name: change[name] for name in columns})
    for columns, rows in by_columns.items():
        statement = update(table).where(table.c.id == bindparam("case_id"))
        await session.execute(statement.values({name: bindparam(name) for name in columns}), rows)
