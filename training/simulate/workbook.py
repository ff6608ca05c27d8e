"""The simulated county's registry as the ledgers (培训台账) a county imports: one for the first
door-to-door round with everyone in it, then one per later survey round (spring) and one each autumn
for the year's school leavers. Each is an .xlsx in the template's layout plus the poverty era's
optional columns (脱贫年度, 监测类型, 风险是否消除), imported through the ledger service like a clerk's
file, so every row passes the same checks. (A ledger service that does not know the era columns
ignores them; the simulator sets those fields through the registry as well.)
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

from training.catalogue.schemas import COURSE_KIND_LABELS as KIND_WORDS
from training.registry.schemas import LABOUR_LABELS as LABOUR_WORDS
from training.registry.schemas import MONITOR_TYPE_LABELS as MONITOR_WORDS
from training.registry.schemas import POVERTY_STATUS_LABELS as POVERTY_WORDS
from training.registry.schemas import WORK_LABELS as WORK_WORDS
from training.simulate.world import HouseholdPlan, PersonPlan, SurveyPlan, World

# The template's columns (GET /api/ledger/template) and the words clerks type in them.
HEADERS = ["户编号", "村代码", "户主姓名", "家庭属性", "姓名", "身份证号", "与户主关系", "民族", "文化程度", "是否在校",
           "离校年份", "劳动能力", "务工状况", "联系电话", "意向工种1", "意向工种2", "意向工种3", "培训类型", "可参训月份",
           "是否愿意住校", "调查日期", "脱贫年度", "监测类型", "风险是否消除"]


@dataclass
class Round:
    """One ledger: the people in it as they are on `day`, with the survey taken in this round."""

    day: date
    name: str
    rows: list[tuple[HouseholdPlan, PersonPlan, SurveyPlan | None]]


def status_on(household: HouseholdPlan, day: date) -> str:
    return str(era_on(household, day)["poverty_status"])


def era_on(household: HouseholdPlan, day: date) -> dict[str, object]:
    """The household's poverty status and its era fields on a day."""
    if household.transition is not None and day >= household.transition[0]:
        return {"lifted_year": None, "monitor_type": None, "risk_removed": None} | household.transition[1]
    return {"poverty_status": household.poverty_status, "lifted_year": household.lifted_year,
            "monitor_type": household.monitor_type, "risk_removed": household.risk_removed}


def rounds(world: World) -> list[Round]:
    """The ledgers in order of their day."""
    household_of = {h.index: h for h in world.households}
    groups: dict[tuple[int, str], list[SurveyPlan]] = {}
    for survey in world.surveys:
        groups.setdefault((survey.day.year, "spring" if survey.day.month <= 6 else "autumn"), []).append(survey)
    leavers: dict[int, list[PersonPlan]] = {}
    for person in world.people:
        if person.leaves is not None and person.leaves[0] <= world.today:
            leavers.setdefault(person.leaves[0].year, []).append(person)
    out: list[Round] = []
    first = groups.get((world.start.year, "spring"), [])
    by_person = {s.person: s for s in first}
    day = max([s.day for s in first], default=min(world.today, date(world.start.year, 4, 30)))
    out.append(Round(day, f"{world.start.year} 年入户调查", [
        (household_of[p.household], p, by_person.get(p.key)) for p in world.people]))
    for year in range(world.start.year, world.today.year + 1):
        spring = groups.get((year, "spring"), []) if year > world.start.year else []
        if spring:
            out.append(Round(max(s.day for s in spring), f"{year} 年春季需求调查",
                             [(household_of[world.people[s.person].household], world.people[s.person], s)
                              for s in spring]))
        autumn = {s.person: s for s in groups.get((year, "autumn"), [])}
        left = leavers.get(year, [])
        if left or autumn:
            day = max([s.day for s in autumn.values()] + [p.leaves[0] for p in left if p.leaves is not None])
            people = {p.key: p for p in left} | {k: world.people[k] for k in autumn}
            out.append(Round(day, f"{year} 年秋季离校生登记",
                             [(household_of[p.household], p, autumn.get(k)) for k, p in sorted(people.items())]))
    return out


def cells(household: HouseholdPlan, person: PersonPlan, survey: SurveyPlan | None, day: date) -> list[str]:
    trades = [*(survey.trades if survey else []), "", "", ""][:3]
    left = person.left_year_on(day)
    era = era_on(household, day)
    removed = era["risk_removed"]
    return [
        household.household_no, household.village.code, household.head_name,
        POVERTY_WORDS[status_on(household, day)], person.name, person.id_number, person.relation, person.ethnicity,
        person.education_on(day), "是" if person.in_school_on(day) else "否", str(left) if left else "",
        LABOUR_WORDS["full" if person.leaves is not None and day >= person.leaves[0] else person.labour],
        WORK_WORDS[person.work_on(day)], person.phone or "", *trades,
        KIND_WORDS[survey.kind] if survey and survey.kind else "",
        ",".join(str(m) for m in survey.months) if survey else "",
        ("是" if survey.can_board else "否") if survey else "",
        survey.day.isoformat() if survey else "",
        str(era["lifted_year"] or ""), MONITOR_WORDS.get(str(era["monitor_type"]), ""),
        "" if removed is None else ("是" if removed else "否"),
    ]


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def xlsx(round_: Round) -> bytes:
    """The ledger as an .xlsx of text cells (inline strings): the code columns stay text, as the
    template asks, and 50,000 rows take a second to write."""
    lines = [HEADERS] + [cells(h, p, s, round_.day) for h, p, s in round_.rows]
    sheet = io.StringIO()
    sheet.write('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
    for r, values in enumerate(lines, start=1):
        sheet.write(f'<row r="{r}">')
        for c, value in enumerate(values):
            if value:
                sheet.write(f'<c r="{_column(c)}{r}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
        sheet.write("</row>")
    sheet.write("</sheetData></worksheet>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'))
        archive.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        archive.writestr("xl/workbook.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="培训台账" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        archive.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'))
        archive.writestr("xl/worksheets/sheet1.xml", sheet.getvalue())
    return out.getvalue()
