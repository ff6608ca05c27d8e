"""Excel workbooks as a county office sends them up (月报, 季报) and the worklist of uncovered households.
Every number comes from the same progress figures as /api/progress; no ID numbers, phones or health data."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from training.core.text import sheet_row
from training.progress.schemas import Figures, Progress, Quota, UncoveredHousehold
from training.registry.schemas import LABOUR_LABELS, POVERTY_STATUS_LABELS, SEX_LABELS, WORK_LABELS

# The columns of every figures sheet: header, and how to read it from a row of figures.
COLUMNS: list[tuple[str, str]] = [
    ("目标人次", "target_person_times"), ("结业人次", "person_times_completed"), ("结业人数", "persons_completed"),
    ("取证人次", "certified"), ("就业人次", "employed"), ("在训人次", "enrolled_now"), ("候补人次", "waitlisted_now"),
    ("两后生在训", "lianghousheng_enrolled"), ("两后生结业", "lianghousheng_completed"),
    ("目标户数", "households_target"), ("已覆盖户数", "households_covered"),
    ("两门技能户数", "households_covered_two_skills"), ("合格率", "pass_rate"), ("就业率", "employment_rate"),
]
TOTAL_ROWS: list[tuple[str, str]] = [
    ("年度目标（人次）", "target_person_times"), ("结业人次", "person_times_completed"), ("结业人数", "persons_completed"),
    ("取证人次", "certified"), ("就业人次", "employed"), ("在训人次", "enrolled_now"), ("候补人次", "waitlisted_now"),
    ("两后生在训人次", "lianghousheng_enrolled"), ("两后生结业人次", "lianghousheng_completed"),
    ("目标户数（建档立卡、脱贫、监测户）", "households_target"), ("已覆盖户数", "households_covered"),
    ("掌握两门技能户数", "households_covered_two_skills"), ("合格率", "pass_rate"), ("就业率", "employment_rate"),
    ("进度（实际/序时进度）", "pace"), ("预计年底完成人次", "forecast_person_times"), ("能否完成年度目标", "on_track"),
]
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)


def _heading(ws: Worksheet, title: str, unit: str, period: str, width: int) -> None:
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(width, 2))
    ws.cell(1, 1).font = TITLE
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    ws.append([f"填报单位：{unit}", None, f"报告期：{period}"])
    ws.append([])


def _value(value: object) -> object:
    """A figure as a cell: yes/no in words, and a dash where there is no figure (no quota, no completions)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def _figures_sheet(wb: Workbook, name: str, first: str, rows: Sequence[Figures], title: str, unit: str,
                   period: str) -> None:
    ws = wb.create_sheet(name)
    _heading(ws, title, unit, period, len(COLUMNS) + 2)
    ws.append(["代码", first, *[h for h, _ in COLUMNS]])
    for cell in ws[4]:
        cell.font = BOLD
    for r in rows:
        ws.append(sheet_row(ws, [r.key, r.name, *[_value(getattr(r, f)) for _, f in COLUMNS]]))
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 20
    for i in range(3, len(COLUMNS) + 3):
        ws.column_dimensions[get_column_letter(i)].width = 12


# The yearly targets of a quota and the figure of the period each is read against.
TARGETS: list[tuple[str, str, str]] = [
    ("培训人次", "target_person_times", "person_times_completed"), ("培训人数", "target_persons", "persons_completed"),
    ("覆盖目标户数", "target_households", "households_covered"),
    ("两后生结业人次", "target_lianghousheng", "lianghousheng_completed"),
]
TARGET_HEADERS = ["对照年度指标", "年度目标", "本期完成", "占年度目标"]


def target_rows(p: Progress, quota: Quota | None) -> list[list[object]]:
    """Each target the quota sets, with the period's figure and its share of the target."""
    rows: list[list[object]] = []
    for label, target_field, done_field in TARGETS:
        target = getattr(quota, target_field) if quota else None
        done = getattr(p, done_field)
        if target is not None and done is not None:
            rows.append([label, target, done, round(done / target, 4) if target else "—"])
    return rows


