"""Enrolment rules: who may sign whom up, who is eligible, exact seats and an ordered waitlist, seats
freed and given to the next in line at once, attendance, completion and the subsidy rule.

Who may read or act on an enrolment is the access policy's rule (`training.auth.policy`): an admin
of the county, the session's school, or the surveyor of the person's village act; officials read
within their regions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from training.auth.policy import Scope, may_act_on_enrolment, may_read_enrolment, roster_villages, scope_for
from training.catalogue import service as catalogue
from training.catalogue.schemas import SeatFigures
from training.core import audit
from training.core.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound, RuleViolation
from training.core.rules import Rule
from training.core.schemas import paged
from training.core.security import Principal
from training.enrolment import repository as repo
from training.enrolment.schemas import (
    STATUS_LABELS,
    AttendanceDay,
    AttendanceResult,
    Completion,
    CountsBy,
    Employment,
    EmploymentCreate,
    Enrolment,
    EnrolmentCreate,
    OpenPlaces,
    PersonTrainings,
    Roster,
    Training,
    TrainingCounts,
    Withdrawal,
)
from training.registry import service as registry

Conn = repo.Conn
ACTIVE = repo.ACTIVE
ACTION_LABELS = {"withdraw": "再退出", "drop": "再除名", "complete": "登记结业", "cancel": "取消"}
POOR = ("registered_poor", "lifted", "monitored")


def _enrolment(row: asyncpg.Record) -> Enrolment:
    values = {k: row[k] for k in Enrolment.__struct_fields__ if k != "status_label"}
    return Enrolment(status_label=STATUS_LABELS[row["status"]], **values)


def eligibility_failures(session: asyncpg.Record, person: asyncpg.Record, rule: Rule) -> list[dict[str, str]]:
    """Every reason the person may not take this course; empty when eligible."""
    starts: date = session["starts_on"]
    born: date = person["birth_date"]
    age = starts.year - born.year - ((starts.month, starts.day) < (born.month, born.day))
    failures: list[dict[str, str]] = []
    if session["min_age"] is not None and age < session["min_age"]:
        failures.append({"rule": "min_age", "message": f"开班时 {age} 岁，课程要求不小于 {session['min_age']} 岁"})
    if session["max_age"] is not None and age > session["max_age"]:
        failures.append({"rule": "max_age", "message": f"开班时 {age} 岁，课程要求不大于 {session['max_age']} 岁"})
    low, high = rule.male if person["sex"] == "male" else rule.female
    if not low <= age <= high:
        failures.append({"rule": "working_age", "message": f"开班时 {age} 岁，不在劳动年龄（{low}-{high} 岁）内"})
    if session["min_education_rank"] is not None and person["education_rank"] < session["min_education_rank"]:
        failures.append({"rule": "min_education", "message": f"文化程度低于课程要求（{session['min_education_name']}）"})
    if person["labour_capacity"] in ("lost", "none"):
        failures.append({"rule": "labour_capacity", "message": "丧失劳动力或无劳动力，不能参加技能培训"})
    if session["target_group"] == "poor" and person["poverty_status"] not in POOR:
        failures.append({"rule": "target_group", "message": "本课程只招建档立卡、脱贫或监测户家庭成员"})
    if session["target_group"] == "lianghousheng" and not person["lianghousheng"]:
        failures.append({"rule": "target_group", "message": "本课程只招两后生"})
    return failures


async def enrol(conn: Conn, principal: Principal, rule: Rule, session_id: UUID, data: EnrolmentCreate) -> Enrolment:
    if principal.role == "official":  # decided by role alone, before anything is looked up
        raise Forbidden("只有本县管理员、开班学校或本村调查员可以为其报名")
    session = await repo.session_for_enrolment(conn, principal.counties, session_id)
    if session is None or (session["status"] == "draft" and principal.school_id != session["school_id"]
                           and principal.role != "admin"):
        raise NotFound("培训班不存在或不在您的权限范围内")
    county = session["county_code"]
    if principal.role == "school" and principal.school_id != session["school_id"]:
        raise Forbidden("学校只能为本校的培训班报名")
    person = await repo.person_for_enrolment(conn, county, data.person_id, rule)
    # A person the caller cannot read answers exactly like an unknown id. A school reaches people who
    # already applied to its sessions, or one it was shown as a candidate of this very session.
    if person is None or not (
            may_act_on_enrolment(principal, county, session["school_id"], person["village_code"])
            and ((await registry_scope(conn, principal)).holds(county, person["village_code"], data.person_id)
                 or (data.recommendation_id is not None and await repo.recommended(
                     conn, county, data.recommendation_id, data.person_id, session_id)))):
        raise InvalidInput([FieldError("person_id", "本县没有这个人员，或其不在您的权限范围内")])
    if session["status"] != "published":
        raise Conflict("培训班尚未发布或已取消，不能报名")
    if session["ends_on"] < rule.as_of:
        raise Conflict("培训班已结束，不能报名")
    if failures := eligibility_failures(session, person, rule):
        raise RuleViolation("不符合报名条件：" + "；".join(f["message"] for f in failures), failures)
    async with conn.transaction():
        place = await repo.seat_or_queue(conn, county, session_id)
        if place is None:  # cancelled since it was read above
            raise Conflict("培训班尚未发布或已取消，不能报名")
        values: dict[str, Any] = {
            "session_id": session_id, "person_id": data.person_id, "school_id": session["school_id"],
            "status": "enrolled" if place["seated"] else "waitlisted", "source": data.source,
            "waitlist_seq": place["waitlist_seq"], "starts_on": session["starts_on"], "ends_on": session["ends_on"],
            "created_by": principal.id, "recommendation_id": data.recommendation_id,
            "lianghousheng": bool(person["lianghousheng"])}
        try:
            async with conn.transaction():
                enrolment_id = await repo.insert(conn, county, values)
        except asyncpg.UniqueViolationError:
            raise Conflict(f"{person['name']}已报名本培训班") from None
        except asyncpg.ForeignKeyViolationError:  # only recommendation_id can miss: the rest was read above
            raise InvalidInput([FieldError("recommendation_id", "推荐记录不存在，或不是推荐此人参加本培训班的")]) from None
        except asyncpg.ExclusionViolationError:
            # The overlap rule also catches a second place on the same session: say which it is.
            same = await repo.holds_active_place(conn, county, session_id, data.person_id)
            raise Conflict(f"{person['name']}已报名本培训班" if same
                           else f"{person['name']}已报名另一个日期重叠的培训班") from None
        await audit.record(conn, principal, "create", "enrolment", enrolment_id, county,
                           {"session_id": str(session_id), "person_id": str(data.person_id),
                            "status": values["status"], "source": data.source,
                            "recommendation_id": str(data.recommendation_id) if data.recommendation_id else None})
    return await get_enrolment(conn, principal, enrolment_id)


async def get_enrolment(conn: Conn, principal: Principal, enrolment_id: UUID) -> Enrolment:
    rows = await repo.enrolments(conn, principal.counties, enrolment_id=enrolment_id)
    if not rows or not _may_read(principal, rows[0]):
        raise NotFound("报名记录不存在或不在您的权限范围内")
    return _enrolment(rows[0])


def _may_read(principal: Principal, row: asyncpg.Record) -> bool:
    return may_read_enrolment(principal, row["county_code"], row["school_id"], row["village_code"])


async def _move(conn: Conn, principal: Principal, county: str, session_id: UUID, enrolment_id: UUID,
                from_statuses: Sequence[str], to_status: str, action: str, *, reason: str | None = None,
                completion: Mapping[str, Any] | None = None, changes: Mapping[str, Any] | None = None) -> None:
    """Every state change of an existing enrolment goes through here: under the session's lock, one
    guarded UPDATE (`repo.transition`); if it left a seat, the seat goes to the first waitlisted at
    once (itself a transition) or back to the session. Audited with where it came from and went to.
    A transition that lost a race (the row already moved on) is a 409 and changes nothing."""
    async with conn.transaction():
        session = await repo.lock_session(conn, county, session_id)
        assert session is not None
        try:
            moved = await repo.transition(conn, county, enrolment_id, from_statuses, to_status, reason=reason,
                                          completion=completion)
        except asyncpg.UniqueViolationError:
            raise Conflict("证书编号已登记在另一条结业记录上") from None
        if moved is None:
            now = await repo.enrolments(conn, [county], enrolment_id=enrolment_id)
            label = STATUS_LABELS[now[0]["status"]] if now else "不存在"
            raise Conflict(f"报名状态为“{label}”，不能{ACTION_LABELS[action]}")
        await audit.record(conn, principal, action, "enrolment", enrolment_id, county,
                           {"from": moved["from_status"], "to": to_status, **(changes or {})})
        if moved["from_status"] in repo.SEATED and to_status not in repo.SEATED:
            await _seat_freed(conn, principal, county, session_id, session["status"], enrolment_id)


async def _seat_freed(conn: Conn, principal: Principal, county: str, session_id: UUID, session_status: str,
                      freed_by: UUID) -> None:
    """A seat was left: the first waitlisted takes it (only while the session runs), else it is released."""
    if session_status == "published":
        while (first := await repo.first_waitlisted(conn, county, session_id)) is not None:
            if await repo.transition(conn, county, first, ("waitlisted",), "enrolled") is not None:
                await audit.record(conn, principal, "promote", "enrolment", first, county,
                                   {"from": "waitlisted", "to": "enrolled", "session_id": str(session_id),
                                    "freed_by": str(freed_by)})
                return
    await repo.release_seat(conn, county, session_id)


async def _leave(conn: Conn, principal: Principal, enrolment_id: UUID, status: str, reason: str,
                 schools_only: bool) -> Enrolment:
    current = await get_enrolment(conn, principal, enrolment_id)
    if principal.role == "official" or (schools_only and principal.role not in ("admin", "school")):
        raise Forbidden("只有开班学校或管理员可以除名" if schools_only else "官员不能修改报名")
    action = "withdraw" if status == "withdrawn" else "drop"
    await _move(conn, principal, current.county_code, current.session_id, enrolment_id, ACTIVE, status, action,
                reason=reason, changes={"reason": reason})
    return await get_enrolment(conn, principal, enrolment_id)


async def withdraw(conn: Conn, principal: Principal, enrolment_id: UUID, data: Withdrawal) -> Enrolment:
    return await _leave(conn, principal, enrolment_id, "withdrawn", data.reason, schools_only=False)


async def drop(conn: Conn, principal: Principal, enrolment_id: UUID, data: Withdrawal) -> Enrolment:
    return await _leave(conn, principal, enrolment_id, "dropped", data.reason, schools_only=True)


async def seat_counts(conn: Conn, sessions: Sequence[tuple[str, UUID]]) -> dict[UUID, SeatFigures]:
    """Seats left, enrolled (holding a seat: enrolled or completed) and waitlisted, for sessions given as
    (county_code, id). The one place these figures are made; the catalogue shows them through this."""
    return {session_id: figures for session_id, (figures, _) in (await _counts(conn, sessions)).items()}


async def _counts(conn: Conn, sessions: Sequence[tuple[str, UUID]]
                  ) -> dict[UUID, tuple[SeatFigures, dict[str, int]]]:
    if not sessions:
        return {}
    out: dict[UUID, tuple[SeatFigures, dict[str, int]]] = {}
    by_county: dict[str, list[UUID]] = {}
    for county, session_id in sessions:
        by_county.setdefault(county, []).append(session_id)
    # One statement per county (a page is nearly always one county): each is a router plan on Citus.
    rows: list[asyncpg.Record] = []
    for county, ids in by_county.items():
        rows += await repo.status_counts(conn, county, ids)
    for row in rows:
        by_status: dict[str, int] = dict(row["by_status"])
        taken = sum(by_status.get(s, 0) for s in repo.SEATED)
        left = max(row["capacity"] - taken, 0) if row["session_status"] != "cancelled" else 0
        out[row["session_id"]] = (SeatFigures(seats_left=left, enrolled=taken,
                                              waitlisted=by_status.get("waitlisted", 0)), by_status)
    return out


async def session_enrolments(conn: Conn, principal: Principal, session_id: UUID, limit: int,
                             offset: int) -> Roster:
    """A page of a session's roster (enrolled first, then the waitlist in order), with the session's figures."""
    session = await repo.session_for_enrolment(conn, principal.counties, session_id)
    if session is None:
        raise NotFound("培训班不存在或不在您的权限范围内")
    if principal.role == "surveyor" or (principal.role == "school" and principal.school_id != session["school_id"]):
        raise Forbidden("只有开班学校、管理员和官员可以查看报名名单")
    county = session["county_code"]
    villages = roster_villages(principal)
    page = await paged(lambda n, skip: repo.enrolments(conn, [county], session_id=session_id, limit=n, offset=skip,
                                                       village_patterns=villages),
                       _enrolment, limit, offset)
    figures, by_status = (await _counts(conn, [(county, session_id)]))[session_id]
    return Roster(items=page.items, total=page.total, limit=limit, offset=offset, capacity=session["capacity"],
                  seats_left=figures.seats_left, enrolled=figures.enrolled, waitlisted=figures.waitlisted,
                  by_status=by_status)


async def cancel_session_enrolments(conn: Conn, principal: Principal, county: str, session_id: UUID,
                                    reason: str) -> None:
    """The session was just cancelled (in this transaction, under its lock): everyone still in it is
    cancelled too, each by the guarded transition, and their seats released (nobody is promoted). A
    session someone has already completed has run: it cannot be cancelled (the whole change rolls back)."""
    _, by_status = (await _counts(conn, [(county, session_id)]))[session_id]
    if by_status.get("completed"):
        raise Conflict(f"已有 {by_status['completed']} 人结业，培训班已举办，不能取消")
    for enrolment_id in await repo.active_ids(conn, county, session_id):
        await _move(conn, principal, county, session_id, enrolment_id, ACTIVE, "cancelled", "cancel",
                    reason=reason, changes={"reason": reason})


async def record_attendance(conn: Conn, principal: Principal, session_id: UUID, data: AttendanceDay,
                            today: date) -> AttendanceResult:
    session = await repo.session_for_enrolment(conn, principal.counties, session_id)
    if session is None:
        raise NotFound("培训班不存在或不在您的权限范围内")
    if not (principal.role == "admin" or principal.school_id == session["school_id"]):
        raise Forbidden("只有开班学校或管理员可以记考勤")
    errors: list[FieldError] = []
    if not session["starts_on"] <= data.date <= session["ends_on"]:
        errors.append(FieldError("date", f"不在培训日期（{session['starts_on']} 至 {session['ends_on']}）内"))
    elif data.date > today:
        errors.append(FieldError("date", "不能记今天以后的考勤"))
    active = await repo.active_in_session(conn, session["county_code"], session_id)
    errors += [FieldError(f"present[{i}]", "不是本培训班在册学员的报名编号")
               for i, e in enumerate(data.present) if e not in active]
    if errors:
        raise InvalidInput(errors)
    async with conn.transaction():
        present, absent = await repo.record_attendance(conn, session["county_code"], session_id, data.date,
                                                       data.present, principal.id)
        await audit.record(conn, principal, "attendance", "session", session_id, session["county_code"],
                           {"date": data.date.isoformat(), "present": present, "absent": absent})
    return AttendanceResult(session_id=session_id, date=data.date, present=present, absent=absent)


async def complete(conn: Conn, principal: Principal, enrolment_id: UUID, data: Completion, today: date,
                   threshold: float) -> Enrolment:
    current = await get_enrolment(conn, principal, enrolment_id)
    if not (principal.role == "admin" or principal.school_id == current.school_id):
        raise Forbidden("只有开班学校或管理员可以登记结业")
    if current.status != "enrolled":
        raise Conflict(f"报名状态为“{current.status_label}”，不能登记结业")
    errors: list[FieldError] = []
    if data.completed_on < current.starts_on or data.completed_on > today:
        errors.append(FieldError("completed_on", "结业日期应在开班之后、今天之前"))
    if data.certificate_no and not data.passed:
        errors.append(FieldError("certificate_no", "未通过考核不能登记证书"))
    if errors:
        raise InvalidInput(errors)
    rate = current.attended_days / current.recorded_days if current.recorded_days else 0.0
    if rate < threshold and not data.override_reason:
        raise RuleViolation(
            f"出勤率 {rate:.0%}（{current.attended_days}/{current.recorded_days} 天）低于 {threshold:.0%}，"
            "如确需结业请填写 override_reason", [{"rule": "attendance", "message": f"出勤率 {rate:.0%} 低于 {threshold:.0%}"}])
    changes: dict[str, Any] = {"passed": data.passed, "attendance_rate": round(rate, 3),
                               "certificate_no": data.certificate_no, "skill_level": data.skill_level}
    if rate < threshold:
        changes["override_reason"] = data.override_reason
    await _move(conn, principal, current.county_code, current.session_id, enrolment_id, ("enrolled",), "completed",
                "complete", completion=msgspec.structs.asdict(data), changes=changes)
    return await get_enrolment(conn, principal, enrolment_id)


async def record_employment(conn: Conn, principal: Principal, enrolment_id: UUID, data: EmploymentCreate,
                            today: date) -> Employment:
    current = await get_enrolment(conn, principal, enrolment_id)
    if principal.role == "official":
        raise Forbidden("官员不能登记就业")
    if current.status != "completed":
        raise Conflict("结业后才能登记就业")
    errors: list[FieldError] = []
    if data.employed_on < current.starts_on or data.employed_on > today:
        errors.append(FieldError("employed_on", "就业日期应在开班之后、今天之前"))
    if data.trade_code and not await catalogue.trade_exists(conn, data.trade_code):
        errors.append(FieldError("trade_code", f"工种代码 {data.trade_code} 不在职业分类大典工种表中"))
    if errors:
        raise InvalidInput(errors)
    async with conn.transaction():
        row = await repo.insert_employment(conn, current.county_code, enrolment_id, msgspec.structs.asdict(data),
                                           principal.id)
        await audit.record(conn, principal, "create", "employment", row["id"], current.county_code,
                           {"enrolment_id": str(enrolment_id), "place": data.place})
    return Employment(**dict(row))


async def registry_scope(conn: Conn, principal: Principal) -> Scope:
    """What the caller may read of the registry: for a school, the people who applied to or joined its
    sessions (this slice's knowledge, handed to the registry so that it never reads enrolments)."""
    if principal.role == "school" and principal.school_id is not None:
        return scope_for(principal, await repo.people_of_school(conn, principal.counties, principal.school_id))
    return scope_for(principal)


async def person_trainings(conn: Conn, principal: Principal, rule: Rule, person_id: UUID,
                           today: date) -> PersonTrainings:
    """A person's trainings, certificates, 人次, and whether each completion can be subsidised: once per
    person per year, and once per occupation and level. Only for a caller who may see the person."""
    # 404 outside the caller's scope
    await registry.get_person(conn, principal, rule, person_id, await registry_scope(conn, principal))
    rows = [r for r in await repo.enrolments(conn, principal.counties, person_id=person_id) if _may_read(principal, r)]
    jobs: dict[UUID, list[Employment]] = {}
    if rows:
        for job in await repo.employment_of_person(conn, rows[0]["county_code"], person_id):
            jobs.setdefault(job["enrolment_id"], []).append(Employment(**dict(job)))
    years: set[int] = set()
    levels: set[tuple[str, str | None]] = set()
    trainings: list[Training] = []
    for row in sorted(rows, key=lambda r: (r["completed_on"] or date.max, r["created_at"])):
        eligible, note = False, ""
        if row["status"] == "completed" and row["passed"]:
            year, level = row["completed_on"].year, (row["trade_code"], row["skill_level"])
            if year in years:
                note = f"{year} 年已享受过一次培训补贴"
            elif level in levels:
                note = "同一工种同一等级已享受过补贴"
            else:
                eligible, note = True, "可申领培训补贴"
                years.add(year)
                levels.add(level)
        elif row["status"] == "completed":
            note = "未通过考核，不能申领补贴"
        trainings.append(Training(enrolment=_enrolment(row), employment=jobs.get(row["id"], []),
                                  subsidy_eligible=eligible, subsidy_note=note))
    completed = [t for t in trainings if t.enrolment.status == "completed"]
    return PersonTrainings(
        person_id=person_id, person_times=len(completed),
        certificates=[t.enrolment.certificate_no for t in completed if t.enrolment.certificate_no],
        subsidy_used_this_year=today.year in years, subsidy_available_this_year=today.year not in years,
        trainings=trainings)


async def history(conn: Conn, county_code: str) -> list[asyncpg.Record]:
    """Every enrolment of a county with status, pass and dates: the recommender's training outcomes."""
    return await repo.history(conn, county_code)


async def counties_with_history(conn: Conn) -> list[str]:
    """Counties that have at least one finished, withdrawn or dropped enrolment."""
    return await repo.counties_with_history(conn)


# Figures for progress and reports: the enrolment slice owns them and derives them from its rollups.
# `counties` None means every county; `region` is a leading part of 12-digit village codes ('' for all).
DIMENSIONS = ("month", "township", "village", "trade", "school")


def period_of(months: tuple[int, int]) -> str | None:
    """The period kept in distinct_counts for a span of months (the year, a quarter, a month), if any."""
    first, last = months
    if (first, last) == (1, 12):
        return "Y"
    if first == last:
        return f"M{first}"
    if last == first + 2 and first % 3 == 1:
        return f"Q{(first + 2) // 3}"
    return None


PERSONS = {"total": "persons:county", "township": "persons:township", "village": "persons:village",
           "trade": "persons:trade", "school": "persons:school"}


async def training_counts(conn: Conn, counties: list[str] | None, year: int, months: tuple[int, int], region: str,
                          school_id: UUID | None, persons: bool = True) -> CountsBy:
    """Enrolment counts in the months of a year, in total and by month, township, village, trade and school.
    enrolled_now / waitlisted_now / dropped count on the session's first day, completions on their day.
    Distinct people (persons_completed) only when `persons`: for whole counties and a year, quarter or
    month they are read from distinct_counts (migration 0013), else counted from completion_people."""
    out = CountsBy(total=TrainingCounts(), by={d: {} for d in DIMENSIONS})
    whole = region == "" and school_id is None

    def slot(dimension: str, key: str | None) -> TrainingCounts:
        if dimension == "total":
            return out.total
        return out.by[dimension].setdefault(str(key), TrainingCounts())

    fields = ("enrolled_now", "waitlisted_now", "completed", "passed", "certified", "employed", "dropped",
              "lianghousheng_enrolled", "lianghousheng_completed")
    period = period_of(months)
    if whole:
        # Read, not summed from villages: the year's (quarter's, month's) row of every group, and the
        # county totals of each month; a span that is no such period adds up its months.
        month_periods = {f"M{m}": str(m) for m in range(months[0], months[1] + 1)}
        periods = [period] if period is not None else list(month_periods)
        dimension_of = {"county": "total", "township": "township", "village": "village", "trade": "trade",
                        "school": "school"}
        for row in await repo.counts_by(conn, counties, year, periods, list(month_periods)):
            targets = []
            if row["period"] in periods:
                targets.append(slot(dimension_of[row["what"]], row["key"]))
            if row["what"] == "county" and row["period"] in month_periods:
                targets.append(slot("month", month_periods[row["period"]]))
            for counts in targets:
                for field in fields:
                    setattr(counts, field, getattr(counts, field) + row[field])
    else:
        for row in await repo.rollup_by(conn, counties, year, months, region, school_id):
            counts = slot(row["dimension"], row["key"])
            for field in fields:
                setattr(counts, field, row[field] or 0)
    if not persons:
        return out
    if whole and period is not None:
        months_of = {f"M{m}": str(m) for m in range(months[0], months[1] + 1)}
        dimension_of = {what: d for d, what in PERSONS.items()}
        for row in await repo.distinct_counts(conn, counties, year, [period], list(PERSONS.values()), "",
                                              list(months_of)):
            dimension = dimension_of[row["what"]]
            if row["period"] == period and dimension == "total":
                out.total.persons_completed += row["n"]  # a province adds up its counties
            elif row["period"] == period:
                slot(dimension, row["key"]).persons_completed = row["n"]
            if row["period"] in months_of and dimension == "total":
                slot("month", months_of[row["period"]]).persons_completed += row["n"]
        return out
    for row in await repo.people_by(conn, counties, year, months, region, school_id):
        slot(row["dimension"], row["key"]).persons_completed = row["persons_completed"]
    return out


async def households_reached(conn: Conn, counties: list[str] | None, year: int, months: tuple[int, int],
                             region: str) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]] | None:
    """Households with a member who completed a training in the period (a year, quarter or month), and
    households with a member who has completed two different trades, ever, each by (village, poverty
    status) as the household is today; None for another span of months (ask completing_households)."""
    period = period_of(months)
    if period is None:
        return None
    covered = {(r["key"], r["poverty_status"]): r["n"]
               for r in await repo.distinct_counts(conn, counties, year, [period], ["covered"], region)}
    two = {(r["key"], r["poverty_status"]): r["n"]
           for r in await repo.distinct_counts(conn, counties, 0, ["ever"], ["two_skills"], region)}
    return covered, two


