"""One table of words per code list, where its owner keeps it (the registry's in `training.registry.schemas`,
the course kinds in `training.catalogue.schemas`): every export, import and page says a code the same way. A second copy of a table anywhere in `training/` fails here, and
so does an export or a page whose words for a code differ from the registry's.
(Education levels and trades are named by their reference tables in the database, never in code.)"""

from __future__ import annotations

import ast
import io
import re
import uuid
from datetime import date
from pathlib import Path
from typing import get_args

import pytest
from openpyxl import load_workbook

from training.catalogue.schemas import COURSE_KIND_LABELS
from training.ledger import columns
from training.progress import reports
from training.progress.schemas import UncoveredHousehold, WorklistPerson
from training.registry import schemas

ROOT = Path(__file__).resolve().parents[2] / "training"
OWNERS = {ROOT / "registry" / "schemas.py", ROOT / "catalogue" / "schemas.py"}
TABLES: dict[str, dict[str, str]] = {
    "POVERTY_STATUS_LABELS": schemas.POVERTY_STATUS_LABELS, "MONITOR_TYPE_LABELS": schemas.MONITOR_TYPE_LABELS,
    "LABOUR_LABELS": schemas.LABOUR_LABELS, "WORK_LABELS": schemas.WORK_LABELS, "SEX_LABELS": schemas.SEX_LABELS,
    "COURSE_KIND_LABELS": COURSE_KIND_LABELS,
}


def copies_in(path: Path) -> list[str]:
    """Dict literals (code -> words) whose keys are two or more codes of one of the registry's tables."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not isinstance(node, ast.Dict):
            continue
        keys = {k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
        for name, table in TABLES.items():
            if len(keys & set(table)) >= 2 and any(isinstance(v, ast.Constant) and isinstance(v.value, str)
                                                   for v in node.values):
                found.append(f"{path.name}:{node.lineno}: a copy of {name}")
    return found


def test_every_code_list_has_one_table_of_words() -> None:
    assert [f"{p.relative_to(ROOT)}: {line}" for p in sorted(ROOT.rglob("*.py")) if p not in OWNERS
            for line in copies_in(p)] == []
    # each table is written once, by its owner
    assert sum(len(copies_in(p)) for p in OWNERS) == len(TABLES)


def test_the_copy_finder_finds_a_copy(tmp_path: Path) -> None:
    # the check above can fail: a table written out again is found
    bad = tmp_path / "bad.py"
    bad.write_text('WORDS = {"full": "劳动力", "weak": "弱劳动力"}\n', encoding="utf-8")
    assert len(copies_in(bad)) == 1


def test_the_code_lists_are_the_api_values() -> None:
    for literal, table in [(schemas.PovertyStatus, schemas.POVERTY_STATUS_LABELS),
                           (schemas.MonitorType, schemas.MONITOR_TYPE_LABELS),
                           (schemas.LabourCapacity, schemas.LABOUR_LABELS), (schemas.WorkStatus, schemas.WORK_LABELS),
                           (schemas.Sex, schemas.SEX_LABELS), (schemas.TrainingKind, COURSE_KIND_LABELS)]:
        assert set(get_args(literal)) == set(table)


@pytest.mark.parametrize(("reader", "table"), [
    (columns.POVERTY, schemas.POVERTY_STATUS_LABELS), (columns.MONITOR, schemas.MONITOR_TYPE_LABELS),
    (columns.LABOUR, schemas.LABOUR_LABELS), (columns.WORK, schemas.WORK_LABELS), (columns.SEX, schemas.SEX_LABELS),
    (columns.KIND, COURSE_KIND_LABELS),
])
def test_the_ledger_reads_back_every_word_it_writes(reader: dict[str, str], table: dict[str, str]) -> None:
    assert {code: reader[label] for code, label in table.items()} == {code: code for code in table}


def test_the_ledgers_drop_downs_offer_the_registrys_words() -> None:
    from training.ledger.service import _CHOICES
    for header, table in [("家庭属性", schemas.POVERTY_STATUS_LABELS), ("劳动能力", schemas.LABOUR_LABELS),
                          ("务工状况", schemas.WORK_LABELS), ("培训类型", COURSE_KIND_LABELS),
                          ("监测类型", schemas.MONITOR_TYPE_LABELS), ("性别", schemas.SEX_LABELS)]:
        assert _CHOICES[header].split(",") == list(table.values()), header


def test_the_worklist_download_says_every_code_in_the_registrys_words() -> None:
    writer = reports.WorklistWriter("甘洛县", 2026, date(2026, 3, 1))
    people = [WorklistPerson(person_id=uuid.uuid4(), name=f"p{i}", sex=sex, age=30, education="71",
                             education_name="初中毕业", labour_capacity=labour, work_status=work,
                             desired_trades=["4-03-02-01"], desired_trade_names=["中式烹调师"], recommended_sessions=[])
              for i, (sex, labour, work) in enumerate(zip(
                  [*schemas.SEX_LABELS] * 3, [*schemas.LABOUR_LABELS] * 2, schemas.WORK_LABELS, strict=False))]
    households = [UncoveredHousehold(household_id=uuid.uuid4(), village_code="513435103201", village_name="拉莫村",
                                     township_name="吉米镇", household_no=None, head_name=f"h{s}", poverty_status=s,
                                     labourers=people) for s in schemas.POVERTY_STATUS_LABELS]
    writer.add(households)
    rows = list(load_workbook(io.BytesIO(writer.finish())).active.iter_rows(values_only=True))[4:]
    col = {h: i for i, h in enumerate(reports.WORKLIST_HEADERS)}
    for (household, person), row in zip([(h, p) for h in households for p in h.labourers], rows, strict=True):
        assert row[col["家庭属性"]] == schemas.POVERTY_STATUS_LABELS[household.poverty_status]
        assert row[col["性别"]] == schemas.SEX_LABELS[person.sex]
        assert row[col["劳动能力"]] == schemas.LABOUR_LABELS[person.labour_capacity]
        assert row[col["务工状况"]] == schemas.WORK_LABELS[person.work_status]
        assert row[col["文化程度"]] == "初中毕业"
        assert row[col["意向工种"]] == "中式烹调师"


JS = ROOT / "static" / "js" / "registry.js"


@pytest.mark.parametrize(("js_name", "table"), [
    ("POVERTY_LABELS", schemas.POVERTY_STATUS_LABELS), ("MONITOR_LABELS", schemas.MONITOR_TYPE_LABELS),
    ("LABOUR_LABELS", schemas.LABOUR_LABELS), ("WORK_LABELS", schemas.WORK_LABELS), ("SEX_LABELS", schemas.SEX_LABELS),
])
def test_the_dashboard_says_every_code_in_the_registrys_words(js_name: str, table: dict[str, str]) -> None:
    source = JS.read_text(encoding="utf-8")
    found = re.search(rf"export const {js_name} = \{{([^}}]*)\}};", source)
    assert found, js_name
    assert dict(re.findall(r'(\w+): "([^"]*)"', found[1])) == table
