"""The training ledger (培训台账) in Excel: template, import and export.

Import reads the first sheet wherever its header row is (title rows, blank rows, merged cells and
full-width characters are all normal in county ledgers), checks every row, then writes households,
people and surveys with COPY into staging tables and set-based upserts, a few statements per 10,000
rows (not 100,000 round trips), in one transaction. Re-importing the same file changes nothing.
"""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, NamedTuple
from uuid import UUID

import anyio
import asyncpg
import msgspec
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from training.auth.policy import scope_for
from training.catalogue.schemas import COURSE_KIND_LABELS as TRAINING_KIND_LABELS
from training.core import audit
from training.core.crypto import Vault, lookup_candidates, mask
from training.core.errors import FieldError, Forbidden, NotFound, Problem
from training.core.excel import MAX_ROWS, read_sheet
from training.core.rules import Rule
from training.core.security import Principal
from training.core.text import clean, quoted, sheet_row
from training.ledger import columns as col
from training.ledger import repository as repo
from training.registry import service as registry
from training.registry.schemas import (
    LABOUR_LABELS,
    MONITOR_TYPE_LABELS,
    POVERTY_STATUS_LABELS,
    SEX_LABELS,
    WORK_LABELS,
)

Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy
Mode = Literal["valid_only", "all_or_nothing"]


class RejectedRow(msgspec.Struct):
    row: int
    column: str
    message: str


class ImportResult(msgspec.Struct):
    mode: str
    written: bool
    rows: int
    households_created: int
    households_updated: int
    households_unchanged: int
    people_created: int
    people_updated: int
    people_unchanged: int
    surveys_created: int
    surveys_unchanged: int
    rejected: list[RejectedRow]


class LedgerRejected(Problem):
    """all_or_nothing found bad rows: nothing was written."""

    status = 422
    title = "台账有错误，未导入任何数据"


@dataclass
class LedgerRow:
    """One data row as the registry's records (API field names and values), before the rules."""

    row: int
    household: dict[str, Any]
    person: dict[str, Any]
    survey: dict[str, Any] | None
    household_id: UUID | None = None  # 户系统编号, as an export writes it
    person_id: UUID | None = None  # 人员系统编号
    masked_id: str | None = None  # a masked ID number: "unchanged" for the person the row names
    masked_phone: str | None = None
    problems: list[RejectedRow] = field(default_factory=list)
    # Filled by the checks: what goes into the staging tables.
    id_hash: bytes = b""


@dataclass
class Parsed:
    rows: list[LedgerRow] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    total: int = 0
    era_columns: bool = False  # the sheet carries 脱贫年度 / 监测类型 / 风险是否消除


# Where each field of the registry's records sits in the ledger: the rules answer with field names, and
# a ledger clerk is told the column.
HOUSEHOLD_COLUMNS = {"village_code": "村代码", "household_no": "户编号", "head_name": "户主姓名", "poverty_status": "家庭属性",
                     "lifted_year": "脱贫年度", "monitor_type": "监测类型", "risk_removed": "风险是否消除",
                     "poverty_causes": "家庭属性", "phone": "联系电话"}
PERSON_COLUMNS = {"name": "姓名", "id_number": "身份证号", "sex": "性别", "birth_date": "出生日期", "relation": "与户主关系",
                  "ethnicity": "民族", "education": "文化程度", "in_school": "是否在校", "left_school_year": "离校年份",
                  "labour_capacity": "劳动能力", "work_status": "务工状况", "phone": "联系电话", "skills": "姓名"}
SURVEY_COLUMNS = {"surveyed_on": "调查日期", "desired_trades": "意向工种1", "desired_trades[0]": "意向工种1",
                  "desired_trades[1]": "意向工种2", "desired_trades[2]": "意向工种3", "training_kind": "培训类型",
                  "available_months": "可参训月份", "can_board": "是否愿意住校"}


def column_of(kind: Literal["household", "person", "survey"], error_field: str) -> str:
    columns = {"household": HOUSEHOLD_COLUMNS, "person": PERSON_COLUMNS, "survey": SURVEY_COLUMNS}[kind]
    return columns.get(error_field, columns.get(error_field.split("[")[0], error_field))


# ------------------------------------------------------------------ reading


