"""Hostile workbooks: whatever a file claims, reading it raises a process's memory by at most about
100 MB over its baseline, and every upload path (ledger over HTTP and the CLI, the sign-in sheet)
answers with a clear 4xx problem in Chinese, never a 500 and never a dead process.

The memory is measured, not assumed: each file is read in a fresh child process whose peak resident
set is reset once the reader and the file are loaded (tests/core/peak.py)."""

from __future__ import annotations

import functools
import re
from datetime import date, datetime
from pathlib import Path

import pytest

from tests.cli.test_cli import run_cli
from tests.conftest import Api
from tests.core.hostile import HOSTILE, MAIN, workbook
from tests.core.peak import read_in_child
from tests.helpers import assert_problem, published_session
from tests.ledger.nasty import XLSX_MIME
from training.core.excel import MAX_WORKBOOK_BYTES, read_sheet

BUDGET = 100 * 1024 * 1024
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@functools.cache
def hostile(name: str) -> bytes:
    return HOSTILE[name]()


def saved(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.xlsx"
    path.write_bytes(hostile(name))
    return path


@pytest.mark.parametrize("name", list(HOSTILE))
def test_reading_a_hostile_workbook_stays_within_100_mb_and_is_a_clear_problem(tmp_path: Path, name: str) -> None:
    result = read_in_child(saved(tmp_path, name))
    assert result["kind"] != "crash", result
    peak = int(str(result["peak_over_baseline"]))
    assert 0 <= peak < BUDGET, f"{name}: the reader's peak was {peak / 2**20:.0f} MB over its baseline"
    if name == "far_corner":
        # Two cells 200,000 rows apart are a legal sheet: read as what it holds, two values.
        assert result["kind"] == "rows"
    else:
        assert result["kind"] == "problem" and result["status"] == 400, result
        assert CHINESE.search(str(result["detail"])), result


def test_what_excel_wps_and_libreoffice_write_reads_as_the_clerk_sees_it() -> None:
    """Shared strings with rich-text runs and a phonetic guide, a namespace prefix, cells without `r`,
    a formula's cached value, a boolean, date formats (built-in 14, the Chinese 31 and a custom one)
    and a styled empty cell far away, which takes no room."""
    strings = (f'<x:sst xmlns:x="{MAIN}"><x:si><x:t>阿木日哈</x:t></x:si>'
               "<x:si><x:r><x:t>建档立卡</x:t></x:r><x:r><x:t>贫困户</x:t></x:r>"
               "<x:rPh sb=\"0\" eb=\"1\"><x:t>ピン</x:t></x:rPh></x:si></x:sst>").encode()
    styles = (f'<styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy/m/d"/>'
              '</numFmts><cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs><cellXfs count="4">'
              '<xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="31"/><xf numFmtId="164"/></cellXfs>'
              "</styleSheet>").encode()
    sheet = (f'<x:worksheet xmlns:x="{MAIN}"><x:sheetData>'
             '<x:row r="2"><x:c t="s"><x:v>0</x:v></x:c><x:c t="s"><x:v>1</x:v></x:c>'
             '<x:c><x:f>1+1</x:f><x:v>2</x:v></x:c><x:c t="b"><x:v>1</x:v></x:c></x:row>'
             '<x:row r="4"><x:c r="B4" s="1"><x:v>46310</x:v></x:c><x:c r="C4" s="2"><x:v>46311</x:v></x:c>'
             '<x:c r="D4" s="3"><x:v>46312.5</x:v></x:c><x:c r="E4" s="3"/><x:c r="XFD4" s="1"/></x:row>'
             '<x:row r="5"><x:c r="C5" t="s"><x:v>0</x:v></x:c></x:row></x:sheetData><x:mergeCells><x:mergeCell ref="B4:B5"/></x:mergeCells></x:worksheet>').encode()
    rows = read_sheet(workbook([sheet], shared_strings=[strings], styles=styles))
    assert rows == [[], ["阿木日哈", "建档立卡贫困户", 2.0, True], [],
                    ["", date(2026, 10, 15), date(2026, 10, 16), datetime(2026, 10, 17, 12)], ["", date(2026, 10, 15), "阿木日哈"]]


@pytest.mark.parametrize("name", list(HOSTILE))
async def test_a_hostile_ledger_upload_is_a_4xx_problem(api: Api, name: str) -> None:
    response = await api.http.post("/api/ledger/import", headers=api.token("surveyor_a"),
                                   files={"file": ("台账.xlsx", hostile(name), XLSX_MIME)})
    body = assert_problem(response, 400)
    assert CHINESE.search(body["detail"]), body


@pytest.mark.parametrize("name", ["huge_dimension", "wide_row_stored", "bomb", "laughs", "truncated", "xls_posing"])
async def test_a_hostile_sign_in_sheet_is_a_4xx_problem(api: Api, name: str) -> None:
    session = await published_session(api)
    response = await api.http.post(f"/api/sessions/{session['id']}/attendance/sheet", headers=api.token("school_a"),
                                   files={"file": ("签到表.xlsx", hostile(name), XLSX_MIME)})
    body = assert_problem(response, 400)
    assert CHINESE.search(body["detail"]), body


async def test_an_upload_over_the_size_limit_is_refused_with_413(api: Api) -> None:
    response = await api.http.post("/api/ledger/import", headers=api.token("surveyor_a"),
                                   files={"file": ("台账.xlsx", b"PK" + b"\0" * (MAX_WORKBOOK_BYTES + 100_000), XLSX_MIME)})
    assert response.status_code == 413


@pytest.mark.parametrize("name", ["huge_dimension", "shared_strings", "laughs", "truncated"])
def test_the_cli_import_of_a_hostile_workbook_says_why_without_a_traceback(
        database: str, tmp_path: Path, name: str) -> None:
    result = run_cli(database, tmp_path, "ledger", "import", str(saved(tmp_path, name)), "--user", "surveyor_a")
    assert result.exit_code not in (0, None), result.output
    assert CHINESE.search(result.output) and "Traceback" not in result.output, result.output


def test_the_cli_refuses_a_file_over_the_limit_before_reading_it(database: str, tmp_path: Path) -> None:
    big = tmp_path / "big.xlsx"
    with big.open("wb") as handle:
        handle.truncate(MAX_WORKBOOK_BYTES + 1)  # sparse: nothing is written, the size is what counts
    result = run_cli(database, tmp_path, "ledger", "import", str(big), "--user", "surveyor_a")
    assert result.exit_code != 0 and "MB" in result.output, result.output
