"""Workbook builders for the ledger tests: the people of a small clean ledger, the same ledger the way
county clerks really keep it (title row, merged cells, blank rows, header variants, full-width
characters, trailing spaces), and a ledger full of the classic mistakes.

Everything is built in memory with openpyxl; nothing here talks to the app.
"""

from __future__ import annotations

import io
import unicodedata
from datetime import date
from typing import Any

from openpyxl import Workbook, load_workbook
from stdnum.cn import ric

from tests.seed import KEY_VILLAGE, KEY_VILLAGE_2

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Written out here, not imported from the app: the template is a contract with the clerks.
HEADERS = ["户编号", "村代码", "户主姓名", "家庭属性", "姓名", "身份证号", "与户主关系", "民族", "文化程度", "是否在校",
           "离校年份", "劳动能力", "务工状况", "联系电话", "意向工种1", "意向工种2", "意向工种3", "培训类型", "可参训月份",
           "是否愿意住校", "调查日期"]
SURVEYED_ON = date(2026, 10, 15)
SURVEYED_SERIAL = (SURVEYED_ON - date(1899, 12, 30)).days  # 46310: the same day as Excel stores it


def id_number(birth: date, serial: int = 1, county: str = "513435", male: bool = True) -> str:
    """A valid 居民身份证号码 for a birth date; the sequence's last digit is odd for men."""
    sequence = f"{serial:02d}{(1 if male else 2) + (serial % 4) * 2}"
    body = f"{county}{birth:%Y%m%d}{sequence}"
    return body + ric.calc_check_digit(body + "0")  # stdnum drops the last character


def masked(number: str) -> str:
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def wide(text: str) -> str:
    """The full-width form of ASCII letters, digits and punctuation, as Chinese IMEs type them."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


assert unicodedata.normalize("NFKC", wide("LM-001x")) == "LM-001x"

# ------------------------------------------------------------------ the clean ledger: 2 households, 5 people

HEAD = id_number(date(1975, 3, 2), 6)  # ends in X
WIFE = id_number(date(1978, 6, 1), 12, male=False)
SON = id_number(date(2006, 8, 20), 21)
HEAD2 = id_number(date(1980, 1, 15), 31)
DAUGHTER = id_number(date(2009, 5, 9), 38, male=False)  # still at school
PEOPLE = {"阿木日哈": HEAD, "阿木阿芝": WIFE, "阿木拉且": SON, "吉克石且": HEAD2, "吉克阿呷": DAUGHTER}
assert HEAD.endswith("X"), HEAD

PHONES = ["13912345678", "13800138000", "13700137000"]


def person(**values: Any) -> dict[str, Any]:
    """One ledger row, by canonical header."""
    row: dict[str, Any] = dict.fromkeys(HEADERS)
    unknown = set(values) - set(HEADERS)
    assert not unknown, unknown
    row.update(values)
    return row


def _lm(**values: Any) -> dict[str, Any]:
    return person(户编号="LM-001", 村代码=KEY_VILLAGE, 户主姓名="阿木日哈", 家庭属性="建档立卡贫困户", 民族="彝族",
                  **values)


def _wg(**values: Any) -> dict[str, Any]:
    return person(户编号="WG-001", 村代码=KEY_VILLAGE_2, 户主姓名="吉克石且", 家庭属性="脱贫户", 民族="彝族", **values)


def clean_rows() -> list[dict[str, Any]]:
    """Trades by name and by code, every 培训类型, both month separators, 是/否, and the survey date as
    2026/10/15, 2026年10月15日, a real Excel date cell and a bare Excel serial number."""
    return [
        _lm(姓名="阿木日哈", 身份证号=HEAD, 与户主关系="户主", 文化程度="小学毕业", 是否在校="否", 劳动能力="劳动力",
            务工状况="务农", 联系电话="13912345678", 意向工种1="电工", 意向工种2="4-03-02-01", 培训类型="短期技能培训",
            可参训月份="3、4、10", 是否愿意住校="是", 调查日期="2026/10/15"),
        _lm(姓名="阿木阿芝", 身份证号=WIFE, 与户主关系="配偶", 文化程度="初中毕业", 是否在校="否", 离校年份=1994,
            劳动能力="弱劳动力", 务工状况="本地务工", 意向工种1="家政服务员", 培训类型="创业培训", 可参训月份="3,4,10",
            是否愿意住校="否", 调查日期="2026年10月15日"),
        _lm(姓名="阿木拉且", 身份证号=SON, 与户主关系="子女", 文化程度="71", 是否在校="否", 离校年份=2022, 劳动能力="劳动力",
            务工状况="外出务工", 联系电话="13800138000", 意向工种1="6-31-01-03", 培训类型="长期培训", 调查日期=SURVEYED_ON),
        _wg(姓名="吉克石且", 身份证号=HEAD2, 与户主关系="户主", 文化程度="普通高中毕业", 是否在校="否", 离校年份=1998,
            劳动能力="普通劳动力", 务工状况="无业", 联系电话="13700137000", 意向工种1="中式烹调师", 培训类型="农业实用技术",
            可参训月份="5", 是否愿意住校="是", 调查日期=SURVEYED_SERIAL),
        _wg(姓名="吉克阿呷", 身份证号=DAUGHTER, 与户主关系="子女", 文化程度="初中毕业", 是否在校="是", 劳动能力="无劳动力",
            务工状况="在校学生"),
    ]


# What GET /api/people should show as each person's current need after the clean ledger.
EXPECTED_NEEDS: dict[str, dict[str, Any] | None] = {
    "阿木日哈": {"desired_trades": ["6-31-01-03", "4-03-02-01"], "training_kind": "short",
                 "available_months": [3, 4, 10], "can_board": True},
    "阿木阿芝": {"desired_trades": ["4-10-01-06"], "training_kind": "entrepreneurship",
                 "available_months": [3, 4, 10], "can_board": False},
    "阿木拉且": {"desired_trades": ["6-31-01-03"], "training_kind": "long", "available_months": [],
                 "can_board": None},
    "吉克石且": {"desired_trades": ["4-03-02-01"], "training_kind": "practical", "available_months": [5],
                 "can_board": True},
    "吉克阿呷": None,
}

# ------------------------------------------------------------------ building workbooks


def save(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def sheet_bytes(lines: list[list[Any] | None], *, id_column: int | None = None) -> bytes:
    """A one-sheet workbook; None is a blank row. Strings in `id_column` (1-based) get the text format a
    careful clerk sets; numbers there stay numbers, as a careless one leaves them."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "台账"
    for line in lines:
        sheet.append(line if line is not None else [])
        if line is not None and id_column is not None:
            cell = sheet.cell(row=sheet.max_row, column=id_column)
            if isinstance(cell.value, str):
                cell.number_format = "@"
    return save(workbook)


