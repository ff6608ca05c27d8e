"""The training ledger (培训台账) in Excel: template, import and export.

Import reads the first sheet wherever its header row is (title rows, blank rows, merged cells and
full-width characters are all normal in county ledgers), checks every row, then writes households,
people and surveys with COPY into staging tables and set-based upserts, so a 100,000-row ledger is a
few statements, not 100,000 round trips. Re-importing the same file changes nothing.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import anyio
import asyncpg
import msgspec
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from training.auth.policy import scope_for
from training.core import audit
from training.core.crypto import Vault, mask
from training.core.errors import Forbidden, NotFound, Problem
from training.core.excel import MAX_ROWS, read_sheet
from training.core.idcard import IdCardError, parse_id_number
from training.core.rules import Rule
from training.core.security import Principal
from training.core.text import clean, quoted
from training.ledger import columns as col
from training.registry import service as registry

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
    row: int
    household_no: str
    village_code: str
    head_name: str
    poverty_status: str
    name: str
    id_number: str
    birth_date: date
    sex: str
    relation: str
    ethnicity: str | None
    education: str
    in_school: bool
    left_school_year: int | None
    labour_capacity: str
    work_status: str
    phone: str | None
    survey: dict[str, Any] | None = None


@dataclass
class Parsed:
    rows: list[LedgerRow] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    total: int = 0


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


def parse_rows(rows: list[list[object]], trade_lookup: dict[str, str], education_codes: set[str],
               today: date) -> Parsed:
    """Check every data row; a row with any problem is rejected whole, with every problem listed."""
    header_index, mapping = locate_header(rows)
    readers: dict[str, Callable[[object], Any]] = {
        "家庭属性": col.word(col.POVERTY, "家庭属性"), "劳动能力": col.word(col.LABOUR, "劳动能力"),
        "务工状况": col.word(col.WORK, "务工状况"), "培训类型": col.word(col.KIND, "培训类型"),
    }
    parsed = Parsed()
    first_id_row: dict[str, int] = {}
    households: dict[tuple[str, str], tuple[int, str, str, str]] = {}
    for index in range(header_index + 1, len(rows)):
        raw = rows[index]
        cells = {name: raw[i] if i < len(raw) else None for i, name in mapping.items()}
        if not any(clean(v) for v in cells.values()):
            continue  # blank rows between villages are normal
        row_no = index + 1
        parsed.total += 1
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

        household_no = read("户编号", col.code_text)
        village = read("村代码", col.code_text)
        if village and not (len(village) == 12 and village.isdigit()):
            problems.append(RejectedRow(row_no, "村代码", "村代码应为 12 位统计用区划代码"))
        head = read("户主姓名", col.text_value)
        status = read("家庭属性", readers["家庭属性"])
        name = read("姓名", col.text_value)
        card = None
        id_cell = cells.get("身份证号")
        if id_cell in (None, ""):
            problems.append(RejectedRow(row_no, "身份证号", "身份证号不能为空"))
        else:
            try:
                card = parse_id_number(id_cell)
            except IdCardError as exc:
                problems.append(RejectedRow(row_no, "身份证号", str(exc)))
        if card is not None:
            if (earlier := first_id_row.get(card.number)) is not None:
                problems.append(RejectedRow(row_no, "身份证号", f"与第 {earlier} 行的身份证号重复"))
            else:
                first_id_row[card.number] = row_no
        relation = read("与户主关系", col.text_value) or ("户主" if name and name == head else None)
        if not relation:
            problems.append(RejectedRow(row_no, "与户主关系", "与户主关系不能为空"))
        education = read("文化程度", lambda v: col.education(v, education_codes))
        in_school = read("是否在校", col.yes_no)
        left_year = read("离校年份", col.year)
        labour = read("劳动能力", readers["劳动能力"])
        work = read("务工状况", readers["务工状况"])
        phone = read("联系电话", col.phone)
        ethnicity = read("民族", lambda v: col.text_value(v, 20))

        survey: dict[str, Any] | None = None
        if any(clean(cells.get(h)) for h in col.SURVEY_HEADERS):
            trades: list[str] = []
            for column in ("意向工种1", "意向工种2", "意向工种3"):
                wanted = col.code_text(cells.get(column))
                if not wanted:
                    continue
                code = trade_lookup.get(wanted) or trade_lookup.get(wanted.lower())
                if code is None:
                    problems.append(RejectedRow(row_no, column, f"不认识的工种“{quoted(wanted)}”，请填工种代码（如 6-31-01-03）或名称（如 电工）"))
                elif code in trades:
                    problems.append(RejectedRow(row_no, column, "意向工种重复"))
                else:
                    trades.append(code)
            surveyed_on = read("调查日期", col.a_date)
            if surveyed_on is None and not any(p.column == "调查日期" for p in problems):
                problems.append(RejectedRow(row_no, "调查日期", "填写了培训意向时，调查日期不能为空"))
            elif surveyed_on is not None and surveyed_on > today:
                problems.append(RejectedRow(row_no, "调查日期", "调查日期不能晚于今天"))
            survey = {"surveyed_on": surveyed_on, "desired_trades": trades,
                      "training_kind": read("培训类型", readers["培训类型"]),
                      "available_months": read("可参训月份", col.months) or [],
                      "can_board": read("是否愿意住校", col.yes_no)}

        if household_no and village and head and status:
            key = (village[:6], household_no)
            if key not in households:
                households[key] = (row_no, head, status, village)
            else:
                first_row, first_head, first_status, first_village = households[key]
                if first_village != village:
                    problems.append(RejectedRow(row_no, "村代码", f"同一户编号在第 {first_row} 行属于另一个村（{first_village}）"))
                if first_head != head:
                    problems.append(RejectedRow(row_no, "户主姓名", f"同一户编号在第 {first_row} 行的户主是“{first_head}”"))
                if first_status != status:
                    problems.append(RejectedRow(row_no, "家庭属性", f"同一户编号在第 {first_row} 行的家庭属性不同"))
        if in_school and work not in (None, "student"):
            problems.append(RejectedRow(row_no, "务工状况", "在校学生的务工状况应为“在校学生”"))

        if problems or card is None:
            parsed.rejected += problems
            continue
        parsed.rows.append(LedgerRow(
            row=row_no, household_no=household_no, village_code=village, head_name=head, poverty_status=status,
            name=name, id_number=card.number, birth_date=card.birth_date, sex=card.sex, relation=str(relation),
            ethnicity=ethnicity, education=education, in_school=bool(in_school), left_school_year=left_year,
            labour_capacity=labour, work_status=work, phone=phone, survey=survey))
        if parsed.total > MAX_ROWS:
            raise Problem(f"一次最多导入 {MAX_ROWS} 行，请分村或分乡镇导入")
    return parsed


# ------------------------------------------------------------------ checks against the database


async def trade_lookup(conn: Conn) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for r in await conn.fetch("SELECT code, name, aliases FROM trades"):
        for word in (r["code"], r["name"], *r["aliases"]):
            lookup.setdefault(clean(word), r["code"])
            lookup.setdefault(clean(word).lower(), r["code"])
    return lookup


async def _check_places_and_people(conn: Conn, principal: Principal, vault: Vault,
                                   parsed: Parsed) -> list[tuple[LedgerRow, bytes]]:
    """Reject rows in villages the caller may not write, and people already registered in another
    household. Returns the good rows with their ID look-up hash."""
    villages = sorted({r.village_code for r in parsed.rows})
    known = {r["code"]: r for r in await conn.fetch(
        "SELECT code, name, level FROM regions WHERE code = ANY($1::text[])", villages)}
    hashed = await anyio.to_thread.run_sync(lambda: [(r, vault.lookup_hash(r.id_number)) for r in parsed.rows])
    # People still on an old data key are moved to the current one first, so that the checks and the
    # upsert below, which match on the current hash, find them (during a key rotation).
    await registry.bring_to_current_key(conn, vault, sorted({v[:6] for v in villages}), [h for _, h in hashed])
    existing = {(r["county_code"], bytes(r["id_hash"])): (r["household_no"], r["village_code"]) for r in await conn.fetch(
        """SELECT p.county_code, p.id_hash, h.household_no, h.village_code FROM people p
           JOIN households h ON h.county_code = p.county_code AND h.id = p.household_id
           WHERE p.county_code = ANY($1::text[]) AND p.id_hash = ANY($2::bytea[])""",
        sorted({v[:6] for v in villages}), [h for _, h in hashed])}
    counties = sorted({v[:6] for v in villages})
    numbered = {(r["county_code"], r["household_no"]): r["village_code"] for r in await conn.fetch(
        """SELECT county_code, household_no, village_code FROM households
           WHERE county_code = ANY($1::text[]) AND household_no = ANY($2::text[])""",
        counties, sorted({r.household_no for r in parsed.rows}))}
    good: list[tuple[LedgerRow, bytes]] = []
    for row, id_hash in hashed:
        held_by = numbered.get((row.village_code[:6], row.household_no))
        region = known.get(row.village_code)
        if region is None or region["level"] != "village":
            parsed.rejected.append(RejectedRow(row.row, "村代码", f"{row.village_code} 不是已登记的村级区划代码"))
        elif not principal.sees_region(row.village_code) or principal.role not in ("admin", "surveyor"):
            parsed.rejected.append(RejectedRow(row.row, "村代码", f"{region['name']}不在您负责的范围内"))
        elif held_by is not None and held_by != row.village_code:
            parsed.rejected.append(RejectedRow(
                row.row, "户编号", f"户编号 {row.household_no} 已是另一个村（{held_by}）的农户，不能改到本村"))
        elif (held := existing.get((row.village_code[:6], id_hash), (row.household_no, row.village_code)))[0] != row.household_no:
            # Which household holds the person is told only to a caller who may see that village.
            where = (f"户编号 {held[0] or '（无编号）'} 的农户" if principal.sees_region(held[1])
                     else "本县另一户（如有疑问请联系县管理员）")
            parsed.rejected.append(RejectedRow(row.row, "身份证号", f"此人已登记在{where}中，不能再登记到本户"))
        else:
            good.append((row, id_hash))
    return good


# ------------------------------------------------------------------ writing


_STAGING = """
    CREATE TEMP TABLE ledger_households (county_code text, household_no text, village_code text, head_name text,
                                         poverty_status text) ON COMMIT DROP;
    CREATE TEMP TABLE ledger_people (county_code text, household_no text, name text, id_hash bytea, id_enc bytea,
                                     id_masked text, birth_date date, sex text, relation text, ethnicity text,
                                     education text, in_school boolean, left_school_year smallint,
                                     labour_capacity text, work_status text, phone_enc bytea, phone_hash bytea,
                                     phone_masked text) ON COMMIT DROP;
    CREATE TEMP TABLE ledger_surveys (county_code text, id_hash bytea, surveyed_on date, desired_trades text[],
                                      training_kind text, available_months smallint[], can_board boolean)
                                      ON COMMIT DROP;
