"""The training ledger (培训台账) in Excel: the template, importing what clerks really send (title rows,
merged cells, blank rows, header variants, full-width characters), the mistakes they make and how they
are reported, re-importing, exporting with masked or revealed ID numbers, and the round trip."""

from __future__ import annotations

import io
import logging
import re
import zipfile
from datetime import date
from typing import Any

import asyncpg
import httpx
import pytest
from openpyxl import load_workbook

from tests.conftest import Api
from tests.helpers import PROBLEM, assert_problem
from tests.ledger.nasty import (
    EXPECTED_NEEDS,
    HEAD,
    HEAD2,
    HEADERS,
    PEOPLE,
    PHONES,
    SON,
    SURVEYED_ON,
    WIFE,
    XLSX_MIME,
    clean_rows,
    id_number,
    ledger,
    masked,
    nasty_ledger,
    person,
    read_back,
    save,
    sheet_bytes,
    titled_ledger,
)
from tests.seed import KEY_VILLAGE, KEY_VILLAGE_2, OTHER_TOWNSHIP_VILLAGE

# The template's columns, then the era's fields and the system ids that let an export come back.
EXPORT_HEADERS = [*HEADERS, "脱贫年度", "监测类型", "风险是否消除", "户系统编号", "人员系统编号"]
ID_COLUMN = HEADERS.index("身份证号")
PHONE_COLUMN = HEADERS.index("联系电话")
ZERO = {"households_created": 0, "households_updated": 0, "people_created": 0, "people_updated": 0,
        "surveys_created": 0}


async def upload(api: Api, content: bytes, *, as_: str = "surveyor_a", mode: str | None = None,
                 filename: str = "台账.xlsx", mime: str = XLSX_MIME) -> httpx.Response:
    return await api.http.post("/api/ledger/import", headers=api.token(as_), files={"file": (filename, content, mime)},
                               data={"mode": mode} if mode else {})


async def imported(api: Api, content: bytes, *, as_: str = "surveyor_a", mode: str | None = None) -> dict[str, Any]:
    response = await upload(api, content, as_=as_, mode=mode)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def counts(result: dict[str, Any]) -> dict[str, int]:
    return {k: v for k, v in result.items() if k.startswith(("households_", "people_", "surveys_"))}


async def table_counts(conn: asyncpg.Connection) -> tuple[int, int, int]:
    row = await conn.fetchrow("""SELECT (SELECT count(*) FROM households) AS h, (SELECT count(*) FROM people) AS p,
                                        (SELECT count(*) FROM surveys) AS s""")
    assert row is not None
    return row["h"], row["p"], row["s"]


async def people_by_name(api: Api, as_: str = "surveyor_a") -> dict[str, dict[str, Any]]:
    response = await api.get("/api/people", as_, params={"limit": 100})
    assert response.status_code == 200, response.text
    return {p["name"]: p for p in response.json()["items"]}


def assert_no_full_number(text: str, numbers: list[str]) -> None:
    """No ID number in full, and not even its hidden middle (a masked number shows only 3 + 4)."""
    for number in numbers:
        assert number not in text
        assert number[3:-4] not in text, f"the hidden middle of {masked(number)} leaked"
    assert not re.search(r"\d{15,}", text), "a run of 15+ digits: an ID number in some form"


async def export(api: Api, as_: str = "surveyor_a", **params: Any) -> httpx.Response:
    return await api.get("/api/ledger/export", as_, params=params)


