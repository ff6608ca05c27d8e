"""Normalising what people type: full-width characters, stray spaces, yes/no words."""

from __future__ import annotations

import re
import unicodedata

_TRUE = {"true", "1", "是", "y", "yes", "t", "√", "✓", "有"}
_FALSE = {"false", "0", "否", "n", "no", "f", "", "×", "无"}


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_LONG_NUMBER = re.compile(r"\d{11,}")


def clean(value: object) -> str:
    """NFKC folds full-width letters, digits and punctuation to their usual forms; spaces and control
    characters (Excel's _x0000_ comes through as NUL, which PostgreSQL text refuses) go."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return _CONTROL.sub("", "".join(text.split()))


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
