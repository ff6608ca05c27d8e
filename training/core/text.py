"""Normalising what people type: full-width characters, stray spaces, yes/no words."""

from __future__ import annotations

import unicodedata

_TRUE = {"true", "1", "是", "y", "yes", "t", "√", "✓", "有"}
_FALSE = {"false", "0", "否", "n", "no", "f", "", "×", "无"}


def clean(value: object) -> str:
    """NFKC folds full-width letters, digits and punctuation to their usual forms; spaces go."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return "".join(text.split())


def parse_bool(value: object) -> bool | None:
    """True/False for the words clerks use, None when the value is not a yes/no word."""
    text = clean(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None
