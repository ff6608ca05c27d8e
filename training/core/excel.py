"""Reading the Excel workbooks people upload (the ledger, the sign-in sheet), with every size bounded
before it is allocated, whatever the file claims.

One reader for every upload path. It looks at the zip's directory first (its size, the number of
entries, each entry's unpacked size and compression ratio, encryption, the compression method), then
streams the first sheet's XML through expat and keeps only cells that hold a value: memory follows what
the sheet really holds, never its declared `dimension` or its last cell. Rows, columns, cell length,
the shared-strings table and all that is held are capped; a DOCTYPE (the "billion laughs" and external
entities) is refused outright, since Excel, WPS and LibreOffice never write one. Every failure of the
zip, the XML or a number is a `WorkbookError`: a 400 problem in Chinese, never a 500.

Rows come back as lists where index + 1 is the row number Excel shows: a blank row is [], a row ends
at its last value, an empty cell inside a row is "", numbers are floats, date-formatted numbers dates.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import sys
import zipfile
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from xml.parsers import expat

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

from training.core.errors import Problem

MAX_WORKBOOK_BYTES = 20 * 1024 * 1024  # the file itself: a 100,000-row ledger is about 8 MB
MAX_UPLOAD_BYTES = MAX_WORKBOOK_BYTES + 64 * 1024  # the multipart request carrying it
MAX_ENTRIES = 1_000  # an .xlsx has a dozen parts; more is not a workbook a clerk saved
MAX_DIRECTORY_BYTES = 1024 * 1024  # the zip's central directory, checked before zipfile reads it
MAX_PART_BYTES = 256 * 1024 * 1024  # one part unpacked: a 100,000-row ledger's sheet is about 106 MB
MAX_TOTAL_BYTES = 320 * 1024 * 1024
MAX_SMALL_PART_BYTES = 16 * 1024 * 1024  # workbook.xml, relationships, styles
MAX_RATIO = 100  # unpacked / packed, for parts over RATIO_FROM (Apache POI's zip-bomb rule)
RATIO_FROM = 1024 * 1024
MAX_ROWS = 200_000  # data rows of one import
MAX_SHEET_ROWS = MAX_ROWS + 1_000  # rows of the sheet: title, header and blank rows besides the data
MAX_COLUMNS = 200
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
MAX_SHARED_STRINGS = 1_000_000
MAX_STYLES = 65_536
MAX_MERGED = 100_000
MAX_TOKEN_BYTES = 1024 * 1024  # one tag or text between two '<': expat holds a whole tag in memory
MAX_HELD_BYTES = 64 * 1024 * 1024  # shared strings, rows and cells kept, as Python counts them
CHUNK = 256 * 1024

NOT_XLSX = "无法读取文件：请上传 Excel 工作簿（.xlsx，WPS 或 LibreOffice 另存为 .xlsx 亦可）"
DAMAGED = "无法读取文件：工作簿已损坏或不是 Excel 保存的格式；请用 Excel/WPS 打开后另存为 .xlsx 再上传"
TOO_MUCH = "工作簿内容过多，超出一次导入的上限；请分村或分乡镇导入"
_DATE_FORMAT_IDS = {*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)}  # 27-36, 50-58: CJK dates
_CELL = re.compile(r"([A-Z]{1,3})(\d{1,7})")
_COLUMNS = {letters: n for n, letters in enumerate(
    [chr(65 + i) for i in range(26)] + [chr(65 + i) + chr(65 + j) for i in range(26) for j in range(26)], 1)}
_EPOCH = {False: datetime(1899, 12, 30), True: datetime(1904, 1, 1)}


class WorkbookError(Problem):
    title = "无法读取工作簿"


def _refuse(detail: str) -> WorkbookError:
    return WorkbookError(detail)


# ------------------------------------------------------------------ the zip's directory


def _directory_size(content: bytes) -> tuple[int, int]:
    """(entries, central directory bytes) from the end-of-directory record, found the way zipfile finds
    it (the last signature in the final 64 KB); zip64 records are followed."""
    end = content.rfind(b"PK\x05\x06", max(0, len(content) - 65_557))
    if end < 0 or len(content) - end < 22:
        raise _refuse(NOT_XLSX)
    entries, size = struct.unpack_from("<xxxxxxxxxxHI", content, end)
    locator = end - 20
    if locator >= 0 and content[locator:locator + 4] == b"PK\x06\x07":
        (record,) = struct.unpack_from("<8xQ", content, locator)
        if 0 <= record <= len(content) - 56 and content[record:record + 4] == b"PK\x06\x06":
            entries, size = struct.unpack_from("<32xQQ", content, record)
    return entries, size


def _open_archive(content: bytes) -> zipfile.ZipFile:
    if len(content) > MAX_WORKBOOK_BYTES:
        raise _refuse(f"文件超过 {MAX_WORKBOOK_BYTES // (1024 * 1024)} MB，请分村或分乡镇导入")
    if content[:8] == bytes.fromhex("d0cf11e0a1b11ae1"):
        raise _refuse("这是旧版 .xls 或设置了密码的工作簿：请用 Excel/WPS 取消密码并另存为 .xlsx 后再上传")
    if not content.startswith(b"PK"):
        raise _refuse(NOT_XLSX)
    entries, size = _directory_size(content)
    if entries > MAX_ENTRIES or size > MAX_DIRECTORY_BYTES:
        raise _refuse(f"工作簿的压缩包有 {entries} 个部件，不是 Excel 保存的格式；请用 Excel/WPS 另存为 .xlsx 再上传")
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except Exception:  # BadZipFile, and struct or value errors from a mangled directory
        raise _refuse(DAMAGED) from None
    members = archive.infolist()
    if len(members) > MAX_ENTRIES:
        raise _refuse(f"工作簿的压缩包有 {len(members)} 个部件，不是 Excel 保存的格式；请用 Excel/WPS 另存为 .xlsx 再上传")
    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise _refuse("工作簿设置了密码：请用 Excel/WPS 取消密码并另存为 .xlsx 后再上传")
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _refuse(DAMAGED)
        total += member.file_size
        if member.file_size > MAX_PART_BYTES or total > MAX_TOTAL_BYTES:
            raise _refuse(f"工作簿解压后过大（超过 {MAX_TOTAL_BYTES // (1024 * 1024)} MB）：{TOO_MUCH}")
        if member.file_size > RATIO_FROM and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise _refuse(f"工作簿的部件 {member.filename[:60]} 压缩比异常（超过 {MAX_RATIO} 倍），疑似“压缩炸弹”，"
                          "不予读取；请用 Excel/WPS 另存为 .xlsx 再上传")
    return archive


# ------------------------------------------------------------------ streaming one part through expat


class _Budget:
    """Bytes of Python objects the reader keeps; over the cap the upload is refused."""

    def __init__(self) -> None:
        self.left = MAX_HELD_BYTES

    def take(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise _refuse(TOO_MUCH)


def _refuse_doctype(*_: object) -> None:
    raise _refuse("工作簿含有 DTD/实体声明，Excel 保存的工作簿不会有；请用 Excel/WPS 另存为 .xlsx 再上传")


def _refuse_cdata() -> None:
    raise _refuse(DAMAGED)  # Excel never writes CDATA, and its text could run past MAX_TOKEN_BYTES


class _Names(dict[str, str]):
    """Element names as written ("c", "x:c") -> local names, learned as they come."""

    def __missing__(self, name: str) -> str:
        local = self[name] = name.rpartition(":")[2]
        return local


class _Text:
    """The text of the element being read, collected by expat calling list.append (no Python frame per
    piece); its length is checked as each element ends, and one element's text cannot pass
    MAX_TOKEN_BYTES (no '<' inside), so no more than that is ever held beyond the cap."""

    def __init__(self) -> None:
        self.parser: Any = None
        self.pieces: list[str] = []
        self.counted = 0
        self.length = 0

    def attach(self, parser: Any) -> None:
        self.parser = parser

    def reset(self) -> None:
        self.pieces = []
        self.counted = self.length = 0

    def on(self) -> None:
        self.parser.CharacterDataHandler = self.pieces.append

    def off(self, where: Callable[[], str]) -> None:
        self.parser.CharacterDataHandler = None
        pieces = self.pieces
        if len(pieces) == self.counted + 1:
            self.length += len(pieces[-1])
        else:
            self.length += sum(map(len, pieces[self.counted:]))
        self.counted = len(pieces)
        if self.length > MAX_CELL_CHARS:
            raise _refuse(f"{where()}的内容超过 {MAX_CELL_CHARS} 个字符（Excel 单元格的上限）；请检查后另存为 .xlsx")

    def value(self) -> str:
        return "".join(self.pieces)


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _parse(archive: zipfile.ZipFile, name: str, limit: int, start: Callable[[str, dict[str, str]], None],
           end: Callable[[str], None], attach: Callable[[Any], None] | None = None) -> None:
    """Stream part `name` through expat in chunks, calling back with local element names; or, for the
    big parts, `attach` sets its own handlers, which get names as written and may switch the text
    handler on and off (one Python call less per element: a 100,000-row sheet has millions)."""
    try:
        member = archive.getinfo(name)
    except KeyError:
        raise _refuse(NOT_XLSX) from None
    if member.file_size > limit:
        raise _refuse(f"工作簿的部件 {name[:60]} 过大：{TOO_MUCH}")
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = 64 * 1024
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    names: dict[str, str] = {}

    def on_start(tag: str, attributes: dict[str, str]) -> None:
        local = names.get(tag)
        if local is None:
            local = names[tag] = _local(tag)
        start(local, attributes)

    def on_end(tag: str) -> None:
        local = names.get(tag)
        end(local if local is not None else _local(tag))

    parser.StartElementHandler = on_start
    parser.EndElementHandler = on_end
    parser.StartCdataSectionHandler = _refuse_cdata
    if attach is not None:
        attach(parser)
    run = 0  # bytes since the last '<': a longer tag or text than MAX_TOKEN_BYTES is refused
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(CHUNK):
                first = chunk.find(b"<")
                if first < 0:
                    run += len(chunk)
                elif run + first > MAX_TOKEN_BYTES:
                    raise _refuse(DAMAGED)
                else:
                    run = len(chunk) - chunk.rfind(b"<") - 1
                if run > MAX_TOKEN_BYTES:
                    raise _refuse(DAMAGED)
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except WorkbookError:
        raise
    except expat.ExpatError:
        raise _refuse(DAMAGED) from None
    except Exception:  # zlib.error, a bad CRC, EOFError, a number that is no number: all a damaged file
        raise _refuse(DAMAGED) from None


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Id -> (type's last word, target part) of `part`'s relationships."""
    folder, base = posixpath.split(part)
    name = posixpath.join(folder, "_rels", base + ".rels")
    found: dict[str, tuple[str, str]] = {}
    if name not in archive.NameToInfo:
        return found

    def start(tag: str, attributes: dict[str, str]) -> None:
        if tag != "Relationship" or attributes.get("TargetMode") == "External":
            return
        target = attributes.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        if len(found) >= MAX_ENTRIES:
            raise _refuse(DAMAGED)
        found[attributes.get("Id", "")] = (attributes.get("Type", "").rpartition("/")[2], path)

    _parse(archive, name, MAX_SMALL_PART_BYTES, start, lambda tag: None)
    return found


