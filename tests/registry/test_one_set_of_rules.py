"""One set of rules: a household, a person or a needs survey is judged by the same code whichever way it
comes in — the API, the offline sync or the Excel ledger — so the same bad record gets the same error,
word for word, on each path. Each path only says where the field is: `members[0].left_school_year`,
`data.left_school_year`, or the ledger's 离校年份 column.

Regression: a ledger row with 离校年份 1976 for a man born in 1975 used to import, after which every
PATCH of that person failed with 422.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

import pytest

from tests.conftest import Api
from tests.helpers import today
from tests.ledger.nasty import HEADERS, XLSX_MIME, ledger
from tests.registry.test_households import id_number
from tests.seed import ELECTRICIAN, KEY_VILLAGE

Kind = Literal["household", "person", "survey"]
Errors = set[tuple[str, str]]  # (field of the record, message)

BORN_1975 = id_number(date(1975, 3, 2), 11)
# Each path registers its own good household and person, so a survey's paths do not meet each other's.
OTHERS = {"sync": ("S-1", id_number(date(1980, 4, 5), 21)), "ledger": ("L-1", id_number(date(1981, 6, 7), 31))}
BAD_CHECK = BORN_1975[:-1] + ("1" if BORN_1975[-1] != "1" else "2")

# Where the ledger keeps each field of the records (the clerk's columns).
COLUMNS = {
    "village_code": "村代码", "household_no": "户编号", "head_name": "户主姓名", "poverty_status": "家庭属性",
    "lifted_year": "脱贫年度", "monitor_type": "监测类型", "risk_removed": "风险是否消除",
    "name": "姓名", "id_number": "身份证号", "relation": "与户主关系", "education": "文化程度", "in_school": "是否在校",
    "left_school_year": "离校年份", "labour_capacity": "劳动能力", "work_status": "务工状况", "sex": "性别",
    "birth_date": "出生日期", "surveyed_on": "调查日期", "desired_trades": "意向工种1", "desired_trades[0]": "意向工种1",
    "desired_trades[1]": "意向工种2", "training_kind": "培训类型", "available_months": "可参训月份",
    "can_board": "是否愿意住校",
}
LEDGER_HEADERS = [*HEADERS, "性别", "出生日期", "脱贫年度", "监测类型", "风险是否消除"]
WORDS: dict[str, dict[Any, str]] = {
    "poverty_status": {"registered_poor": "建档立卡贫困户", "lifted": "脱贫户", "monitored": "监测户",
                       "ordinary": "一般农户"},
    "monitor_type": {"unstable": "脱贫不稳定户", "marginal": "边缘易致贫户", "sudden_hardship": "突发严重困难户"},
    "labour_capacity": {"full": "劳动力", "weak": "弱劳动力", "lost": "丧失劳动力", "none": "无劳动力"},
    "work_status": {"farming": "务农", "local_work": "本地务工", "migrant": "外出务工", "unemployed": "无业",
                    "student": "在校学生"},
    "training_kind": {"long": "长期培训", "short": "短期技能培训", "entrepreneurship": "创业培训", "practical": "农业实用技术"},
    "sex": {"male": "男", "female": "女"},
}


def good_household(**changes: Any) -> dict[str, Any]:
    return {"village_code": KEY_VILLAGE, "household_no": "R-1", "head_name": "阿木日哈", "poverty_status": "lifted",
            **changes}


def good_person(**changes: Any) -> dict[str, Any]:
    return {"name": "阿木日哈", "id_number": BORN_1975, "relation": "户主", "education": "71", "in_school": False,
            "labour_capacity": "full", "work_status": "farming", **changes}


def good_survey(**changes: Any) -> dict[str, Any]:
    return {"surveyed_on": today().isoformat(), "desired_trades": [ELECTRICIAN], "training_kind": "short",
            "available_months": [3, 4], "can_board": True, **changes}


@dataclass
class Bad:
    """A record that is wrong in one way; every other record of the row is right."""

    kind: Kind
    changes: dict[str, Any]
    named: str  # the record's field the rule names
    fragment: str  # a piece of the rule's message
    household: dict[str, Any] = field(default_factory=good_household)
    person: dict[str, Any] = field(default_factory=good_person)
    survey: dict[str, Any] = field(default_factory=good_survey)

    def __post_init__(self) -> None:
        record = {"household": self.household, "person": self.person, "survey": self.survey}[self.kind]
        record.update(self.changes)


BAD = {
    "id_check_character": Bad("person", {"id_number": BAD_CHECK}, "id_number", "校验位"),
    "id_fifteen_digits": Bad("person", {"id_number": "513435650302123"}, "id_number", "15 位"),
    "id_in_scientific_notation": Bad("person", {"id_number": "5.13435E+17"}, "id_number", "科学计数法"),
    "sex_against_id": Bad("person", {"sex": "female"}, "sex", "与身份证号不符"),
    "birth_date_against_id": Bad("person", {"birth_date": "1975-03-03"}, "birth_date", "与身份证号不符"),
    "left_school_before_school_age": Bad("person", {"left_school_year": 1976}, "left_school_year", "离校年份早于入学年龄"),
    "unknown_education_code": Bad("person", {"education": "99"}, "education", "不是文化程度代码"),
    "pupil_at_work": Bad("person", {"in_school": True, "work_status": "farming"}, "work_status", "在校学生"),
    "lifted_year_of_an_ordinary_household": Bad("household", {"poverty_status": "ordinary", "lifted_year": 2019},
                                                "lifted_year", "只有脱贫户"),
    "lifted_next_year": Bad("household", {"lifted_year": today().year + 1}, "lifted_year", "脱贫年度应在"),
    "monitored_without_type": Bad("household", {"poverty_status": "monitored"}, "monitor_type", "监测户须填写监测类型"),
    "risk_of_an_ordinary_household": Bad("household", {"poverty_status": "ordinary", "risk_removed": True},
                                         "monitor_type", "只有监测户"),
    "surveyed_tomorrow": Bad("survey", {"surveyed_on": (today() + timedelta(days=1)).isoformat()}, "surveyed_on",
                             "不能晚于今天"),
    "unknown_trade_code": Bad("survey", {"desired_trades": ["9-99-99-99"]}, "desired_trades[0]", "不在职业分类大典"),
    "same_trade_twice": Bad("survey", {"desired_trades": [ELECTRICIAN, ELECTRICIAN]}, "desired_trades", "意向工种重复"),
}


# ------------------------------------------------------------------ the three ways in


def _under(prefix: str, errors: list[dict[str, Any]]) -> Errors:
    return {(e["field"].removeprefix(prefix), e["message"]) for e in errors}


async def through_the_api(api: Api, bad: Bad) -> Errors:
    if bad.kind == "survey":
        created = await api.post("/api/households", "surveyor_a", json=bad.household | {"members": [bad.person]})
        assert created.status_code == 201, created.text
        person_id = created.json()["members"][0]["id"]
        response = await api.post(f"/api/people/{person_id}/surveys", "surveyor_a", json=bad.survey)
        assert response.status_code == 422, response.text
        return _under("", response.json()["errors"])
    response = await api.post("/api/households", "surveyor_a", json=bad.household | {"members": [bad.person]})
    assert response.status_code == 422, response.text
    return _under("members[0].", response.json()["errors"])


def _own(bad: Bad, path: str) -> Bad:
    """The same bad record, in a household and (unless the person is what is wrong) of a person of the path's own."""
    number, id_number_ = OTHERS[path]
    household = bad.household | {"household_no": number}
    person = bad.person if bad.kind == "person" else bad.person | {"id_number": id_number_}
    return Bad(bad.kind, {}, bad.named, bad.fragment, household, person, bad.survey)


