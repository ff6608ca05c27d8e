"""Every rule about a household, a person and a needs survey, in one place.

The API (POST/PATCH households, members, people, surveys), the offline sync and the Excel ledger all
turn what they received into a plain record (API field names, API values) and call the one function
for its kind here. Each answers `FieldError`s whose `field` is the record's own field name
(`left_school_year`, `desired_trades[1]`); an entry path only maps that name to where its caller looks
(`members[0].left_school_year`, `data.left_school_year`, the ledger's 离校年份 column). So the three
paths cannot drift: the same bad record gets the same rule and the same Chinese message everywhere.

What needs the database (is the village registered and in reach, is the ID number registered
elsewhere) is checked by each path's service; what is a fact about the record alone is checked here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

import msgspec

from training.core.errors import FieldError
from training.core.idcard import IdCard, IdCardError, parse_id_number
from training.core.text import printable, quoted
from training.core.types import date_out_of_range
from training.registry.schemas import SEX_LABELS

POVERTY_STATUSES = ("registered_poor", "lifted", "monitored", "ordinary")
MONITOR_TYPES = ("unstable", "marginal", "sudden_hardship")
LABOUR_CAPACITIES = ("full", "weak", "lost", "none")
WORK_STATUSES = ("farming", "local_work", "migrant", "unemployed", "student")
TRAINING_KINDS = ("long", "short", "entrepreneurship", "practical")
SCHOOL_AGE = 5  # nobody leaves school before they could have started it
_VILLAGE = re.compile(r"^\d{12}$")
_PHONE = re.compile(r"^\+?\d{5,15}$")
_TRADE = re.compile(r"^\d-\d{2}-\d{2}-\d{2}$")


class Reference(msgspec.Struct, frozen=True):
    """The code tables the rules check against, and the county's today."""

    education: frozenset[str]
    trades: frozenset[str]
    today: date


class Identity(msgspec.Struct, frozen=True):
    """What the registry already knows about a person whose ID number is not retyped (a PATCH, a
    ledger row with the masked number of an exported person)."""

    birth_date: date
    sex: str


def _text(errors: list[FieldError], record: Mapping[str, Any], field: str, label: str, limit: int,
          required: bool) -> None:
    value = record.get(field)
    text = value.strip() if isinstance(value, str) else value
    if text in (None, ""):
        if required:
            errors.append(FieldError(field, f"{label}不能为空"))
    elif len(str(text)) > limit:
        errors.append(FieldError(field, f"{label}最多 {limit} 个字"))


def _phone(errors: list[FieldError], record: Mapping[str, Any], field: str = "phone") -> None:
    value = record.get(field)
    if value and not _PHONE.fullmatch(re.sub(r"[\s\-()]", "", str(value))):
        errors.append(FieldError(field, "电话号码应为 5-15 位数字"))


def _unprintable(record: Mapping[str, Any]) -> list[FieldError]:
    """Text still holding characters nobody can see (core.text.printable). Every entry path cleans them
    as it decodes (JSON bodies, workbook cells), so this only fires for a path that forgot: refused, never
    stored, since one such character in a name made every ledger export of the county fail."""
    errors = []
    for field, value in record.items():
        if isinstance(value, str):
            if printable(value) != value:
                errors.append(FieldError(field, _UNPRINTABLE_MESSAGE))
        elif isinstance(value, list | tuple):
            errors += [FieldError(f"{field}[{i}]", _UNPRINTABLE_MESSAGE) for i, v in enumerate(value)
                       if isinstance(v, str) and printable(v) != v]
    return errors


_UNPRINTABLE_MESSAGE = "含有看不见的控制字符或零宽字符，请删除后再提交"


def household_errors(record: Mapping[str, Any], reference: Reference) -> list[FieldError]:
    """A household: village code, head, 户编号, poverty status and the fields of its era (脱贫年度 for a
    脱贫户; 监测类型 and 风险是否消除 for a 监测户)."""
    errors: list[FieldError] = _unprintable(record)
    village = record.get("village_code")
    if village is not None and not _VILLAGE.fullmatch(str(village)):
        errors.append(FieldError("village_code", "村代码应为 12 位统计用区划代码"))
    _text(errors, record, "head_name", "户主姓名", 100, True)
    _text(errors, record, "household_no", "户编号", 40, False)
    _phone(errors, record)
    status = record.get("poverty_status")
    if status not in POVERTY_STATUSES:
        errors.append(FieldError("poverty_status", "家庭属性应为 建档立卡贫困户、脱贫户、监测户 或 一般农户"))
    lifted = record.get("lifted_year")
    if lifted is not None:
        if status != "lifted":
            errors.append(FieldError("lifted_year", "只有脱贫户填写脱贫年度"))
        elif not 2013 <= lifted <= reference.today.year:
            errors.append(FieldError("lifted_year", f"脱贫年度应在 2013 年至 {reference.today.year} 年之间"))
    monitor = record.get("monitor_type")
    if status == "monitored" and not monitor:
        errors.append(FieldError("monitor_type", "监测户须填写监测类型（脱贫不稳定户、边缘易致贫户或突发严重困难户）"))
    elif status != "monitored" and (monitor or record.get("risk_removed") is not None):
        errors.append(FieldError("monitor_type", "只有监测户填写监测类型和风险是否消除"))
    elif monitor and monitor not in MONITOR_TYPES:
        errors.append(FieldError("monitor_type", "监测类型应为 脱贫不稳定户、边缘易致贫户 或 突发严重困难户"))
    causes = record.get("poverty_causes") or []
    if len(set(causes)) != len(causes):
        errors.append(FieldError("poverty_causes", "致贫原因重复"))
    return errors


