"""Recommendations, candidates and batches (分批次): request and response bodies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from training.core.schemas import Body
from training.core.types import RegionCode


class RuleCount(msgspec.Struct):
    """A hard rule that kept sessions (or people) out, and how many."""

    rule: str
    message: str
    count: int


class Recommendation(msgspec.Struct):
    recommendation_id: UUID
    session_id: UUID
    course_title: str
    trade_code: str
    trade_name: str
    school_name: str
    starts_on: date
    ends_on: date
    village_code: str
    village_name: str
    seats_left: int
    waitlist_length: int
    score: float
    reasons: list[str]


class Recommendations(msgspec.Struct):
    person_id: UUID
    model_version: str | None
    items: list[Recommendation]
    empty_reason: str | None = None  # why there is nothing to offer, in Chinese
    excluded: list[RuleCount] = []  # what the hard rules removed before scoring


class TopSession(msgspec.Struct):
    """One of a person's best open sessions in a list of many people (the surveyor's worklist)."""

    session_id: UUID
    course_title: str
    trade_name: str
    school_name: str
    village_name: str
    starts_on: date
    score: float


class TopSessions(msgspec.Struct):
    model_version: str | None
    by_person: dict[UUID, list[TopSession]]
    note: str | None = None  # why every list is empty (no open session, no model), in Chinese


class Candidate(msgspec.Struct):
    recommendation_id: UUID
    person_id: UUID
    name: str
    id_number: str  # masked
    sex: str
    age: int
    village_code: str
    village_name: str
    poverty_status: str
    lianghousheng: bool
    score: float
    reasons: list[str]


class Candidates(msgspec.Struct):
    session_id: UUID
    model_version: str | None
    items: list[Candidate]
    empty_reason: str | None = None
    excluded: list[RuleCount] = []


PriorityWeight = Annotated[float, msgspec.Meta(
    ge=0, le=100, description="优先对象（建档立卡、脱贫、监测户成员和两后生）的加权：每人预期结业数乘以 1+此值；"
                              "0 表示一视同仁（默认取设置 TRAINING_ALLOCATION_PRIORITY_WEIGHT）")]


class AllocationCreate(Body):
    region_code: RegionCode
    session_ids: Annotated[list[UUID], msgspec.Meta(min_length=1, max_length=500)] | None = None
    priority_weight: PriorityWeight | None = None


Outcome = Literal["proposed", "enrolled", "waitlisted", "refused"]
OUTCOME_LABELS = {"proposed": "拟安排", "enrolled": "已报名", "waitlisted": "候补", "refused": "报名未成功"}


class AllocationItem(msgspec.Struct):
    person_id: UUID
    person_name: str
    id_number: str  # masked
    village_code: str
    priority: bool  # poor household or 两后生
    session_id: UUID
    course_title: str
    trade_name: str
    score: float
    reasons: list[str]
    recommendation_id: UUID | None
    outcome: Outcome
    outcome_label: str
    enrolment_id: UUID | None
    message: str | None  # why a sign-up was refused


class AllocationSession(msgspec.Struct):
    session_id: UUID
    course_title: str
    school_name: str
    starts_on: date
    seats_offered: int  # seats left when the batch was proposed
    assigned: int


class Allocation(msgspec.Struct):
    id: UUID
    county_code: str
    region_code: str
    region_name: str
    status: Literal["proposed", "accepted"]
    status_label: str
    model_version: str
    priority_weight: float
    people_considered: int  # eligible, not yet trained this year, no active enrolment
    expected_completions: float  # sum of the chosen pairs' probabilities (unweighted)
    sessions: list[AllocationSession]
    items: list[AllocationItem]
    created_at: datetime
    accepted_at: datetime | None
    refused: int  # after acceptance: sign-ups the enrolment rules refused


