"""Load the county directory from an .xlsx workbook or a folder of CSV files, all or nothing."""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Assignment, Category, Person, Township, Village
from models.enums import STAFF_ROLES, Kind, Role
from services.categories import DEFAULT_CATEGORIES
from services.durations import parse_duration
from services.errors import DirectoryError
from services.directory_households import apply_households, check_households
from services.people import new_invite_token

SHEETS = ("villages", "people", "categories", "households")
COLUMNS = {
    "villages": ("code", "name", "township", "county"),
    "people": ("name", "role", "telegram_id", "phone", "villages", "categories", "township"),
    "categories": ("code", "name_zh", "name_en", "kind", "first_response", "resolve", "urgent"),
    "households": ("village", "head", "phone", "kinds", "paired_cadre", "telegram_id"),
}
TRUE = {"1", "true", "yes", "y", "是", "x"}
FALSE = {"0", "false", "no", "n", "否"}

Rows = list[tuple[int, dict[str, str]]]


@dataclass
class ImportReport:
    villages: int = 0
    people: int = 0
    categories: int = 0
    households: int = 0
    invitations: list[tuple[str, str, str]] = field(default_factory=list)  # (name, role, token)


def read_directory(path: Path) -> dict[str, Rows]:
    """Read the sheets present at `path` (an .xlsx file or a folder of CSVs) as numbered rows."""
    if path.is_dir():
        return {name: _read_csv(path / f"{name}.csv") for name in SHEETS if (path / f"{name}.csv").exists()}
    if path.suffix.lower() == ".xlsx":
        return _read_xlsx(path)
    raise DirectoryError([f"{path}: expected an .xlsx workbook or a folder of CSV files"])


def _clean(header, values) -> dict[str, str]:
    return {
        str(h).strip().lower(): ("" if v is None else str(v).strip())
        for h, v in zip(header, values) if h is not None
    }


def _read_csv(path: Path) -> Rows:
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        return [(n, _clean(header, row)) for n, row in enumerate(reader, start=2) if any(c.strip() for c in row)]


def _read_xlsx(path: Path) -> dict[str, Rows]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    sheets: dict[str, Rows] = {}
    for name in SHEETS:
        if name not in book.sheetnames:
            continue
        rows = book[name].iter_rows(values_only=True)
        header = next(rows, ())
        sheets[name] = [
            (n, _clean(header, row)) for n, row in enumerate(rows, start=2)
            if any(v not in (None, "") for v in row)
        ]
    book.close()
    return sheets


def _codes(text: str) -> list[str]:
    # A code written twice names one assignment, not two (the second would break a unique key).
    return list(dict.fromkeys(c.strip() for c in text.replace("；", ";").split(";") if c.strip()))


def _yes_no_default(text: str) -> bool | None:
    """Read an optional yes/no column: yes, no, or empty for the setting's default."""
    text = text.strip().lower()
    return True if text in TRUE else False if text in FALSE else None


def _check_categories(rows: Rows, problems: list[str]) -> list[dict]:
    out = []
    for n, row in rows:
        where = f"categories row {n}"
        if not row.get("code") or not row.get("name_zh"):
            problems.append(f"{where}: code and name_zh are required")
            continue
        if row.get("kind") not in set(Kind):
            problems.append(f"{where}: kind must be complaint, request or question, not {row.get('kind')!r}")
            continue
        if row.get("needs_signoff", "").strip().lower() not in TRUE | FALSE | {""}:
            problems.append(f"{where}: needs_signoff must be yes, no or empty, not {row['needs_signoff']!r}")
            continue
        try:
            first, resolve = parse_duration(row.get("first_response", "")), parse_duration(row.get("resolve", ""))
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        out.append({"code": row["code"], "name_zh": row["name_zh"], "name_en": row.get("name_en") or row["name_zh"],
                    "kind": row["kind"], "first_response_s": int(first.total_seconds()),
                    "resolve_s": int(resolve.total_seconds()), "urgent": row.get("urgent", "").lower() in TRUE,
                    "confidential": row.get("confidential", "").lower() in TRUE or row["code"] == "conduct",
                    "needs_signoff": _yes_no_default(row.get("needs_signoff", "")), "position": n})
    return out


def _place(row: dict[str, str]) -> tuple[float | None, float | None] | None:
    """Return a village's optional (latitude, longitude), (None, None) when absent, None when malformed."""
    lat, long = row.get("latitude", ""), row.get("longitude", "")
    if not lat and not long:
        return None, None
    try:
        place = float(lat), float(long)
    except ValueError:
        return None
    return place if -90 <= place[0] <= 90 and -180 <= place[1] <= 180 else None


