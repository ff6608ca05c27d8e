"""The school's roster in the browser: the attendance form offers the county's today, never a day to come."""

from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg

from tests.browser.conftest import BrowserPage
from tests.conftest import Api
from tests.helpers import published_session, today


async def open_roster(page: BrowserPage, session: dict[str, object]) -> None:
    await page.login("school_a")
    await page.page.click('.tab[data-tab="sessions"]')
    await page.settle()
    row = page.page.locator("tr", has_text=f"{session['starts_on']} 至 {session['ends_on']}")
    await row.get_by_role("button", name="报名名单").click()
    await page.page.wait_for_selector(".roster input[name=date]")
    await page.settle()


async def test_attendance_defaults_to_the_countys_today_while_the_class_runs(
        page: BrowserPage, api: Api, conn: asyncpg.Connection) -> None:
    session = await published_session(api, start=10, length=3)
    # Under way since yesterday (a session is published before it starts; the clock has moved on since).
    start, end = today() - timedelta(days=1), today() + timedelta(days=2)
    await conn.execute("UPDATE sessions SET starts_on = $2, ends_on = $3 WHERE id = $1",
                       uuid.UUID(str(session["id"])), start, end)
    session.update(starts_on=start.isoformat(), ends_on=end.isoformat())

    await open_roster(page, session)

    date_input = page.page.locator(".roster input[name=date]")
    assert await date_input.input_value() == today().isoformat()
    assert await date_input.get_attribute("max") == today().isoformat()


async def test_attendance_offers_no_day_before_the_class_starts(page: BrowserPage, api: Api) -> None:
    session = await published_session(api, start=10, length=3)

    await open_roster(page, session)

    assert await page.page.locator(".roster input[name=date]").input_value() == ""
    assert "开始后才能记考勤" in await page.page.locator(".roster-tool").first.inner_text()
