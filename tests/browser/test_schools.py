"""A school's walk in the browser: it sees only its own controls, edits and cancels a draft, cancels a published
session (the enrolled see it by their status) and opens the printable roster."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import BrowserPage
from tests.conftest import Api
from tests.enrolment.test_enrolment import enrol, people
from tests.helpers import draft_session, published_session
from tests.seed import SEED


def row_of(page: BrowserPage, session: dict[str, Any]) -> Any:
    return page.page.locator("#session-result tr", has_text=f"{session['starts_on']} 至 {session['ends_on']}")


async def open_sessions(page: BrowserPage) -> None:
    await page.page.click('.tab[data-tab="sessions"]')
    await page.settle()


async def test_a_school_sees_only_its_own_forms_and_its_sessions_fill(page: BrowserPage, api: Api) -> None:
    session = await published_session(api, capacity=4)
    await enrol(api, session, (await people(api, 1))[0])
    await page.login("school_a")
    await page.page.click('.tab[data-tab="schools"]')
    await page.settle()
    assert await page.page.locator(".my-school").count() == 1
    assert "1 / 4" in await page.page.locator(".my-school .stats").inner_text()
    assert await page.page.locator("#school-detail .manage").count() == 1

    await page.page.locator(".school-item", has_text="乙").click()  # another school of the county
    await page.settle()
    assert await page.page.locator("#school-detail .manage").count() == 0
    assert await page.page.locator("#school-detail button", has_text="开班").count() == 0

    await open_sessions(page)
    await page.page.locator("#session-create summary").click()
    options = await page.page.eval_on_selector_all("#session-create [data-field=school_id] option[value]:not([value=''])",
                                                   "options => options.map(o => o.value)")
    assert options == [str(SEED.schools["A"])]


async def test_a_school_edits_and_cancels_a_draft_and_cancels_a_published_session(page: BrowserPage, api: Api) -> None:
    draft = await draft_session(api, start=20, capacity=10)
    published = await published_session(api, start=30, capacity=5)
    enrolment = (await enrol(api, published, (await people(api, 1))[0])).json()
    await page.login("school_a")
    await open_sessions(page)

    await row_of(page, draft).get_by_role("button", name="修改").click()
    await page.page.fill(".row-result input[name=capacity]", "7")
    await page.page.get_by_role("button", name="保存修改").click()
    await page.settle()
    assert "余 7/7" in await row_of(page, draft).first.inner_text()
    assert (await api.get(f"/api/sessions/{draft['id']}", "school_a")).json()["capacity"] == 7

    for session in (draft, published):
        await row_of(page, session).first.get_by_role("button", name="取消培训班").click()
        await page.page.fill(".row-result:visible input[name=reason]", "场地无法使用")
        await page.page.get_by_role("button", name="确认取消").click()
        await page.settle()
        assert "已取消" in await row_of(page, session).first.locator("td[data-label=状态]").inner_text()
    told = (await api.get(f"/api/enrolments/{enrolment['id']}", "school_a")).json()
    assert told["status"] == "cancelled"
    log = (await api.get("/api/audit", "admin_a", params={"action": "cancel", "object_id": published["id"]})).json()
    assert log["items"], "the cancellation is audited"


async def test_a_school_prints_its_roster(page: BrowserPage, api: Api) -> None:
    session = await published_session(api, start=12)
    enrolled = (await enrol(api, session, (await people(api, 1))[0])).json()
    await page.login("school_a")
    await open_sessions(page)
    await row_of(page, session).get_by_role("button", name="报名名单").click()
    await page.settle()
    await page.page.get_by_role("button", name="打印名单").click()
    sheet = page.page.locator(".print-sheet")
    await sheet.wait_for()
    assert enrolled["person_name"] in await sheet.inner_text()
    assert enrolled["id_number"] in await sheet.inner_text()  # masked, as everywhere
    await page.page.emulate_media(media="print")
    assert await sheet.locator("table").is_visible()
    assert not await page.page.locator(".tabs").is_visible()
    assert not await sheet.get_by_role("button", name="打印").is_visible()
    await page.page.emulate_media(media="screen")
