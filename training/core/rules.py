"""The rules about people that depend on settings and on the day they are judged: working age and
the 两后生 window. One value, built once per request from the settings and "today", used by every slice."""

from __future__ import annotations

from datetime import date

import msgspec

from training.core.config import Settings


class Rule(msgspec.Struct, frozen=True):
    as_of: date
    years: int
    male: tuple[int, int]
    female: tuple[int, int]


def rule_for(settings: Settings, today: date) -> Rule:
    """The working-age and 两后生 settings, judged as of `today` in the county."""
    return Rule(as_of=today, years=settings.lianghousheng_years, male=settings.working_age_male,
                female=settings.working_age_female)
