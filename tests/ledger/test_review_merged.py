"""Review: a ledger laid out the way village ledgers usually are, one merged cell per household."""

from __future__ import annotations

import asyncpg
from openpyxl import Workbook

from tests.conftest import Api
from tests.ledger.nasty import HEADERS, clean_rows, save
from tests.ledger.test_ledger import imported


async def test_household_cells_merged_down_over_the_members_belong_to_every_member(
        api: Api, conn: asyncpg.Connection) -> None:
    """户编号, 村代码, 户主姓名 and 家庭属性 written once per household in a cell merged down over its
    members' rows (Excel and WPS keep the value in the first row only)."""
    rows = clean_rows()
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADERS)
    for row in rows:
        sheet.append([row.get(h) for h in HEADERS])
    first = 2
    for index in range(1, len(rows) + 1):
        last_of_household = index == len(rows) or rows[index]["户编号"] != rows[index - 1]["户编号"]
        if last_of_household:
            end = index + 1
            if end > first:
                for column in range(1, 5):  # 户编号 村代码 户主姓名 家庭属性
                    sheet.merge_cells(start_row=first, start_column=column, end_row=end, end_column=column)
            first = end + 1
    result = await imported(api, save(workbook), mode="all_or_nothing")
    assert result["rejected"] == []
    assert (result["households_created"], result["people_created"]) == (2, len(rows))
