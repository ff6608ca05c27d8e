"""Regions (统计用区划代码): listing, and loading a CSV all-or-nothing."""

from __future__ import annotations

import csv
import io

import msgspec

from training.core.errors import FieldError, InvalidInput
from training.core.schemas import Page, paged
from training.core.security import Principal
from training.core.text import clean, parse_bool
from training.regions import repository as repo
from training.regions.schemas import Region, RegionRow

REQUIRED_COLUMNS = ("code", "name", "parent_code", "level", "key_poverty")
_LEVEL_WORDS = {"county": "county", "县": "county", "township": "township", "乡镇": "township", "乡": "township",
                "镇": "township", "village": "village", "村": "village", "社区": "village"}


class LoadResult(msgspec.Struct):
    inserted: int
    updated: int


async def list_regions(conn: repo.Conn, principal: Principal, parent_code: str | None, level: str | None,
                       q: str | None, limit: int, offset: int) -> Page[Region]:
    # Officials and surveyors see their own regions and the regions above them, not their neighbours'.
    prefixes = list(principal.region_prefixes) if principal.role in ("official", "surveyor") else None
    return await paged(
        lambda n, skip: repo.list_regions(conn, parent_code, level, q, principal.counties, prefixes, n, skip),
        lambda r: Region(**{k: r[k] for k in Region.__struct_fields__}), limit, offset)


def expected_level(code: str) -> str:
    if code[6:] == "000000":
        return "county"
    if code[9:] == "000":
        return "township"
    return "village"


def _coordinate(raw: str, low: float, high: float) -> float | None:
    if not raw:
        return None
    value = float(raw)
    if not low <= value <= high:
        raise ValueError
    return value


def parse_csv(text: str) -> tuple[list[RegionRow], list[FieldError]]:
    """Check every row; return the rows and every problem found, by line and column."""
    # Universal newlines: a lone \r ends a line (old Mac/Excel exports), as csv's docs ask of files.
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=None))
    try:
        return _check_rows(reader)
    except csv.Error:  # whatever the csv module still refuses is a clear 4xx, not a 500
        return [], [FieldError(f"第{reader.line_num}行", "CSV 格式有误（引号或换行不配对），请用 Excel 另存为 CSV UTF-8 后再上传", "file")]


def _check_rows(reader: csv.DictReader[str]) -> tuple[list[RegionRow], list[FieldError]]:
    headers = [clean(h).lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in headers]
    if missing:
        return [], [FieldError("header", f"缺少列：{', '.join(missing)}", "file")]
    reader.fieldnames = headers
    rows: list[RegionRow] = []
    lines: dict[str, list[int]] = {}
    errors: list[FieldError] = []
    for raw in reader:
        line = reader.line_num  # the file's own line number, blank lines included
        values = {k: clean(v) for k, v in raw.items() if k}
        if not any(values.values()):
            continue

        def bad(column: str, message: str, line: int = line) -> None:
            errors.append(FieldError(f"第{line}行 {column}", message, "file"))

        code, parent = values.get("code", ""), values.get("parent_code", "") or None
        level = _LEVEL_WORDS.get(values.get("level", "").lower())
        key_poverty = parse_bool(values.get("key_poverty", ""))
        if not (len(code) == 12 and code.isdigit()):
            bad("code", "区划代码应为 12 位数字")
            continue
        if level is None:
            bad("level", "层级应为 county/township/village（县/乡镇/村）")
            continue
        if expected_level(code) != level:
            bad("level", f"代码 {code} 是{ {'county': '县', 'township': '乡镇', 'village': '村'}[expected_level(code)] }级代码")
        if level == "village" and code[6:9] == "000":
            bad("code", "村级代码的乡镇部分（第 7-9 位）不能是 000")
        if not values.get("name"):
            bad("name", "名称不能为空")
        elif len(values["name"]) > 100:
            bad("name", "名称最多 100 个字")
        if key_poverty is None:
            bad("key_poverty", "应为 true/false 或 是/否")
        if level == "county" and parent:
            bad("parent_code", "县级区划不应有上级")
        if level != "county":
            if not parent or len(parent) != 12 or not parent.isdigit():
                bad("parent_code", "应为上级区划的 12 位代码")
            elif level == "township" and parent != code[:6] + "000000":
                bad("parent_code", f"乡镇的上级应为 {code[:6]}000000")
            elif level == "village" and parent != code[:9] + "000":
                bad("parent_code", f"村的上级应为 {code[:9]}000")
        try:
            lat = _coordinate(values.get("lat", ""), -90, 90)
            lon = _coordinate(values.get("lon", ""), -180, 180)
        except ValueError:
            bad("lat/lon", "经纬度应为有效的小数")
            continue
        if code in lines:
            bad("code", f"与第{lines[code][0]}行的代码重复")
        lines.setdefault(code, []).append(line)
        rows.append(RegionRow(code, values.get("name", ""), parent, level, bool(key_poverty), lat, lon, line))
    return rows, errors


async def load_csv(conn: repo.Conn, text: str) -> LoadResult:
    """Load a regions CSV; any bad row means nothing is written."""
    rows, errors = parse_csv(text)
    in_file = {r.code for r in rows}
    parents = sorted({r.parent_code for r in rows if r.parent_code and r.parent_code not in in_file})
    known = await repo.existing_codes(conn, parents) if parents else set()
    errors += [FieldError(f"第{r.line}行 parent_code", f"上级区划 {r.parent_code} 既不在文件中，也未登记", "file")
               for r in rows if r.parent_code in parents and r.parent_code not in known]
    errors.sort(key=lambda e: int(e.field[1:].split("行")[0]) if e.field.startswith("第") else 0)
    if errors:
        raise InvalidInput(errors, detail=f"区划文件有 {len(errors)} 处错误，未导入任何数据")
    async with conn.transaction():
        inserted, updated = await repo.upsert(conn, rows)
    return LoadResult(inserted, updated)


class Place(msgspec.Struct, frozen=True):
    code: str
    name: str
    level: str
    lat: float | None
    lon: float | None


async def places(conn: repo.Conn, prefix: str) -> dict[str, Place]:
    """Every region whose 12-digit code starts with the prefix (a county's 6 digits, a township's 9), by code."""
    return {r["code"]: Place(r["code"], r["name"], r["level"], r["lat"], r["lon"])
            for r in await repo.places(conn, prefix)}


async def find(conn: repo.Conn, code: str) -> Place | None:
    row = await repo.region(conn, code)
    return Place(row["code"], row["name"], row["level"], None, None) if row else None


async def names(conn: repo.Conn, codes: list[str]) -> dict[str, str]:
    """Names of regions by 12-digit code."""
    return {r["code"]: r["name"] for r in await repo.names(conn, codes)} if codes else {}
