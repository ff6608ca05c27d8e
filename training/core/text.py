"""Normalising what people type: full-width characters, stray spaces, yes/no words."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import Cell

_TRUE = {"true", "1", "是", "y", "yes", "t", "√", "✓", "有"}
_FALSE = {"false", "0", "否", "n", "no", "f", "", "×", "无"}


_LONG_NUMBER = re.compile(r"\d{11,}")
# Control (C0, DEL, C1), format (zero-width spaces and joiners, bidi overrides, BOM, soft hyphen),
# surrogate, private-use and unassigned code points: invisible to a clerk, refused by Excel's XML (C0)
# or by PostgreSQL (NUL), able to make two equal-looking names differ. Tab and line breaks stay.
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_KEPT = frozenset("\t\n\r")


def printable(text: str) -> str:
    """`text` without the characters nobody can see or type on purpose (see _UNPRINTABLE). Every
    stored text goes through here: JSON bodies (core.schemas.Body) and workbook cells (`clean`)."""
    if text.isprintable():  # the usual case, and fast; False also for any non-ASCII space, so look closer
        return text
    return "".join(ch for ch in text if ch in _KEPT or unicodedata.category(ch) not in _UNPRINTABLE)


def sheet_row(sheet: Any, values: Iterable[object]) -> list[object]:
    """A row for a workbook being written: each text printable, whatever is stored (openpyxl raises
    IllegalCharacterError on a C0 control character, which would fail the whole export), and never a
    formula: openpyxl writes any text starting with "=" as one, so a name typed as
    `=HYPERLINK(…)` would run when an official opens the file (with a revealed ledger, sending ID
    numbers away). Such text goes in as a cell typed as text, which Excel shows as typed."""
    return [_as_text(sheet, printable(v)) if isinstance(v, str) else v for v in values]


def _as_text(sheet: Any, text: str) -> object:
    if not text.startswith("="):
        return text
    cell = Cell(sheet, row=1, column=1, value=text)  # the sheet's own cell; append sets its place
    cell.data_type = "s"  # text, not "f" (formula)
    return cell


def clean(value: object) -> str:
    """NFKC folds full-width letters, digits and punctuation to their usual forms; spaces and unprintable
    characters (Excel's _x0000_ comes through as NUL, which PostgreSQL text refuses) go."""
    if value is None:
        return ""
    if type(value) is str:
        if value.isascii() and value.isprintable() and " " not in value:
            return value  # already clean (NFKC leaves ASCII alone): most codes, numbers and dates
        if len(value) <= _CACHED_LENGTH:
            return _clean_short(value)
    return _clean(str(value))


def _clean(text: str) -> str:
    return printable("".join(unicodedata.normalize("NFKC", text).split()))


# A workbook repeats its short words (statuses, relations, villages' names) on every row: each is
# cleaned once. Only short texts are kept, so the cache stays small (4,096 × 32 characters at most).
_CACHED_LENGTH = 32
_clean_short = functools.lru_cache(maxsize=4096)(_clean)


def quoted(text: str) -> str:
    """A value quoted back in a message, any long run of digits masked: an ID number or phone typed
    into the wrong field must not come back in full."""
    return _LONG_NUMBER.sub(lambda m: m.group(0)[:3] + "*" * (len(m.group(0)) - 7) + m.group(0)[-4:], text)[:40]


def parse_bool(value: object) -> bool | None:
    """True/False for the words clerks use, None when the value is not a yes/no word."""
    text = clean(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None
