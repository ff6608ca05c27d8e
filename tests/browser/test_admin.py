"""An admin in the browser: the county's accounts, disabled and enabled again, a password reset shown once;
the audit log read in words, with names where the entries carry ids and no internal code on the page."""

from __future__ import annotations

import re

from playwright.async_api import Dialog

from tests.browser.conftest import BrowserPage
from tests.conftest import Api
from tests.helpers import published_session
from tests.recommendations.builders import person
from tests.seed import ELECTRICIAN, PASSWORD

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
RAW = ["reset_password", "disable", "enable", "enrolment", "household", "person_id", "session_id", "object_type",
       "recommended", "fields", "6-31-01-03", "513435103201"]


async def accept(dialog: Dialog) -> None:
    await dialog.accept()


async def test_an_admin_disables_enables_and_resets_an_account(page: BrowserPage, api: Api) -> None:
    page.page.on("dialog", accept)
    await page.login("admin_a")
    await page.page.click('.tab[data-tab="accounts"]')
    await page.settle()
    row = page.page.locator('tr[data-username="surveyor_b"]')
    assert "吉米镇" not in await row.inner_text() and "新民村" in await row.inner_text()

    await row.get_by_role("button", name="停用").click()
    await page.settle()
    assert "已停用" in await row.inner_text()
    refused = await api.post("/api/auth/token", None, json={"username": "surveyor_b", "password": PASSWORD})
    assert refused.status_code == 401

    await row.get_by_role("button", name="启用").click()
    await page.settle()
    assert "已停用" not in await row.inner_text()

    await row.get_by_role("button", name="重置密码").click()
    await page.settle()
    new_password = await row.locator(".new-password").inner_text()
    assert len(new_password) >= 8
    login = await api.post("/api/auth/token", None, json={"username": "surveyor_b", "password": new_password})
    assert login.status_code == 200


async def test_the_audit_log_reads_in_words(page: BrowserPage, api: Api) -> None:
    session = await published_session(api)
    person_id = await person(api, "吉克阿木", wants=[ELECTRICIAN])
    enrolled = await api.post(f"/api/sessions/{session['id']}/enrolments", "surveyor_a",
                              json={"person_id": person_id, "source": "recommended"})
    assert enrolled.status_code == 201, enrolled.text
    assert (await api.post(f"/api/people/{person_id}/reveal", "surveyor_a")).status_code == 200

    await page.login("admin_a")
    await page.page.click('.tab[data-tab="audit"]')
    await page.settle()

    text = await page.page.locator("#audit-result").inner_text()
    assert f"吉克阿木 · {session['course_title']}" in text  # the enrolment, by person and course
    assert "按推荐报名" in text and "电工" in text and "查看完整号码" in text and "户主 吉克阿木" in text
    assert "其他" not in text  # every key and value of these entries has its words
    assert not UUID.search(text), UUID.search(text)
    assert [raw for raw in RAW if raw in text] == []