class _Workbook:
    """What the first sheet needs from the rest of the workbook: its part, the shared strings, which
    styles are dates, and the date system."""

    def __init__(self, archive: zipfile.ZipFile, budget: _Budget) -> None:
        self.archive = archive
        if "mimetype" in archive.NameToInfo or "content.xml" in archive.NameToInfo:
            raise _refuse("这是 WPS/LibreOffice 的 .ods 表格：请另存为 Excel 工作簿（.xlsx）再上传")
        package = _relationships(archive, "")
        main = next((path for kind, path in package.values() if kind == "officeDocument"), "xl/workbook.xml")
        if main.endswith(".bin"):
            raise _refuse("这是 .xlsb 二进制工作簿：请用 Excel 另存为 .xlsx 再上传")
        first_sheet: list[str] = []
        self.date1904 = False

        def start(tag: str, attributes: dict[str, str]) -> None:
            if tag == "sheet" and not first_sheet:
                first_sheet.append(next((v for k, v in attributes.items() if _local(k) == "id"), ""))
            elif tag == "workbookPr":
                self.date1904 = attributes.get("date1904", "").lower() in ("1", "true")

        _parse(archive, main, MAX_SMALL_PART_BYTES, start, lambda tag: None)
        parts = _relationships(archive, main)
        if not first_sheet or first_sheet[0] not in parts or parts[first_sheet[0]][0] != "worksheet":
            raise _refuse("工作簿的第一个工作表不是普通表格（或已损坏）；请把台账放在第一个工作表，另存为 .xlsx 再上传")
        self.sheet = parts[first_sheet[0]][1]
        by_kind = {kind: path for kind, path in parts.values()}
        self.strings = self._shared_strings(by_kind.get("sharedStrings"), budget)
        self.date_styles = self._date_styles(by_kind.get("styles"))

    def _shared_strings(self, part: str | None, budget: _Budget) -> list[str]:
        strings: list[str] = []
        if part is None or part not in self.archive.NameToInfo:
            return strings
        names, text = _Names(), _Text()
        phonetic = 0

        def start(tag: str, attributes: dict[str, str]) -> None:
            nonlocal phonetic
            local = names[tag]
            if local == "t":
                if not phonetic:
                    text.on()
            elif local == "si":
                text.reset()
            elif local == "rPh":  # the phonetic guide over a name: not part of its text
                phonetic += 1

        def end(tag: str) -> None:
            nonlocal phonetic
            local = names[tag]
            if local == "t":
                text.off(lambda: f"共享字符串第 {len(strings) + 1} 项")
            elif local == "si":
                if len(strings) >= MAX_SHARED_STRINGS:
                    raise _refuse(TOO_MUCH)
                value = text.value()
                budget.take(sys.getsizeof(value) + 8)
                strings.append(value)
            elif local == "rPh":
                phonetic -= 1

        def attach(parser: Any) -> None:
            text.attach(parser)
            parser.StartElementHandler, parser.EndElementHandler = start, end

        _parse(self.archive, part, MAX_PART_BYTES, start, end, attach)
        return strings

    def _date_styles(self, part: str | None) -> list[bool]:
        """For each cell style (`s` of a cell), whether its number format shows a date."""
        styles: list[bool] = []
        if part is None or part not in self.archive.NameToInfo:
            return styles
        formats: dict[int, str] = {}
        inside = {"cellXfs": False}

        def start(tag: str, attributes: dict[str, str]) -> None:
            if tag == "numFmt" and len(formats) < MAX_STYLES:
                formats[_integer(attributes.get("numFmtId"))] = attributes.get("formatCode", "")[:256]
            elif tag == "cellXfs":
                inside["cellXfs"] = True
            elif tag == "xf" and inside["cellXfs"]:
                if len(styles) >= MAX_STYLES:
                    raise _refuse(DAMAGED)
                number = _integer(attributes.get("numFmtId"))
                code = formats.get(number, BUILTIN_FORMATS.get(number, ""))
                styles.append(number in _DATE_FORMAT_IDS or (number >= 164 and is_date_format(code)))

        def end(tag: str) -> None:
            if tag == "cellXfs":
                inside["cellXfs"] = False

        _parse(self.archive, part, MAX_SMALL_PART_BYTES, start, end)
        return styles


