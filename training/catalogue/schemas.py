"""The course menu's request and response bodies (四晒一亮)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from training.core.schemas import Body
from training.core.types import (
    CountyCode,
    EducationCode,
    Name,
    Phone,
    RegionCode,
    SkillLevel,
    Text,
    TradeCode,
)

SchoolKind = Literal["secondary_vocational", "technical", "higher_vocational", "training_institution"]
SCHOOL_KIND_LABELS = {"secondary_vocational": "中等职业学校", "technical": "技工学校",
                      "higher_vocational": "高等职业院校", "training_institution": "职业培训机构"}
CourseKind = Literal["long", "short", "entrepreneurship", "practical"]
COURSE_KIND_LABELS = {"long": "长期培训", "short": "短期技能培训", "entrepreneurship": "创业培训",
                      "practical": "农业实用技术"}
SessionStatus = Literal["draft", "published", "cancelled"]
SESSION_STATUS_LABELS = {"draft": "草稿", "published": "已发布", "cancelled": "已取消"}
TradeCodes = Annotated[list[TradeCode], msgspec.Meta(min_length=1, max_length=20)]


class EducationLevel(msgspec.Struct):
    code: str
    name: str
    rank: int


class TradeRef(msgspec.Struct):
    code: str
    name: str


class Trade(msgspec.Struct):
    code: str
    name: str
    edition: str
    category: str
    focus: bool
    aliases: list[str]


# ------------------------------------------------------------------ schools and what they show


class SchoolCreate(Body):
    county_code: CountyCode
    name: Annotated[str, msgspec.Meta(min_length=2, max_length=100)]
    kind: SchoolKind
    address: Text | None = None
    phone: Phone | None = None


class School(msgspec.Struct):
    id: UUID
    county_code: str
    name: str
    kind: str
    kind_label: str
    address: str | None
    phone: str | None
    created_at: datetime


class MajorCreate(Body):
    name: Name
    trade_codes: TradeCodes


class Major(msgspec.Struct):
    id: UUID
    school_id: UUID
    county_code: str
    name: str
    trade_codes: list[str]
    trades: list[TradeRef]
    created_at: datetime


class TeacherCreate(Body):
    name: Name
    trade_codes: TradeCodes
    title: Name | None = None
    skill_level: SkillLevel | None = None


class Teacher(msgspec.Struct):
    id: UUID
    school_id: UUID
    county_code: str
    name: str
    title: str | None
    trade_codes: list[str]
    trades: list[TradeRef]
    skill_level: str | None
    created_at: datetime


class EquipmentCreate(Body):
    name: Name
    quantity: Annotated[int, msgspec.Meta(ge=1, le=100_000)]
    trade_codes: TradeCodes


class Equipment(msgspec.Struct):
    id: UUID
    school_id: UUID
    county_code: str
    name: str
    quantity: int
    trade_codes: list[str]
    trades: list[TradeRef]
    created_at: datetime


class SchoolDetail(msgspec.Struct):
    """A school with everything it shows: majors, teachers, equipment, courses (四晒)."""

    school: School
    majors: list[Major]
    teachers: list[Teacher]
    equipment: list[Equipment]
    courses: list[Course]


# ------------------------------------------------------------------ courses and sessions

Age = Annotated[int, msgspec.Meta(ge=0, le=120)]


class CourseCreate(Body):
    school_id: UUID
    title: Name
    trade_code: TradeCode
    kind: CourseKind
    hours: Annotated[int, msgspec.Meta(ge=1, le=5000, description="学时")]
    certificate: bool
    skill_level: SkillLevel | None = None
    min_age: Age | None = None
    max_age: Age | None = None
    min_education: EducationCode | None = None
    description: Text | None = None


class Course(msgspec.Struct):
    id: UUID
    county_code: str
    school_id: UUID
    school_name: str
    title: str
    trade_code: str
    trade_name: str
    kind: str
    kind_label: str
    hours: int
    skill_level: str | None
    certificate: bool
    min_age: int | None
    max_age: int | None
    min_education: str | None
    min_education_name: str | None
    description: str | None
    created_at: datetime


class SessionCreate(Body):
    starts_on: date
    ends_on: date
    village_code: RegionCode
    capacity: Annotated[int, msgspec.Meta(ge=0, le=10_000)]
    teacher_ids: Annotated[list[UUID], msgspec.Meta(max_length=20)]
    schedule: Text | None = None
    venue: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class SessionUpdate(Body):
    """Change a draft; only the fields given change."""

    starts_on: date | None = None
    ends_on: date | None = None
    village_code: RegionCode | None = None
    capacity: Annotated[int, msgspec.Meta(ge=0, le=10_000)] | None = None
    teacher_ids: Annotated[list[UUID], msgspec.Meta(max_length=20)] | None = None
    schedule: Text | None = None
    venue: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class SeatFigures(msgspec.Struct):
    """The figures of a session that depend on its enrolments. The catalogue shows them but never
    counts them: they come from the enrolment slice (see `catalogue.service.SeatCounts`)."""

    seats_left: int
    enrolled: int  # holding a seat: enrolled or completed
    waitlisted: int


class SessionCancel(Body):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500, description="取消原因")]


class TeacherRef(msgspec.Struct):
    id: UUID
    name: str


class Session(msgspec.Struct):
    id: UUID
    county_code: str
    course_id: UUID
    course_title: str
    course_kind: str
    course_kind_label: str
    school_id: UUID
    school_name: str
    trade_code: str
    trade_name: str
    starts_on: date
    ends_on: date
    village_code: str
    village_name: str
    township_code: str
    township_name: str
    venue: str | None
    capacity: int
    seats_left: int
    enrolled: int
    waitlisted: int
    schedule: str | None
    status: str
    status_label: str
    teachers: list[TeacherRef]
    published_at: datetime | None
    created_at: datetime


class RuleFailure(msgspec.Struct):
    rule: str
    message: str


# ------------------------------------------------------------------ packages and the menu


class PackageCreate(Body):
    county_code: CountyCode
    name: Name
    village_codes: Annotated[list[RegionCode], msgspec.Meta(min_length=1, max_length=500)]
    session_ids: Annotated[list[UUID], msgspec.Meta(min_length=1, max_length=500)]


class RegionRef(msgspec.Struct):
    code: str
    name: str
    key_poverty: bool


class Package(msgspec.Struct):
    id: UUID
    county_code: str
    name: str
    villages: list[RegionRef]
    session_ids: list[UUID]
    created_at: datetime


Nearness = Literal["same_village", "same_township", "same_county"]


class MenuItem(msgspec.Struct):
    session_id: UUID
    course_id: UUID
    course_title: str
    course_kind: str
    course_kind_label: str
    hours: int
    certificate: bool
    skill_level: str | None
    school_id: UUID
    school_name: str
    trade_code: str
    trade_name: str
    starts_on: date
    ends_on: date
    village_code: str
    village_name: str
    township_name: str
    venue: str
    capacity: int
    seats_left: int
    enrolled: int
    waitlisted: int
    nearness: Nearness
    in_package: bool
    package_names: list[str]


class Menu(msgspec.Struct):
    """培训菜单 for one village: package sessions first for key poverty villages, then nearest first."""

    village_code: str
    village_name: str
    key_poverty: bool
    items: list[MenuItem]
    # One page of the menu, as every list: `total` sessions in all, this page from `offset`, at most `limit`.
    total: int
    limit: int
    offset: int
