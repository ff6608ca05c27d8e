"""Reading one cell of a workbook typed in Excel, WPS or LibreOffice: text, codes stored as numbers, years,
months, dates and phones. Each reader returns the value or raises ValueError with a Chinese message for the
clerk; every upload that reads cells (the ledger, the sign-in sheet) uses these."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from training.core.text import clean, parse_bool, quoted

_BRACKETS = re.compile(r"[（(][^）)]*[）)]")


def header_key(cell: object) -> str:
    """A header cell folded to compare: full-width, spaces, stars and notes in brackets removed."""
    return _BRACKETS.sub("", clean(cell)).replace("*", "").replace("：", "").replace(":", "")


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
    """A date this service keeps records of (a survey, a session): 2000-2100."""
    value = _a_date(cell)
    if value is not None and not 2000 <= value.year <= 2100:
        raise ValueError("日期应在 2000 年至 2100 年之间")
    return value


def any_date(cell: object) -> date | None:
    """Any date in one of the forms clerks type (a birth date may be long before 2000)."""
    return _a_date(cell)


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
    """A phone as typed (a number stored as a number comes back as its digits); whether it is a phone is
    the registry's rule, the same for every way a phone comes in."""
    return code_text(cell).replace("-", "") or None