"""

_UPSERT_HOUSEHOLDS = """
    WITH up AS (
        INSERT INTO households AS h (county_code, village_code, household_no, head_name, poverty_status, created_by)
        SELECT county_code, village_code, household_no, head_name, poverty_status, $1 FROM ledger_households
        ON CONFLICT (county_code, household_no) WHERE household_no IS NOT NULL DO UPDATE
            SET village_code = EXCLUDED.village_code, head_name = EXCLUDED.head_name,
                poverty_status = EXCLUDED.poverty_status,
                lifted_year = CASE WHEN EXCLUDED.poverty_status = 'lifted' THEN h.lifted_year END,
                monitor_type = CASE WHEN EXCLUDED.poverty_status = 'monitored' THEN h.monitor_type END,
                risk_removed = CASE WHEN EXCLUDED.poverty_status = 'monitored' THEN h.risk_removed END,
                version = h.version + 1, updated_at = now()
            WHERE (h.village_code, h.head_name, h.poverty_status)
                  IS DISTINCT FROM (EXCLUDED.village_code, EXCLUDED.head_name, EXCLUDED.poverty_status)
        RETURNING h.county_code, h.id, (xmax = 0) AS created
    ), logged AS (
        INSERT INTO audit_log (county_code, actor_id, actor_name, action, object_type, object_id, changes)
        SELECT county_code, $1, $2, CASE WHEN created THEN 'create' ELSE 'update' END, 'household', id::text,
               '{"source": "ledger"}'::jsonb FROM up
    )
    SELECT count(*) FILTER (WHERE created) AS created, count(*) FILTER (WHERE NOT created) AS updated FROM up"""

_PERSON_FIELDS = ("name", "relation", "ethnicity", "education", "in_school", "left_school_year", "labour_capacity",
                  "work_status", "phone_hash")
_UPSERT_PEOPLE = f"""
    WITH up AS (
        INSERT INTO people AS p (county_code, household_id, name, id_hash, id_enc, id_masked, birth_date, sex,
                                 relation, ethnicity, education, in_school, left_school_year, labour_capacity,
                                 work_status, phone_enc, phone_hash, phone_masked, created_by)
        SELECT s.county_code, h.id, s.name, s.id_hash, s.id_enc, s.id_masked, s.birth_date, s.sex, s.relation,
               s.ethnicity, s.education, s.in_school, s.left_school_year, s.labour_capacity, s.work_status,
               s.phone_enc, s.phone_hash, s.phone_masked, $1
        FROM ledger_people s
        JOIN households h ON h.county_code = s.county_code AND h.household_no = s.household_no
        ON CONFLICT (county_code, id_hash) DO UPDATE
            SET {", ".join(f"{c} = EXCLUDED.{c}" for c in _PERSON_FIELDS)},
                phone_enc = EXCLUDED.phone_enc, phone_masked = EXCLUDED.phone_masked,
                version = p.version + 1, updated_at = now()
            WHERE ({", ".join(f"p.{c}" for c in _PERSON_FIELDS)})
                  IS DISTINCT FROM ({", ".join(f"EXCLUDED.{c}" for c in _PERSON_FIELDS)})
        RETURNING p.county_code, p.id, (xmax = 0) AS created
    ), logged AS (
        INSERT INTO audit_log (county_code, actor_id, actor_name, action, object_type, object_id, changes)
        SELECT county_code, $1, $2, CASE WHEN created THEN 'create' ELSE 'update' END, 'person', id::text,
               '{{"source": "ledger"}}'::jsonb FROM up
    )
    SELECT count(*) FILTER (WHERE created) AS created, count(*) FILTER (WHERE NOT created) AS updated FROM up"""

_INSERT_SURVEYS = """
    WITH ins AS (
        INSERT INTO surveys (county_code, person_id, surveyed_on, desired_trades, training_kind, available_months,
                             can_board, surveyor_id, surveyor_name)
        SELECT p.county_code, p.id, s.surveyed_on, s.desired_trades, s.training_kind, s.available_months,
               s.can_board, $1, $2
        FROM ledger_surveys s JOIN people p ON p.county_code = s.county_code AND p.id_hash = s.id_hash
        WHERE NOT EXISTS (
            SELECT 1 FROM surveys x WHERE x.county_code = p.county_code AND x.person_id = p.id
              AND x.surveyed_on = s.surveyed_on AND x.desired_trades = s.desired_trades
              AND x.training_kind IS NOT DISTINCT FROM s.training_kind AND x.available_months = s.available_months
              AND x.can_board IS NOT DISTINCT FROM s.can_board)
        RETURNING county_code, id
    ), logged AS (
        INSERT INTO audit_log (county_code, actor_id, actor_name, action, object_type, object_id, changes)
        SELECT county_code, $1, $2, 'create', 'survey', id::text, '{"source": "ledger"}'::jsonb FROM ins
    )
    SELECT count(*) FROM ins"""


def _staging_records(vault: Vault, rows: list[tuple[LedgerRow, bytes]]) -> tuple[list[Any], list[Any], list[Any]]:
    """The rows for the three staging tables, ID numbers and phones encrypted (CPU work, run in a thread)."""
    households: dict[tuple[str, str], LedgerRow] = {}
    for row, _ in rows:
        households.setdefault((row.village_code[:6], row.household_no), row)
    return (
        [(county, number, r.village_code, r.head_name, r.poverty_status) for (county, number), r in households.items()],
        [(r.village_code[:6], r.household_no, r.name, h, vault.encrypt(r.id_number), mask(r.id_number), r.birth_date,
          r.sex, r.relation, r.ethnicity, r.education, r.in_school, r.left_school_year, r.labour_capacity,
          r.work_status, vault.encrypt(r.phone) if r.phone else None,
          vault.lookup_hash(r.phone) if r.phone else None, mask(r.phone)) for r, h in rows],
        [(r.village_code[:6], h, r.survey["surveyed_on"], r.survey["desired_trades"], r.survey["training_kind"],
          r.survey["available_months"], r.survey["can_board"]) for r, h in rows if r.survey],
    )


async def _write(conn: Conn, principal: Principal, vault: Vault, rows: list[tuple[LedgerRow, bytes]]) -> dict[str, int]:
    households, people, surveys = await anyio.to_thread.run_sync(_staging_records, vault, rows)
    await conn.execute(_STAGING)
    await conn.copy_records_to_table("ledger_households", records=households)
    await conn.copy_records_to_table("ledger_people", records=people)
    await conn.copy_records_to_table("ledger_surveys", records=surveys)
    h = await conn.fetchrow(_UPSERT_HOUSEHOLDS, principal.id, principal.username)
    p = await conn.fetchrow(_UPSERT_PEOPLE, principal.id, principal.username)
    assert h is not None and p is not None
    surveys_created = await conn.fetchval(_INSERT_SURVEYS, principal.id, principal.username)
    return {"households": len(households), "households_created": h["created"], "households_updated": h["updated"],
            "people": len(rows), "people_created": p["created"], "people_updated": p["updated"],
            "surveys": len(surveys), "surveys_created": surveys_created}


async def import_ledger(conn: Conn, principal: Principal, vault: Vault, content: bytes, mode: Mode,
                        today: date, progress: Callable[[str], None] = lambda _: None) -> ImportResult:
    if principal.role not in ("admin", "surveyor"):
        raise Forbidden("只有调查员和管理员可以导入台账")
    codes = {r["code"] for r in await conn.fetch("SELECT code FROM education_levels")}
    progress("读取工作簿")
    lookup = await trade_lookup(conn)
    # Reading and checking 100k rows is seconds of CPU: a worker thread keeps the API answering meanwhile.
    sheet = await anyio.to_thread.run_sync(read_sheet, content)
    progress(f"检查 {len(sheet)} 行")
    parsed = await anyio.to_thread.run_sync(parse_rows, sheet, lookup, codes, today)
    progress("核对村、权限和已登记人员")
    good = await _check_places_and_people(conn, principal, vault, parsed)
    parsed.rejected.sort(key=lambda r: r.row)
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
        counts = await _write(conn, principal, vault, good)
        await audit.record(conn, principal, "import", "ledger", None, good[0][0].village_code[:6],
                           {"rows": parsed.total, "rejected_rows": len(rejected_rows), "mode": mode} | counts)
    return ImportResult(
        mode=mode, written=True, rows=parsed.total, households_created=counts["households_created"],
        households_updated=counts["households_updated"],
        households_unchanged=counts["households"] - counts["households_created"] - counts["households_updated"],
        people_created=counts["people_created"], people_updated=counts["people_updated"],
        people_unchanged=counts["people"] - counts["people_created"] - counts["people_updated"],
        surveys_created=counts["surveys_created"], surveys_unchanged=counts["surveys"] - counts["surveys_created"],
        rejected=parsed.rejected)


# ------------------------------------------------------------------ template and export

_CHOICES = {
    "家庭属性": "建档立卡贫困户,脱贫户,监测户,一般农户", "是否在校": "是,否", "是否愿意住校": "是,否",
    "劳动能力": "劳动力,弱劳动力,丧失劳动力,无劳动力", "务工状况": "务农,本地务工,外出务工,无业,在校学生",
    "培训类型": "长期培训,短期技能培训,创业培训,农业实用技术",
}
_TEXT_COLUMNS = {"户编号", "村代码", "身份证号", "联系电话", "意向工种1", "意向工种2", "意向工种3", "可参训月份"}
_GUIDE = [
    ("户编号", "同一户的成员填同一个户编号"), ("村代码", "12 位统计用区划代码，如 513435103201"),
    ("家庭属性", "建档立卡贫困户 / 脱贫户 / 监测户（监测对象）/ 一般农户"),
    ("身份证号", "18 位，末位可为 X；请保持本列为“文本”格式，否则 Excel 会吞掉末尾几位"),
    ("文化程度", "代码（如 71）或文字：小学毕业、初中毕业、初中肄业、普通高中毕业、中专毕业、职高毕业、技工学校毕业、大学专科毕业、大学本科毕业、未上过学"),
    ("是否在校 / 是否愿意住校", "是 / 否"), ("劳动能力", "劳动力（普通劳动力）/ 弱劳动力（半劳动力）/ 丧失劳动力 / 无劳动力"),
    ("务工状况", "务农 / 本地务工 / 外出务工（外出 3 个月以上）/ 无业 / 在校学生"),
    ("培训类型", "长期培训（学历教育）/ 短期技能培训 / 创业培训 / 农业实用技术"),
    ("意向工种1-3", "工种代码（如 6-31-01-03）或名称（如 电工）"),
    ("可参训月份", "用逗号或顿号分隔的月份，如 3,4,10 或 3、4、10；空着表示任何月份"),
    ("调查日期", "2026-10-15、2026/10/15 或 2026年10月15日"),
]


def template() -> bytes:
    """An empty ledger: headers, text-formatted code columns, drop-downs, and a sheet of instructions."""
    blank_rows = 1000
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "培训台账"
    sheet.append(col.HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center")
    for index, header in enumerate(col.HEADERS, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = 22 if header == "身份证号" else max(10, len(header) * 2 + 2)
        if header in _TEXT_COLUMNS:
            # Text format so Excel keeps every digit of an ID number.
            for row in range(2, blank_rows + 2):
                sheet.cell(row=row, column=index).number_format = "@"
        if header in _CHOICES:
            rule = DataValidation(type="list", formula1=f'"{_CHOICES[header]}"', allow_blank=True)
            rule.add(f"{letter}2:{letter}{blank_rows + 1}")
            sheet.add_data_validation(rule)
    sheet.freeze_panes = "A2"
    guide = workbook.create_sheet("填写说明")
    guide.append(["列", "怎么填"])
    for item in _GUIDE:
        guide.append(list(item))
    guide.column_dimensions["A"].width = 24
    guide.column_dimensions["B"].width = 100
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


_LABELS = {
    "poverty": {"registered_poor": "建档立卡贫困户", "lifted": "脱贫户", "monitored": "监测户", "ordinary": "一般农户"},
    "labour": {"full": "劳动力", "weak": "弱劳动力", "lost": "丧失劳动力", "none": "无劳动力"},
    "work": {"farming": "务农", "local_work": "本地务工", "migrant": "外出务工", "unemployed": "无业", "student": "在校学生"},
    "kind": {"long": "长期培训", "short": "短期技能培训", "entrepreneurship": "创业培训", "practical": "农业实用技术"},
}


async def export(conn: Conn, principal: Principal, vault: Vault, rule: Rule, village_code: str | None,
                 reveal: bool) -> bytes:
    """The ledger of the caller's reach (or one village), ID numbers and phones masked unless the
    caller may read them in full and asked to (which is audited)."""
    if principal.role == "school":
        raise Forbidden("学校不能导出台账；学员名单见各培训班的报名名单")
    if village_code is not None and not principal.sees_region(village_code):
        raise NotFound("村不存在或不在您的权限范围内")
    if reveal and principal.role not in ("admin", "surveyor"):
        raise Forbidden("只有管理员和本村调查员可以导出完整的身份证号和电话")
    scope = scope_for(principal)
    records = await conn.fetch(
        """SELECT h.household_no, h.village_code, h.head_name, h.poverty_status, p.name, p.id_masked, p.id_enc,
                  p.relation, p.ethnicity, p.education, p.in_school, p.left_school_year, p.labour_capacity,
                  p.work_status, p.phone_masked, p.phone_enc, p.county_code, s.desired_trades, s.training_kind,
                  s.available_months, s.can_board, s.surveyed_on
           FROM people p
           JOIN households h ON h.county_code = p.county_code AND h.id = p.household_id
           LEFT JOIN LATERAL (SELECT * FROM surveys x WHERE x.county_code = p.county_code AND x.person_id = p.id
                              ORDER BY x.surveyed_on DESC, x.created_at DESC LIMIT 1) s ON true
           WHERE ($1::text[] IS NULL OR h.county_code = ANY($1)) AND ($2::text[] IS NULL OR h.village_code LIKE ANY($2))
             AND ($3::text IS NULL OR h.village_code = $3)
           ORDER BY h.village_code, h.household_no NULLS LAST, h.id, (p.relation = '户主') DESC, p.birth_date""",
        scope.counties, scope.village_patterns, village_code,
    )
    rows: list[list[object]] = []
    for r in records:
        trades = [*(r["desired_trades"] or []), None, None, None]
        rows.append([
            r["household_no"], r["village_code"], r["head_name"], _LABELS["poverty"][r["poverty_status"]], r["name"],
            vault.decrypt(r["id_enc"]) if reveal else r["id_masked"], r["relation"], r["ethnicity"], r["education"],
            "是" if r["in_school"] else "否", r["left_school_year"], _LABELS["labour"][r["labour_capacity"]],
            _LABELS["work"][r["work_status"]],
            (vault.decrypt(r["phone_enc"]) if reveal and r["phone_enc"] else r["phone_masked"]),
            trades[0], trades[1], trades[2], _LABELS["kind"].get(r["training_kind"] or ""),
            "、".join(str(m) for m in r["available_months"] or []) or None,
            None if r["can_board"] is None else ("是" if r["can_board"] else "否"),
            r["surveyed_on"].isoformat() if r["surveyed_on"] else None,
        ])
    if reveal and records:
        async with conn.transaction():
            for county in sorted({r["county_code"] for r in records}):
                await audit.record(conn, principal, "reveal", "ledger_export", village_code, county,
                                   {"people": sum(1 for r in records if r["county_code"] == county),
                                    "fields": ["id_number", "phone"]})
    return await anyio.to_thread.run_sync(_export_workbook, rows)


def _export_workbook(rows: list[list[object]]) -> bytes:
    """Write-only: constant memory however many people, text format on the code columns."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("培训台账")
    sheet.freeze_panes = "A2"
    header = []
    for name in col.HEADERS:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    text_columns = [i for i, name in enumerate(col.HEADERS) if name in _TEXT_COLUMNS]
    for values in rows:
        out: list[object] = list(values)
        for i in text_columns:
            if out[i] is not None:
                cell = WriteOnlyCell(sheet, value=str(out[i]))
                cell.number_format = "@"
                out[i] = cell
        sheet.append(out)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
