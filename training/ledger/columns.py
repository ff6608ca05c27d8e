"""The training ledger (培训台账) layout and the words clerks type in it (DOMAIN.md, "The ledger's words").

Each reader takes a cell as Excel, WPS or LibreOffice hand it over (text, number, date) and returns the
API value, or raises ValueError with a Chinese message for the clerk.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from training.catalogue.schemas import COURSE_KIND_LABELS as TRAINING_KIND_LABELS
from training.core.cells import (
    a_date,
    any_date,
    code_text,
    header_key,
    months,
    phone,
    text_value,
    year,
    yes_no,
)
from training.core.text import clean, quoted
from training.registry.schemas import (
    LABOUR_LABELS,
    MONITOR_TYPE_LABELS,
    POVERTY_STATUS_LABELS,
    SEX_LABELS,
    WORK_LABELS,
)

__all__ = ["a_date", "any_date", "code_text", "header_key", "months", "phone", "text_value", "year", "yes_no"]

HEADERS = ["户编号", "村代码", "户主姓名", "家庭属性", "姓名", "身份证号", "与户主关系", "民族", "文化程度", "是否在校",
           "离校年份", "劳动能力", "务工状况", "联系电话", "意向工种1", "意向工种2", "意向工种3", "培训类型", "可参训月份",
           "是否愿意住校", "调查日期"]
SURVEY_HEADERS = ["意向工种1", "意向工种2", "意向工种3", "培训类型", "可参训月份", "是否愿意住校", "调查日期"]
REQUIRED = ["户编号", "村代码", "户主姓名", "家庭属性", "姓名", "身份证号", "文化程度", "劳动能力", "务工状况"]
# Columns a ledger may carry besides the template's: the poverty era's fields, sex and birth date (checked
# against the ID number), and the system's own ids, which an export carries so that its rows can come
# back with masked ID numbers and still name the household and person they are.
ERA_HEADERS = ["脱贫年度", "监测类型", "风险是否消除"]
HOUSEHOLD_ID, PERSON_ID = "户系统编号", "人员系统编号"
OPTIONAL = ["性别", "出生日期", *ERA_HEADERS, HOUSEHOLD_ID, PERSON_ID]
EXPORT_HEADERS = [*HEADERS, *ERA_HEADERS, HOUSEHOLD_ID, PERSON_ID]

# Other names the same column goes by in the ledgers counties actually keep.
ALIASES: dict[str, list[str]] = {
    "户编号": ["户号", "户码", "农户编号"],
    "村代码": ["村级代码", "行政村代码", "村区划代码", "区划代码", "村编码"],
    "户主姓名": ["户主"],
    "家庭属性": ["户类型", "农户属性", "贫困户属性", "家庭类型", "户属性"],
    "姓名": ["成员姓名", "人员姓名"],
    "身份证号": ["身份证号码", "公民身份号码", "居民身份证号码", "证件号码", "身份证"],
    "与户主关系": ["关系"],
    "文化程度": ["学历"],
    "是否在校": ["在校生", "是否在校生"],
    "离校年份": ["毕业年份", "离校时间"],
    "劳动能力": ["劳动力状况", "劳动技能"],
    "务工状况": ["就业状况", "务工情况", "就业情况"],
    "联系电话": ["电话", "手机号", "手机号码", "联系方式"],
    "意向工种1": ["培训意向1", "意向工种一"],
    "意向工种2": ["培训意向2", "意向工种二"],
    "意向工种3": ["培训意向3", "意向工种三"],
    "培训类型": ["培训方式", "参训类型"],
    "可参训月份": ["可参训时间", "空闲月份"],
    "是否愿意住校": ["愿意住校", "能否住校"],
    "调查日期": ["填表日期", "调查时间"],
    "性别": [],
    "出生日期": ["出生年月日"],
    "脱贫年度": ["脱贫年份", "脱贫时间"],
    "监测类型": ["监测对象类型", "监测户类型"],
    "风险是否消除": ["风险消除", "是否风险消除", "风险是否已消除"],
    HOUSEHOLD_ID: ["系统户编号"],
    PERSON_ID: ["系统人员编号"],
}
CANONICAL: dict[str, str] = {header_key(h): h for h in [*HEADERS, *OPTIONAL]}
CANONICAL.update({header_key(a): h for h, names in ALIASES.items() for a in names})

# ------------------------------------------------------------------ words


def _words(synonyms: dict[str, str], labels: dict[str, str]) -> dict[str, str]:
    """Words (and codes) to a code: the registry's word for each code, which every export writes, and the
    other words clerks type."""
    folded = {clean(k).lower(): v for k, v in synonyms.items()}
    folded.update({label: code for code, label in labels.items()})
    folded.update({v: v for v in folded.values()})
    return folded


POVERTY = _words({"建档立卡贫困户": "registered_poor", "贫困户": "registered_poor", "建档立卡户": "registered_poor",
                  "一般贫困户": "registered_poor", "低保贫困户": "registered_poor", "特困供养贫困户": "registered_poor",
                  "脱贫户": "lifted", "已脱贫户": "lifted", "监测户": "monitored", "监测对象": "monitored",
                  "防返贫监测对象": "monitored", "一般农户": "ordinary", "非贫困户": "ordinary"}, POVERTY_STATUS_LABELS)
LABOUR = _words({"劳动力": "full", "普通劳动力": "full", "技能劳动力": "full", "弱劳动力": "weak", "半劳动力": "weak",
                 "丧失劳动力": "lost", "无劳动力": "none"}, LABOUR_LABELS)
WORK = _words({"务农": "farming", "本地务工": "local_work", "县内务工": "local_work", "外出务工": "migrant",
               "县外务工": "migrant", "无业": "unemployed", "待业": "unemployed", "在校学生": "student",
               "学生": "student"}, WORK_LABELS)
# A 监测户 written as its kind (as the 防返贫监测 system lists them) says both status and type.
MONITOR = _words({"脱贫不稳定户": "unstable", "不稳定户": "unstable", "边缘易致贫户": "marginal", "边缘户": "marginal",
                  "突发严重困难户": "sudden_hardship", "严重困难户": "sudden_hardship"}, MONITOR_TYPE_LABELS)
POVERTY.update({k: "monitored" for k in MONITOR if not k.isascii()})
SEX = _words({"男": "male", "男性": "male", "女": "female", "女性": "female"}, SEX_LABELS)
KIND = _words({"长期培训": "long", "学历教育": "long", "短期技能培训": "short", "短期培训": "short",
               "创业培训": "entrepreneurship", "农业实用技术": "practical", "实用技术培训": "practical"},
              TRAINING_KIND_LABELS)
EDUCATION = _words({"小学毕业": "81", "小学": "81", "小学肄业": "83", "初中毕业": "71", "初中": "71", "初中肄业": "73",
                    "普通高中毕业": "61", "高中毕业": "61", "高中": "61", "高中肄业": "63", "普通高中肄业": "63",
                    "中专毕业": "41", "中专": "41", "职高毕业": "44", "职高": "44", "技工学校毕业": "47",
                    "技校": "47", "大学专科毕业": "31", "大专": "31", "大学本科毕业": "21", "本科": "21",
                    "未上过学": "90", "文盲": "90", "文盲或半文盲": "90"}, {})


def word(mapping: dict[str, str], what: str) -> Callable[[object], str | None]:
    def read(cell: object) -> str | None:
        text = clean(cell)
        if not text:
            return None
        value = mapping.get(text.lower())
        if value is None:
            choices = "、".join(k for k in mapping if not k.isascii())[:80]
            raise ValueError(f"不认识的{what}“{quoted(text)}”，可填：{choices}…")
        return value

    return read


def education(cell: object, names: dict[str, str]) -> str | None:
    """A GB/T 4658 code (checked by the registry's person rule, like any entry path's) or its words: the
    table's own names (`names`, what an export writes) or the short forms clerks type."""
    text = clean(cell)
    if not text:
        return None
    if text.endswith(".0"):
        text = text[:-2]
    if text.isdigit():
        return text
    code = names.get(text) or EDUCATION.get(text)
    if code is None:
        raise ValueError(f"不认识的文化程度“{quoted(text)}”，可填代码（如 71）或 初中毕业、高中毕业、中专毕业 等")
    return code


Reader = Callable[[object], Any]