async def completing_households(conn: Conn, counties: list[str] | None, year: int, months: tuple[int, int],
                                region: str, school_id: UUID | None) -> list[tuple[str, UUID]]:
    """(county, household) of every household with a member who completed a training in the period."""
    found = await repo.completing_households(conn, counties, year, months, region, school_id)
    return list(zip(found["counties"], found["ids"], strict=True))


async def two_trade_households(conn: Conn, counties: list[str] | None, region: str) -> list[tuple[str, UUID]]:
    """(county, household) of households with a member who has completed two different trades, ever."""
    found = await repo.two_trade_households(conn, counties, region)
    return list(zip(found["counties"], found["ids"], strict=True))


async def open_places(conn: Conn, counties: list[str] | None, region: str, school_id: UUID | None,
                      ends_from: date, ends_by: date) -> list[OpenPlaces]:
    """Per county: places still in progress in sessions ending in [ends_from, ends_by], and the county's
    past completed and dropped places (sessions ended before ends_from), for a year-end forecast."""
    whole_years = (region == "" and school_id is None and (ends_from.month, ends_from.day) == (1, 1)
                   and ends_by == date(ends_from.year, 12, 31))
    if whole_years:
        # whole counties and a calendar year: the counts by the year sessions end (a few rows a county)
        history: dict[str, Any] = {}
        places: dict[str, int] = {}
        for r in await repo.by_end(conn, counties, ends_from.year):
            if r["ends_year"] < ends_from.year:
                h = history.setdefault(r["county_code"], {"completed": 0, "dropped": 0})
                h["completed"] += r["completed"]
                h["dropped"] += r["dropped"]
            elif r["enrolled_now"]:
                places[r["county_code"]] = r["enrolled_now"]
    else:
        history = {r["county_code"]: r for r in await repo.completion_history(conn, counties, ends_from)}
        places = {r["county_code"]: r["enrolled"]
                  for r in await repo.open_places(conn, counties, region, school_id, ends_from, ends_by)}
    return [OpenPlaces(county_code=c, enrolled=places.get(c, 0),
                       history_completed=history[c]["completed"] if c in history else 0,
                       history_dropped=history[c]["dropped"] if c in history else 0)
            for c in sorted(set(history) | set(places))]