def locate_header(rows: list[list[object]]) -> tuple[int, dict[int, str]]:
    """The row (within the first 20) whose cells name the most ledger columns."""
    best: tuple[int, dict[int, str]] = (-1, {})
    for index, row in enumerate(rows[:20]):
        mapping = {i: col.CANONICAL[k] for i, cell in enumerate(row) if (k := col.header_key(cell)) in col.CANONICAL}
        if len(set(mapping.values())) > len(set(best[1].values())):
            best = (index, mapping)
    index, mapping = best
    missing = [h for h in col.REQUIRED if h not in mapping.values()]
    if index < 0 or missing:
        raise Problem(f"找不到台账表头，缺少列：{'、'.join(missing or col.REQUIRED)}。请使用 GET /api/ledger/template 下载的模板",
                      missing_columns=missing or col.REQUIRED)
    return index, mapping


def _system_id(cell: object) -> UUID:
    try:
        return UUID(clean(cell))
    except ValueError:
        raise ValueError("系统编号不正确：请保留导出时的原样，新增的人留空") from None


def _masked(cell: object) -> str | None:
    """A masked number as an export writes it (513***********123X): "unchanged"."""
    text = clean(cell)
    return text if "*" in text else None


def parse_rows(rows: list[list[object]], trade_lookup: dict[str, str], education_names: dict[str, str]) -> Parsed:
    """Read every data row into the registry's records; what a cell cannot say (a word that is no
    choice, a number that is no year) is a problem of that row and column. The rules come later
    (`check_rows`), once the rows' households and people are looked up."""
    header_index, mapping = locate_header(rows)
    readers: dict[str, Callable[[object], Any]] = {
        "家庭属性": col.word(col.POVERTY, "家庭属性"), "劳动能力": col.word(col.LABOUR, "劳动能力"),
        "务工状况": col.word(col.WORK, "务工状况"), "培训类型": col.word(col.KIND, "培训类型"),
        "监测类型": col.word(col.MONITOR, "监测类型"), "性别": col.word(col.SEX, "性别"),
    }
    parsed = Parsed(era_columns=any(h in mapping.values() for h in col.ERA_HEADERS))
    first_id_row: dict[str, int] = {}
    households: dict[tuple[str, str], tuple[int, str, str, dict[str, Any]]] = {}
    numbers: dict[tuple[str, str], tuple[int, str, str]] = {}
    for index in range(header_index + 1, len(rows)):
        raw = rows[index]
        cells = {name: raw[i] if i < len(raw) else None for i, name in mapping.items()}
        if not any(clean(v) for v in cells.values()):
            continue  # blank rows between villages are normal
        row_no = index + 1
        parsed.total += 1
        if parsed.total > MAX_ROWS:
            raise Problem(f"一次最多导入 {MAX_ROWS} 行，请分村或分乡镇导入")
        problems: list[RejectedRow] = []

        def read(column: str, reader: Callable[[object], Any], row_no: int = row_no,
                 cells: dict[str, object] = cells, problems: list[RejectedRow] = problems) -> Any:
            try:
                value = reader(cells.get(column))
            except ValueError as exc:
                problems.append(RejectedRow(row_no, column, str(exc)))
                return None
            if value in (None, "") and column in col.REQUIRED:
                problems.append(RejectedRow(row_no, column, f"{column}不能为空"))
            return value

        status_word = clean(cells.get("家庭属性"))
        household = {
            "household_no": read("户编号", col.code_text), "village_code": read("村代码", col.code_text),
            "head_name": read("户主姓名", col.text_value), "poverty_status": read("家庭属性", readers["家庭属性"]),
            "lifted_year": read("脱贫年度", col.year), "monitor_type": read("监测类型", readers["监测类型"])
            or col.MONITOR.get(status_word.lower()), "risk_removed": read("风险是否消除", col.yes_no)}
        name = read("姓名", col.text_value)
        masked_id = _masked(cells.get("身份证号"))
        id_cell = cells.get("身份证号")
        person = {
            "name": name, "id_number": None if masked_id else id_cell,
            "relation": read("与户主关系", col.text_value) or ("户主" if name and name == household["head_name"] else None),
            "ethnicity": read("民族", lambda v: col.text_value(v, 20)),
            "education": read("文化程度", lambda v: col.education(v, education_names)),
            "in_school": read("是否在校", col.yes_no), "left_school_year": read("离校年份", col.year),
            "labour_capacity": read("劳动能力", readers["劳动能力"]), "work_status": read("务工状况", readers["务工状况"]),
            "sex": read("性别", readers["性别"]), "birth_date": read("出生日期", col.any_date)}
        masked_phone = _masked(cells.get("联系电话"))
        person["phone"] = None if masked_phone else read("联系电话", col.phone)
        person["in_school"] = bool(person["in_school"])
        row = LedgerRow(row_no, household, person, None, masked_id=masked_id, masked_phone=masked_phone,
                        problems=problems)
        if clean(cells.get(col.HOUSEHOLD_ID)):
            row.household_id = read(col.HOUSEHOLD_ID, _system_id)
        if clean(cells.get(col.PERSON_ID)):
            row.person_id = read(col.PERSON_ID, _system_id)

        if masked_id is None and isinstance(id_cell, str) and (number := clean(id_cell).upper()):
            # The number as the person rule will read it (what is wrong with it, the rule says later).
            if (earlier := first_id_row.get(number)) is not None:
                problems.append(RejectedRow(row_no, "身份证号", f"与第 {earlier} 行的身份证号重复"))
            else:
                first_id_row[number] = row_no
        elif masked_id is not None and row.person_id is None:
            problems.append(RejectedRow(row_no, "身份证号", "打码的身份证号只能用于导出的台账中的已有人员（保留“人员系统编号”列）；新增人员请填完整号码"))

        if any(clean(cells.get(h)) for h in col.SURVEY_HEADERS):
            trades: list[str] = []
            for column in ("意向工种1", "意向工种2", "意向工种3"):
                wanted = col.code_text(cells.get(column))
                if not wanted:
                    continue
                code = trade_lookup.get(wanted) or trade_lookup.get(wanted.lower())
                if code is None and re.fullmatch(r"\d-\d{2}-\d{2}-\d{2}", wanted):
                    code = wanted  # a code not in the table: the survey rule says so, as for the API
                if code is None:
                    problems.append(RejectedRow(row_no, column, f"不认识的工种“{quoted(wanted)}”，请填工种代码（如 6-31-01-03）或名称（如 电工）"))
                else:
                    trades.append(code)
            row.survey = {"surveyed_on": read("调查日期", col.a_date), "desired_trades": trades,
                          "training_kind": read("培训类型", readers["培训类型"]),
                          "available_months": read("可参训月份", col.months) or [],
                          "can_board": read("是否愿意住校", col.yes_no)}

        village, number, head, status = (household["village_code"], household["household_no"],
                                         household["head_name"], household["poverty_status"])
        if number and village and head and status:
            era = {k: household[k] for k in ("lifted_year", "monitor_type", "risk_removed")}
            if (first := households.get((village, number))) is None:
                households[(village, number)] = (row_no, head, status, era)
            else:
                if first[1] != head:
                    problems.append(RejectedRow(row_no, "户主姓名", f"同一户编号在第 {first[0]} 行的户主是“{first[1]}”"))
                if first[2] != status:
                    problems.append(RejectedRow(row_no, "家庭属性", f"同一户编号在第 {first[0]} 行的家庭属性不同"))
                # The household is written once, from its first row: an era field edited on another
                # member's row would be lost without a word.
                for key, value in era.items():
                    if value != first[3][key] and status == first[2]:
                        column = HOUSEHOLD_COLUMNS[key]
                        problems.append(RejectedRow(row_no, column, f"同一户编号在第 {first[0]} 行的{column}不同"))
            # Numbering per village is normal (two villages' "1"); the same number and head in two villages
            # is one household typed with the wrong village.
            county_key = (village[:6], number)
            if (seen := numbers.get(county_key)) is None:
                numbers[county_key] = (row_no, head, village)
            elif seen[2] != village and seen[1] == head:
                problems.append(RejectedRow(row_no, "村代码", f"同一户编号在第 {seen[0]} 行属于另一个村（{seen[2]}）"))
        parsed.rows.append(row)
    return parsed


