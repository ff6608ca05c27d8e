"""Access policy: what part of the registry a caller may read, and who may read or act on an
enrolment. Every slice that filters people, households or enrolments by caller asks here, so the
scope rule has one home. Outside the caller's reach an object does not exist: callers answer exactly
as for an unknown id (same status, same words), so an answer never tells whether an id is real."""

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

    def holds(self, county_code: str, village_code: str, person_id: UUID) -> bool:
        """Whether a person (of this county and village) lies in this scope: the same rule the
        registry's SQL filter applies, for a person already read by id."""
        if self.counties is not None and county_code not in self.counties:
            return False
        if self.village_patterns is not None and not any(
                village_code.startswith(p.rstrip("%")) for p in self.village_patterns):
            return False
        return self.person_ids is None or person_id in self.person_ids


def scope_for(principal: Principal, readable: Iterable[UUID] = ()) -> Scope:
    """The caller's reach. For a school, `readable` is the people who applied to or joined its sessions;
    without it a school sees nobody (fail closed)."""
    if principal.role == "admin":
        return Scope(principal.counties, None)
    if principal.role == "school":
        return Scope(principal.counties, None, principal.school_id, sorted(set(readable)))
    return Scope(principal.counties, [p + "%" for p in principal.region_prefixes])


def roster_villages(principal: Principal) -> list[str] | None:
    """The villages (LIKE patterns) whose people a caller sees on a session's roster: None for the
    whole roster (admin, the session's school), else the caller's own regions (an official of a
    township sees only its township's trainees on a county-wide class)."""
    if principal.role in ("admin", "school"):
        return None
    return [p + "%" for p in principal.region_prefixes]


def may_act_on_enrolment(principal: Principal, county_code: str, school_id: UUID, village_code: str) -> bool:
    """Who may sign a person up or move their enrolment: the county's admin, the session's school, the
    surveyor of the person's village. Officials only read."""
    if principal.role == "admin":
        return principal.sees_county(county_code)
    if principal.role == "school":
        return principal.school_id == school_id and principal.county_code == county_code
    if principal.role == "surveyor":
        return principal.sees_region(village_code)
    return False


def may_read_enrolment(principal: Principal, county_code: str, school_id: UUID, village_code: str) -> bool:
    """Who may read an enrolment: whoever may act on it, and an official whose regions hold the
    person's village (a township official does not see other townships' people)."""
    if principal.role == "official":
        return principal.sees_region(village_code)
    return may_act_on_enrolment(principal, county_code, school_id, village_code)


SERVER_ONLY = ("只能在服务器上用 training users 命令（如 training users reset-password）处理；"
               "不能通过网页或接口修改")


def account_change_refusal(actor: Principal | None, account_id: UUID, account_role: str) -> str | None:
    """Why `actor` may not reset, disable or enable this account through the API (None: it may). No admin
    account, another's or one's own, is changed over the API: whoever holds an admin's token could
    otherwise take over every admin of the county (or keep a stolen session alive by resetting the
    owner's password). The server's command line (actor None) is where that is done. The account is
    one the actor manages (its county) already: that is `find_account`'s scope."""
    if actor is None:
        return None
    if account_id == actor.id:
        return "不能通过接口修改自己的账号：" + SERVER_ONLY
    if account_role == "admin":
        return "管理员账号" + SERVER_ONLY
    return None
