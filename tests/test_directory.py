"""The directory importer: CSV folder or workbook, all or nothing, updated in place; invitations."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from bot.demo import COUNTY, STAFF, VILLAGES
from models import Assignment, Category, Person, Village
from services.categories import DEFAULT_CATEGORIES
from services.directory import import_directory, read_directory
from services.errors import DirectoryError, InvalidInvitation
from services.people import bind_invitation, identify

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "directory"
HEADERS = {
    "villages": ["code", "name", "township", "county"],
    "people": ["name", "role", "telegram_id", "phone", "villages", "categories", "township"],
    "categories": ["code", "name_zh", "name_en", "kind", "first_response", "resolve", "urgent"],
}
VILLAGE_ROWS = [[code, name, town, COUNTY] for code, name, town in VILLAGES]
# The demo staff with their Telegram ids; the example directory leaves the ids out.
PEOPLE_ROWS = [[name, role, str(tg), "", villages, cats, town] for name, role, tg, villages, cats, town in STAFF]
# The shipped categories written as a sheet; no column says conduct is confidential.
CATEGORY_ROWS = [[c.code, c.name_zh, c.name_en, c.kind, c.first_response, c.resolve, "yes" if c.urgent else ""]
                 for c in DEFAULT_CATEGORIES]


def write_csvs(folder: Path, **sheets: list[list[str]]) -> Path:
    folder.mkdir(exist_ok=True)
    for name, rows in sheets.items():
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows([HEADERS[name], *rows])
    return folder


def write_xlsx(path: Path, **sheets: list[list]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in [HEADERS[name], *rows]:
            sheet.append(row)
    book.save(path)
    return path


def without_ids(rows: list[list[str]]) -> list[list[str]]:
    return [[name, role, "", *rest] for name, role, _, *rest in rows]


@pytest.fixture
def example(tmp_path) -> Path:
    """The shipped example directory, or an equivalent one when it is not there."""
    if EXAMPLE.is_dir():
        return EXAMPLE
    return write_csvs(tmp_path / "example", villages=VILLAGE_ROWS, people=without_ids(PEOPLE_ROWS))


async def count(session, model) -> int:
    return await session.scalar(select(func.count()).select_from(model))


async def load(session, path: Path, clock):
    return await import_directory(session, read_directory(path), clock())


def csv_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return [row for row in csv.DictReader(f) if any(v.strip() for v in row.values())]


async def test_the_example_directory_imports_with_an_invitation_for_everyone_without_a_telegram_id(
    session, example, clock
):
    people = csv_rows(example / "people.csv")

    report = await load(session, example, clock)

    assert report.villages == len(csv_rows(example / "villages.csv")) == await count(session, Village)
    assert report.people == len(people) == await count(session, Person)
    assert {name for name, _, _ in report.invitations} == {p["name"] for p in people if not p["telegram_id"]}
    assert await count(session, Category) == 13
    assert (await session.get(Category, "conduct")).confidential is True


async def test_a_workbook_without_a_categories_sheet_gets_the_default_categories(session, tmp_path, clock):
    book = write_xlsx(tmp_path / "county.xlsx", villages=VILLAGE_ROWS,
                      people=[[n, r, int(tg), p, v, c, t] for n, r, tg, p, v, c, t in PEOPLE_ROWS])

    report = await load(session, book, clock)

    categories = (await session.scalars(select(Category).order_by(Category.position))).all()
    conduct = await session.get(Category, "conduct")
    wang = await session.scalar(select(Person).where(Person.name == "王建国"))
    assert (report.villages, report.people, report.invitations) == (4, 9, [])
    assert len(categories) == 13
    assert (conduct.name_zh, conduct.confidential) == ("干部作风", True)
    assert [c.code for c in categories if c.confidential] == ["conduct"]
    assert wang.external_id == "2001" and wang.invite_token is None


async def test_a_categories_sheet_sets_deadlines_and_urgency(session, tmp_path, clock):
    flood = ["flood", "防汛", "Flood", "complaint", "1h", "1d12h", "是"]
    folder = write_csvs(tmp_path / "d", villages=VILLAGE_ROWS, people=PEOPLE_ROWS, categories=[*CATEGORY_ROWS, flood])

    report = await load(session, folder, clock)

    flood, conduct = await session.get(Category, "flood"), await session.get(Category, "conduct")
    assert (flood.first_response_s, flood.resolve_s, flood.urgent) == (3600, 36 * 3600, True)
    assert report.categories == await count(session, Category) == 14
    assert conduct.confidential is True


async def test_importing_again_updates_people_and_villages_in_place(session, tmp_path, clock):
    await load(session, write_csvs(tmp_path / "a", villages=VILLAGE_ROWS, people=PEOPLE_ROWS), clock)
    wang_id = await session.scalar(select(Person.id).where(Person.external_id == "2001"))
    villages = [["sq01", "新石桥村", "石桥镇", COUNTY], *VILLAGE_ROWS[1:]]
    people = [["王建国（组长）", "cadre", "2001", "139", "sq01;sq02", "", ""], *PEOPLE_ROWS[1:]]

    await load(session, write_csvs(tmp_path / "b", villages=villages, people=people), clock)

    session.expire_all()
    wang = await session.get(Person, wang_id)
    village_ids = set((await session.scalars(select(Assignment.village_id).where(Assignment.person_id == wang_id))))
    assert (await count(session, Person), await count(session, Village)) == (9, 4)
    assert (wang.name, wang.phone) == ("王建国（组长）", "139")
    assert (await session.scalar(select(Village).where(Village.code == "sq01"))).name == "新石桥村"
    assert len(village_ids) == 2


async def test_importing_without_telegram_ids_twice_keeps_one_person_and_one_invitation(
    session, tmp_path, clock
):
    folder = write_csvs(tmp_path / "d", villages=VILLAGE_ROWS, people=without_ids(PEOPLE_ROWS))
    first = await load(session, folder, clock)

    second = await load(session, folder, clock)

    assert await count(session, Person) == 9
    assert sorted(second.invitations) == sorted(first.invitations)


async def test_telegram_ids_added_later_complete_the_same_people_and_drop_their_invitations(
    session, tmp_path, clock
):
    await load(session, write_csvs(tmp_path / "a", villages=VILLAGE_ROWS, people=without_ids(PEOPLE_ROWS)), clock)

    report = await load(session, write_csvs(tmp_path / "b", villages=VILLAGE_ROWS, people=PEOPLE_ROWS), clock)

    tokens = (await session.scalars(select(Person.invite_token).where(Person.invite_token.is_not(None)))).all()
    assert await count(session, Person) == 9
    assert report.invitations == [] and tokens == []


BAD_ROWS = [
    pytest.param("people", 3, ["孙丽", "mayor", "2004", "", "sq01", "", ""], "people row 3", "role",
                 id="unknown-role"),
    pytest.param("people", 4, ["李秀英", "cadre", "2002", "", "zz99", "", ""], "people row 4", "zz99",
                 id="unknown-village-code"),
    pytest.param("people", 2, ["王建国", "cadre", "wang", "", "sq01", "", ""], "people row 2", "telegram_id",
                 id="non-numeric-telegram-id"),
    pytest.param("people", 3, ["孙丽", "cadre", "2001", "", "sq01", "", ""], "people row 3", "people row 2",
                 id="telegram-id-of-another-row"),
    pytest.param("categories", 2, ["flood", "防汛", "Flood", "complaint", "soon", "7d", ""], "categories row 2",
                 "soon", id="bad-duration"),
]


@pytest.mark.parametrize(("sheet", "row", "bad", "where", "what"), BAD_ROWS)
async def test_a_bad_row_is_reported_by_sheet_and_row_and_nothing_of_the_import_is_applied(
    session, tmp_path, clock, sheet, row, bad, where, what
):
    sheets = {"villages": [["sq01", "改名村", "石桥镇", COUNTY], ["xx01", "新村", "新镇", COUNTY], *VILLAGE_ROWS[1:]],
              "people": list(PEOPLE_ROWS),
              "categories": list(CATEGORY_ROWS)}
    sheets[sheet] = [*sheets[sheet]]
    sheets[sheet][row - 2] = bad

    with pytest.raises(DirectoryError) as raised:
        await load(session, write_csvs(tmp_path / "bad", **sheets), clock)

    await session.rollback()
    [problem] = raised.value.problems
    assert problem.startswith(where + ":") and what in problem
    assert [await count(session, m) for m in (Village, Person, Category, Assignment)] == [0, 0, 0, 0]


async def test_a_village_written_twice_in_a_row_is_one_assignment(session, tmp_path, clock):
    people = [["孙丽", "cadre", "2004", "", "sq01;sq01", "land", ""]]

    await load(session, write_csvs(tmp_path / "d", villages=VILLAGE_ROWS, people=people), clock)

    assert await count(session, Assignment) == 1


async def test_a_failed_import_leaves_an_existing_directory_untouched(session, tmp_path, clock):
    await load(session, write_csvs(tmp_path / "a", villages=VILLAGE_ROWS, people=PEOPLE_ROWS), clock)
    people = [["王建国（改）", "cadre", "2001", "", "sq01", "", ""], ["孙丽", "mayor", "2004", "", "", "", ""]]

    with pytest.raises(DirectoryError, match="people row 3"):
        await load(session, write_csvs(tmp_path / "b", villages=[["sq01", "改名村", "石桥镇", COUNTY]],
                                       people=people), clock)

    await session.rollback()
    names = set((await session.scalars(select(Person.name))).all())
    assert "王建国" in names and "王建国（改）" not in names
    assert (await session.scalar(select(Village).where(Village.code == "sq01"))).name == "石桥村"


async def invited(session, tmp_path, clock) -> dict[str, str]:
    report = await load(session, write_csvs(tmp_path / "d", villages=VILLAGE_ROWS, people=without_ids(PEOPLE_ROWS)),
                        clock)
    return {name: token for name, _, token in report.invitations}


async def test_an_invitation_binds_the_account_once_and_refuses_a_second_use(session, tmp_path, clock):
    token = (await invited(session, tmp_path, clock))["王建国"]

    wang = await bind_invitation(session, token=token, channel="telegram", external_id="2001", language_code="en",
                                 now=clock())

    assert (wang.external_id, wang.invite_token, wang.language) == ("2001", None, "en")
    with pytest.raises(InvalidInvitation):
        await bind_invitation(session, token=token, channel="telegram", external_id="9999", language_code=None,
                              now=clock())


async def test_an_account_that_first_wrote_as_a_villager_is_taken_over_by_the_staff_record(
    session, tmp_path, clock
):
    tokens = await invited(session, tmp_path, clock)
    villager = await identify(session, channel="telegram", external_id="2001", name="老王", language_code="zh",
                              now=clock())
    await session.commit()

    wang = await bind_invitation(session, token=tokens["王建国"], channel="telegram", external_id="2001",
                                 language_code="zh", now=clock())

    assert wang.external_id == "2001" and wang.role == "cadre"
    assert (villager.external_id, villager.active) == (None, False)


async def test_an_account_already_bound_to_other_staff_cannot_take_a_second_invitation(session, tmp_path, clock):
    tokens = await invited(session, tmp_path, clock)
    await bind_invitation(session, token=tokens["王建国"], channel="telegram", external_id="2001",
                          language_code="zh", now=clock())

    with pytest.raises(InvalidInvitation):
        await bind_invitation(session, token=tokens["孙丽"], channel="telegram", external_id="2001",
                              language_code="zh", now=clock())


async def test_a_bound_person_is_not_invited_again_on_the_next_import(session, tmp_path, clock):
    tokens = await invited(session, tmp_path, clock)
    await bind_invitation(session, token=tokens["王建国"], channel="telegram", external_id="2001",
                          language_code="zh", now=clock())

    again = await load(session, tmp_path / "d", clock)

    assert "王建国" not in {name for name, _, _ in again.invitations}
    assert len(again.invitations) == 8


def _villages_with_places(folder: Path, rows: list[list[str]]) -> Path:
    folder.mkdir(exist_ok=True)
    with (folder / "villages.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([HEADERS["villages"] + ["latitude", "longitude"], *rows])
    return folder


async def test_villages_may_carry_their_coordinates(session, tmp_path, clock):
    folder = _villages_with_places(tmp_path / "d", [["sq01", "石桥村", "石桥镇", COUNTY, "28.2", "112.9"],
                                                    ["sq02", "柳树村", "石桥镇", COUNTY, "", ""]])

    await import_directory(session, read_directory(folder), clock())

    places = {v.code: (v.latitude, v.longitude) for v in (await session.scalars(select(Village))).all()}
    assert places == {"sq01": (28.2, 112.9), "sq02": (None, None)}


@pytest.mark.parametrize("lat, long", [("28.2", ""), ("north", "112.9"), ("95", "112.9")])
async def test_a_village_with_half_or_bad_coordinates_is_refused(session, tmp_path, clock, lat, long):
    folder = _villages_with_places(tmp_path / "d", [["sq01", "石桥村", "石桥镇", COUNTY, lat, long]])

    with pytest.raises(DirectoryError) as refused:
        await import_directory(session, read_directory(folder), clock())

    assert "villages row 2: latitude and longitude" in refused.value.problems[0]