# ------------------------------------------------------------------ checks against the database


async def trade_lookup(conn: Conn) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for r in await repo.trades(conn):
        for word in (r["code"], r["name"], *r["aliases"]):
            lookup.setdefault(clean(word), r["code"])
            lookup.setdefault(clean(word).lower(), r["code"])
    return lookup


@dataclass
class Known:
    """What the register holds for the rows' people and households."""

    people: dict[UUID, asyncpg.Record]  # by id: rows naming an exported person
    households: dict[tuple[str, str], asyncpg.Record]  # by (village, 户编号)


def check_rows(parsed: Parsed, reference: registry.Reference, known: Known, vault: Vault,
               principal: Principal) -> None:
    """Every rule of the registry, the same functions the API and the sync call, on every row; then what
    only a ledger row can get wrong (a masked number for someone else, a system id that does not match).
    A rule's error on a column that already has a problem is not repeated."""
    checked: dict[tuple[tuple[str, Any], ...], list[FieldError]] = {}
    first_row: dict[str, int] = {}  # ID number -> the first row naming that person, typed or masked
    for row in parsed.rows:
        found: list[RejectedRow] = []

        def report(kind: Literal["household", "person", "survey"], errors: list[FieldError],
                   row: LedgerRow = row, found: list[RejectedRow] = found) -> None:
            flagged = {p.column for p in row.problems}
            for e in errors:
                if (column := column_of(kind, e.field)) not in flagged:
                    found.append(RejectedRow(row.row, column, e.message))

        household = dict(row.household)
        existing = known.households.get((household["village_code"] or "", household["household_no"] or ""))
        if not parsed.era_columns:
            # A ledger without the era's columns keeps what the register holds for the status it names.
            keep = existing is not None and existing["poverty_status"] == household["poverty_status"]
            household.update({k: existing[k] if keep and existing is not None else None
                              for k in ("lifted_year", "risk_removed")})
            if household["monitor_type"] is None and keep and existing is not None:
                household["monitor_type"] = existing["monitor_type"]
        row.household = household
        # A household's rows say the same about it: its rules run once per distinct household.
        key = tuple(household.items())
        if (household_errors := checked.get(key)) is None:
            household_errors = checked[key] = registry.household_errors(household, reference)
        report("household", household_errors)

        stored = known.people.get(row.person_id) if row.person_id is not None else None
        if row.person_id is not None and (stored is None or not principal.sees_region(stored["village_code"])):
            found.append(RejectedRow(row.row, col.PERSON_ID, "人员系统编号不存在或不在您的权限范围内：请保留导出时的原样，新增的人留空"))
            stored = None
        if row.masked_id is not None and stored is not None and row.masked_id != stored["id_masked"]:
            found.append(RejectedRow(row.row, "身份证号", "打码的身份证号与本行的人员系统编号不符：请保留导出时的原样"))
            stored = None  # the row is not that person: judge nothing else by what is stored for them
        if row.masked_phone is not None and (stored is None or row.masked_phone != stored["phone_masked"]):
            found.append(RejectedRow(row.row, "联系电话", "打码的电话只能保留导出时的原样；要改电话请填写完整号码"))
        if row.masked_id is not None and stored is not None:
            # The person's own number stands in for its mask: from here on the row is checked and written
            # exactly like one with the full number typed (hashed with the current key, as is any row).
            row.person["id_number"] = vault.decrypt(stored["id_enc"])
        if row.masked_phone is not None and stored is not None and stored["phone_enc"] is not None:
            row.person["phone"] = vault.decrypt(stored["phone_enc"])
        card, errors = registry.person_errors(row.person, reference)
        if row.masked_id is not None and stored is None:
            errors = [e for e in errors if e.field != "id_number"]  # already told: the row names nobody
        report("person", errors)
        if card is not None:
            # One row per person: a masked row stands for its person's number too, so a pasted copy of an
            # exported row (or the same person typed in full in a new row) is caught here; two rows of
            # one person would reach the upsert together, which PostgreSQL refuses for the whole batch.
            earlier = first_row.setdefault(card.number, row.row)
            if earlier != row.row and "身份证号" not in {p.column for p in row.problems}:
                found.append(RejectedRow(row.row, "身份证号", f"与第 {earlier} 行的身份证号重复"))
            row.person |= {"id_number": card.number, "birth_date": card.birth_date, "sex": card.sex}
            row.id_hash = vault.lookup_hash(card.number)
            if stored is not None and bytes(stored["id_hash"]) not in lookup_candidates(row.id_hash):
                found.append(RejectedRow(row.row, "身份证号", "身份证号与本行的人员系统编号不符：台账中不能更改已登记人员的身份证号"))
        if row.survey is not None:
            report("survey", registry.survey_errors(row.survey, reference))
        row.problems += found