async def through_the_sync(api: Api, bad: Bad) -> Errors:
    bad = _own(bad, "sync")
    household, person = uuid.uuid4(), uuid.uuid4()
    items: list[dict[str, Any]] = [
        {"kind": "household", "client_id": str(household), "data": bad.household},
        {"kind": "person", "client_id": str(person), "household": str(household), "data": bad.person},
        {"kind": "survey", "client_id": str(uuid.uuid4()), "person": str(person), "data": bad.survey},
    ]
    response = await api.post("/api/sync", "surveyor_a", json={"items": items})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    index = ["household", "person", "survey"].index(bad.kind)
    assert [r["status"] for r in results[:index]] == ["created"] * index, results
    assert results[index]["status"] == "error", results[index]
    return _under("data.", results[index]["errors"])


def _cell(name: str, value: Any) -> Any:
    if isinstance(value, bool):
        return "是" if value else "否"
    if name in WORDS:
        return WORDS[name][value]
    return value


def ledger_row(bad: Bad) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for record in (bad.household, bad.person):
        row.update({COLUMNS[k]: _cell(k, v) for k, v in record.items()})
    survey = dict(bad.survey)
    for i, code in enumerate(survey.pop("desired_trades")):
        row[f"意向工种{i + 1}"] = code
    row["可参训月份"] = "、".join(str(m) for m in survey.pop("available_months"))
    row.update({COLUMNS[k]: _cell(k, v) for k, v in survey.items()})
    return row


async def through_the_ledger(api: Api, bad: Bad) -> set[tuple[str, str]]:
    content = ledger([ledger_row(_own(bad, "ledger"))], LEDGER_HEADERS)
    response = await api.http.post("/api/ledger/import", headers=api.token("surveyor_a"),
                                   files={"file": ("台账.xlsx", content, XLSX_MIME)})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["written"] is False
    return {(r["column"], r["message"]) for r in result["rejected"]}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
async def test_the_same_bad_record_gets_the_same_error_on_every_path(api: Api, case: str) -> None:
    bad = BAD[case]
    from_api = await through_the_api(api, bad)
    assert bad.named in {f for f, _ in from_api}, from_api
    assert all(bad.fragment in m for f, m in from_api if f == bad.named), from_api
    assert await through_the_sync(api, bad) == from_api
    assert await through_the_ledger(api, bad) == {(COLUMNS[f], m) for f, m in from_api}


async def test_a_ledger_person_who_left_school_before_school_age_is_refused_so_later_edits_still_work(
        api: Api) -> None:
    row = ledger_row(Bad("person", {}, "", ""))
    refused = await api.http.post("/api/ledger/import", headers=api.token("surveyor_a"), files={
        "file": ("台账.xlsx", ledger([row | {"离校年份": 1976}], LEDGER_HEADERS), XLSX_MIME)})
    assert [(r["column"], r["message"]) for r in refused.json()["rejected"]] == [("离校年份", "离校年份早于入学年龄")]
    accepted = await api.http.post("/api/ledger/import", headers=api.token("surveyor_a"), files={
        "file": ("台账.xlsx", ledger([row | {"离校年份": 1990}], LEDGER_HEADERS), XLSX_MIME)})
    assert accepted.json()["people_created"] == 1
    [person] = (await api.get("/api/people", "surveyor_a")).json()["items"]
    patched = await api.patch(f"/api/people/{person['id']}", "surveyor_a", json={"work_status": "migrant"})
    assert patched.status_code == 200, patched.text
