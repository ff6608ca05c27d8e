"""The trade picker in a school's forms: Esc and Tab close its list for good, and the list never covers the
save button after the clerk has left it."""

from __future__ import annotations

import asyncio

from playwright.async_api import Locator

from tests.browser.conftest import BrowserPage


async def major_form(page: BrowserPage) -> Locator:
    await page.login("school_a")
    await page.page.click('.tab[data-tab="schools"]')
    await page.settle()
    card = page.page.locator('details[data-key="major"]')
    await card.locator("summary").click()
    return card


async def type_a_trade(page: BrowserPage, card: Locator) -> Locator:
    picker_input = card.locator(".picker-box input")
    await picker_input.click()
    await picker_input.press_sequentially("电工")
    await card.locator(".picker-list").wait_for(state="visible")
    return picker_input


async def still_closed_after_late_answers(page: BrowserPage, card: Locator) -> None:
    await asyncio.sleep(0.6)  # past the picker's 250 ms pause and a search's answer
    await page.settle()
    assert await card.locator(".picker-list").is_hidden()


async def test_esc_closes_the_trade_list_and_keeps_what_was_typed(page: BrowserPage) -> None:
    card = await major_form(page)
    picker_input = await type_a_trade(page, card)

    await picker_input.press("Escape")

    await still_closed_after_late_answers(page, card)
    assert await picker_input.input_value() == "电工"


async def test_tab_leaves_the_trade_list_closed_and_the_save_button_clickable(page: BrowserPage) -> None:
    card = await major_form(page)
    picker_input = await type_a_trade(page, card)
    await picker_input.press_sequentially("作业")  # a search still under way when the clerk moves on

    await picker_input.press("Tab")

    await still_closed_after_late_answers(page, card)
    save = card.locator("button[type=submit]")
    box = await save.bounding_box()
    assert box is not None
    on_top = await page.page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y)?.closest('button')?.textContent",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
    assert on_top == "提交"


async def test_the_course_form_offers_education_in_code_table_order(page: BrowserPage) -> None:
    await page.login("school_a")
    await page.page.click('.tab[data-tab="schools"]')
    await page.settle()
    await page.page.locator('details[data-key="course"] summary').click()

    options = page.page.locator('details[data-key="course"] [data-field=min_education] option')
    codes = [code for code in await options.evaluate_all("os => os.map(o => o.value)") if code]
    assert codes == sorted(codes) and codes[0] == "11" and codes[-1] == "90" and len(codes) == 25