async def _check_places_and_people(conn: Conn, principal: Principal, vault: Vault,
                                   parsed: Parsed) -> list[LedgerRow]:
    """Reject rows in villages the caller may not write, system ids that name another household, and
    people already registered in another household. Returns the good rows."""
    rows = [r for r in parsed.rows if not r.problems]
    villages = sorted({r.household["village_code"] for r in rows})
    counties = sorted({v[:6] for v in villages})
    known = await repo.regions(conn, villages)
    await anyio.to_thread.run_sync(_hash_with_current_key, vault, rows)
    # People still on an old data key are moved to the current one first, so that the checks and the
    # upsert below, which match on the current hash, find them (during a key rotation).
    await registry.bring_to_current_key(conn, vault, counties, [r.id_hash for r in rows])
    existing = await repo.people_by_hash(conn, counties, [r.id_hash for r in rows])
    numbered = await repo.households_by_number(conn, counties, sorted({r.household["household_no"] for r in rows}))
    good: list[LedgerRow] = []
    for row in rows:
        village, number = row.household["village_code"], row.household["household_no"]
        region = known.get(village)
        household = numbered.get((village, number))
        if region is None or region["level"] != "village":
            row.problems.append(RejectedRow(row.row, "村代码", f"{village} 不是已登记的村级区划代码"))
        elif not principal.sees_region(village) or principal.role not in ("admin", "surveyor"):
            row.problems.append(RejectedRow(row.row, "村代码", f"{region['name']}不在您负责的范围内"))
        elif row.household_id is not None and (household is None or household["id"] != row.household_id):
            row.problems.append(RejectedRow(row.row, "户编号", "户编号、村代码与本行的户系统编号不符：台账中不能更改已登记农户的户编号和村"))
        elif (held := existing.get((village[:6], row.id_hash))) is not None and (
                held["village_code"], held["household_no"]) != (village, number):
            # Which household holds the person is told only to a caller who may see that village.
            where = (f"户编号 {held['household_no']} 的农户" if principal.sees_region(held["village_code"])
                     else "本县另一户（如有疑问请联系县管理员）")
            row.problems.append(RejectedRow(row.row, "身份证号", f"此人已登记在{where}中，不能再登记到本户"))
        else:
            good.append(row)
    return good


