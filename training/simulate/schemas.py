"""What a simulation wrote: counts a clerk or a test can check, and a fingerprint of the rows."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import msgspec


class SimulatedSchool(msgspec.Struct):
    id: UUID
    name: str


class Simulation(msgspec.Struct):
    county_code: str
    seed: int
    starts_on: date  # the first day of the history
    today: date
    households: int
    poor_households: int
    people: int
    lianghousheng: int  # as of today
    surveys: int
    sessions: int
    enrolments: int
    enrolled: int
    waitlisted: int
    withdrawn: int
    dropped: int
    completed: int
    passed: int
    certified: int
    employed: int
    fingerprint: str  # md5 of the rows that matter, by natural keys: equal for equal seeds
    seconds: float
    schools: list[SimulatedSchool]
