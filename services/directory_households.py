"""The `households` sheet of the directory: households of the five kinds and their paired cadres.

Columns: village (code), head, phone, kinds (codes or Chinese names separated by ;), paired_cadre
(a staff member's name or Telegram id), and optionally telegram_id (the household's own account, so
cases filed for it reach it). Re-importing updates a household found by village, head and phone.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Household, Person, Village
from models.enums import STAFF_ROLES, Role
from services.errors import DirectoryError
from services.households import parse_kinds

Rows = list[tuple[int, dict[str, str]]]


async def check_households(session: AsyncSession, rows: Rows, village_codes: set[str], people: list[dict],
                           problems: list[str]) -> list[tuple[int, dict]]:
    """Check each household row; add what is wrong to `problems` and return the good rows, read."""
    staff_names = {p["name"] for p in people} | set((await session.scalars(
        select(Person.name).where(Person.role.in_([str(r) for r in STAFF_ROLES])))).all())
    staff_ids = {p.get("telegram_id") for p in people if p.get("telegram_id")} | set((await session.scalars(
        select(Person.external_id).where(Person.role.in_([str(r) for r in STAFF_ROLES]),
                                         Person.external_id.is_not(None)))).all())
    good = []
    for n, row in rows:
        where = f"households row {n}"
        cadre, tg = row.get("paired_cadre", ""), row.get("telegram_id", "")
        try:
            kinds = parse_kinds(row.get("kinds", ""))
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if not row.get("village") or not row.get("head"):
            problems.append(f"{where}: village and head are required")
        elif row["village"] not in village_codes:
            problems.append(f"{where}: unknown village code {row['village']}")
        elif cadre and cadre.isdigit() and cadre not in staff_ids:
            problems.append(f"{where}: no staff member has telegram_id {cadre}")
        elif cadre and not cadre.isdigit() and cadre not in staff_names:
            problems.append(f"{where}: no staff member is named {cadre!r}")
        elif tg and not tg.lstrip("-").isdigit():
            problems.append(f"{where}: telegram_id must be a number, not {tg!r}")
        elif tg and tg in staff_ids:
            problems.append(f"{where}: telegram_id {tg} belongs to a staff member")
        else:
            good.append((n, {"village": row["village"], "head": row["head"], "phone": row.get("phone") or None,
                             "kinds": [k.value for k in kinds], "paired_cadre": cadre or None,
                             "telegram_id": tg or None}))
    return good


async def _cadre(session: AsyncSession, key: str) -> Person | None:
    """Find the staff member a row names, by Telegram id or by name; None when not exactly one."""
    staff = Person.role.in_([str(r) for r in STAFF_ROLES])
    column = Person.external_id if key.isdigit() else Person.name
    found = (await session.scalars(select(Person).where(staff, column == key, Person.active.is_(True)))).all()
    return found[0] if len(found) == 1 else None


async def _own_account(session: AsyncSession, tg: str, village: Village, head: str, now: datetime) -> Person:
    person = await session.scalar(select(Person).where(Person.channel == "telegram", Person.external_id == tg))
    if person is None:
        person = Person(name=head, role=Role.villager, channel="telegram", external_id=tg, language="zh_CN",
                        village_id=village.id, township_id=village.township_id, created_at=now, active=True)
        session.add(person)
        await session.flush()
    return person


async def apply_households(session: AsyncSession, rows: list[tuple[int, dict]], villages: dict[str, Village],
                           now: datetime) -> int:
    """Add or update the households (after the people are applied); raise DirectoryError on an ambiguous cadre."""
    problems = []
    for n, row in rows:
        village = villages[row["village"]]
        cadre = await _cadre(session, row["paired_cadre"]) if row["paired_cadre"] else None
        if row["paired_cadre"] and cadre is None:
            problems.append(f"households row {n}: {row['paired_cadre']!r} names more than one staff member; "
                            "use the telegram_id")
            continue
        household = await session.scalar(select(Household).where(
            Household.village_id == village.id, Household.head == row["head"],
            Household.phone.is_(None) if row["phone"] is None else Household.phone == row["phone"]).limit(1))
        if household is None:
            household = Household(village_id=village.id, head=row["head"], phone=row["phone"], created_at=now)
            session.add(household)
        household.kinds = row["kinds"]
        cadre_id = cadre.id if cadre else None
        if household.paired_cadre_id != cadre_id or household.paired_at is None:
            household.paired_cadre_id, household.paired_at = cadre_id, now if cadre_id else None
        if row["telegram_id"]:
            household.person_id = (await _own_account(session, row["telegram_id"], village, row["head"], now)).id
    if problems:
        raise DirectoryError(problems)
    await session.flush()
    return len(rows)