def _hash_with_current_key(vault: Vault, rows: list[LedgerRow]) -> bool:
    """Hash again the rows hashed under a key that is no longer current (the key changed while the rows
    were checked: a rotation may have moved their people to the new hash). Returns whether any was."""
    prefix = vault.current_prefix
    stale = [r for r in rows if not r.id_hash.startswith(prefix)]
    for row in stale:
        row.id_hash = vault.lookup_hash(row.person["id_number"])
    return bool(stale)


async def _hold_people_on_current_key(conn: Conn, vault: Vault, rows: list[LedgerRow]) -> None:
    """In the writing transaction: the rows' people moved to the current key and locked, so that a rotation
    (which skips locked rows) cannot move them away from the hashes the upsert matches on before it
    commits (the rows are encrypted and staged after this, with the hashes it leaves)."""
    counties = sorted({r.household["village_code"][:6] for r in rows})
    while True:
        prefix = vault.current_prefix
        await anyio.to_thread.run_sync(_hash_with_current_key, vault, rows)
        hashes = [r.id_hash for r in rows]
        await registry.bring_to_current_key(conn, vault, counties, hashes)
        await repo.lock_people_by_hash(conn, counties, hashes)
        if vault.current_prefix == prefix:
            return


# ------------------------------------------------------------------ writing


class Staged(NamedTuple):
    """One chunk's records for the three staging tables."""

    households: list[Any]
    people: list[Any]
    surveys: list[Any]


def _staging_records(vault: Vault, rows: list[LedgerRow], staged: set[tuple[str, str]]) -> Staged:
    """The rows for the three staging tables, ID numbers and phones encrypted (CPU work, run in a thread).
    A household goes with the chunk of its first row (`staged` holds those already written), so it is
    written once, from its first row, whichever chunk its members fall in."""
    households: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row.household["village_code"], row.household["household_no"])
        if key not in staged:
            staged.add(key)
            households[key] = row.household
    people: list[Any] = []
    for r in rows:
        p = r.person
        id_enc, id_masked = vault.encrypt(p["id_number"]), mask(p["id_number"])
        phone: tuple[bytes | None, bytes | None, str | None] = (
            (vault.encrypt(p["phone"]), vault.lookup_hash(p["phone"]), mask(p["phone"])) if p["phone"]
            else (None, None, None))
        village = r.household["village_code"]
        people.append((village[:6], village, r.household["household_no"], p["name"], r.id_hash, id_enc, id_masked,
                       p["birth_date"], p["sex"], p["relation"], p["ethnicity"], p["education"], p["in_school"],
                       p["left_school_year"], p["labour_capacity"], p["work_status"], *phone))
    return Staged(
        [(village[:6], number, village, h["head_name"], h["poverty_status"], h["lifted_year"], h["monitor_type"],
          h["risk_removed"]) for (village, number), h in households.items()],
        people,
        [(r.household["village_code"][:6], r.id_hash, r.survey["surveyed_on"], r.survey["desired_trades"],
          r.survey["training_kind"], r.survey["available_months"], r.survey["can_board"]) for r in rows if r.survey],
    )