async def import_directory(session: AsyncSession, sheets: dict[str, Rows], now: datetime) -> ImportReport:
    """Validate every row, then apply the whole import in one transaction, or nothing."""
    problems: list[str] = []
    for name, rows in sheets.items():
        missing = [c for c in COLUMNS[name][:2] if rows and c not in rows[0][1]]
        if missing:
            problems.append(f"{name}: missing column(s) {', '.join(missing)}")
    if problems:
        raise DirectoryError(problems)
    categories = _check_categories(sheets.get("categories", []), problems)
    known_villages = {v.code: v for v in (await session.scalars(select(Village))).all()}
    village_rows = []
    for n, row in sheets.get("villages", []):
        if not row.get("code") or not row.get("name") or not row.get("township"):
            problems.append(f"villages row {n}: code, name and township are required")
        elif _place(row) is None:
            problems.append(f"villages row {n}: latitude and longitude must both be decimal degrees, or both empty")
        else:
            village_rows.append(row)
    village_codes = set(known_villages) | {r["code"] for r in village_rows}
    category_codes = {c["code"] for c in categories} | set(
        (await session.scalars(select(Category.code))).all()
    ) | ({c.code for c in DEFAULT_CATEGORIES} if "categories" not in sheets else set())
    township_names = {r["township"] for r in village_rows} | set(
        (await session.scalars(select(Township.name))).all()
    )
    people_rows = []
    telegram_rows: dict[str, int] = {}
    for n, row in sheets.get("people", []):
        where = f"people row {n}"
        role, tg = row.get("role", ""), row.get("telegram_id", "")
        bad = [c for c in _codes(row.get("villages", "")) if c not in village_codes]
        bad_cat = [c for c in _codes(row.get("categories", "")) if c not in category_codes]
        if not row.get("name"):
            problems.append(f"{where}: name is required")
        elif role not in {str(r) for r in STAFF_ROLES}:
            problems.append(f"{where}: role must be one of {', '.join(sorted(STAFF_ROLES))}, not {role!r}")
        elif tg and not tg.lstrip("-").isdigit():
            problems.append(f"{where}: telegram_id must be a number, not {tg!r}")
        elif tg and tg in telegram_rows:
            problems.append(f"{where}: telegram_id {tg} is already on people row {telegram_rows[tg]}")
        elif bad:
            problems.append(f"{where}: unknown village code(s) {', '.join(bad)}")
        elif bad_cat:
            problems.append(f"{where}: unknown category code(s) {', '.join(bad_cat)}")
        elif row.get("township") and row["township"] not in township_names:
            problems.append(f"{where}: unknown township {row['township']!r}")
        elif role == Role.cadre and not _codes(row.get("villages", "")):
            problems.append(f"{where}: a cadre needs at least one village")
        else:
            people_rows.append((n, row))
        if tg:
            telegram_rows.setdefault(tg, n)
    household_rows = await check_households(session, sheets.get("households", []), village_codes,
                                            [row for _, row in people_rows], problems)
    if problems:
        raise DirectoryError(problems)

    report = ImportReport()
    await _apply_categories(session, categories, "categories" in sheets)
    report.categories = len(categories)
    townships = {t.name: t for t in (await session.scalars(select(Township))).all()}
    for row in village_rows:
        town = townships.get(row["township"])
        if town is None:
            town = townships[row["township"]] = Township(name=row["township"], county=row.get("county", ""))
            session.add(town)
            await session.flush()
        village = known_villages.get(row["code"])
        if village is None:
            village = known_villages[row["code"]] = Village(code=row["code"], name=row["name"], township_id=town.id)
            session.add(village)
        village.name, village.township_id = row["name"], town.id
        village.latitude, village.longitude = _place(row)
        report.villages += 1
    await session.flush()
    for _, row in people_rows:
        await _apply_person(session, row, townships, known_villages, report, now)
    report.households = await apply_households(session, household_rows, known_villages, now)
    await session.commit()
    return report


async def _apply_categories(session: AsyncSession, rows: list[dict], given: bool) -> None:
    if not given:
        if await session.scalar(select(Category.code).limit(1)) is not None:
            return
        rows = [{"code": c.code, "name_zh": c.name_zh, "name_en": c.name_en, "kind": c.kind,
                 "first_response_s": int(parse_duration(c.first_response).total_seconds()),
                 "resolve_s": int(parse_duration(c.resolve).total_seconds()), "urgent": c.urgent,
                 "confidential": c.confidential, "position": i} for i, c in enumerate(DEFAULT_CATEGORIES)]
    for values in rows:
        category = await session.get(Category, values["code"])
        if category is None:
            session.add(Category(**values))
        else:
            for key, value in values.items():
                setattr(category, key, value)
    await session.flush()


async def _apply_person(session, row, townships, villages, report: ImportReport, now: datetime) -> None:
    role, tg = Role(row["role"]), row.get("telegram_id") or None
    codes = _codes(row.get("villages", ""))
    town = townships.get(row.get("township", "")) if row.get("township") else None
    if town is None and codes:
        town = await session.get(Township, villages[codes[0]].township_id)
    person = None
    if tg:
        person = await session.scalar(select(Person).where(Person.channel == "telegram", Person.external_id == tg))
    if person is None:
        person = await session.scalar(select(Person).where(
            Person.name == row["name"], Person.role == role,
            Person.township_id == (town.id if town else None),
        ))
    if person is None:
        person = Person(name=row["name"], role=role, channel="telegram", language="zh_CN", created_at=now)
        session.add(person)
    person.name, person.role, person.active = row["name"], role, True
    person.phone = row.get("phone") or None
    person.township_id = None if role is Role.county_leader or town is None else town.id
    if tg:
        person.external_id, person.invite_token = tg, None
    elif person.external_id is None:
        person.invite_token = person.invite_token or new_invite_token()
        report.invitations.append((person.name, role, person.invite_token))
    await session.flush()
    await session.execute(delete(Assignment).where(Assignment.person_id == person.id))
    categories = _codes(row.get("categories", "")) or [None]
    for code in codes:
        for category in categories:
            session.add(Assignment(village_id=villages[code].id, category_code=category, person_id=person.id))
    report.people += 1
