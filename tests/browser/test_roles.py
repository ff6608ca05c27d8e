"""Each role of the seeded county logs in through the form and opens every tab it has, with no console
error, no failed request and nothing fetched from the internet (the `page` fixture checks those)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import BrowserPage

EVERYONE = ["menu", "schools", "sessions", "trades"]
TABS = {
    "admin_a": ["progress", *EVERYONE, "registry", "recommend", "ledger", "accounts", "audit"],
    "official_a": ["progress", *EVERYONE, "registry", "recommend", "ledger"],
    "official_jimi": ["progress", *EVERYONE, "registry", "recommend", "ledger"],
    "school_a": [*EVERYONE, "recommend"],  # no 农户台账: a school sees its trainees in its rosters
    "surveyor_a": [*EVERYONE, "registry", "recommend", "ledger"],
}


@pytest.mark.parametrize("username", list(TABS))
async def test_each_role_opens_every_tab_it_has(page: BrowserPage, username: str) -> None:
    await page.login(username)

    shown = await page.page.eval_on_selector_all(
        ".tab:not([hidden])", "buttons => buttons.map(b => b.dataset.tab)")
    assert shown == TABS[username]
    for tab in shown:
        await page.page.click(f'.tab[data-tab="{tab}"]')
        await page.page.wait_for_selector(f"#panel-{tab}", state="visible")
        await page.settle()
        assert await page.page.get_attribute(f'.tab[data-tab="{tab}"]', "aria-selected") == "true"
        assert page.page.url.endswith(f"#{tab}")


async def test_a_wrong_password_is_told_in_chinese_without_a_status_code(page: BrowserPage) -> None:
    page.watch.allow(401)
    await page.page.goto(page.base_url + "/")
    await page.page.fill("#login-username", "official_a")
    await page.page.fill("#login-password", "not-the-password")
    await page.page.click("#login-form button[type=submit]")
    message = page.page.locator("#login-msg")
    await message.wait_for(state="visible")
    text = await message.inner_text()
    assert "登录失败" in text
    assert "401" not in text and "HTTP" not in text


async def test_an_official_lands_on_progress_with_the_monthly_chart_drawn_offline(page: BrowserPage) -> None:
    await page.login("official_a")

    assert page.page.url.endswith("#progress")
    await page.page.wait_for_selector("#progress-result .chart canvas")
    assert await page.page.locator("#progress-result .stat").count() >= 4


@pytest.mark.parametrize(("username", "landing"), [("admin_a", "progress"), ("official_jimi", "progress"),
                                                    ("surveyor_a", "registry"), ("school_a", "sessions")])
async def test_each_role_lands_where_its_work_is(page: BrowserPage, username: str, landing: str) -> None:
    await page.login(username)

    await page.page.wait_for_selector(f"#panel-{landing}", state="visible")
    await page.settle()
    assert page.page.url.endswith(f"#{landing}")
    if username == "surveyor_a":  # 农户台账 opens on the coverage of the surveyor's own villages
        await page.page.wait_for_selector("#panel-registry .coverage-card")


async def test_the_api_docs_load_nothing_from_the_internet(page: BrowserPage) -> None:
    await page.page.goto(page.base_url + "/schema")
    await page.page.wait_for_selector("rapi-doc", timeout=30_000)  # a 1 MB script; slow on a loaded CI machine
    await page.settle()

    assert await page.page.get_attribute("rapi-doc", "load-fonts") == "false"
