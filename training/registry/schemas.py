"""Households, people and needs surveys: request and response bodies.

ID numbers and phones go in in full and come out masked (first 3 + last 4); only
`POST /api/people/{id}/reveal` returns them in full.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from training.core.schemas import Body
from training.core.types import EducationCode, Name, Phone, RegionCode, Text, TradeCode

# The words for every code list the registry owns: the one table of each, which every export, import
# and page uses (tests/architecture/test_code_labels.py fails on a second copy).
PovertyStatus = Literal["registered_poor", "lifted", "monitored", "ordinary"]
POVERTY_STATUS_LABELS = {"registered_poor": "建档立卡贫困户", "lifted": "脱贫户", "monitored": "监测户",
                         "ordinary": "一般农户"}
MonitorType = Literal["unstable", "marginal", "sudden_hardship"]
MONITOR_TYPE_LABELS = {"unstable": "脱贫不稳定户", "marginal": "边缘易致贫户", "sudden_hardship": "突发严重困难户"}
LabourCapacity = Literal["full", "weak", "lost", "none"]
LABOUR_LABELS = {"full": "劳动力", "weak": "弱劳动力", "lost": "丧失劳动力", "none": "无劳动力"}
WorkStatus = Literal["farming", "local_work", "migrant", "unemployed", "student"]
WORK_LABELS = {"farming": "务农", "local_work": "本地务工", "migrant": "外出务工", "unemployed": "无业",
               "student": "在校学生"}
TrainingKind = Literal["long", "short", "entrepreneurship", "practical"]
Sex = Literal["male", "female"]
SEX_LABELS = {"male": "男", "female": "女"}
IdNumber = Annotated[str, msgspec.Meta(min_length=1, max_length=40, description="18 位居民身份证号码")]
Year = Annotated[int, msgspec.Meta(ge=1940, le=2100)]
Month = Annotated[int, msgspec.Meta(ge=1, le=12)]


class MemberCreate(Body):
    name: Name
    id_number: IdNumber
    relation: Annotated[str, msgspec.Meta(min_length=1, max_length=20, description="与户主关系，如 户主、配偶、子女")]
    education: EducationCode
    in_school: bool
    labour_capacity: LabourCapacity
    work_status: WorkStatus
    ethnicity: Annotated[str, msgspec.Meta(max_length=20)] | None = None
    left_school_year: Year | None = None
    disability: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    phone: Phone | None = None
    skills: Annotated[list[Annotated[str, msgspec.Meta(max_length=50)]], msgspec.Meta(max_length=20)] = []
    sex: Sex | None = None
    birth_date: date | None = None
    client_id: UUID | None = None


class HouseholdCreate(Body):
    village_code: RegionCode
    head_name: Name
    poverty_status: PovertyStatus
    members: Annotated[list[MemberCreate], msgspec.Meta(min_length=1, max_length=30)]
    phone: Phone | None = None
    household_no: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    lifted_year: Annotated[int, msgspec.Meta(ge=2013, le=2100)] | None = None
    monitor_type: MonitorType | None = None
    risk_removed: bool | None = None
    poverty_causes: Annotated[list[Annotated[str, msgspec.Meta(max_length=20)]], msgspec.Meta(max_length=11)] = []
    client_id: UUID | None = None


class HouseholdUpdate(Body):
    """Only the fields given change. `version`, when given, must be the current one (else 409)."""

    head_name: Name | None = None
    phone: Phone | None = None
    poverty_status: PovertyStatus | None = None
    lifted_year: Annotated[int, msgspec.Meta(ge=2013, le=2100)] | None = None
    monitor_type: MonitorType | None = None
    risk_removed: bool | None = None
    poverty_causes: Annotated[list[Annotated[str, msgspec.Meta(max_length=20)]], msgspec.Meta(max_length=11)] | None = None
    version: int | None = None


class PersonUpdate(Body):
    name: Name | None = None
    relation: Annotated[str, msgspec.Meta(min_length=1, max_length=20)] | None = None
    ethnicity: Annotated[str, msgspec.Meta(max_length=20)] | None = None
    education: EducationCode | None = None
    in_school: bool | None = None
    left_school_year: Year | None = None
    labour_capacity: LabourCapacity | None = None
    disability: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    work_status: WorkStatus | None = None
    phone: Phone | None = None
    skills: Annotated[list[Annotated[str, msgspec.Meta(max_length=50)]], msgspec.Meta(max_length=20)] | None = None
    version: int | None = None


class SurveyCreate(Body):
    surveyed_on: date
    desired_trades: Annotated[list[TradeCode], msgspec.Meta(max_length=3)] = []
    training_kind: TrainingKind | None = None
    available_months: Annotated[list[Month], msgspec.Meta(max_length=12)] = []
    max_travel_km: Annotated[int, msgspec.Meta(ge=0, le=2000)] | None = None
    can_board: bool | None = None
    wants_certificate: bool | None = None
    wants_job: bool | None = None
    notes: Text | None = None
    client_id: UUID | None = None


class Survey(msgspec.Struct):
    id: UUID
    person_id: UUID
    surveyed_on: date
    desired_trades: list[str]
    desired_trade_names: list[str]
    training_kind: str | None
    available_months: list[int]
    max_travel_km: int | None
    can_board: bool | None
    wants_certificate: bool | None
    wants_job: bool | None
    notes: str | None
    surveyor_id: UUID | None
    surveyor_name: str | None
    created_at: datetime


class Person(msgspec.Struct):
    id: UUID
    county_code: str
    household_id: UUID
    village_code: str
    name: str
    id_number: str  # masked
    sex: str
    birth_date: date
    age: int
    relation: str
    ethnicity: str | None
    education: str
    education_name: str
    in_school: bool
    left_school_year: int | None
    labour_capacity: str
    disability: str | None
    work_status: str
    phone: str | None  # masked
    skills: list[str]
    lianghousheng: bool
    lianghousheng_reason: str
    current_need: Survey | None
    version: int
    created_at: datetime
    updated_at: datetime


class Household(msgspec.Struct):
    id: UUID
    county_code: str
    village_code: str
    village_name: str
    household_no: str | None
    head_name: str
    phone: str | None  # masked
    poverty_status: str
    poverty_status_label: str
    lifted_year: int | None
    monitor_type: str | None
    risk_removed: bool | None
    poverty_causes: list[str]
    version: int
    members: list[Person]
    created_at: datetime
    updated_at: datetime


class Revealed(msgspec.Struct):
    person_id: UUID
    id_number: str
    phone: str | None


class DuplicateGroup(msgspec.Struct):
    """People with the same name and birth date in the same village but different ID numbers."""

    name: str
    birth_date: date
    village_code: str
    people: list[Person]
