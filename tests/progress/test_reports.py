"""Monthly and quarterly workbooks read back: the numbers are /api/progress's for the same period, the
layout is a county office's (title, unit and period, Chinese headers), and no ID number or phone appears."""

from __future__ import annotations

import io
import re
from typing import Any

import asyncpg
import pytest
from openpyxl import load_workbook

from tests.conftest import Api
from tests.helpers import assert_problem, today
from tests.progress.county import JIMI, County, build
from tests.progress.test_progress import COUNTY, put_quota
from training.progress.reports import COLUMNS, TARGET_HEADERS, TOTAL_ROWS, WORKLIST_HEADERS

# A masked or whole ID number (15 or 18 characters), or a mobile number standing alone.
SECRETS = re.compile(r"\d{3}\*{4,}|(?<!\d)\d{15}(?!\d)|(?<!\d)\d{17}[\dX](?!\d)|(?<!\d)1[3-9]\d{9}(?!\d)")


@pytest.fixture
async def county(api: Api, conn: asyncpg.Connection) -> County:
    built = await build(api, conn)
    assert (await put_quota(api, "official_a", region_code=COUNTY, target_person_times=10)).status_code == 200
    return built


def cells(content: bytes) -> dict[str, list[list[Any]]]:
    """Each sheet's rows, without the empty cells a row has after its last value."""
    def trimmed(row: tuple[Any, ...]) -> list[Any]:
        values = list(row)
        while values and values[-1] is None:
            values.pop()
        return values
    wb = load_workbook(io.BytesIO(content))
    return {ws.title: [trimmed(row) for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def shown(value: Any) -> Any:
    if value is None:
        return "—"
    return ("是" if value else "否") if isinstance(value, bool) else value


def expected_total(progress: dict[str, Any]) -> list[list[Any]]:
    return [[header, shown(progress[field])] for header, field in TOTAL_ROWS]


def expected_rows(rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [[r["key"], r["name"], *[shown(r[f]) for _, f in COLUMNS]] for r in rows]


def assert_no_secrets(sheets: dict[str, list[list[Any]]]) -> None:
    for name, rows in sheets.items():
        for row in rows:
            for value in row:
                assert not (isinstance(value, str) and SECRETS.search(value)), (name, value)


async def test_the_monthly_report_says_what_the_api_says(api: Api, county: County) -> None:
    month = today().strftime("%Y-%m")
    response = await api.get("/api/reports/monthly", "official_a", params={"region_code": COUNTY, "month": month})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response.headers["content-disposition"]
    sheets = cells(response.content)
    assert list(sheets) == ["总表", "分乡镇", "分工种", "分学校", "分月"]
    api_figures = (await api.get("/api/progress", "official_a",
                                 params={"region_code": COUNTY, "month": month})).json()
    total = sheets["总表"]
    assert total[0][0] == f"甘洛县农村劳动力技能培训月报（{today().year}年{today().month}月）"
    assert total[1][0] == "填报单位：甘洛县" and total[1][2] == f"报告期：{today().year}年{today().month}月"
    assert total[3] == ["指标", "数值"]
    assert total[4:4 + len(TOTAL_ROWS)] == expected_total(api_figures)
    assert api_figures["person_times_completed"] == 3 and api_figures["target_person_times"] == 10
    for sheet, dimension in (("分乡镇", "township"), ("分工种", "trade"), ("分学校", "school"), ("分月", "month")):
        rows = sheets[sheet]
        assert rows[3][2:] == [h for h, _ in COLUMNS]
        expected = expected_rows(api_figures["by"][dimension])
        assert rows[4:] == expected, sheet
    assert_no_secrets(sheets)


async def test_the_totals_sheet_sets_the_period_against_every_yearly_target(api: Api, county: County) -> None:
    assert (await put_quota(api, "official_a", region_code=COUNTY, target_person_times=10, target_persons=4,
                            target_households=3, target_lianghousheng=2)).status_code == 200
    month = today().strftime("%Y-%m")
    total = cells((await api.get("/api/reports/monthly", "official_a",
                                 params={"region_code": COUNTY, "month": month})).content)["总表"]
    p = (await api.get("/api/progress", "official_a", params={"region_code": COUNTY, "month": month})).json()
    start = total.index(TARGET_HEADERS)
    assert total[start + 1:start + 5] == [
        ["培训人次", 10, p["person_times_completed"], round(p["person_times_completed"] / 10, 4)],
        ["培训人数", 4, p["persons_completed"], round(p["persons_completed"] / 4, 4)],
        ["覆盖目标户数", 3, p["households_covered"], round(p["households_covered"] / 3, 4)],
        ["两后生结业人次", 2, p["lianghousheng_completed"], 0]]
    assert (p["person_times_completed"], p["persons_completed"], p["households_covered"]) == (3, 2, 2)
    # A township without a quota of its own: no targets block.
    jimi = cells((await api.get("/api/reports/monthly", "official_jimi",
                                params={"region_code": JIMI, "month": month})).content)["总表"]
    assert TARGET_HEADERS not in jimi


async def test_the_quarterly_report_and_its_scope(api: Api, county: County) -> None:
    quarter = f"{today().year}-{(today().month - 1) // 3 + 1}"
    response = await api.get("/api/reports/quarterly", "official_jimi", params={"region_code": JIMI, "quarter": quarter})
    assert response.status_code == 200, response.text
    sheets = cells(response.content)
    api_figures = (await api.get("/api/progress", "official_jimi",
                                 params={"region_code": JIMI, "quarter": quarter})).json()
    assert sheets["总表"][4:4 + len(TOTAL_ROWS)] == expected_total(api_figures)
    assert "季报" in sheets["总表"][0][0] and sheets["总表"][1][0] == "填报单位：吉米镇"
    assert len(sheets["分月"]) == 4 + 3  # the quarter's three months
    school = cells((await api.get("/api/reports/quarterly", "school_a",
                                  params={"region_code": COUNTY, "quarter": quarter})).content)
    assert [row[1] for row in school["分学校"][4:]] == ["甘洛县甲职业学校"]
    for who, region in [("official_c", COUNTY), ("official_jimi", COUNTY), ("surveyor_b", JIMI)]:
        assert_problem(await api.get("/api/reports/quarterly", who, params={"region_code": region,
                                                                          "quarter": quarter}), 404)
        assert_problem(await api.get("/api/reports/monthly", who, params={"region_code": region,
                                                                        "month": today().strftime("%Y-%m")}), 404)
    assert_problem(await api.get("/api/reports/monthly", "official_a",
                                 params={"region_code": COUNTY, "month": "2026-13"}), 422)
    assert_problem(await api.get("/api/reports/quarterly", "official_a",
                                 params={"region_code": COUNTY, "quarter": "2026-5"}), 422)


async def test_the_worklist_downloads_without_id_numbers_or_phones(api: Api, county: County) -> None:
    response = await api.get("/api/progress/uncovered-households", "official_a",
                             params={"region_code": COUNTY, "format": "xlsx"})
    assert response.status_code == 200, response.text
    sheets = cells(response.content)
    rows = sheets["未覆盖户"]
    assert rows[3] == WORKLIST_HEADERS
    assert sorted(r[5] for r in rows[4:]) == ["p4", "p6"]  # H3's 两后生 (not yet trained) and H5's labourer
    assert_no_secrets(sheets)
