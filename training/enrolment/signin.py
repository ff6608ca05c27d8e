"""Sign-in sheets (签到表): the paper register typed into Excel, one row per trainee (姓名 and 身份证号 or
报名编号) and one column per training day marked √ / ✓ / 1 / 出勤 for present.

Rows are checked like the ledger: every problem is reported with its Excel row and column; in
valid_only mode the good rows are written, in all_or_nothing nothing is written if any row is bad.
"""

from __future__ import annotations

import io
import re
import uuid
from datetime import date, timedelta
from typing import Any

import anyio
import msgspec
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from training.core import audit
from training.core import cells as col
from training.core.crypto import Vault
from training.core.errors import Forbidden, NotFound, Problem
from training.core.excel import read_sheet
from training.core.idcard import IdCardError, parse_id_number
from training.core.security import Principal
from training.core.text import clean, quoted, sheet_row
from training.enrolment import repository as repo
from training.enrolment import service
from training.enrolment.schemas import Enrolment
from training.regions import service as regions

PRESENT = {"√", "✓", "✔", "1", "出勤", "到", "是", "y", "yes", "v", "○"}
ABSENT = {"", "×", "✗", "✘", "0", "缺勤", "缺", "否", "n", "no", "请假", "旷课", "-"}
NAME_HEADERS = {"姓名"}
ID_HEADERS = {"身份证号", "身份证号码", "公民身份号码", "居民身份证号码"}
ENROLMENT_HEADERS = {"报名编号", "报名ID", "enrolment_id"}
_MONTH_DAY = re.compile(r"^(\d{1,2})月(\d{1,2})日?$")


class SheetRow(msgspec.Struct):
    row: int
    column: str
    message: str


class SheetResult(msgspec.Struct):
    session_id: uuid.UUID
    mode: str
    written: bool
    days: list[date]
    trainees: int
    present_marks: int
    absent_marks: int
    rejected: list[SheetRow]


class SheetRejected(Problem):
    status = 422
    title = "签到表有错误，未写入任何考勤"


def _day(cell: object, year: int) -> date | None:
    """A date column header, or None if the header is not a date."""
    text = clean(cell)
    if m := _MONTH_DAY.match(text):
        try:
            return date(year, int(m[1]), int(m[2]))
        except ValueError:
            return None
    try:
        return col.a_date(cell)
    except ValueError:
        return None


def _locate(rows: list[list[object]], year: int) -> tuple[int, int | None, int | None, int | None, dict[int, date]]:
    for index, row in enumerate(rows[:20]):
        keys = [col.header_key(c) for c in row]
        name = next((i for i, k in enumerate(keys) if k in NAME_HEADERS), None)
        id_col = next((i for i, k in enumerate(keys) if k in ID_HEADERS), None)
        enrolment_col = next((i for i, k in enumerate(keys) if k in ENROLMENT_HEADERS), None)
        days = {i: d for i, c in enumerate(row) if i not in (name, id_col, enrolment_col)
                and (d := _day(c, year)) is not None}
        if (id_col is not None or enrolment_col is not None) and days:
            return index, name, id_col, enrolment_col, days
    raise Problem("找不到签到表表头：需要“身份证号”或“报名编号”列，以及每个培训日一列（表头为日期）")