def person_errors(record: Mapping[str, Any], reference: Reference,
                  known: Identity | None = None) -> tuple[IdCard | None, list[FieldError]]:
    """A person: name, ID number (GB 11643) and its agreement with the birth date and sex typed, the
    year of leaving school against the birth year, 文化程度 code, in school vs work status, labour
    capacity, phone. With `known` (no ID number retyped) the agreement is checked against it.
    Returns the parsed ID number (None when absent or wrong) and the errors."""
    errors: list[FieldError] = _unprintable(record)
    _text(errors, record, "name", "姓名", 100, True)
    _text(errors, record, "relation", "与户主关系", 20, True)
    _text(errors, record, "ethnicity", "民族", 20, False)
    card: IdCard | None = None
    birth, sex = (known.birth_date, known.sex) if known is not None else (None, None)
    if known is None or record.get("id_number") not in (None, ""):
        try:
            card = parse_id_number(record.get("id_number"))
            birth, sex = card.birth_date, card.sex
        except IdCardError as exc:
            errors.append(FieldError("id_number", str(exc)))
    if sex is not None and record.get("sex") and record["sex"] != sex:
        errors.append(FieldError("sex", f"与身份证号不符：身份证号显示为{SEX_LABELS.get(sex, sex)}"))
    if birth is not None and record.get("birth_date") and record["birth_date"] != birth:
        errors.append(FieldError("birth_date", f"与身份证号不符：身份证号显示出生于 {birth}"))
    left = record.get("left_school_year")
    if left is not None:
        if not 1940 <= left <= reference.today.year + 10:
            errors.append(FieldError("left_school_year", "离校年份应为 4 位年份，如 2024"))
        elif birth is not None and left < birth.year + SCHOOL_AGE:
            errors.append(FieldError("left_school_year", "离校年份早于入学年龄"))
    education = record.get("education")
    if education not in reference.education:
        errors.append(FieldError("education", f"{quoted(str(education))} 不是文化程度代码（GB/T 4658）"))
    if record.get("labour_capacity") not in LABOUR_CAPACITIES:
        errors.append(FieldError("labour_capacity", "劳动能力应为 劳动力、弱劳动力、丧失劳动力 或 无劳动力"))
    work = record.get("work_status")
    if work not in WORK_STATUSES:
        errors.append(FieldError("work_status", "务工状况应为 务农、本地务工、外出务工、无业 或 在校学生"))
    elif record.get("in_school") and work != "student":
        errors.append(FieldError("work_status", "在校学生的务工状况应为“在校学生”"))
    _phone(errors, record)
    skills = record.get("skills") or []
    if len(set(skills)) != len(skills):
        errors.append(FieldError("skills", "技能重复"))
    return card, errors


def survey_errors(record: Mapping[str, Any], reference: Reference) -> list[FieldError]:
    """A needs survey: up to three known, different trades; the kind of training; months 1-12 once
    each; a survey date that is neither in the future nor before 2000."""
    errors: list[FieldError] = _unprintable(record)
    trades = list(record.get("desired_trades") or [])
    if len(trades) > 3:
        errors.append(FieldError("desired_trades", "最多填 3 个意向工种"))
    for i, code in enumerate(trades):
        if not _TRADE.fullmatch(str(code)) or code not in reference.trades:
            errors.append(FieldError(f"desired_trades[{i}]", f"工种代码 {quoted(str(code))} 不在职业分类大典工种表中"))
    if len(set(trades)) != len(trades):
        errors.append(FieldError("desired_trades", "意向工种重复"))
    kind = record.get("training_kind")
    if kind is not None and kind not in TRAINING_KINDS:
        errors.append(FieldError("training_kind", "培训类型应为 长期培训、短期技能培训、创业培训 或 农业实用技术"))
    months = list(record.get("available_months") or [])
    if any(not 1 <= m <= 12 for m in months):
        errors.append(FieldError("available_months", "月份应为 1-12"))
    elif len(set(months)) != len(months):
        errors.append(FieldError("available_months", "月份重复"))
    surveyed_on = record.get("surveyed_on")
    if surveyed_on is None:
        errors.append(FieldError("surveyed_on", "调查日期不能为空"))
    elif surveyed_on > reference.today:
        errors.append(FieldError("surveyed_on", "调查日期不能晚于今天"))
    elif date_out_of_range(surveyed_on):
        errors.append(FieldError("surveyed_on", "调查日期应在 2000 年以后"))
    return errors


def at(path: str, errors: list[FieldError]) -> list[FieldError]:
    """The errors with each field under `path` (`members[0].`, `data.`)."""
    return [FieldError(path + e.field, e.message, e.location) for e in errors]
