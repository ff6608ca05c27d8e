"""A surveyor's day in the browser: their villages' coverage as the API counts it, the worklist, a person's
recommendations with one-click sign-up, a refusal said in Chinese, editing a household, finding a person."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import BrowserPage
from tests.conftest import Api
from tests.helpers import published_session, today
from tests.recommendations.builders import person
from tests.seed import ELECTRICIAN, KEY_VILLAGE

RULE_CODES = ["min_age", "max_age", "working_age", "min_education", "labour_capacity", "target_group"]


async def open_registry(page: BrowserPage) -> None:
    await page.login("surveyor_a")
    await page.page.click('.tab[data-tab="registry"]')
    await page.settle()


async def test_coverage_worklist_and_one_click_sign_up(page: BrowserPage, api: Api) -> None:
    session = await published_session(api)
    await person(api, "吉克阿木", poverty="registered_poor", wants=[ELECTRICIAN])
    await person(api, "沙马拉且", poverty="lifted", wants=[ELECTRICIAN])
    figures: dict[str, Any] = (await api.get("/api/progress", "surveyor_a",
                                             params={"region_code": KEY_VILLAGE, "year": today().year})).json()

    await open_registry(page)

    card = page.page.locator(f'.coverage-card[data-village="{KEY_VILLAGE}"]')
    assert await card.locator(".coverage").inner_text() == (
        f"{figures['households_covered']} / {figures['households_target']}")
    assert figures["households_target"] == 2
    await card.get_by_role("button", name="未覆盖户清单").click()
    await page.settle()
    row = page.page.locator(".worklist-table tr", has_text="吉克阿木")
    assert session["course_title"] in await row.inner_text()

    await row.get_by_role("button", name="查看本户").click()
    await page.settle()
    member = page.page.locator(".members-table tr", has_text="吉克阿木").first
    await member.get_by_role("button", name="推荐培训班").click()
    await page.settle()
    offer = page.page.locator(".recommendations tr", has_text=session["course_title"])
    await offer.get_by_role("button", name="一键报名").click()
    await page.settle()
    assert await offer.get_by_role("button", name="已报名").is_disabled()
    assert "吉克阿木 已报名" in await page.page.locator(".recommendations .msg").inner_text()


async def test_a_refusal_names_the_rule_in_chinese(page: BrowserPage, api: Api) -> None:
    session = await published_session(api)
    person_id = await person(api, "阿西木呷", poverty="registered_poor")
    await open_registry(page)

    await page.page.click('.seg-btn[data-view="people"]')
    await page.page.fill("#registry-toolbar input[name=q]", "木呷")
    await page.page.press("#registry-toolbar input[name=q]", "Enter")
    await page.settle()
    row = page.page.locator("#registry-result tr[data-person]", has_text="阿西木呷")
    assert await row.count() == 1
    await row.get_by_role("button", name="报名", exact=True).click()
    await page.settle()
    select = page.page.locator("#registry-result .survey-slot select")
    offered = await select.locator("option").all_inner_texts()
    assert any(session["course_title"] in text for text in offered)

    # Between reading the list and pressing 报名, someone records that the person can no longer work.
    current = (await api.get(f"/api/people/{person_id}", "surveyor_a")).json()
    changed = await api.patch(f"/api/people/{person_id}", "surveyor_a",
                              json={"labour_capacity": "lost", "version": current["version"]})
    assert changed.status_code == 200, changed.text
    page.watch.allow(422)
    await select.select_option(session["id"])
    await page.page.locator("#registry-result .survey-slot button[type=submit]").click()
    message = page.page.locator("#registry-result .survey-slot .msg-error")
    await message.wait_for()
    text = await message.inner_text()
    assert "丧失劳动力或无劳动力，不能参加技能培训" in text
    assert not [code for code in RULE_CODES if code in text] and "422" not in text


async def test_editing_a_household_saves_with_its_version(page: BrowserPage, api: Api) -> None:
    await person(api, "曲比阿果", poverty="registered_poor")
    await open_registry(page)

    await page.page.click('.seg-btn[data-view="households"]')
    await page.settle()
    await page.page.locator("#registry-result tr", has_text="曲比阿果").first.click()
    await page.settle()
    await page.page.get_by_role("button", name="修改农户").click()
    form = page.page.locator(".household-edit")
    await form.locator("select").first.select_option("lifted")
    await form.locator("input[name=lifted_year]").fill("2020")
    await form.get_by_role("button", name="保存修改").click()
    await page.settle()

    assert "已保存农户信息" in await page.page.locator(".household-card .msg-ok").inner_text()
    assert "2020 年脱贫" in await page.page.locator(".household-card .facts").inner_text()
    households = (await api.get("/api/households", "surveyor_a", params={"village_code": KEY_VILLAGE})).json()
    saved = next(h for h in households["items"] if h["head_name"] == "曲比阿果")
    assert (saved["poverty_status"], saved["lifted_year"], saved["version"]) == ("lifted", 2020, 2)
