"""Reading Excel workbooks that people upload: safely (size checked before the reader allocates) and
as plain rows, where index + 1 is the row number Excel shows."""

from __future__ import annotations

import io
import re
import zipfile

import python_calamine

from training.core.errors import Problem

MAX_ROWS = 200_000
MAX_COLUMNS = 200
MAX_UNPACKED = 512 * 1024 * 1024
_CELL_REF = re.compile(rb'<(?:\w+:)?c r="([A-Z]{1,3})(\d{1,7})"')


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def check_workbook_size(content: bytes) -> None:
    """Refuse a workbook whose sheets reach far beyond a ledger's size before any reader sees it: the
    reader allocates the whole rectangle up to the last cell, so one cell at XFD1048576 in a 5 KB file
    would ask for hundreds of gigabytes."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        raise Problem("无法读取文件：请上传 Excel 工作簿（.xlsx，WPS 或 LibreOffice 另存为 .xlsx 亦可）") from None
    try:
        _check_sheet_sizes(archive)
    except Problem:
        raise
    except Exception:  # a damaged member (zlib.error, EOFError), a compression or encryption zipfile cannot read
        raise Problem("无法读取文件：工作簿已损坏或不是 Excel 保存的格式；请用 Excel/WPS 打开后另存为 .xlsx 再上传") from None


def _check_sheet_sizes(archive: zipfile.ZipFile) -> None:
    with archive:
        members = archive.infolist()
        if sum(m.file_size for m in members) > MAX_UNPACKED:
            raise Problem("工作簿解压后过大，请分村或分乡镇导入")
        for member in members:
            if not (member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml")):
                continue
            max_row = max_column = 0
            tail = b""
            with archive.open(member) as stream:
                while chunk := stream.read(1 << 20):
                    data = tail + chunk
                    for letters, row in _CELL_REF.findall(data):
                        max_row = max(max_row, int(row))
                        max_column = max(max_column, _column_number(letters))
                    tail = data[-64:]
            if max_row > MAX_ROWS + 100 or max_column > MAX_COLUMNS:
                raise Problem(f"工作表过大（到第 {max_row} 行、第 {max_column} 列）：一次最多导入 {MAX_ROWS} 行、{MAX_COLUMNS} 列；"
                              "请删除表格远处的空白格式或分批导入")


def read_sheet(content: bytes) -> list[list[object]]:
    """The first sheet's rows, leading blank rows kept; a cell merged down over several rows gives its
    value to each of them."""
    check_workbook_size(content)
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
        sheet = workbook.get_sheet_by_index(0)
        # skip_empty_area=False keeps leading blank rows, so index + 1 is the row number Excel shows.
        rows: list[list[object]] = sheet.to_python(skip_empty_area=False)  # type: ignore[assignment]
        merged = sheet.merged_cell_ranges or []
    except Exception:
        raise Problem("无法读取文件：请上传 Excel 工作簿（.xlsx，WPS 或 LibreOffice 另存为 .xlsx 亦可）") from None
    _fill_down(rows, merged)
    return rows


def _fill_down(rows: list[list[object]], merged: list[tuple[tuple[int, int], tuple[int, int]]]) -> None:
    """Village ledgers write a household's 户编号, 户主 and 家庭属性 once, in a cell merged down over its
    members' rows; Excel keeps the value in the first row only. Each column of a merged range is filled
    down from its first row (not across: a value merged over several columns stays in the first). The
    work is bounded by the sheet's size whatever ranges a file claims."""
    budget = sum(len(r) for r in rows)
    for (top, left), (bottom, right) in merged:
        for column in range(max(left, 0), right + 1):
            for index in range(max(top, 0) + 1, min(bottom, len(rows) - 1) + 1):
                budget -= 1
                if budget < 0:
                    raise Problem("工作表的合并单元格有误（互相重叠或超出表格），请取消合并后再上传")
                if column < len(rows[index]) and top < len(rows) and column < len(rows[top]):
                    rows[index][column] = rows[top][column]