async def rollup_differences(conn: Conn, county_code: str) -> list[str]:
    """Where the rollups differ from a recount of the records (empty when they agree): for tests and checks."""
    problems: list[str] = []
    for name, kept, counted in (
            ("enrolment_rollup", await repo.rollup_rows(conn, county_code), await repo.raw_counts(conn, county_code)),
            ("completion_people", await repo.completion_people_rows(conn, county_code),
             await repo.raw_completion_people(conn, county_code)),
            ("enrolment_counts", await repo.counts_rows(conn, county_code),
             await repo.raw_enrolment_counts(conn, county_code)),
            ("enrolment_counts_by_end", await repo.by_end(conn, [county_code], 32767),
             await repo.raw_by_end(conn, county_code)),
            ("distinct_counts", await repo.distinct_count_rows(conn, county_code),
             await repo.raw_distinct_counts(conn, county_code))):
        kept_set = {tuple(r.values()) for r in kept}
        counted_set = {tuple(r.values()) for r in counted}
        problems += [f"{name} keeps {row} but the records give no such row" for row in kept_set - counted_set]
        problems += [f"{name} lacks {row} counted from the records" for row in counted_set - kept_set]
    problems += [f"person_skills of {r['person_id']}: kept {r['kept']}, counted {r['counted']}"
                 for r in await repo.person_skills_differences(conn, county_code)]
    return problems


async def fold_rollups(conn: Conn) -> int:
    """Fold logged changes into the enrolment counts and the distinct counts now, each in a transaction of
    its own: progress calls it before its snapshot (a fold inside a repeatable-read snapshot would fail
    on rows another fold moved meanwhile). Readers add whatever is not folded, so this only keeps the
    log short."""
    async with conn.transaction():
        folded = await repo.fold_rollups(conn)
    async with conn.transaction():
        await repo.fold_distinct_counts(conn)
    return folded