# Rows encrypted and written per round: while PostgreSQL upserts one chunk, a worker thread encrypts the
# next (the database's work and Python's overlap on two cores); the staging tables hold one chunk.
WRITE_CHUNK = 10_000


async def _write(conn: Conn, principal: Principal, vault: Vault,
                 rows: list[LedgerRow]) -> tuple[dict[str, int], tuple[int, int, int]]:
    """Encrypt and write the checked rows chunk by chunk inside the caller's transaction. Returns the
    counts of what changed, and how many households, people and surveys were written or found unchanged."""
    staged: set[tuple[str, str]] = set()
    chunks = [rows[i:i + WRITE_CHUNK] for i in range(0, len(rows), WRITE_CHUNK)]
    totals: dict[str, int] = {}
    sizes = [0, 0, 0]
    await repo.create_staging(conn)
    records = await anyio.to_thread.run_sync(_staging_records, vault, chunks[0], staged)
    following: asyncio.Future[Staged] | None = None
    try:
        for index in range(len(chunks)):
            if index + 1 < len(chunks):  # a plain task, not a task group: the write's own error stays as it is
                following = asyncio.ensure_future(
                    anyio.to_thread.run_sync(_staging_records, vault, chunks[index + 1], staged))
            counts = await repo.write(conn, principal.id, principal.username, *records)
            for key, value in counts.items():
                totals[key] = totals.get(key, 0) + value
            sizes = [n + len(r) for n, r in zip(sizes, records, strict=True)]
            if following is not None:
                records, following = await following, None
    finally:
        if following is not None:  # the write failed: let the thread finish, its records are not needed
            await asyncio.wait([following])
            if not following.cancelled():
                following.exception()
    return totals, (sizes[0], sizes[1], sizes[2])


async def import_ledger(conn: Conn, principal: Principal, vault: Vault, content: bytes, mode: Mode,
                        today: date, progress: Callable[[str], None] = lambda _: None) -> ImportResult:
    if principal.role not in ("admin", "surveyor"):
        raise Forbidden("只有调查员和管理员可以导入台账")
    progress("读取工作簿")
    reference = await registry.reference(conn, today)
    lookup = await trade_lookup(conn)
    names = await repo.education_names(conn)
    # Reading and checking 100k rows is seconds of CPU: a worker thread keeps the API answering meanwhile.
    sheet = await anyio.to_thread.run_sync(read_sheet, content)
    progress(f"检查 {len(sheet)} 行")
    parsed = await anyio.to_thread.run_sync(parse_rows, sheet, lookup, names)
    counties = sorted({v[:6] for r in parsed.rows if len(v := r.household["village_code"] or "") == 12})
    known = Known(
        people=await repo.people_by_id(conn, principal.counties, [r.person_id for r in parsed.rows if r.person_id]),
        households=await repo.households_by_number(
            conn, counties, sorted({n for r in parsed.rows if (n := r.household["household_no"])})))
    await anyio.to_thread.run_sync(check_rows, parsed, reference, known, vault, principal)
    progress("核对村、权限和已登记人员")
    good = await _check_places_and_people(conn, principal, vault, parsed)
    parsed.rejected = _each_once(parsed.rows)
    rejected_rows = {r.row for r in parsed.rejected}
    empty = ImportResult(mode=mode, written=False, rows=parsed.total, households_created=0, households_updated=0,
                         households_unchanged=0, people_created=0, people_updated=0, people_unchanged=0,
                         surveys_created=0, surveys_unchanged=0, rejected=parsed.rejected)
    if mode == "all_or_nothing" and parsed.rejected:
        raise LedgerRejected(f"{len(rejected_rows)} 行有错误，未导入任何数据；请改正后重新导入",
                             **msgspec.to_builtins(empty))
    if not good:
        return empty
    progress(f"写入 {len(good)} 人（{len(parsed.rejected)} 处错误未写入）")
    async with conn.transaction():
        await _hold_people_on_current_key(conn, vault, good)
        counts, (households, people, surveys) = await _write(conn, principal, vault, good)
        await audit.record(conn, principal, "import", "ledger", None, good[0].household["village_code"][:6],
                           {"rows": parsed.total, "rejected_rows": len(rejected_rows), "mode": mode} | counts)
    return ImportResult(
        mode=mode, written=True, rows=parsed.total, households_created=counts["households_created"],
        households_updated=counts["households_updated"],
        households_unchanged=households - counts["households_created"] - counts["households_updated"],
        people_created=counts["people_created"], people_updated=counts["people_updated"],
        people_unchanged=people - counts["people_created"] - counts["people_updated"],
        surveys_created=counts["surveys_created"], surveys_unchanged=surveys - counts["surveys_created"],
        rejected=parsed.rejected)


