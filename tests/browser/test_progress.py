"""An official's walk in the browser: the year's figures on the page are the API's, a township opens into its
villages, and the monthly report downloads and opens in Excel (openpyxl)."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from typing import Any

import asyncpg
from openpyxl import load_workbook

from tests.browser.conftest import BrowserPage
from tests.conftest import Api
from tests.enrolment.test_enrolment import enrol, people
from tests.helpers import published_session, today
from tests.seed import COUNTY_A, JIMI

COUNTY = COUNTY_A + "000000"


def percent(x: float | None) -> str:
    return "—" if x is None else f"{round(x * 1000) / 10:g}%"


async def a_year_under_way(api: Api, conn: asyncpg.Connection) -> None:
    """A quota, one trainee completed in 吉米镇 and one still in class, so every figure has something to show."""
    session = await published_session(api, start=10, length=4)
    entries = [(await enrol(api, session, p)).json()["id"] for p in await people(api, 2)]
    first, last = today() - timedelta(days=2), today() - timedelta(days=1)  # a class that has just ended
    await conn.execute("UPDATE sessions SET starts_on = $2, ends_on = $3 WHERE id = $1", uuid.UUID(session["id"]), first, last)
    await conn.execute("UPDATE enrolments SET starts_on = $1, ends_on = $2", first, last)
    taken = await api.post(f"/api/sessions/{session['id']}/attendance", "school_a",
                           json={"date": last.isoformat(), "present": entries})
    assert taken.status_code == 200, taken.text
    done = await api.post(f"/api/enrolments/{entries[0]}/complete", "school_a",
                          json={"completed_on": today().isoformat(), "passed": True})
    assert done.status_code == 200, done.text
    quota = await api.http.put("/api/quotas", headers=api.token("official_a"),
                               json={"region_code": COUNTY, "year": today().year, "target_person_times": 40})
    assert quota.status_code == 200, quota.text


async def figures_on_page(page: BrowserPage) -> dict[str, str]:
    return dict(await page.page.eval_on_selector_all(
        "#progress-result .stat[data-figure]",
        "cards => cards.map(c => [c.dataset.figure, c.querySelector('.stat-value').textContent])"))


async def test_an_official_sees_the_apis_figures_drills_into_a_township_and_downloads_a_report(
        page: BrowserPage, api: Api, conn: asyncpg.Connection) -> None:
    await a_year_under_way(api, conn)
    year = today().year
    county: dict[str, Any] = (await api.get("/api/progress", "official_a",
                                            params={"region_code": COUNTY, "year": year})).json()

    await page.login("official_a")
    await page.page.wait_for_selector("#progress-result .stat[data-figure=pace]")
    assert county["person_times_completed"] == 1 and county["target_person_times"] == 40
    assert await figures_on_page(page) == {
        "target_person_times": str(county["target_person_times"]),
        "person_times_completed": str(county["person_times_completed"]),
        "pace": percent(county["pace"]),
        "forecast": str(county["forecast_person_times"]),
    }
    township_rows = page.page.locator("[data-by=township] tbody tr")
    assert await township_rows.count() == len(county["by"]["township"])

    await page.page.locator(f"[data-by=township] tr[data-key='{JIMI}'] button").click()
    await page.page.wait_for_selector(".crumbs")
    await page.settle()
    jimi: dict[str, Any] = (await api.get("/api/progress", "official_a",
                                          params={"region_code": JIMI, "year": year})).json()
    assert (await figures_on_page(page))["person_times_completed"] == str(jimi["person_times_completed"]) == "1"
    villages = await page.page.eval_on_selector_all(
        "[data-by=village] tbody tr", "rows => rows.map(r => [r.dataset.key, r.children[2].textContent])")
    assert villages == [[v["key"], str(v["person_times_completed"])] for v in jimi["by"]["village"]]
    assert villages

    await page.page.locator(".crumbs button").click()  # back to the county
    await page.page.wait_for_selector("[data-by=township]")
    await page.settle()

    await page.page.fill(".report-card input[name=month]", today().strftime("%Y-%m"))
    async with page.page.expect_download() as arrived:
        await page.page.get_by_role("button", name="下载月报").click()
    download = await arrived.value
    book = load_workbook(io.BytesIO((await download.path()).read_bytes()))
    assert download.suggested_filename.endswith(".xlsx")
    assert len(book.sheetnames) >= 2
    await page.settle()


async def test_an_official_sets_a_township_quota_and_is_warned_when_the_townships_exceed_the_county(
        page: BrowserPage, api: Api) -> None:
    year = today().year
    assert (await api.http.put("/api/quotas", headers=api.token("official_a"),
                               json={"region_code": COUNTY, "year": year, "target_person_times": 10})).status_code == 200
    await page.login("official_a")
    await page.page.get_by_role("button", name="年度指标").click()
    await page.settle()
    await page.page.locator("details[data-key=quota] summary").click()
    await page.page.select_option("details[data-key=quota] [data-field=region_code] select", JIMI)
    await page.page.fill("details[data-key=quota] input[name=target_person_times]", "25")
    await page.page.get_by_role("button", name="保存指标").click()
    await page.settle()
    message = await page.page.locator("details[data-key=quota] .msg").inner_text()
    assert "25 人次" in message and "超过" in message
    listed = (await api.get("/api/quotas", "official_a", params={"year": year, "region_code": COUNTY})).json()
    assert {q["region_code"]: q["target_person_times"] for q in listed["items"]} == {COUNTY: 10, JIMI: 25}


async def test_the_worklist_lists_the_uncovered_households_in_chinese_and_exports_them(
        page: BrowserPage, api: Api) -> None:
    await people(api, 2)  # a household nobody from has trained this year
    listed = (await api.get("/api/progress/uncovered-households", "official_a", params={"region_code": COUNTY})).json()
    await page.login("official_a")
    await page.page.get_by_role("button", name="未覆盖户清单").click()
    await page.settle()
    worklist = page.page.locator(".worklist")
    assert f"共 {listed['total']} 户" in await worklist.inner_text()
    first = await worklist.locator("tbody tr").first.inner_text()
    assert listed["items"][0]["head_name"] in first
    assert "lifted" not in first and "male" not in first and "脱贫户" in first
    async with page.page.expect_download() as arrived:
        await worklist.get_by_role("button", name="导出 Excel").click()
    book = load_workbook(io.BytesIO((await (await arrived.value).path()).read_bytes()))
    assert book.active is not None and book.active.max_row > listed["total"]
    await page.settle()
