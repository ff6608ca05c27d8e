from __future__ import annotations

from typing import Literal

import msgspec

Level = Literal["county", "township", "village"]
LEVEL_LABELS = {"county": "县", "township": "乡镇", "village": "村"}


class Region(msgspec.Struct):
    code: str
    name: str
    parent_code: str | None
    level: str
    key_poverty: bool
    lat: float | None
    lon: float | None


class RegionRow(msgspec.Struct, frozen=True):
    """One row of a regions CSV after checking."""

    code: str
    name: str
    parent_code: str | None
    level: str
    key_poverty: bool
    lat: float | None
    lon: float | None
    line: int = 0  # where it stood in the file, for messages
