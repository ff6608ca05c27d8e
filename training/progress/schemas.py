"""Quotas, progress, the worklist of uncovered households and unmet demand: request and response bodies."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

import msgspec

from training.core.schemas import Body

Count = Annotated[int, msgspec.Meta(ge=0, le=10_000_000)]
RegionCode = Annotated[str, msgspec.Meta(pattern=r"^\d{6}(\d{6})?$", description="区划代码：县 6 位或 12 位统计用区划代码")]


class QuotaPut(Body):
    """A yearly quota of a county or township (region_code) or of a school (school_id)."""

    year: Annotated[int, msgspec.Meta(ge=2000, le=2100)]
    target_person_times: Count
    region_code: RegionCode | None = None
    school_id: UUID | None = None
    target_persons: Count | None = None
    target_households: Count | None = None
    target_lianghousheng: Count | None = None
    # The quota's version the official last saw (0: none set yet): given, a change made meanwhile by
    # someone else is refused (409) instead of silently overwritten. Left out: the last write wins.
    version: Annotated[int, msgspec.Meta(ge=0, le=2_147_483_647)] | None = None


class Quota(msgspec.Struct, kw_only=True):
    county_code: str
    year: int
    region_code: str | None
    school_id: UUID | None
    name: str
    target_person_times: int
    target_persons: int | None
    target_households: int | None
    target_lianghousheng: int | None
    version: int  # send it back with the next PUT


class QuotaResult(msgspec.Struct, kw_only=True):
    quota: Quota
    warning: str | None  # the townships' quotas add up to more than the county's


class QuotaList(msgspec.Struct, kw_only=True):
    items: list[Quota]
    warning: str | None


class Figures(msgspec.Struct, kw_only=True):
    """One row of `by`: the same counts as the top level, for a month, township, village, trade or school.
    Household figures only where households belong (township, village); targets where a quota is set."""

    key: str
    name: str
    target_person_times: int | None
    person_times_completed: int
    persons_completed: int
    certified: int
    employed: int
    enrolled_now: int
    waitlisted_now: int
    lianghousheng_enrolled: int
    lianghousheng_completed: int
    households_target: int | None
    households_covered: int | None
    households_covered_two_skills: int | None
    pass_rate: float | None
    employment_rate: float | None


class By(msgspec.Struct, kw_only=True):
    month: list[Figures]
    township: list[Figures]
    village: list[Figures]
    trade: list[Figures]
    school: list[Figures]


class Progress(msgspec.Struct, kw_only=True):
    """Where a region (or a school) stands in a year: definitions in the README (进度与指标)."""

    target_person_times: int | None
    person_times_completed: int
    persons_completed: int
    certified: int
    employed: int
    enrolled_now: int
    waitlisted_now: int
    lianghousheng_enrolled: int
    lianghousheng_completed: int
    households_target: int | None
    households_covered: int | None
    households_covered_two_skills: int | None
    pass_rate: float | None
    employment_rate: float | None
    pace: float | None
    forecast_person_times: int
    on_track: bool | None
    by: By


class RecommendedSession(msgspec.Struct, kw_only=True):
    """One of a labourer's top sessions by the recommender (推荐分 = the model's score)."""

    session_id: UUID
    title: str
    trade_name: str
    school_name: str
    village_name: str
    starts_on: date
    score: float


class WorklistPerson(msgspec.Struct, kw_only=True):
    person_id: UUID
    name: str
    sex: str
    age: int
    education: str
    education_name: str  # the GB/T 4658 table's name of the code
    labour_capacity: str
    work_status: str
    desired_trades: list[str]
    desired_trade_names: list[str]  # the occupation table's names, in the order of desired_trades
    recommended_sessions: list[RecommendedSession]


class UncoveredHousehold(msgspec.Struct, kw_only=True):
    household_id: UUID
    village_code: str
    village_name: str
    township_name: str
    household_no: str | None
    head_name: str
    poverty_status: str
    labourers: list[WorklistPerson]


class UncoveredPage(msgspec.Struct, kw_only=True):
    items: list[UncoveredHousehold]
    total: int
    limit: int
    offset: int
    year: int
    recommendations_note: str | None = None  # why no labourer has recommended sessions (no model, no session)


class DemandTrade(msgspec.Struct, kw_only=True):
    trade_code: str
    trade_name: str
    people: int


class TownshipDemand(msgspec.Struct, kw_only=True):
    township_code: str
    township_name: str
    trades: list[DemandTrade]  # most wanted first


class UnmetDemand(msgspec.Struct, kw_only=True):
    townships: list[TownshipDemand]
    trades: list[DemandTrade]  # the whole region