def export_rows(response: httpx.Response) -> list[list[Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(XLSX_MIME)
    rows = read_back(response.content)
    assert rows[0] == EXPORT_HEADERS
    return [r for r in rows[1:] if any(v not in (None, "") for v in r)]


def has_chinese(text: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", text) is not None


# ------------------------------------------------------------------ template


async def test_the_template_has_the_ledger_headers_a_text_id_column_and_instructions(api: Api) -> None:
    response = await api.get("/api/ledger/template", "surveyor_a")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(XLSX_MIME)
    assert "attachment" in response.headers["content-disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    assert [c.value for c in sheet[1]] == HEADERS
    id_letter = sheet.cell(row=1, column=ID_COLUMN + 1).column_letter
    for row in (2, 3, 100, 500):  # where clerks type, Excel must keep every digit
        assert sheet[f"{id_letter}{row}"].number_format == "@"
    assert "填写说明" in workbook.sheetnames
    guide = " ".join(str(v) for r in workbook["填写说明"].iter_rows(values_only=True) for v in r if v)
    assert "身份证号" in guide and "文本" in guide


async def test_a_filled_in_template_imports(api: Api) -> None:
    template = (await api.get("/api/ledger/template", "surveyor_a")).content
    workbook = load_workbook(io.BytesIO(template))
    sheet = workbook.worksheets[0]
    for r, row in enumerate(clean_rows(), start=2):
        for c, header in enumerate(HEADERS, start=1):
            sheet.cell(row=r, column=c).value = row[header]
    result = await imported(api, save(workbook))
    assert result["written"] is True and result["rejected"] == []
    assert (result["rows"], result["households_created"], result["people_created"], result["surveys_created"]) == (
        5, 2, 5, 4)
    assert set(await people_by_name(api)) == set(PEOPLE)


# ------------------------------------------------------------------ a clean ledger


async def test_a_clean_ledger_imports_households_people_and_surveys(api: Api, conn: asyncpg.Connection) -> None:
    result = await imported(api, ledger(clean_rows()))
    assert result["mode"] == "valid_only" and result["written"] is True
    assert result["rows"] == 5 and result["rejected"] == []
    assert counts(result) == {"households_created": 2, "households_updated": 0, "households_unchanged": 0,
                              "people_created": 5, "people_updated": 0, "people_unchanged": 0,
                              "surveys_created": 4, "surveys_unchanged": 0}
    assert await table_counts(conn) == (2, 5, 4)
    assert_no_full_number(str(result), list(PEOPLE.values()))

    listed = await api.get("/api/people", "surveyor_a", params={"limit": 100})
    assert_no_full_number(listed.text, list(PEOPLE.values()))
    for phone in PHONES:
        assert phone not in listed.text
    people = {p["name"]: p for p in listed.json()["items"]}
    assert {name: p["id_number"] for name, p in people.items()} == {n: masked(i) for n, i in PEOPLE.items()}
    head, wife, son, head2, daughter = (people[n] for n in PEOPLE)
    assert head["village_code"] == KEY_VILLAGE and head2["village_code"] == KEY_VILLAGE_2
    assert head["household_id"] == wife["household_id"] == son["household_id"] != head2["household_id"]
    assert (head["sex"], head["birth_date"], wife["sex"], daughter["sex"]) == ("male", "1975-03-02", "female", "female")
    assert (head["relation"], wife["relation"], son["relation"]) == ("户主", "配偶", "子女")
    assert (head["education"], wife["education"], son["education"], head2["education"]) == ("81", "71", "71", "61")
    assert (wife["left_school_year"], son["left_school_year"], head["left_school_year"]) == (1994, 2022, None)
    assert (head["labour_capacity"], wife["labour_capacity"], head2["labour_capacity"],
            daughter["labour_capacity"]) == ("full", "weak", "full", "none")
    assert [people[n]["work_status"] for n in PEOPLE] == ["farming", "local_work", "migrant", "unemployed", "student"]
    assert (daughter["in_school"], head["in_school"]) == (True, False)
    assert head["ethnicity"] == "彝族"
    assert head["phone"] == "139****5678" and wife["phone"] is None

    households = await api.get("/api/households", "surveyor_a", params={"village_code": KEY_VILLAGE})
    [lm] = households.json()["items"]
    assert (lm["household_no"], lm["head_name"], lm["poverty_status"]) == ("LM-001", "阿木日哈", "registered_poor")
    [wg] = (await api.get("/api/households", "surveyor_a", params={"village_code": KEY_VILLAGE_2})).json()["items"]
    assert (wg["household_no"], wg["poverty_status"]) == ("WG-001", "lifted")


async def test_the_current_need_is_read_from_the_ledgers_words(api: Api) -> None:
    """Trades by name (电工) and by code (4-03-02-01), 培训类型 words, months with 、 and with commas,
    是/否, and the date as 2026/10/15, 2026年10月15日, an Excel date cell and a bare serial number."""
    await imported(api, ledger(clean_rows()))
    people = await people_by_name(api)
    for name, expected in EXPECTED_NEEDS.items():
        need = people[name]["current_need"]
        if expected is None:
            assert need is None, name
            continue
        assert {k: need[k] for k in expected} == expected, name
        assert need["surveyed_on"] == SURVEYED_ON.isoformat(), name
        assert need["surveyor_name"] == "surveyor_a"
    assert people["阿木日哈"]["current_need"]["desired_trade_names"] == ["电工", "中式烹调师"]


# ------------------------------------------------------------------ re-importing


async def test_reimporting_the_same_file_changes_nothing(api: Api, conn: asyncpg.Connection) -> None:
    content = ledger(clean_rows())
    await imported(api, content)
    before = await table_counts(conn)
    people_before = await people_by_name(api)
    again = await imported(api, content)
    assert again["written"] is True and again["rejected"] == []
    assert counts(again) == ZERO | {"households_unchanged": 2, "people_unchanged": 5, "surveys_unchanged": 4}
    assert await table_counts(conn) == before == (2, 5, 4)
    after = await people_by_name(api)
    assert {n: p["version"] for n, p in after.items()} == {n: p["version"] for n, p in people_before.items()}


async def test_changing_one_persons_work_status_updates_just_that_person(api: Api, conn: asyncpg.Connection) -> None:
    rows = clean_rows()
    await imported(api, ledger(rows))
    rows[2]["务工状况"] = "本地务工"  # 阿木拉且 came home
    result = await imported(api, ledger(rows))
    assert counts(result) == ZERO | {"people_updated": 1, "households_unchanged": 2, "people_unchanged": 4,
                                     "surveys_unchanged": 4}
    assert await table_counts(conn) == (2, 5, 4)
    people = await people_by_name(api)
    assert people["阿木拉且"]["work_status"] == "local_work"
    assert people["阿木日哈"]["work_status"] == "farming"


async def test_changing_a_households_status_updates_just_that_household(api: Api, conn: asyncpg.Connection) -> None:
    """A 监测户 is written as its kind (边缘易致贫户), which says the status and the 监测类型 at once; a bare
    监测对象 lacks the type every entry path requires, and is refused with the registry's own message."""
    rows = clean_rows()
    await imported(api, ledger(rows))
    for row in rows[3:]:
        row["家庭属性"] = "监测对象"
    untyped = await imported(api, ledger(rows))
    assert {(r["row"], r["column"]) for r in untyped["rejected"]} == {(5, "监测类型"), (6, "监测类型")}
    assert untyped["rejected"][0]["message"].startswith("监测户须填写监测类型")
    for row in rows[3:]:
        row["家庭属性"] = "边缘易致贫户"
    result = await imported(api, ledger(rows))
    assert counts(result) == ZERO | {"households_updated": 1, "households_unchanged": 1, "people_unchanged": 5,
                                     "surveys_unchanged": 4}
    assert await table_counts(conn) == (2, 5, 4)
    [wg] = (await api.get("/api/households", "surveyor_a", params={"village_code": KEY_VILLAGE_2})).json()["items"]
    assert (wg["poverty_status"], wg["monitor_type"]) == ("monitored", "marginal")


# ------------------------------------------------------------------ what clerks really send


@pytest.mark.parametrize("id_header", ["身份证号码", "公民身份号码"])
async def test_a_nasty_ledger_imports_like_the_clean_one(api: Api, conn: asyncpg.Connection, id_header: str) -> None:
    """A merged title row, a blank row, a 序号 column, header variants (姓 名, 联系电话（手机）, *户编号,
    身份证号码 / 公民身份号码), blank rows between households, full-width digits and letters, spaces."""
    content, first_row = nasty_ledger(id_header)
    assert first_row == 4
    result = await imported(api, content)
    assert result["rejected"] == [], result["rejected"]
    assert result["rows"] == 5
    assert (result["households_created"], result["people_created"], result["surveys_created"]) == (2, 5, 4)
    people = await people_by_name(api)
    assert {name: p["id_number"] for name, p in people.items()} == {n: masked(i) for n, i in PEOPLE.items()}
    for name, expected in EXPECTED_NEEDS.items():
        need = people[name]["current_need"]
        assert (need and expected is not None and {k: need[k] for k in expected}) == expected, name
    assert people["阿木日哈"]["phone"] == "139****5678" and people["阿木拉且"]["phone"] == "138****8000"
    assert people["阿木阿芝"]["left_school_year"] == 1994 and people["阿木拉且"]["education"] == "71"
    # It is the very same data as the clean ledger: importing that one now changes nothing.
    again = await imported(api, ledger(clean_rows()))
    assert counts(again) == ZERO | {"households_unchanged": 2, "people_unchanged": 5, "surveys_unchanged": 4}
    assert await table_counts(conn) == (2, 5, 4)


# ------------------------------------------------------------------ mistakes, reported where the clerk looks

NUMBER_CELL = id_number(date(1990, 1, 5), 5)
BAD_CHECK_VALID = id_number(date(1990, 1, 6), 6)
BAD_CHECK = BAD_CHECK_VALID[:-1] + ("1" if BAD_CHECK_VALID[-1] != "1" else "2")
OLD_ID = "513435650302123"  # a 15-digit first-generation number
UNKNOWN_VILLAGE = "513435103299"


def _lone(n: int, **values: Any) -> dict[str, Any]:
    """A one-person household that is right in every column but those given."""
    base = {"户编号": f"BAD-{n}", "村代码": KEY_VILLAGE, "户主姓名": f"错{n}", "家庭属性": "一般农户",
            "姓名": f"错{n}", "身份证号": id_number(date(1990, 1, n), n), "与户主关系": "户主", "文化程度": "71",
            "是否在校": "否", "劳动能力": "劳动力", "务工状况": "务农"}
    return person(**(base | values))


def bad_ledger() -> bytes:
    """Title in row 1, blank row 2, headers in row 3: the rows below are numbered as Excel shows them."""
    good = clean_rows()
    return titled_ledger([
        good[0],                                                      # 4: 阿木日哈, right
        _lone(5, 身份证号=float(NUMBER_CELL)),                          # 5: typed into a General cell
        _lone(6, 身份证号=BAD_CHECK),                                   # 6: wrong check character
        _lone(7, 村代码=UNKNOWN_VILLAGE),                               # 7: no such village
        _lone(8, 村代码=OTHER_TOWNSHIP_VILLAGE),                        # 8: not one of surveyor_a's villages
        _lone(9, 意向工种1="宇航员", 调查日期="2026-10-15"),               # 9: no such trade
        _lone(10, 家庭属性="富裕户"),                                     # 10: not a 家庭属性 word
        _lone(11, 是否在校="maybe"),                                     # 11: not 是/否
        None,                                                         # 12: blank
        good[3],                                                      # 13: 吉克石且, right
        _lone(14, 身份证号=HEAD2),                                       # 14: the same number as row 13
        _lone(15, 身份证号=OLD_ID),                                      # 15: a 15-digit old number
    ])


EXPECTED_REJECTED = [
    (5, "身份证号", ["数字", "文本"]),
    (6, "身份证号", ["校验位"]),
    (7, "村代码", ["不是已登记"]),
    (8, "村代码", ["不在您负责的范围内"]),
    (9, "意向工种1", ["宇航员"]),
    (10, "家庭属性", ["富裕户"]),
    (11, "是否在校", ["是", "否"]),
    (14, "身份证号", ["重复", "13"]),
    (15, "身份证号", ["15 位"]),
]
SECRETS = [HEAD, HEAD2, NUMBER_CELL, BAD_CHECK, BAD_CHECK_VALID, *(id_number(date(1990, 1, n), n) for n in range(7, 12))]


def assert_rejected_as_expected(rejected: list[dict[str, Any]]) -> None:
    assert [(r["row"], r["column"]) for r in rejected] == [(row, column) for row, column, _ in EXPECTED_REJECTED]
    for r, (_, _, fragments) in zip(rejected, EXPECTED_REJECTED, strict=True):
        assert has_chinese(r["message"]), r
        for fragment in fragments:
            assert fragment in r["message"], r


async def test_valid_only_writes_the_good_rows_and_lists_the_bad_ones(api: Api, conn: asyncpg.Connection) -> None:
    response = await upload(api, bad_ledger(), mode="valid_only")
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["mode"] == "valid_only" and result["written"] is True
    assert result["rows"] == 11
    assert_rejected_as_expected(result["rejected"])
    assert (result["households_created"], result["people_created"], result["surveys_created"]) == (2, 2, 2)
    assert await table_counts(conn) == (2, 2, 2)
    assert set(await people_by_name(api)) == {"阿木日哈", "吉克石且"}
    assert_no_full_number(response.text, SECRETS)
    assert OLD_ID not in response.text


async def test_valid_only_is_the_default_mode(api: Api) -> None:
    result = await imported(api, bad_ledger())
    assert result["mode"] == "valid_only" and result["written"] is True and result["people_created"] == 2


async def test_all_or_nothing_writes_nothing_and_answers_422_with_the_bad_rows(
        api: Api, conn: asyncpg.Connection) -> None:
    before = await table_counts(conn)
    response = await upload(api, bad_ledger(), mode="all_or_nothing")
    problem = assert_problem(response, 422)
    assert has_chinese(problem["detail"])
    assert problem["mode"] == "all_or_nothing" and problem["written"] is False and problem["rows"] == 11
    assert all(problem[k] == 0 for k in ZERO)
    assert_rejected_as_expected(problem["rejected"])
    assert await table_counts(conn) == before == (0, 0, 0)
    assert (await api.get("/api/people", "surveyor_a")).json()["items"] == []
    assert_no_full_number(response.text, SECRETS)
    # The same file, put right, goes in whole.
    fixed = await imported(api, ledger(clean_rows()), mode="all_or_nothing")
    assert fixed["mode"] == "all_or_nothing" and fixed["written"] is True and fixed["people_created"] == 5


async def test_a_person_already_in_another_household_is_refused_without_the_number(api: Api) -> None:
    await imported(api, ledger(clean_rows()))
    moved = person(户编号="LM-002", 村代码=KEY_VILLAGE, 户主姓名="阿木拉且", 家庭属性="一般农户", 姓名="阿木拉且",
                   身份证号=SON, 与户主关系="户主", 文化程度="71", 是否在校="否", 劳动能力="劳动力", 务工状况="务农")
    response = await upload(api, ledger([moved]))
    [rejected] = response.json()["rejected"]
    assert (rejected["row"], rejected["column"]) == (2, "身份证号")
    assert "LM-001" in rejected["message"]
    assert_no_full_number(response.text, [SON])


async def test_no_full_number_reaches_the_logs_or_the_audit_log(
        api: Api, conn: asyncpg.Connection, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await upload(api, bad_ledger(), mode="all_or_nothing")
    await imported(api, ledger(clean_rows()))
    await export(api, reveal="true")
    secrets = [*SECRETS, *PEOPLE.values()]
    assert_no_full_number(caplog.text, secrets)
    audit = " ".join(r["t"] for r in await conn.fetch("SELECT a::text AS t FROM audit_log a"))
    assert_no_full_number(audit, secrets)
    at_rest = " ".join(r["t"] for r in await conn.fetch("SELECT p::text AS t FROM people p"))
    for secret in [*PEOPLE.values(), *PHONES]:
        assert secret not in at_rest


async def test_one_household_in_two_villages_is_refused(api: Api, conn: asyncpg.Connection) -> None:
    """Regression: a member typed with another village used to join the first row's household silently."""
    rows = clean_rows()[:2]
    rows[1]["村代码"] = KEY_VILLAGE_2
    result = await imported(api, ledger(rows))
    assert [(r["row"], r["column"]) for r in result["rejected"]] == [(3, "村代码")]
    assert "第 2 行" in result["rejected"][0]["message"]
    assert await table_counts(conn) == (1, 1, 1)


async def test_an_id_number_in_the_wrong_column_is_not_quoted_back(api: Api) -> None:
    """Regression: messages quoting the cell (不认识的工种“…”) used to hand back an ID number in full."""
    strays = [id_number(date(1991, 2, n), 50 + n) for n in (3, 4, 5)]
    rows = [_lone(3, 文化程度=strays[0]), _lone(4, 意向工种1=strays[1], 调查日期="2026-10-15"),
            _lone(5, 家庭属性=strays[2])]
    response = await upload(api, ledger(rows))
    result = response.json()
    assert [(r["row"], r["column"]) for r in result["rejected"]] == [(2, "文化程度"), (3, "意向工种1"), (4, "家庭属性")]
    assert_no_full_number(response.text, strays)


# ------------------------------------------------------------------ files that are not ledgers


def _not_a_zip_of_a_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "hello")
    return out.getvalue()


@pytest.mark.parametrize(("content", "filename", "mime"), [
    (b"this is not a workbook", "台账.xlsx", XLSX_MIME),
    ("户编号,村代码,户主姓名\nLM-001,513435103201,阿木日哈\n".encode(), "台账.csv", "text/csv"),
    (_not_a_zip_of_a_workbook(), "台账.xlsx", XLSX_MIME),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "photo.png", "image/png"),
    (b"", "台账.xlsx", XLSX_MIME),
], ids=["text", "csv", "zip", "png", "empty"])
async def test_a_file_that_is_not_a_workbook_is_a_problem_not_a_500(
        api: Api, conn: asyncpg.Connection, content: bytes, filename: str, mime: str) -> None:
    response = await upload(api, content, filename=filename, mime=mime)
    assert response.status_code in (400, 422), response.text
    problem = assert_problem(response, response.status_code)
    assert has_chinese(problem["detail"]) or any(has_chinese(e["message"]) for e in problem.get("errors", []))
    assert await table_counts(conn) == (0, 0, 0)


async def test_a_workbook_without_the_ledger_headers_names_the_missing_columns(api: Api) -> None:
    content = sheet_bytes([["姓名", "身份证号", "村代码", "联系电话"], ["阿木日哈", HEAD, KEY_VILLAGE, "13912345678"]])
    problem = assert_problem(await upload(api, content), 400)
    missing = ["户编号", "户主姓名", "家庭属性", "文化程度", "劳动能力", "务工状况"]
    assert problem["missing_columns"] == missing
    for column in missing:
        assert column in problem["detail"]
    assert "姓名" not in problem["missing_columns"]


async def test_an_empty_workbook_lacks_every_required_column(api: Api) -> None:
    problem = assert_problem(await upload(api, sheet_bytes([])), 400)
    assert {"户编号", "身份证号", "姓名"} <= set(problem["missing_columns"])


@pytest.mark.parametrize("user", ["official_a", "school_a"])
async def test_officials_and_schools_may_not_import(api: Api, conn: asyncpg.Connection, user: str) -> None:
    assert_problem(await upload(api, ledger(clean_rows()), as_=user), 403)
    assert await table_counts(conn) == (0, 0, 0)


async def test_an_admin_imports_only_within_their_county(api: Api, conn: asyncpg.Connection) -> None:
    result = await imported(api, ledger(clean_rows()), as_="admin_c")
    assert result["written"] is False and len(result["rejected"]) == 5
    assert {r["column"] for r in result["rejected"]} == {"村代码"}
    assert await table_counts(conn) == (0, 0, 0)
    assert (await imported(api, ledger(clean_rows()), as_="admin_a"))["people_created"] == 5


async def test_a_household_number_of_a_village_outside_reach_is_not_taken_over(
        api: Api, conn: asyncpg.Connection) -> None:
    """Regression: the household upsert keyed on (county, 户编号) alone moved another village's household,
    members and all, into the importing surveyor's village. 户编号 is now unique per village (villages
    number their households 1, 2, 3 ... each), so the same number in another village is another household."""
    theirs = person(户编号="XM-001", 村代码=OTHER_TOWNSHIP_VILLAGE, 户主姓名="沙马拉哈", 家庭属性="脱贫户",
                    姓名="沙马拉哈", 身份证号=id_number(date(1970, 2, 2), 41), 与户主关系="户主", 文化程度="81",
                    是否在校="否", 劳动能力="劳动力", 务工状况="务农")
    assert (await imported(api, ledger([theirs]), as_="admin_a"))["people_created"] == 1
    mine = theirs | {"村代码": KEY_VILLAGE, "户主姓名": "阿木日哈", "姓名": "阿木日哈", "身份证号": HEAD}
    result = await imported(api, ledger([mine]), as_="surveyor_a")
    assert result["rejected"] == [] and result["households_created"] == 1
    households = await conn.fetch(
        "SELECT village_code, head_name, version FROM households WHERE household_no = 'XM-001' ORDER BY village_code")
    assert [tuple(h) for h in households] == [(OTHER_TOWNSHIP_VILLAGE, "沙马拉哈", 1), (KEY_VILLAGE, "阿木日哈", 1)]
    assert "沙马拉哈" not in str(await people_by_name(api, "surveyor_a"))


async def test_villages_may_number_their_households_each_from_one(api: Api, conn: asyncpg.Connection) -> None:
    rows = clean_rows()
    for row in rows:
        row["户编号"] = "1"
    result = await imported(api, ledger(rows))
    assert result["rejected"] == [] and result["households_created"] == 2
    assert {tuple(r) for r in await conn.fetch("SELECT village_code, household_no FROM households")} == {
        (KEY_VILLAGE, "1"), (KEY_VILLAGE_2, "1")}


# ------------------------------------------------------------------ export


async def test_the_export_masks_id_numbers_and_phones_by_default(api: Api, conn: asyncpg.Connection) -> None:
    await imported(api, ledger(clean_rows()))
    for user in ("surveyor_a", "official_a", "admin_a"):
        rows = export_rows(await export(api, user, village_code=KEY_VILLAGE))
        assert [r[HEADERS.index("姓名")] for r in rows] == ["阿木日哈", "阿木阿芝", "阿木拉且"]
        assert [r[ID_COLUMN] for r in rows] == [masked(HEAD), masked(WIFE), masked(SON)]
        assert [r[PHONE_COLUMN] for r in rows] == ["139****5678", None, "138****8000"]
        every_cell = " ".join(str(v) for r in rows for v in r if v is not None)
        assert_no_full_number(every_cell, list(PEOPLE.values()))
        for phone in PHONES:
            assert phone not in every_cell
    everything = export_rows(await export(api, "surveyor_a"))
    assert [r[ID_COLUMN] for r in everything] == [masked(n) for n in PEOPLE.values()]
    assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE action = 'reveal'") == 0


async def test_a_surveyor_reveals_their_village_in_full_and_it_is_audited(api: Api) -> None:
    await imported(api, ledger(clean_rows()))
    assert (await api.get("/api/audit", "admin_a", params={"action": "reveal"})).json()["items"] == []
    rows = export_rows(await export(api, village_code=KEY_VILLAGE, reveal="true"))
    assert [r[ID_COLUMN] for r in rows] == [HEAD, WIFE, SON]
    assert [r[PHONE_COLUMN] for r in rows] == ["13912345678", None, "13800138000"]
    audit = await api.get("/api/audit", "admin_a", params={"action": "reveal"})
    [entry] = audit.json()["items"]
    assert (entry["actor_name"], entry["object_type"], entry["object_id"]) == ("surveyor_a", "ledger_export",
                                                                               KEY_VILLAGE)
    assert entry["county_code"] == KEY_VILLAGE[:6]
    assert entry["changes"]["people"] == 3
    assert_no_full_number(audit.text, list(PEOPLE.values()))


@pytest.mark.parametrize("user", ["official_a", "school_a"])
async def test_only_admins_and_surveyors_may_reveal(api: Api, user: str) -> None:
    await imported(api, ledger(clean_rows()))
    response = await export(api, user, village_code=KEY_VILLAGE, reveal="true")
    assert_problem(response, 403)
    assert (await api.get("/api/audit", "admin_a", params={"action": "reveal"})).json()["items"] == []


@pytest.mark.parametrize(("user", "village"), [
    ("surveyor_a", OTHER_TOWNSHIP_VILLAGE),  # same county, not one of their villages
    ("admin_c", KEY_VILLAGE),  # another county's admin
])
async def test_exporting_a_village_outside_reach_is_404(api: Api, user: str, village: str) -> None:
    await imported(api, ledger(clean_rows()))
    for reveal in ("false", "true"):
        response = await export(api, user, village_code=village, reveal=reveal)
        assert_problem(response, 404)
        assert response.headers["content-type"].startswith(PROBLEM)


async def test_a_revealed_export_reimports_with_no_changes(api: Api, conn: asyncpg.Connection) -> None:
    await imported(api, ledger(clean_rows()))
    content = (await export(api, reveal="true")).content
    assert len(export_rows(await export(api, reveal="true"))) == 5
    result = await imported(api, content, mode="all_or_nothing")
    assert result["rejected"] == [] and result["rows"] == 5
    assert counts(result) == ZERO | {"households_unchanged": 2, "people_unchanged": 5, "surveys_unchanged": 4}
    assert await table_counts(conn) == (2, 5, 4)


async def test_a_masked_export_reimports_with_no_changes(api: Api, conn: asyncpg.Connection) -> None:
    """The default export masks ID numbers and phones: a masked value means "unchanged" for the person the
    row's 人员系统编号 names, so the file goes back in as it came out."""
    await imported(api, ledger(clean_rows()))
    versions = await conn.fetch("SELECT id, version FROM people UNION ALL SELECT id, version FROM households")
    audit_before = await conn.fetchval("SELECT count(*) FROM audit_log")
    content = (await export(api)).content
    result = await imported(api, content, mode="all_or_nothing")
    assert result["rejected"] == [] and result["rows"] == 5
    assert counts(result) == ZERO | {"households_unchanged": 2, "people_unchanged": 5, "surveys_unchanged": 4}
    assert await conn.fetch("SELECT id, version FROM people UNION ALL SELECT id, version FROM households") == versions
    # One row for the import itself, none for any household, person or survey.
    assert await conn.fetchval("SELECT count(*) FROM audit_log") == audit_before + 1


def _edit(content: bytes, edits: dict[tuple[str, str], Any]) -> bytes:
    """Open an export as a clerk would in Excel, change cells by (person's name, column), save."""
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook.worksheets[0]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        name = row[header.index("姓名")].value
        for (who, column), value in edits.items():
            if who == name:
                row[header.index(column)].value = value
    return save(workbook)


@pytest.mark.parametrize("reveal", ["false", "true"])
async def test_export_edit_three_cells_and_import_changes_exactly_those(
        api: Api, conn: asyncpg.Connection, reveal: str) -> None:
    await imported(api, ledger(clean_rows()))
    before = {r["name"]: dict(r) for r in await conn.fetch(
        """SELECT p.name, p.id, p.version, p.work_status, p.education, p.phone_masked, p.phone_hash, p.household_id,
                  h.version AS household_version FROM people p JOIN households h ON h.county_code = p.county_code AND h.id = p.household_id""")}
    audit_before = await conn.fetchval("SELECT max(id) FROM audit_log")
    exported = (await export(api, village_code=KEY_VILLAGE, reveal=reveal)).content
    workbook = load_workbook(io.BytesIO(exported))
    assert {"填写说明"} <= set(workbook.sheetnames)
    sheet = workbook.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert sheet.cell(row=2, column=header.index("文化程度") + 1).value == "小学毕业"  # names, not codes
    assert sheet.cell(row=2, column=header.index("意向工种1") + 1).value == "电工"
    lists = {str(v.sqref).split(":")[0].rstrip("0123456789"): v.formula1 for v in sheet.data_validations.dataValidation}
    assert "务工状况" in header and any("外出务工" in f for f in lists.values())

    edited = _edit(exported, {("阿木拉且", "务工状况"): "本地务工", ("阿木阿芝", "文化程度"): "普通高中毕业",
                              ("阿木日哈", "联系电话"): "13600136000"})
    result = await imported(api, edited, mode="all_or_nothing")
    assert result["rejected"] == []
    assert counts(result) == ZERO | {"households_unchanged": 1, "people_updated": 3, "people_unchanged": 0,
                                     "surveys_unchanged": 3}
    after = {r["name"]: dict(r) for r in await conn.fetch(
        """SELECT p.name, p.id, p.version, p.work_status, p.education, p.phone_masked, p.phone_hash, p.household_id,
                  h.version AS household_version FROM people p JOIN households h ON h.county_code = p.county_code AND h.id = p.household_id""")}
    changed = {name: {k for k in after[name] if after[name][k] != before[name][k]} for name in after}
    assert changed == {"阿木拉且": {"work_status", "version"}, "阿木阿芝": {"education", "version"},
                       "阿木日哈": {"phone_masked", "phone_hash", "version"}, "吉克石且": set(), "吉克阿呷": set()}
    assert (after["阿木拉且"]["work_status"], after["阿木阿芝"]["education"], after["阿木日哈"]["phone_masked"]) == (
        "local_work", "61", "136****6000")
    audited = await conn.fetch("SELECT object_type, object_id, action FROM audit_log WHERE id > $1 ORDER BY id",
                               audit_before)
    written = {(r["object_type"], r["object_id"], r["action"]) for r in audited if r["object_type"] != "ledger_export"}
    assert written == {("person", str(before[n]["id"]), "update") for n in ("阿木拉且", "阿木阿芝", "阿木日哈")} | {
        ("ledger", None, "import")}


async def test_a_masked_number_must_stay_with_its_person(api: Api, conn: asyncpg.Connection) -> None:
    """A masked number names nobody by itself: without the row's 人员系统编号, or moved to another person's
    row, it is refused, and a masked phone that was edited is too."""
    await imported(api, ledger(clean_rows()))
    exported = (await export(api, village_code=KEY_VILLAGE)).content
    rows = read_back(exported)
    header = rows[0]
    son_id = rows[3][header.index("人员系统编号")]
    moved = _edit(exported, {("阿木日哈", "人员系统编号"): None, ("阿木阿芝", "人员系统编号"): son_id,
                             ("阿木拉且", "联系电话"): "138****9999"})
    result = await imported(api, moved)
    assert [(r["row"], r["column"]) for r in result["rejected"]] == [
        (2, "身份证号"), (2, "联系电话"), (3, "身份证号"), (4, "联系电话")]
    assert all(has_chinese(r["message"]) for r in result["rejected"])
    assert await conn.fetchval("SELECT max(version) FROM people") == 1


async def test_a_household_registered_on_the_web_goes_through_export_and_import(
        api: Api, conn: asyncpg.Connection) -> None:
    """户编号 is optional in the web form and required in the ledger: the registry gives one."""
    created = await api.post("/api/households", "surveyor_a", json={
        "village_code": KEY_VILLAGE, "head_name": "曲比阿果", "poverty_status": "ordinary",
        "members": [{"name": "曲比阿果", "id_number": HEAD, "relation": "户主", "education": "71", "in_school": False,
                     "labour_capacity": "full", "work_status": "farming"}]})
    assert created.status_code == 201, created.text
    assert created.json()["household_no"] == f"{KEY_VILLAGE}-0001"
    result = await imported(api, (await export(api)).content, mode="all_or_nothing")
    assert result["rejected"] == []
    assert counts(result) == ZERO | {"households_unchanged": 1, "people_unchanged": 1, "surveys_unchanged": 0}
