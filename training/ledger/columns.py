"""The training ledger (培训台账) layout and the words clerks type in it (DOMAIN.md, "The ledger's words").

Each reader takes a cell as Excel, WPS or LibreOffice hand it over (text, number, date) and returns the
API value, or raises ValueError with a Chinese message for the clerk.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from training.core.text import clean, parse_bool, quoted

HEADERS = ["户编号", "村代码", "户主姓名", "家庭属性", "姓名", "身份证号", "与户主关系", "民族", "文化程度", "是否在校",
           "离校年份", "劳动能力", "务工状况", "联系电话", "意向工种1", "意向工种2", "意向工种3", "培训类型", "可参训月份",
           "是否愿意住校", "调查日期"]
SURVEY_HEADERS = ["意向工种1", "意向工种2", "意向工种3", "培训类型", "可参训月份", "是否愿意住校", "调查日期"]
REQUIRED = ["户编号", "村代码", "户主姓名", "家庭属性", "姓名", "身份证号", "文化程度", "劳动能力", "务工状况"]

# Other names the same column goes by in the ledgers counties actually keep.
ALIASES: dict[str, list[str]] = {
    "户编号": ["户号", "户码", "农户编号"],
    "村代码": ["村级代码", "行政村代码", "村区划代码", "区划代码", "村编码"],
    "户主姓名": ["户主"],
    "家庭属性": ["户类型", "农户属性", "贫困户属性", "家庭类型", "户属性"],
    "姓名": ["成员姓名", "人员姓名"],
    "身份证号": ["身份证号码", "公民身份号码", "居民身份证号码", "证件号码", "身份证"],
    "与户主关系": ["关系"],
    "文化程度": ["学历"],
    "是否在校": ["在校生", "是否在校生"],
    "离校年份": ["毕业年份", "离校时间"],
    "劳动能力": ["劳动力状况", "劳动技能"],
    "务工状况": ["就业状况", "务工情况", "就业情况"],
    "联系电话": ["电话", "手机号", "手机号码", "联系方式"],
    "意向工种1": ["培训意向1", "意向工种一"],
    "意向工种2": ["培训意向2", "意向工种二"],
    "意向工种3": ["培训意向3", "意向工种三"],
    "培训类型": ["培训方式", "参训类型"],
    "可参训月份": ["可参训时间", "空闲月份"],
    "是否愿意住校": ["愿意住校", "能否住校"],
    "调查日期": ["填表日期", "调查时间"],
}
_BRACKETS = re.compile(r"[（(][^）)]*[）)]")


def header_key(cell: object) -> str:
    """A header cell folded to compare: full-width, spaces, stars and notes in brackets removed."""
    return _BRACKETS.sub("", clean(cell)).replace("*", "").replace("：", "").replace(":", "")


CANONICAL: dict[str, str] = {header_key(h): h for h in HEADERS}
CANONICAL.update({header_key(a): h for h, names in ALIASES.items() for a in names})

# ------------------------------------------------------------------ words


def _words(mapping: dict[str, str]) -> dict[str, str]:
    folded = {clean(k).lower(): v for k, v in mapping.items()}
    folded.update({v: v for v in mapping.values()})
    return folded


POVERTY = _words({"建档立卡贫困户": "registered_poor", "贫困户": "registered_poor", "建档立卡户": "registered_poor",
                  "一般贫困户": "registered_poor", "低保贫困户": "registered_poor", "特困供养贫困户": "registered_poor",
                  "脱贫户": "lifted", "已脱贫户": "lifted", "监测户": "monitored", "监测对象": "monitored",
                  "防返贫监测对象": "monitored", "一般农户": "ordinary", "非贫困户": "ordinary"})
LABOUR = _words({"劳动力": "full", "普通劳动力": "full", "技能劳动力": "full", "弱劳动力": "weak", "半劳动力": "weak",
                 "丧失劳动力": "lost", "无劳动力": "none"})
WORK = _words({"务农": "farming", "本地务工": "local_work", "县内务工": "local_work", "外出务工": "migrant",
               "县外务工": "migrant", "无业": "unemployed", "待业": "unemployed", "在校学生": "student", "学生": "student"})
KIND = _words({"长期培训": "long", "学历教育": "long", "短期技能培训": "short", "短期培训": "short",
               "创业培训": "entrepreneurship", "农业实用技术": "practical", "实用技术培训": "practical"})
EDUCATION = _words({"小学毕业": "81", "小学": "81", "小学肄业": "83", "初中毕业": "71", "初中": "71", "初中肄业": "73",
                    "普通高中毕业": "61", "高中毕业": "61", "高中": "61", "高中肄业": "63", "普通高中肄业": "63",
                    "中专毕业": "41", "中专": "41", "职高毕业": "44", "职高": "44", "技工学校毕业": "47",
                    "技校": "47", "大学专科毕业": "31", "大专": "31", "大学本科毕业": "21", "本科": "21",
                    "未上过学": "90", "文盲": "90", "文盲或半文盲": "90"})


def word(mapping: dict[str, str], what: str) -> Callable[[object], str | None]:
    def read(cell: object) -> str | None:
        text = clean(cell)
        if not text:
            return None
        value = mapping.get(text.lower())
        if value is None:
            choices = "、".join(k for k in mapping if not k.isascii())[:80]
            raise ValueError(f"不认识的{what}“{quoted(text)}”，可填：{choices}…")
        return value

    return read


def education(cell: object, known_codes: set[str]) -> str | None:
    text = clean(cell)
    if not text:
        return None
    if text.endswith(".0"):
        text = text[:-2]
    if text.isdigit():
        if text not in known_codes:
            raise ValueError(f"{quoted(text)} 不是文化程度代码（GB/T 4658），如 71 初中毕业、61 普通高中毕业")
        return text
    code = EDUCATION.get(text)
    if code is None:
        raise ValueError(f"不认识的文化程度“{quoted(text)}”，可填代码（如 71）或 初中毕业、高中毕业、中专毕业 等")
    return code


def yes_no(cell: object) -> bool | None:
    if not clean(cell):
        return None
    value = parse_bool(cell)
    if value is None:
        raise ValueError("应填“是”或“否”")
    return value


def code_text(cell: object) -> str:
    """A code typed as text or stored as a number (Excel drops nothing under 15 digits)."""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    text = clean(cell)
    return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text


def year(cell: object) -> int | None:
    text = code_text(cell)
    if not text:
        return None
    text = text.removesuffix("年")
    if not (text.isdigit() and len(text) == 4 and 1940 <= int(text) <= 2100):
        raise ValueError("年份应为 4 位数字，如 2024")
    return int(text)


def months(cell: object) -> list[int]:
    text = code_text(cell)
    if not text:
        return []
    parts = [p for p in re.split(r"[,，、;；\s/]+", text.replace("月", ",")) if p]
    values: list[int] = []
    for part in parts:
        if not part.isdigit() or not 1 <= int(part) <= 12:
            raise ValueError("月份应为 1-12 的数字，用逗号或顿号分隔，如 3,4,10 或 3、4、10")
        values.append(int(part))
    return sorted(set(values))


_EXCEL_EPOCH = date(1899, 12, 30)
_DATE_FORMS = [re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
               re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"), re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$")]


def a_date(cell: object) -> date | None:
    value = _a_date(cell)
    if value is not None and not 2000 <= value.year <= 2100:
        raise ValueError("日期应在 2000 年至 2100 年之间")
    return value


def _a_date(cell: object) -> date | None:
    if cell is None or cell == "":
        return None
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        if 20000 < cell < 80000:  # an Excel date serial that lost its date format
            return _EXCEL_EPOCH + timedelta(days=int(cell))
        raise ValueError("日期应写成 2026-10-15、2026/10/15 或 2026年10月15日")
    text = clean(cell)
    for form in _DATE_FORMS:
        if m := form.match(text):
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                raise ValueError(f"日期“{quoted(text)}”不存在") from None
    raise ValueError("日期应写成 2026-10-15、2026/10/15 或 2026年10月15日")


def text_value(cell: object, limit: int = 100) -> str | None:
    text = clean(cell) if not isinstance(cell, float) else code_text(cell)
    if len(text) > limit:
        raise ValueError(f"最多 {limit} 个字")
    return text or None


def phone(cell: object) -> str | None:
    text = code_text(cell).replace("-", "")
    if not text:
        return None
    if not re.fullmatch(r"\+?\d{7,15}", text):
        raise ValueError("电话号码应为 7-15 位数字")
    return text


Reader = Callable[[object], Any]