def report_workbook(p: Progress, unit: str, period: str, kind: str, made_on: date,
                    quota: Quota | None = None) -> bytes:
    """总表 against the targets, then 分乡镇, 分工种, 分学校 and 分月 sheets."""
    title = f"{unit}农村劳动力技能培训{kind}（{period}）"
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "总表"
    _heading(ws, title, unit, period, 3)
    ws.append(["指标", "数值"])
    for cell in ws[4]:
        cell.font = BOLD
    for header, field in TOTAL_ROWS:
        ws.append([header, _value(getattr(p, field))])
    if targets := target_rows(p, quota):
        ws.append([])
        ws.append(TARGET_HEADERS)
        for cell in ws[ws.max_row]:
            cell.font = BOLD
        for row in targets:
            ws.append(row)
    ws.append([])
    ws.append([f"制表日期：{made_on.isoformat()}"])
    ws.column_dimensions["A"].width = 36
    ws.column_dimensions["B"].width = 14
    _figures_sheet(wb, "分乡镇", "乡镇", p.by.township, title, unit, period)
    _figures_sheet(wb, "分工种", "工种", p.by.trade, title, unit, period)
    _figures_sheet(wb, "分学校", "学校", p.by.school, title, unit, period)
    _figures_sheet(wb, "分月", "月份", p.by.month, title, unit, period)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


WORKLIST_HEADERS = ["乡镇", "村", "户编号", "户主", "家庭属性", "劳动力姓名", "性别", "年龄", "文化程度", "劳动能力",
                    "务工状况", "意向工种", "推荐培训班（前 3 个）"]


class WorklistWriter:
    """未覆盖户清单, one row per labourer, written as it comes (openpyxl's write-only mode: rows go to a
    temporary file, not a tree of cells), so memory stays flat however many pages are added. Names only:
    no ID numbers, phones or health."""

    def __init__(self, unit: str, year: int, made_on: date) -> None:
        self._wb = Workbook(write_only=True)
        self._ws = self._wb.create_sheet("未覆盖户")
        for i in range(1, len(WORKLIST_HEADERS) + 1):
            self._ws.column_dimensions[get_column_letter(i)].width = 40 if i == len(WORKLIST_HEADERS) else 14
        title = WriteOnlyCell(self._ws, f"{unit}{year}年尚无人参训的目标户清单")
        title.font = TITLE
        self._ws.append([title])
        self._ws.append([f"填报单位：{unit}", None, f"{year}年（截至 {made_on.isoformat()}）"])
        self._ws.append([])
        headers = []
        for h in WORKLIST_HEADERS:
            cell = WriteOnlyCell(self._ws, h)
            cell.font = BOLD
            headers.append(cell)
        self._ws.append(headers)

    def add(self, households: Iterable[UncoveredHousehold]) -> None:
        for h in households:
            for person in h.labourers:
                self._ws.append(sheet_row(self._ws, [
                    h.township_name, h.village_name, h.household_no, h.head_name,
                    POVERTY_STATUS_LABELS.get(h.poverty_status, h.poverty_status), person.name,
                    SEX_LABELS.get(person.sex, person.sex), person.age, person.education_name,
                    LABOUR_LABELS.get(person.labour_capacity, person.labour_capacity),
                    WORK_LABELS.get(person.work_status, person.work_status), "、".join(person.desired_trade_names),
                    "；".join(f"{s.title}（{s.school_name}，{s.starts_on.isoformat()} 开班）"
                             for s in person.recommended_sessions)]))

    def note(self, text: str) -> None:
        self._ws.append([])
        self._ws.append([text])

    def finish(self) -> bytes:
        out = io.BytesIO()
        self._wb.save(out)
        return out.getvalue()
