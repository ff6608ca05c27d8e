"""Matching's request and response types."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import msgspec

Context = Literal["person", "candidates", "allocation"]


class Shown(msgspec.Struct, frozen=True):
    """One recommendation as it was shown to a user."""

    person_id: UUID
    session_id: UUID
    model_version: str
    score: float
    rank: int
    reasons: list[str]
    context: Context
    shown_by: UUID | None


class UptakeRow(msgspec.Struct, frozen=True):
    """Shown -> enrolled (enrolments made from a shown recommendation) -> completed, per model version."""

    model_version: str
    shown: int
    pairs: int
    people: int
    enrolled: int
    completed: int
    enrolment_rate: float  # enrolled / distinct pairs shown
    completion_rate: float  # completed / enrolled
    first_shown: datetime
    last_shown: datetime


class ModelInfo(msgspec.Struct, frozen=True):
    version: str
    name: str
    created_at: datetime
    beats_baselines: bool
    trained_on: list[str]
    active: bool  # the model the caller's county uses now
    active_in: list[str]  # counties that chose it; "000000" is the system-wide default
    metrics: dict[str, Any]


class Activation(msgspec.Struct, frozen=True):
    county_code: str | None = None  # a system admin may name a county; otherwise the caller's county