def _each_once(rows: list[LedgerRow]) -> list[RejectedRow]:
    """Every problem, by row and in the order found, each (column, message) once per row."""
    out: list[RejectedRow] = []
    for row in sorted(rows, key=lambda r: r.row):
        seen: set[tuple[str, str]] = set()
        for problem in row.problems:
            if (problem.column, problem.message) not in seen:
                seen.add((problem.column, problem.message))
                out.append(problem)
    return out


# ------------------------------------------------------------------ template and export
# One layout for the template and the export: the same text-formatted code columns, drop-downs and
# instructions sheet, so an exported ledger is a filled-in template that can be edited and imported back.

_CHOICES = {
    "家庭属性": ",".join(POVERTY_STATUS_LABELS.values()), "是否在校": "是,否", "是否愿意住校": "是,否",
    "劳动能力": ",".join(LABOUR_LABELS.values()), "务工状况": ",".join(WORK_LABELS.values()),
    "培训类型": ",".join(TRAINING_KIND_LABELS.values()), "监测类型": ",".join(MONITOR_TYPE_LABELS.values()),
    "风险是否消除": "是,否", "性别": ",".join(SEX_LABELS.values()),
}
_TEXT_COLUMNS = {"户编号", "村代码", "身份证号", "联系电话", "意向工种1", "意向工种2", "意向工种3", "可参训月份",
                 col.HOUSEHOLD_ID, col.PERSON_ID}
_GUIDE = [
    ("户编号", "同一户的成员填同一个户编号；可以按村编号（各村都从 1 开始），同一村内不能重复。"
              "网上登记时没填户编号的农户，系统给的编号是“村代码-4 位序号”，如 513435103201-0007"),
    ("村代码", "12 位统计用区划代码，如 513435103201"),
    ("家庭属性", "建档立卡贫困户 / 脱贫户 / 监测户（监测对象）/ 一般农户；监测户也可直接填监测类型，如 边缘易致贫户"),
    ("身份证号", "18 位，末位可为 X；请保持本列为“文本”格式，否则 Excel 会吞掉末尾几位。"
                "导出的台账里打码的号码（如 513***********123X）表示“不变”，不要改动"),
    ("文化程度", "代码（如 71）或文字：小学毕业、初中毕业、初中肄业、普通高中毕业、中专毕业、职高毕业、技工学校毕业、大学专科毕业、大学本科毕业、未上过学"),
    ("是否在校 / 是否愿意住校", "是 / 否"), ("劳动能力", "劳动力（普通劳动力）/ 弱劳动力（半劳动力）/ 丧失劳动力 / 无劳动力"),
    ("务工状况", "务农 / 本地务工 / 外出务工（外出 3 个月以上）/ 无业 / 在校学生"),
    ("联系电话", "导出的台账里打码的电话表示“不变”；要改电话请填写完整号码"),
    ("培训类型", "长期培训（学历教育）/ 短期技能培训 / 创业培训 / 农业实用技术"),
    ("意向工种1-3", "工种代码（如 6-31-01-03）或名称（如 电工）"),
    ("可参训月份", "用逗号或顿号分隔的月份，如 3,4,10 或 3、4、10；空着表示任何月份"),
    ("调查日期", "2026-10-15、2026/10/15 或 2026年10月15日"),
    ("脱贫年度、监测类型、风险是否消除（可选列）", "脱贫户填脱贫年度；监测户填监测类型（脱贫不稳定户 / 边缘易致贫户 / 突发严重困难户）"
                                         "和风险是否消除（是 / 否）。没有这几列时保留系统中已有的值"),
    ("性别、出生日期（可选列）", "填了就须与身份证号一致"),
    ("户系统编号、人员系统编号", "导出时由系统填写，用来认出已登记的农户和人员：请不要改动；新增的人留空"),
]


