"""Review of the masked export -> edit in Excel/WPS -> re-import round trip, as a county clerk would
(mis)handle the file."""

from __future__ import annotations

import io
from typing import Any

import asyncpg
import pytest
from openpyxl import load_workbook

from tests.conftest import Api
from tests.ledger.nasty import HEAD, SON, clean_rows, ledger, save
from tests.ledger.test_ledger import ZERO, _edit, counts, export, imported
from tests.registry.test_households import household
from tests.seed import KEY_VILLAGE


async def _snapshot(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("""SELECT h.household_no, h.village_code, h.head_name, h.version AS hv, p.name, p.id_hash,
                                      p.work_status, p.version FROM people p JOIN households h ON h.county_code = p.county_code AND h.id = p.household_id
                               ORDER BY p.id""")


@pytest.mark.parametrize("typed", ["ＬＭ－００１", "LM 001", " lm-001\t"])
async def test_a_web_household_number_typed_full_width_or_with_spaces_comes_back_through_the_export(
        api: Api, conn: asyncpg.Connection, typed: str) -> None:
    """Regression: the web form kept 户编号 as typed (full-width from a Chinese IME, inner spaces) while the
    ledger folds cells (NFKC, no spaces), so the export's own rows named no household and were all
    refused: "户编号、村代码与本行的户系统编号不符"."""
    created = await api.post("/api/households", "surveyor_a", json=household(household_no=typed))
    assert created.status_code == 201, created.text
    assert created.json()["household_no"] == typed.strip().replace("ＬＭ－００１", "LM-001").replace(" ", "")
    before = await _snapshot(conn)
    result = await imported(api, (await export(api, village_code=KEY_VILLAGE)).content, mode="all_or_nothing")
    assert result["rejected"] == []
    assert counts(result) == ZERO | {"households_unchanged": 1, "people_unchanged": 3, "surveys_unchanged": 0}
    assert await _snapshot(conn) == before


async def test_a_ledger_sorted_without_its_system_id_columns_changes_nobody(
        api: Api, conn: asyncpg.Connection) -> None:
    """The classic Excel mistake: sorting by name with the selection stopping before the 人员系统编号 column,
    so every row now carries someone else's system id. Every such row is refused and nothing is written."""
    await imported(api, ledger(clean_rows()))
    before = await _snapshot(conn)
    workbook = load_workbook(io.BytesIO((await export(api, village_code=KEY_VILLAGE)).content))
    sheet = workbook.worksheets[0]
    header = [c.value for c in sheet[1]]
    ids = header.index("人员系统编号")
    rows = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True) if any(r)]
    shuffled = sorted(rows, key=lambda r: str(r[header.index("姓名")]))
    assert [r[ids] for r in shuffled] != [r[ids] for r in rows]
    for i, row in enumerate(shuffled, start=2):
        for j, value in enumerate(row):
            if j != ids:
                sheet.cell(row=i, column=j + 1).value = value
    response = await api.http.post("/api/ledger/import", headers=api.token("surveyor_a"), files={
        "file": ("台账.xlsx", save(workbook), "application/octet-stream")}, data={"mode": "all_or_nothing"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    moved = [r for r, o in zip(shuffled, rows, strict=True) if r[ids] != o[ids]]
    assert {(r["column"]) for r in response.json()["rejected"]} <= {"身份证号", "户编号", "联系电话"}
    assert len({r["row"] for r in response.json()["rejected"]}) == len(moved)
    assert await _snapshot(conn) == before


async def test_a_masked_number_edited_into_someone_elses_full_number_is_refused(
        api: Api, conn: asyncpg.Connection) -> None:
    await imported(api, ledger(clean_rows()))
    before = await _snapshot(conn)
    edited = _edit((await export(api, village_code=KEY_VILLAGE)).content, {("阿木拉且", "身份证号"): HEAD})
    result: dict[str, Any] = await imported(api, edited)
    assert len({r["row"] for r in result["rejected"]}) == 1
    assert {(r["column"], r["message"]) for r in result["rejected"]} == {
        ("身份证号", "身份证号与本行的人员系统编号不符：台账中不能更改已登记人员的身份证号"),
        ("身份证号", "与第 2 行的身份证号重复")}  # the head's row: the number is his
    assert await _snapshot(conn) == before
    assert SON not in edited.decode("latin-1")


@pytest.mark.parametrize("copy", ["as_exported", "full_number_without_system_id"])
async def test_a_person_pasted_twice_into_an_export_is_refused_as_a_duplicate_not_a_server_error(
        api: Api, conn: asyncpg.Connection, copy: str) -> None:
    """A clerk pastes a person's row twice and edits one copy (or adds a row typing the full number of
    someone the export already lists masked). Regression: a masked row was not counted in the file's
    duplicate check, both rows reached the upsert and PostgreSQL refused the whole batch (ON CONFLICT
    cannot affect a row twice): a 500."""
    await imported(api, ledger(clean_rows()))
    before = await _snapshot(conn)
    workbook = load_workbook(io.BytesIO((await export(api, village_code=KEY_VILLAGE)).content))
    sheet = workbook.worksheets[0]
    header = [c.value for c in sheet[1]]
    row = next(list(r) for r in sheet.iter_rows(min_row=2, values_only=True)
               if r[header.index("姓名")] == "阿木拉且")
    if copy == "full_number_without_system_id":
        row[header.index("身份证号")] = SON
        row[header.index("人员系统编号")] = None
        row[header.index("联系电话")] = None
    # The two rows of one person say different things, as a pasted row edited afterwards does.
    for cell in sheet.iter_rows(min_row=2):
        if cell[header.index("姓名")].value == "阿木拉且":
            cell[header.index("务工状况")].value = "外出务工"
    row[header.index("务工状况")] = "本地务工"
    last = max(i for i, r in enumerate(sheet.iter_rows(values_only=True), start=1) if any(r))
    for j, value in enumerate(row, start=1):
        sheet.cell(row=last + 1, column=j).value = value
    response = await api.http.post("/api/ledger/import", headers=api.token("surveyor_a"), files={
        "file": ("台账.xlsx", save(workbook), "application/octet-stream")}, data={"mode": "all_or_nothing"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    rejected = response.json()["rejected"]
    assert [(r["row"], r["column"]) for r in rejected] == [(last + 1, "身份证号")], rejected
    assert "重复" in rejected[0]["message"]
    assert await _snapshot(conn) == before


async def test_a_household_field_edited_on_one_member_row_only_is_refused_not_lost(
        api: Api, conn: asyncpg.Connection) -> None:
    """The export repeats a household's 脱贫年度 on each member's row. Regression: a clerk who changed it on
    the second member's row had it silently ignored (the household is written from its first row)."""
    created = await api.post("/api/households", "surveyor_a", json=household())
    assert created.status_code == 201, created.text
    before = await _snapshot(conn)
    edited = _edit((await export(api, village_code=KEY_VILLAGE)).content, {("阿木拉且", "脱贫年度"): 2020})
    result = await imported(api, edited, mode="valid_only")
    assert [(r["column"], r["message"]) for r in result["rejected"]] == [("脱贫年度", "同一户编号在第 2 行的脱贫年度不同")]
    assert await conn.fetchval("SELECT lifted_year FROM households") == 2019
    assert [r["version"] for r in await _snapshot(conn)] == [r["version"] for r in before]