def _integer(text: str | None) -> int:
    if text is None or not text.isdigit() or len(text) > 9:
        return -1
    return int(text)


# ------------------------------------------------------------------ the first sheet


class _Sheet:
    """Cells with a value, placed by their `r` (or by counting, as Excel allows), as they stream by."""

    def __init__(self, book: _Workbook, budget: _Budget) -> None:
        self.book, self.budget = book, budget
        self.rows: list[list[object]] = []
        self.merged: list[tuple[tuple[int, int], tuple[int, int]]] = []
        self.texts: dict[str, str] = {}
        self.names = _Names()
        self.text = _Text()
        self.row = 0  # 1-based row being read
        self.column = 0  # 1-based column of the cell being read
        self.kind = ""
        self.style = -1
        self.phonetic = 0

    def attach(self, parser: Any) -> None:
        self.text.attach(parser)
        parser.StartElementHandler, parser.EndElementHandler = self.start, self.end

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        local = self.names[tag]
        if local == "c":
            ref = attributes.get("r")
            if ref is None:
                self.column += 1
            elif (m := _CELL.fullmatch(ref)) is not None:
                self.column = _COLUMNS.get(m[1]) or _column_number(m[1])
                self.row = int(m[2])
            else:
                raise _refuse(DAMAGED)
            self.kind = attributes.get("t", "n")
            self.style = _integer(attributes.get("s"))
            self.text.reset()
        elif local == "v" or (local == "t" and not self.phonetic):
            self.text.on()
        elif local == "row":
            number = attributes.get("r")
            self.row = self.row + 1 if number is None else _integer(number)
            self.column = 0
            if self.row < 1:
                raise _refuse(DAMAGED)
        elif local == "rPh":
            self.phonetic += 1
        elif local == "mergeCell":
            self._merge(attributes.get("ref", ""))

    def end(self, tag: str) -> None:
        local = self.names[tag]
        if local == "c":
            self._keep(self._value())
        elif local == "v" or local == "t":
            self.text.off(self._where)
        elif local == "rPh":
            self.phonetic -= 1

    def _where(self) -> str:
        return f"第 {self.row} 行第 {self.column} 列"

    def _value(self) -> object:
        raw = self.text.value()
        kind = self.kind
        if kind == "s":
            index = _integer(raw.strip())
            if not 0 <= index < len(self.book.strings):
                raise _refuse(DAMAGED)
            return self.book.strings[index]
        if kind in ("inlineStr", "str", "e"):
            return raw
        if kind == "b":
            return raw.strip() in ("1", "true")
        if not raw:
            return ""
        if kind == "d":
            try:
                return _day_or_time(datetime.fromisoformat(raw.strip()))
            except ValueError:
                return raw
        number = float(raw)  # a ValueError here is a damaged file (caught by _parse)
        if 0 <= self.style < len(self.book.date_styles) and self.book.date_styles[self.style]:
            try:
                return _day_or_time(_EPOCH[self.book.date1904] + timedelta(days=number))
            except (OverflowError, ValueError):
                return number
        return number

    def _keep(self, value: object) -> None:
        if value == "" or value is None:
            return  # a formatted but empty cell takes no room, wherever it is
        if self.row > MAX_SHEET_ROWS or self.column > MAX_COLUMNS:
            raise _refuse(f"工作表过大（第 {self.row} 行第 {self.column} 列有内容）：一次最多导入 {MAX_ROWS} 行、"
                          f"{MAX_COLUMNS} 列；请删除表格远处的内容或分批导入")
        rows = self.rows
        if len(rows) < self.row:
            self.budget.take(64 * (self.row - len(rows)))
            rows.extend([] for _ in range(self.row - len(rows)))
        cells = rows[self.row - 1]
        if len(cells) < self.column:
            self.budget.take(8 * (self.column - len(cells)))
            cells.extend([""] * (self.column - len(cells)))
        if isinstance(value, str):
            # One object per distinct text: a ledger repeats its villages, words and trades on every row.
            known = self.texts.get(value)
            if known is None:
                self.budget.take(sys.getsizeof(value) + 64)
                known = self.texts[value] = value
            value = known
        else:
            self.budget.take(sys.getsizeof(value))
        cells[self.column - 1] = value

    def _merge(self, ref: str) -> None:
        first, _, last = ref.partition(":")
        top_left, bottom_right = _CELL.fullmatch(first), _CELL.fullmatch(last or first)
        if top_left is None or bottom_right is None:
            raise _refuse(DAMAGED)
        if len(self.merged) >= MAX_MERGED:
            raise _refuse(TOO_MUCH)
        self.budget.take(200)
        self.merged.append(((int(top_left[2]) - 1, _column_number(top_left[1]) - 1),
                            (int(bottom_right[2]) - 1, _column_number(bottom_right[1]) - 1)))


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _day_or_time(moment: datetime) -> date | datetime:
    return moment.date() if moment.time() == datetime.min.time() else moment