async def import_sheet(conn: repo.Conn, principal: Principal, vault: Vault, session_id: uuid.UUID, content: bytes,
                       mode: str, today: date) -> SheetResult:
    session = await repo.session_for_enrolment(conn, principal.counties, session_id)
    if session is None:
        raise NotFound("培训班不存在或不在您的权限范围内")
    if not (principal.role == "admin" or principal.school_id == session["school_id"]):
        raise Forbidden("只有开班学校或管理员可以上传签到表")
    county = session["county_code"]
    rows = await anyio.to_thread.run_sync(read_sheet, content)
    header, name_col, id_col, enrolment_col, days = _locate(rows, session["starts_on"].year)
    rejected: list[SheetRow] = []
    for day in days.values():
        if not session["starts_on"] <= day <= min(session["ends_on"], today):
            rejected.append(SheetRow(header + 1, str(day), f"{day} 不在培训日期（{session['starts_on']} 至 {session['ends_on']}）内或在今天之后"))
    days = {i: d for i, d in days.items() if session["starts_on"] <= d <= min(session["ends_on"], today)}
    enrolled = {r["id"]: r for r in await repo.trainees_for_sheet(conn, county, session_id)}
    by_hash = {bytes(r["id_hash"]): r for r in enrolled.values()}
    marks: list[tuple[uuid.UUID, date, bool]] = []
    trainees = 0
    for index in range(header + 1, len(rows)):
        raw = rows[index]

        def cell(i: int | None, raw: list[object] = raw) -> object:
            return raw[i] if i is not None and i < len(raw) else None

        if not any(clean(v) for v in raw):
            continue
        row_no, problems = index + 1, []
        match: Any = None
        if enrolment_col is not None and clean(cell(enrolment_col)):
            try:
                match = enrolled.get(uuid.UUID(clean(cell(enrolment_col))))
            except ValueError:
                match = None
            if match is None:
                problems.append(SheetRow(row_no, "报名编号", "不是本培训班在册学员的报名编号"))
        elif id_col is not None:
            try:
                card = parse_id_number(cell(id_col), today)
                match = next((by_hash[h] for h in vault.lookup_hash(card.number).candidates if h in by_hash), None)
                if match is None:
                    problems.append(SheetRow(row_no, "身份证号", "此人不是本培训班的在册学员"))
            except IdCardError as exc:
                problems.append(SheetRow(row_no, "身份证号", str(exc)))
        else:
            problems.append(SheetRow(row_no, "报名编号", "报名编号和身份证号都没有填"))
        if match is not None and name_col is not None and clean(cell(name_col)) not in ("", match["name"]):
            problems.append(SheetRow(row_no, "姓名", f"与在册学员姓名“{match['name']}”不符"))
        row_marks: list[tuple[uuid.UUID, date, bool]] = []
        for i, day in days.items():
            mark = clean(cell(i)).lower()
            if mark in PRESENT or mark in ABSENT:
                if match is not None:
                    row_marks.append((match["id"], day, mark in PRESENT))
            else:
                problems.append(SheetRow(row_no, str(day), f"不认识的签到标记“{quoted(mark)}”，出勤填 √、✓、1 或 出勤，缺勤留空"))
        trainees += 1
        if problems:
            rejected += problems
        else:
            marks += row_marks
    result = SheetResult(session_id=session_id, mode=mode, written=False, days=sorted(days.values()),
                         trainees=trainees, present_marks=sum(1 for m in marks if m[2]),
                         absent_marks=sum(1 for m in marks if not m[2]), rejected=rejected)
    if rejected and mode == "all_or_nothing":
        raise SheetRejected(f"签到表有 {len(rejected)} 处错误，未写入任何考勤", **msgspec.to_builtins(result))
    if marks:
        async with conn.transaction():
            await repo.record_marks(conn, county, marks, principal.id)
            await audit.record(conn, principal, "attendance_sheet", "session", session_id, county,
                               {"days": [d.isoformat() for d in result.days], "present": result.present_marks,
                                "absent": result.absent_marks, "rejected": len(rejected)})
        result.written = True
    return result


# ------------------------------------------------------------------ the blank sheet to print or fill in


async def blank_sheet(conn: repo.Conn, principal: Principal, session_id: uuid.UUID) -> tuple[bytes, str]:
    """The 签到表 of a session, pre-filled with everyone in class (enrolled or completed): 报名编号, 姓名, the
    masked 身份证号, 村 and a column per class day, ready to print or to tick and upload back (the upload
    matches rows by 报名编号). Who may read the roster may have the sheet."""
    roster = await service.session_enrolments(conn, principal, session_id, 100_000, 0)
    session = await repo.session_for_enrolment(conn, principal.counties, session_id)
    if session is None:  # the roster above already said so; kept for the type checker
        raise NotFound("培训班不存在或不在您的权限范围内")
    people = [e for e in roster.items if e.status in ("enrolled", "completed")]
    villages = await regions.names(conn, sorted({e.village_code for e in people}))
    first, last = session["starts_on"], session["ends_on"]
    class_days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    title = f"{people[0].course_title if people else '培训班'}签到表"
    content = await anyio.to_thread.run_sync(_sheet_workbook, title, f"培训日期：{first} 至 {last}", people,
                                             villages, class_days)
    return content, f"签到表_{first}.xlsx"


def _sheet_workbook(title: str, facts: str, people: list[Enrolment], villages: dict[str, str],
                    class_days: list[date]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "签到表"
    headers = ["序号", "报名编号", "姓名", "身份证号", "村", *(f"{d.month}月{d.day}日" for d in class_days)]
    ws.append([title])
    ws.append([f"{facts}　出勤打 √，缺勤空着；填好后可在报名名单中“上传签到表”。"])
    ws.append(headers)
    for number, e in enumerate(people, start=1):
        ws.append(sheet_row(ws, [number, str(e.id), e.person_name, e.id_number,
                             villages.get(e.village_code, e.village_code), *([""] * len(class_days))]))
    ws["A1"].font = Font(bold=True, size=14)
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    widths = [6, 38, 10, 20, 14] + [8] * len(class_days)
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.column_dimensions["B"].hidden = True  # for the upload, not for the eye
    ws.freeze_panes = "F4"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