def ledger(rows: list[dict[str, Any]], headers: list[str] = HEADERS) -> bytes:
    """The plain ledger: header row 1, data from row 2."""
    return sheet_bytes([list(headers), *[[r.get(h) for h in headers] for r in rows]],
                       id_column=headers.index("身份证号") + 1)


def titled_ledger(rows: list[dict[str, Any] | None]) -> bytes:
    """A title row, a blank row, the headers in row 3, data from row 4 (None: a blank row)."""
    lines: list[list[Any] | None] = [["甘洛县2026年培训需求台账"], None, list(HEADERS)]
    lines += [[r.get(h) for h in HEADERS] if r is not None else None for r in rows]
    workbook = Workbook()
    sheet = workbook.active
    for line in lines:
        sheet.append(line if line is not None else [])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    return save(workbook)


def read_back(content: bytes) -> list[list[Any]]:
    """Every row of the first sheet as openpyxl sees it."""
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [list(r) for r in sheet.iter_rows(values_only=True)]


# ------------------------------------------------------------------ the nasty ledger

# How the same columns are headed in ledgers found in the field.
NASTY_HEADERS = {
    "户编号": "*户编号", "村代码": "村代码（12位）", "户主姓名": "户主姓名 ", "家庭属性": "家庭属性",
    "姓名": "姓 名", "与户主关系": "与户主\n关系", "民族": "民　族", "文化程度": "文化程度", "是否在校": "是否在校",
    "离校年份": "离校年份", "劳动能力": "劳动能力", "务工状况": "务工状况", "联系电话": "联系电话（手机）",
    "意向工种1": "意向工种1", "意向工种2": "意向工种2", "意向工种3": "意向工种3", "培训类型": "培训类型 ",
    "可参训月份": "可参训月份", "是否愿意住校": "是否愿意住校", "调查日期": "调查日期",
}


def nasty_ledger(id_header: str) -> tuple[bytes, int]:
    """The clean ledger's people, kept the way clerks keep them. Returns the workbook and the Excel row
    of its first data row."""
    headers = [NASTY_HEADERS.get(h, id_header) for h in HEADERS]
    ws: list[dict[str, Any]] = clean_rows()
    # Full-width digits and letters, trailing spaces, lower-case x, spaces inside numbers.
    ws[0] |= {"户编号": wide("LM-001"), "村代码": wide(KEY_VILLAGE), "身份证号": wide(HEAD[:-1]) + "ｘ",
              "姓名": "阿木日哈 ", "户主姓名": " 阿木日哈", "家庭属性": "建档立卡贫困户 ", "联系电话": wide("13912345678"),
              "意向工种1": "电工 ", "可参训月份": wide("3") + "、" + wide("4") + "、" + wide("10")}
    ws[1] |= {"身份证号": f"{WIFE[:6]} {WIFE[6:14]} {WIFE[14:]}", "文化程度": "初中毕业  ", "劳动能力": " 弱劳动力",
              "离校年份": wide("1994")}
    ws[2] |= {"文化程度": wide("71"), "务工状况": "外出务工 ", "联系电话": 13800138000}
    ws[3] |= {"村代码": KEY_VILLAGE_2 + " ", "身份证号": HEAD2 + " ", "意向工种1": "中式烹调师　"}
    ws[4] |= {"户编号": "ＷＧ－００１", "身份证号": wide(DAUGHTER), "是否在校": "是 "}

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "2026年台账"
    sheet.append(["甘洛县2026年培训需求台账"])  # merged across the whole table
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers) + 1)
    sheet.append([])
    sheet.append(["序号", *headers])
    first = sheet.max_row + 1
    for number, row in enumerate(ws, start=1):
        if number == 4:  # blank rows between the households
            sheet.append([])
            sheet.append([None, "  "])
        sheet.append([number, *[row[h] for h in HEADERS]])
    sheet.append([])
    return save(workbook), first
