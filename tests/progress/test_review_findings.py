"""An outside review's findings on quotas, progress and reports (issue 9), each pinned as a test that fails
on main before they were fixed; each now specifies the fix."""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import quote

import asyncpg
from openpyxl import load_workbook

from tests.conftest import Api
from tests.helpers import assert_problem, today
from tests.progress.county import JIMI, XINSHIBA, build
from tests.progress.test_reports import cells
from tests.registry.test_households import create
from tests.seed import COUNTY_A, KEY_VILLAGE

COUNTY = COUNTY_A + "000000"
OVER_WITHOUT_FIGURES = "各乡镇指标合计已超过全县指标，请与县里核对"


async def put_quota(api: Api, as_: str, **body: Any) -> Any:
    return await api.http.put("/api/quotas", json={"year": today().year, **body}, headers=api.token(as_))


async def test_the_over_quota_warning_tells_nobody_the_quotas_they_may_not_read(api: Api) -> None:
    assert (await put_quota(api, "admin_a", region_code=COUNTY, target_person_times=10)).status_code == 200
    assert (await put_quota(api, "admin_a", region_code=XINSHIBA, target_person_times=9)).status_code == 200
    # The township official of 吉米镇 cannot read the county's quota (404) ...
    assert_problem(await api.get("/api/quotas", "official_jimi",
                                 params={"year": today().year, "region_code": COUNTY}), 404)
    # ... and a surveyor sees no quota at all ...
    surveyor = (await api.get("/api/quotas", "surveyor_a", params={"year": today().year})).json()
    assert surveyor["items"] == []
    # ... yet both are told the county's target and what the other townships were given.
    jimi_put = (await put_quota(api, "official_jimi", region_code=JIMI, target_person_times=2)).json()
    jimi_list = (await api.get("/api/quotas", "official_jimi", params={"year": today().year})).json()
    assert "10 人次" not in str(surveyor["warning"])
    assert "10 人次" not in str(jimi_put["warning"])
    assert "10 人次" not in str(jimi_list["warning"])
    # The township official is told its township is part of an excess, without anyone's figures; the
    # surveyor (no quota of its own in it) is told nothing; the county's official reads the figures.
    assert jimi_put["warning"] == jimi_list["warning"] == OVER_WITHOUT_FIGURES
    assert surveyor["warning"] is None
    county = (await api.get("/api/quotas", "official_a", params={"year": today().year})).json()
    assert county["warning"] == "各乡镇指标合计 11 人次，超过全县指标 10 人次"


async def test_a_period_that_contradicts_itself_is_refused(api: Api) -> None:
    y = today().year
    for params in ({"year": y - 1, "month": f"{y}-03"}, {"year": y - 1, "quarter": f"{y}-1"},
                   {"month": f"{y}-03", "quarter": f"{y}-4"}):
        response = await api.get("/api/progress", "official_a", params={"region_code": COUNTY, **params})
        assert_problem(response, 422)


async def test_only_ascii_digits_make_a_month(api: Api) -> None:
    for path, params in [("/api/progress", {"month": "２０２６-０３"}),
                         ("/api/reports/monthly", {"month": "٢٠٢٦-٠٣"}),
                         ("/api/reports/quarterly", {"quarter": "２０２６-１"})]:
        response = await api.get(path, "official_a", params={"region_code": KEY_VILLAGE, **params})
        assert_problem(response, 422)


async def test_the_worklist_download_says_education_and_wanted_trades_in_words(api: Api,
                                                                                conn: asyncpg.Connection) -> None:
    await build(api, conn)
    response = await api.get("/api/progress/uncovered-households", "surveyor_a",
                             params={"region_code": KEY_VILLAGE, "format": "xlsx"})
    assert response.status_code == 200, response.text
    rows = {r[5]: r for r in cells(response.content)["未覆盖户"][4:] if len(r) > 5}
    p6 = rows["p6"]
    assert not re.fullmatch(r"\d+", str(p6[8])), p6[8]  # 文化程度
    assert "中式烹调师" in str(p6[11]) and not re.search(r"\d-\d\d-\d\d-\d\d", str(p6[11])), p6[11]  # 意向工种


async def test_the_worklist_download_writes_a_formula_looking_name_as_text(api: Api) -> None:
    formula = '=HYPERLINK("http://attacker.example/","点击查看")'
    await create(api, head_name=formula)
    response = await api.get("/api/progress/uncovered-households", "surveyor_a",
                             params={"region_code": KEY_VILLAGE, "format": "xlsx"})
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content))["未覆盖户"]
    assert formula in [c.value for row in sheet.iter_rows() for c in row]  # the household is listed
    assert [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"] == []


async def test_progress_shows_only_the_quotas_the_caller_may_list(api: Api) -> None:
    assert (await put_quota(api, "official_jimi", region_code=JIMI, target_person_times=7)).status_code == 200
    for who, region in [("school_a", COUNTY), ("surveyor_a", KEY_VILLAGE)]:
        listed = (await api.get("/api/quotas", who, params={"year": today().year})).json()["items"]
        response = await api.get("/api/progress", who, params={"region_code": region, "year": today().year})
        assert response.status_code == 200, response.text
        shown = {row["key"] for row in response.json()["by"]["township"] if row["target_person_times"] is not None}
        assert shown <= {q["region_code"] for q in listed}, who


async def test_a_schools_report_names_the_school_as_the_reporting_unit(api: Api) -> None:
    response = await api.get("/api/reports/monthly", "school_a",
                             params={"region_code": COUNTY, "month": f"{today().year}-{today().month:02d}"})
    assert response.status_code == 200, response.text
    sheets = cells(response.content)
    assert "甘洛县甲职业学校" in str(sheets["总表"][0][0]), sheets["总表"][0]  # the title
    for name, rows in sheets.items():
        assert rows[1][0] == "填报单位：甘洛县甲职业学校", (name, rows[1])
    assert "本校" not in str(sheets)
    disposition = response.headers["content-disposition"]
    assert quote("甘洛县甲职业学校月报") in disposition and quote("本校") not in disposition, disposition