def read_sheet(content: bytes) -> list[list[object]]:
    """The first sheet's rows, leading blank rows kept (index + 1 is the row number Excel shows); a
    cell merged down over several rows gives its value to each of them."""
    budget = _Budget()
    with _open_archive(content) as archive:
        book = _Workbook(archive, budget)
        sheet = _Sheet(book, budget)
        _parse(archive, book.sheet, MAX_PART_BYTES, sheet.start, sheet.end, sheet.attach)
    _fill_down(sheet.rows, sheet.merged, budget)
    return sheet.rows


def _fill_down(rows: list[list[object]], merged: list[tuple[tuple[int, int], tuple[int, int]]], budget: _Budget) -> None:
    """Village ledgers write a household's 户编号, 户主 and 家庭属性 once, in a cell merged down over its
    members' rows; Excel keeps the value in the first row only. Each column of a merged range is filled
    down from its first row (not across: a value merged over several columns stays in the first). The
    work is bounded by the reader's budget whatever ranges a file claims."""
    for (top, left), (bottom, right) in merged:
        if not 0 <= top < len(rows):
            continue
        for column in range(max(left, 0), min(right, MAX_COLUMNS - 1) + 1):
            value: Any = rows[top][column] if column < len(rows[top]) else ""
            if value == "":
                continue
            for index in range(top + 1, min(bottom, len(rows) - 1) + 1):
                cells = rows[index]
                budget.take(8)
                if column >= len(cells):
                    budget.take(8 * (column + 1 - len(cells)))
                    cells.extend([""] * (column + 1 - len(cells)))
                cells[column] = value