def _lay_out(workbook: Workbook, sheet: Any, headers: list[str], rows: int) -> None:
    """Column widths, drop-downs on the choice columns for `rows` data rows, and the instructions sheet."""
    for index, header in enumerate(headers, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = (22 if header in ("身份证号", col.HOUSEHOLD_ID, col.PERSON_ID)
                                                 else max(10, len(header) * 2 + 2))
        if header in _CHOICES:
            rule = DataValidation(type="list", formula1=f'"{_CHOICES[header]}"', allow_blank=True)
            rule.add(f"{letter}2:{letter}{rows + 1}")
            sheet.data_validations.append(rule)
    sheet.freeze_panes = "A2"
    guide = workbook.create_sheet("填写说明")
    guide.column_dimensions["A"].width = 24
    guide.column_dimensions["B"].width = 100
    guide.append(["列", "怎么填"])
    for item in _GUIDE:
        guide.append(list(item))


def _header(sheet: Any, headers: list[str]) -> list[WriteOnlyCell]:
    cells = []
    for name in headers:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center")
        cells.append(cell)
    return cells


def _workbook(headers: list[str], rows: list[list[object]], blank_rows: int) -> bytes:
    """Write-only: constant memory however many people; text format on the code columns, for the rows
    written and the blank rows below them where clerks type."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("培训台账")
    _lay_out(workbook, sheet, headers, len(rows) + blank_rows)
    sheet.append(_header(sheet, headers))
    text_columns = [i for i, name in enumerate(headers) if name in _TEXT_COLUMNS]
    blank: list[list[object]] = [[None] * len(headers) for _ in range(blank_rows)]
    for values in [*rows, *blank]:
        out = sheet_row(sheet, values)
        for i in text_columns:
            already = out[i]
            if isinstance(already, Cell):  # already a text cell (it looked like a formula)
                already.number_format = "@"
                continue
            cell = WriteOnlyCell(sheet, value=None if out[i] is None else str(out[i]))
            cell.number_format = "@"  # so Excel keeps every digit of an ID number
            out[i] = cell
        sheet.append(out)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template() -> bytes:
    """An empty ledger: headers, text-formatted code columns, drop-downs, and a sheet of instructions."""
    return _workbook(col.HEADERS, [], 1000)


_LABELS = {"poverty": POVERTY_STATUS_LABELS, "monitor": MONITOR_TYPE_LABELS, "labour": LABOUR_LABELS,
           "work": WORK_LABELS, "kind": TRAINING_KIND_LABELS}


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("是" if value else "否")


async def export(conn: Conn, principal: Principal, vault: Vault, rule: Rule, village_code: str | None,
                 reveal: bool) -> bytes:
    """The ledger of the caller's reach (or one village), ID numbers and phones masked unless the
    caller may read them in full and asked to (which is audited). Names, not codes, in the cells, and
    the system ids of households and people, so the file can be edited and imported back."""
    if principal.role == "school":
        raise Forbidden("学校不能导出台账；学员名单见各培训班的报名名单")
    if village_code is not None and not principal.sees_region(village_code):
        raise NotFound("村不存在或不在您的权限范围内")
    if reveal and principal.role not in ("admin", "surveyor"):
        raise Forbidden("只有管理员和本村调查员可以导出完整的身份证号和电话")
    records = await repo.export_rows(conn, scope_for(principal), village_code)
    rows: list[list[object]] = []
    for r in records:
        trades = [*(r["trade_names"] or []), None, None, None]
        rows.append([
            r["household_no"], r["village_code"], r["head_name"], _LABELS["poverty"][r["poverty_status"]], r["name"],
            vault.decrypt(r["id_enc"]) if reveal else r["id_masked"], r["relation"], r["ethnicity"],
            r["education_name"], _yes_no(r["in_school"]), r["left_school_year"],
            _LABELS["labour"][r["labour_capacity"]], _LABELS["work"][r["work_status"]],
            (vault.decrypt(r["phone_enc"]) if reveal and r["phone_enc"] else r["phone_masked"]),
            trades[0], trades[1], trades[2], _LABELS["kind"].get(r["training_kind"] or ""),
            "、".join(str(m) for m in r["available_months"] or []) or None, _yes_no(r["can_board"]),
            r["surveyed_on"].isoformat() if r["surveyed_on"] else None,
            r["lifted_year"], _LABELS["monitor"].get(r["monitor_type"] or ""), _yes_no(r["risk_removed"]),
            str(r["household_id"]), str(r["person_id"]),
        ])
    if reveal and records:
        async with conn.transaction():
            for county in sorted({r["county_code"] for r in records}):
                await audit.record(conn, principal, "reveal", "ledger_export", village_code, county,
                                   {"people": sum(1 for r in records if r["county_code"] == county),
                                    "fields": ["id_number", "phone"]})
    return await anyio.to_thread.run_sync(_workbook, col.EXPORT_HEADERS, rows, 200)
