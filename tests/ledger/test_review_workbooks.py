"""Review: uploads that are almost workbooks. Whatever the bytes, the answer is a 4xx problem in Chinese."""

from __future__ import annotations

import io
import zipfile

import asyncpg
import pytest

from tests.conftest import Api
from tests.ledger.nasty import XLSX_MIME, clean_rows, ledger


def _rezipped(content: bytes, change: str) -> bytes:
    """The workbook's zip rebuilt with its first sheet damaged the way a broken download or an odd
    archiver leaves it."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml" and change == "bzip2":
                target.writestr(info.filename, data, compress_type=zipfile.ZIP_BZIP2)
            else:
                target.writestr(info.filename, data)
    raw = bytearray(out.getvalue())
    if change == "corrupt":
        # Flip bytes inside the sheet's compressed data: the zip directory still says it is fine.
        start = raw.find(b"xl/worksheets/sheet1.xml") + len("xl/worksheets/sheet1.xml")
        for i in range(start + 40, start + 240):
            raw[i] ^= 0x5A
    elif change == "unsupported_method":
        # Compression method 99 (WinZip AES) in both headers of the sheet.
        name = b"xl/worksheets/sheet1.xml"
        local = raw.find(b"PK\x03\x04" + b"", 0)
        while local != -1:
            if raw[local + 30: local + 30 + len(name)] == name:
                raw[local + 8: local + 10] = (99).to_bytes(2, "little")
                break
            local = raw.find(b"PK\x03\x04", local + 4)
        central = raw.find(b"PK\x01\x02")
        while central != -1:
            if raw[central + 46: central + 46 + len(name)] == name:
                raw[central + 10: central + 12] = (99).to_bytes(2, "little")
                break
            central = raw.find(b"PK\x01\x02", central + 4)
    return bytes(raw)


@pytest.mark.parametrize("change", ["corrupt", "unsupported_method", "bzip2"])
async def test_a_damaged_workbook_is_a_clear_4xx_and_writes_nothing(
        api: Api, conn: asyncpg.Connection, change: str) -> None:
    """Regression: the size check before the reader opened each sheet's stream outside any error
    handling, so a sheet whose compressed data was damaged (zlib.error) or compressed with a method
    Python cannot read (NotImplementedError) was a 500."""
    content = _rezipped(ledger(clean_rows()), change)
    response = await api.http.post("/api/ledger/import", headers=api.token("surveyor_a"),
                                   files={"file": ("台账.xlsx", content, XLSX_MIME)})
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Excel" in response.json()["detail"]
    assert await conn.fetchval("SELECT count(*) FROM people") == 0
