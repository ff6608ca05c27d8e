"""Access policy: what part of the registry a caller may read. Every slice that filters people or
households by caller asks here, so the scope rule has one home."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

import msgspec

from training.core.security import Principal


class Scope(msgspec.Struct, frozen=True):
    counties: list[str] | None  # None: every county
    village_patterns: list[str] | None  # LIKE patterns of villages in reach; None: the whole county
    school_id: UUID | None = None  # a school sees only people who applied to or joined its sessions
    # Those people, for a school (found by the composition root in the enrolment slice, so the registry
    # never reads the enrolment's tables); None for every other role.
    person_ids: list[UUID] | None = None


def scope_for(principal: Principal, readable: Iterable[UUID] = ()) -> Scope:
    """The caller's reach. For a school, `readable` is the people who applied to or joined its sessions;
    without it a school sees nobody (fail closed)."""
    if principal.role == "admin":
        return Scope(principal.counties, None)
    if principal.role == "school":
        return Scope(principal.counties, None, principal.school_id, sorted(set(readable)))
    return Scope(principal.counties, [p + "%" for p in principal.region_prefixes])
