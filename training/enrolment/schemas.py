"""Enrolment, attendance, completion and employment: request and response bodies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from training.core.schemas import Body
from training.core.types import SkillLevel, TradeCode

Source = Literal["recommended", "surveyor", "school", "self"]
STATUS_LABELS = {"enrolled": "已报名", "waitlisted": "候补", "withdrawn": "已退出", "dropped": "已除名",
                 "completed": "已结业", "cancelled": "已取消"}
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class EnrolmentCreate(Body):
    person_id: UUID
    source: Source = "surveyor"
    recommendation_id: UUID | None = None  # the recommendation this sign-up took up (uptake)


class Withdrawal(Body):
    reason: Reason


class AttendanceDay(Body):
    date: date
    present: Annotated[list[UUID], msgspec.Meta(max_length=2000)]


class Completion(Body):
    completed_on: date
    passed: bool
    skill_level: SkillLevel | None = None
    certificate_no: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]\d{21}$",
                                                description="职业技能等级证书编号：1 个大写字母 + 21 位数字")] | None = None
    override_reason: Reason | None = None


class EmploymentCreate(Body):
    employed_on: date
    place: Literal["local", "migrant"]
    trade_code: TradeCode | None = None
    employer: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    monthly_income: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] | None = None


class Enrolment(msgspec.Struct):
    id: UUID
    county_code: str
    session_id: UUID
    course_title: str
    trade_code: str
    trade_name: str
    school_id: UUID
    starts_on: date
    ends_on: date
    person_id: UUID
    person_name: str
    id_number: str  # masked
    village_code: str
    status: str
    status_label: str
    source: str
    waitlist_position: int | None
    reason: str | None
    attended_days: int
    recorded_days: int
    completed_on: date | None
    passed: bool | None
    skill_level: str | None
    certificate_no: str | None
    created_at: datetime


class AttendanceResult(msgspec.Struct):
    session_id: UUID
    date: date
    present: int
    absent: int


class Employment(msgspec.Struct):
    id: UUID
    enrolment_id: UUID
    employed_on: date
    place: str
    trade_code: str | None
    employer: str | None
    monthly_income: int | None


class Training(msgspec.Struct):
    """One training of a person, with what it means for the subsidy."""

    enrolment: Enrolment
    employment: list[Employment]
    subsidy_eligible: bool  # this completion can be paid: first of its year and of its occupation+level
    subsidy_note: str


class PersonTrainings(msgspec.Struct):
    person_id: UUID
    person_times: int  # 人次: completions
    certificates: list[str]
    subsidy_used_this_year: bool
    subsidy_available_this_year: bool
    trainings: list[Training]


class Roster(msgspec.Struct):
    """A page of a session's enrolments, and the session's figures (all of it, not just this page)."""

    items: list[Enrolment]
    total: int
    limit: int
    offset: int
    capacity: int
    seats_left: int
    enrolled: int  # holding a seat: 已报名 and 已结业
    waitlisted: int
    by_status: dict[str, int]


class TrainingCounts(msgspec.Struct, kw_only=True):
    """Enrolment figures of one group (a whole scope, a month, a township, a village, a trade or a
    school), derived from the enrolment rollups: 人次 are places, persons_completed are people."""

    enrolled_now: int = 0
    waitlisted_now: int = 0
    completed: int = 0
    persons_completed: int = 0
    passed: int = 0
    certified: int = 0
    employed: int = 0
    dropped: int = 0
    lianghousheng_enrolled: int = 0
    lianghousheng_completed: int = 0


class CountsBy(msgspec.Struct, kw_only=True):
    total: TrainingCounts
    # dimension ('month', 'township', 'village', 'trade', 'school') -> key -> counts
    by: dict[str, dict[str, TrainingCounts]]


class OpenPlaces(msgspec.Struct, kw_only=True):
    county_code: str
    enrolled: int  # still enrolled in sessions ending within the period
    history_completed: int  # completed and dropped places of sessions that ended before the period
    history_dropped: int
