"""The catalogue's rules: who may publish what, and when a session is coherent enough to publish.

Reads are scoped to the caller's counties; writes to a school's records need that school's account
(or an admin of its county). Something outside the caller's counties is "not found", never shown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from training.catalogue import repository as repo
from training.catalogue.schemas import (
    COURSE_KIND_LABELS,
    SCHOOL_KIND_LABELS,
    SESSION_STATUS_LABELS,
    Course,
    CourseCreate,
    EducationLevel,
    Equipment,
    EquipmentCreate,
    Major,
    MajorCreate,
    Menu,
    MenuItem,
    Package,
    PackageCreate,
    RegionRef,
    RuleFailure,
    School,
    SchoolCreate,
    SchoolDetail,
    SeatFigures,
    Session,
    SessionCancel,
    SessionCreate,
    SessionUpdate,
    Teacher,
    TeacherCreate,
    TeacherRef,
    Trade,
    TradeRef,
)
from training.core import audit
from training.core.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound, RuleViolation
from training.core.schemas import Page, paged
from training.core.security import Principal
from training.core.types import date_out_of_range

Conn = repo.Conn

SeatCounts = Callable[[Conn, Sequence[tuple[str, UUID]]], Awaitable[Mapping[UUID, SeatFigures]]]
"""Seats left, enrolled and waitlisted of sessions given as (county_code, id). Counting enrolments is the
enrolment slice's job, and the catalogue may not import it: the composition root hands this in
(`enrolment.service.seat_counts`), so every screen shows the one count."""

CancelEnrolments = Callable[[Conn, Principal, str, UUID, str], Awaitable[None]]
"""Cancels everyone still signed up to a session (conn, caller, county, session id, reason), run in the
transaction that cancels the session; the composition root hands in `enrolment.service.cancel_session_enrolments`."""

# ------------------------------------------------------------------ row mapping


def _trades(row: asyncpg.Record) -> list[TradeRef]:
    return [TradeRef(c, n) for c, n in zip(row["trade_codes"], row["trade_names"], strict=False)]


def school_from(row: asyncpg.Record) -> School:
    return School(id=row["id"], county_code=row["county_code"], name=row["name"], kind=row["kind"],
                  kind_label=SCHOOL_KIND_LABELS[row["kind"]], address=row["address"], phone=row["phone"],
                  created_at=row["created_at"])


def _major(row: asyncpg.Record) -> Major:
    return Major(id=row["id"], school_id=row["school_id"], county_code=row["county_code"], name=row["name"],
                 trade_codes=list(row["trade_codes"]), trades=_trades(row), created_at=row["created_at"])


def _teacher(row: asyncpg.Record) -> Teacher:
    return Teacher(id=row["id"], school_id=row["school_id"], county_code=row["county_code"], name=row["name"],
                   title=row["title"], trade_codes=list(row["trade_codes"]), trades=_trades(row),
                   skill_level=row["skill_level"], created_at=row["created_at"])


def _equipment(row: asyncpg.Record) -> Equipment:
    return Equipment(id=row["id"], school_id=row["school_id"], county_code=row["county_code"], name=row["name"],
                     quantity=row["quantity"], trade_codes=list(row["trade_codes"]), trades=_trades(row),
                     created_at=row["created_at"])


# The fields a row gives as they are, named once: filtering the struct's fields per row was most of the
# time a list page spent shaping its rows (a profile of the menu under load, README "Benchmarks").
_COURSE_FROM_ROW = tuple(k for k in Course.__struct_fields__ if k != "kind_label")
_SESSION_FROM_ROW = tuple(k for k in Session.__struct_fields__
                          if k not in ("status_label", "teachers", "course_kind_label", *SeatFigures.__struct_fields__))
_MENU_ITEM_FROM_ROW = tuple(k for k in MenuItem.__struct_fields__
                            if k not in ("course_kind_label", "in_package", "package_names",
                                         *SeatFigures.__struct_fields__))


def _course(row: asyncpg.Record) -> Course:
    return Course(kind_label=COURSE_KIND_LABELS[row["kind"]], **{k: row[k] for k in _COURSE_FROM_ROW})


def _session(row: asyncpg.Record, seats: SeatFigures) -> Session:
    return Session(status_label=SESSION_STATUS_LABELS[row["status"]],
                   course_kind_label=COURSE_KIND_LABELS[row["course_kind"]],
                   teachers=msgspec.convert(row["teachers"], list[TeacherRef]),
                   seats_left=seats.seats_left, enrolled=seats.enrolled, waitlisted=seats.waitlisted,
                   **{k: row[k] for k in _SESSION_FROM_ROW})


def _menu_item(row: asyncpg.Record, seats: SeatFigures) -> MenuItem:
    return MenuItem(course_kind_label=COURSE_KIND_LABELS[row["course_kind"]], in_package=bool(row["package_names"]),
                    package_names=list(row["package_names"]),
                    seats_left=seats.seats_left, enrolled=seats.enrolled, waitlisted=seats.waitlisted,
                    **{k: row[k] for k in _MENU_ITEM_FROM_ROW})


async def _figures(conn: Conn, seats: SeatCounts, rows: Sequence[asyncpg.Record],
                   id_column: str = "id") -> Mapping[UUID, SeatFigures]:
    return await seats(conn, [(r["county_code"], r[id_column]) for r in rows])


# ------------------------------------------------------------------ checks shared by the writes


async def _check_trades(conn: Conn, codes: list[str], field: str) -> None:
    known = await repo.known_trades(conn, codes)
    errors = [FieldError(f"{field}[{i}]", f"工种代码 {c} 不在职业分类大典工种表中")
              for i, c in enumerate(codes) if c not in known]
    if len(set(codes)) != len(codes):
        errors.append(FieldError(field, "工种代码重复"))
    if errors:
        raise InvalidInput(errors)


async def _visible_school(conn: Conn, principal: Principal, school_id: UUID) -> asyncpg.Record:
    row = await repo.get_school(conn, principal.counties, school_id)
    if row is None:
        raise NotFound("学校不存在或不在您的权限范围内")
    return row


async def _writable_school(conn: Conn, principal: Principal, school_id: UUID) -> asyncpg.Record:
    row = await _visible_school(conn, principal, school_id)
    if not principal.manages_school(row["county_code"], row["id"]):
        raise Forbidden("只有本校账号或本县管理员可以修改该校的信息")
    return row


async def _check_village(conn: Conn, code: str, county_code: str, field: str) -> asyncpg.Record:
    region = await repo.region(conn, code)
    if region is None or region["level"] != "village":
        raise InvalidInput([FieldError(field, f"{code} 不是已登记的村级区划代码")])
    if region["county_code"] != county_code:
        raise InvalidInput([FieldError(field, f"{region['name']}不在本县")])
    return region


def _sees_drafts(principal: Principal) -> bool:
    return principal.role in ("admin", "official")


# ------------------------------------------------------------------ trades and schools


async def search_trades(conn: Conn, q: str | None, category: str | None, focus: bool | None,
                        limit: int) -> list[Trade]:
    rows = await repo.search_trades(conn, (q or "").strip() or None, category, focus, limit)
    return [Trade(code=r["code"], name=r["name"], edition=r["edition"], category=r["category"],
                  focus=r["focus"], aliases=list(r["aliases"])) for r in rows]


async def trade_exists(conn: Conn, code: str) -> bool:
    """Whether a code is in the occupation table (职业分类大典)."""
    return bool(await repo.known_trades(conn, [code]))


async def education_levels(conn: Conn) -> list[EducationLevel]:
    return [EducationLevel(code=r["code"], name=r["name"], rank=r["rank"]) for r in await repo.education_levels(conn)]


async def create_school(conn: Conn, principal: Principal, data: SchoolCreate) -> School:
    if not principal.sees_county(data.county_code):
        raise Forbidden("只能在本县登记学校")
    county = await repo.region(conn, data.county_code + "000000")
    if county is None or county["level"] != "county":
        raise InvalidInput([FieldError("county_code", f"{data.county_code} 不是已登记的县级区划代码")])
    async with conn.transaction():
        row = await repo.insert_school(conn, data.county_code, data.name.strip(), data.kind, data.address,
                                       data.phone)
        if row is None:
            raise Conflict(f"本县已有名为“{data.name}”的学校")
        await audit.record(conn, principal, "create", "school", row["id"], data.county_code,
                           {"name": data.name, "kind": data.kind})
    return school_from(row)


async def list_schools(conn: Conn, principal: Principal, q: str | None, kind: str | None, limit: int,
                       offset: int) -> Page[School]:
    return await paged(lambda n, skip: repo.list_schools(conn, principal.counties, q, kind, n, skip),
                       school_from, limit, offset)


async def school_detail(conn: Conn, principal: Principal, school_id: UUID) -> SchoolDetail:
    row = await _visible_school(conn, principal, school_id)
    county = row["county_code"]
    return SchoolDetail(
        school=school_from(row),
        majors=[_major(r) for r in await repo.list_majors(conn, county, school_id)],
        teachers=[_teacher(r) for r in await repo.list_teachers(conn, county, school_id)],
        equipment=[_equipment(r) for r in await repo.list_equipment(conn, county, school_id)],
        courses=[_course(r) for r in await repo.list_school_courses(conn, county, school_id)],
    )


async def add_major(conn: Conn, principal: Principal, school_id: UUID, data: MajorCreate) -> Major:
    school = await _writable_school(conn, principal, school_id)
    await _check_trades(conn, data.trade_codes, "trade_codes")
    async with conn.transaction():
        row = await repo.insert_major(conn, school["county_code"], school_id, data.name.strip(), data.trade_codes)
        if row is None:
            raise Conflict(f"本校已有名为“{data.name}”的专业")
        await audit.record(conn, principal, "create", "major", row["id"], school["county_code"],
                           {"school_id": str(school_id), "name": data.name, "trade_codes": data.trade_codes})
    return _major(row)


async def list_majors(conn: Conn, principal: Principal, school_id: UUID) -> list[Major]:
    school = await _visible_school(conn, principal, school_id)
    return [_major(r) for r in await repo.list_majors(conn, school["county_code"], school_id)]


async def add_teacher(conn: Conn, principal: Principal, school_id: UUID, data: TeacherCreate) -> Teacher:
    school = await _writable_school(conn, principal, school_id)
    await _check_trades(conn, data.trade_codes, "trade_codes")
    async with conn.transaction():
        row = await repo.insert_teacher(conn, school["county_code"], school_id, data.name.strip(), data.title,
                                        data.trade_codes, data.skill_level)
        await audit.record(conn, principal, "create", "teacher", row["id"], school["county_code"],
                           {"school_id": str(school_id), "name": data.name, "trade_codes": data.trade_codes})
    return _teacher(row)


async def list_teachers(conn: Conn, principal: Principal, school_id: UUID) -> list[Teacher]:
    school = await _visible_school(conn, principal, school_id)
    return [_teacher(r) for r in await repo.list_teachers(conn, school["county_code"], school_id)]


async def add_equipment(conn: Conn, principal: Principal, school_id: UUID, data: EquipmentCreate) -> Equipment:
    school = await _writable_school(conn, principal, school_id)
    await _check_trades(conn, data.trade_codes, "trade_codes")
    async with conn.transaction():
        row = await repo.insert_equipment(conn, school["county_code"], school_id, data.name.strip(),
                                          data.quantity, data.trade_codes)
        await audit.record(conn, principal, "create", "equipment", row["id"], school["county_code"],
                           {"school_id": str(school_id), "name": data.name, "quantity": data.quantity})
    return _equipment(row)


async def list_equipment(conn: Conn, principal: Principal, school_id: UUID) -> list[Equipment]:
    school = await _visible_school(conn, principal, school_id)
    return [_equipment(r) for r in await repo.list_equipment(conn, school["county_code"], school_id)]


# ------------------------------------------------------------------ courses


async def create_course(conn: Conn, principal: Principal, data: CourseCreate) -> Course:
    school = await _writable_school(conn, principal, data.school_id)
    errors: list[FieldError] = []
    if not await repo.known_trades(conn, [data.trade_code]):
        errors.append(FieldError("trade_code", f"工种代码 {data.trade_code} 不在职业分类大典工种表中"))
    if data.min_education is not None and not await repo.education_exists(conn, data.min_education):
        errors.append(FieldError("min_education", f"{data.min_education} 不是文化程度代码（GB/T 4658）"))
    if data.min_age is not None and data.max_age is not None and data.min_age > data.max_age:
        errors.append(FieldError("max_age", "最大年龄不能小于最小年龄"))
    if errors:
        raise InvalidInput(errors)
    county = school["county_code"]
    async with conn.transaction():
        course_id = await repo.insert_course(conn, county, msgspec.structs.asdict(data) | {
            "title": data.title.strip()})
        await audit.record(conn, principal, "create", "course", course_id, county,
                           {"school_id": str(data.school_id), "title": data.title, "trade_code": data.trade_code})
    return await get_course(conn, principal, course_id)


async def get_course(conn: Conn, principal: Principal, course_id: UUID) -> Course:
    row = await repo.get_course(conn, principal.counties, course_id)
    if row is None:
        raise NotFound("课程不存在或不在您的权限范围内")
    return _course(row)


async def list_courses(conn: Conn, principal: Principal, *, school_id: UUID | None, trade_code: str | None,
                       kind: str | None, category: str | None, q: str | None, limit: int,
                       offset: int) -> Page[Course]:
    return await paged(lambda n, skip: repo.list_courses(
        conn, principal.counties, school_id=school_id, trade_code=trade_code, kind=kind, category=category, q=q,
        limit=n, offset=skip), _course, limit, offset)


# ------------------------------------------------------------------ sessions (亮时间表)


async def _check_teachers(conn: Conn, county: str, school_id: UUID, teacher_ids: list[UUID]) -> None:
    if len(set(teacher_ids)) != len(teacher_ids):
        raise InvalidInput([FieldError("teacher_ids", "教师重复")])
    found = await repo.teachers_of_school(conn, county, school_id, teacher_ids)
    errors = [FieldError(f"teacher_ids[{i}]", "不是本校登记的教师")
              for i, t in enumerate(teacher_ids) if t not in found]
    if errors:
        raise InvalidInput(errors)


def _check_session_dates(values: dict[str, Any]) -> None:
    errors = [FieldError(k, "日期应在 2000 年至 2100 年之间") for k in ("starts_on", "ends_on")
              if date_out_of_range(values.get(k))]
    if errors:
        raise InvalidInput(errors)


async def create_session(conn: Conn, principal: Principal, course_id: UUID, data: SessionCreate, *,
                         seats: SeatCounts) -> Session:
    _check_session_dates(msgspec.structs.asdict(data))
    course = await repo.get_course(conn, principal.counties, course_id)
    if course is None:
        raise NotFound("课程不存在或不在您的权限范围内")
    county, school_id = course["county_code"], course["school_id"]
    await _writable_school(conn, principal, school_id)
    await _check_village(conn, data.village_code, county, "village_code")
    await _check_teachers(conn, county, school_id, data.teacher_ids)
    async with conn.transaction():
        session_id = await repo.insert_session(conn, county, course_id, school_id,
                                               msgspec.structs.asdict(data), data.teacher_ids)
        await audit.record(conn, principal, "create", "session", session_id, county,
                           {"course_id": str(course_id), "starts_on": data.starts_on.isoformat(),
                            "ends_on": data.ends_on.isoformat(), "capacity": data.capacity})
    return await get_session(conn, principal, session_id, seats=seats)


async def _session_row(conn: Conn, principal: Principal, session_id: UUID) -> asyncpg.Record:
    row = await repo.get_session(conn, principal.counties, session_id, sees_drafts=_sees_drafts(principal),
                                 school_id=principal.school_id)
    if row is None:
        raise NotFound("培训班不存在或不在您的权限范围内")
    return row


async def get_session(conn: Conn, principal: Principal, session_id: UUID, *, seats: SeatCounts) -> Session:
    row = await _session_row(conn, principal, session_id)
    return _session(row, (await _figures(conn, seats, [row]))[session_id])


async def update_session(conn: Conn, principal: Principal, session_id: UUID, data: SessionUpdate, *,
                         seats: SeatCounts) -> Session:
    current = await _session_row(conn, principal, session_id)
    county, school_id = current["county_code"], current["school_id"]
    await _writable_school(conn, principal, school_id)
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
    _check_session_dates(changes)
    if "village_code" in changes:
        await _check_village(conn, changes["village_code"], county, "village_code")
    if "teacher_ids" in changes:
        await _check_teachers(conn, county, school_id, changes["teacher_ids"])
    async with conn.transaction():
        locked = await repo.lock_session(conn, county, session_id)
        if locked is None or locked["status"] != "draft":
            raise Conflict("只有草稿状态的培训班可以修改")
        values = {k: locked[k] for k in ("starts_on", "ends_on", "village_code", "venue", "capacity", "schedule")}
        values.update({k: v for k, v in changes.items() if k != "teacher_ids"})
        await repo.update_session(conn, county, session_id, values)
        if "teacher_ids" in changes:
            await repo.set_session_teachers(conn, county, session_id, changes["teacher_ids"])
        await audit.record(conn, principal, "update", "session", session_id, county, msgspec.to_builtins(changes))
    return await get_session(conn, principal, session_id, seats=seats)


async def publish_session(conn: Conn, principal: Principal, session_id: UUID, today: date, *,
                          seats: SeatCounts) -> Session:
    """Publish a draft if it is coherent; otherwise say every rule it breaks."""
    current = await _session_row(conn, principal, session_id)
    county = current["county_code"]
    await _writable_school(conn, principal, current["school_id"])
    async with conn.transaction():
        session = await repo.lock_session(conn, county, session_id)
        assert session is not None
        if session["status"] != "draft":
            raise Conflict(f"培训班已是“{SESSION_STATUS_LABELS[session['status']]}”状态，不能再发布")
        failures: list[RuleFailure] = []
        if session["ends_on"] < session["starts_on"]:
            failures.append(RuleFailure("dates_in_order", "结束日期早于开始日期"))
        if session["starts_on"] <= today:
            failures.append(RuleFailure("starts_in_future", f"开始日期 {session['starts_on']} 已到或已过，请改为今天以后的日期"))
        if session["capacity"] <= 0:
            failures.append(RuleFailure("capacity_positive", "招生人数必须大于 0"))
        if not await repo.session_has_qualified_teacher(conn, county, session_id, current["trade_code"]):
            failures.append(RuleFailure(
                "qualified_teacher", f"至少需要一名本校教师能教授“{current['trade_name']}”（{current['trade_code']}）"))
        if failures:
            raise RuleViolation("培训班不能发布：" + "；".join(f.message for f in failures),
                                [msgspec.structs.asdict(f) for f in failures])
        await repo.publish_session(conn, county, session_id)
        await audit.record(conn, principal, "publish", "session", session_id, county)
    return await get_session(conn, principal, session_id, seats=seats)


async def list_sessions(conn: Conn, principal: Principal, filters: dict[str, Any], limit: int,
                        offset: int, *, seats: SeatCounts) -> Page[Session]:
    if filters["starts_from"] and filters["starts_to"] and filters["starts_from"] > filters["starts_to"]:
        raise InvalidInput([FieldError("starts_to", "结束日期不能早于开始日期", "query")])
    page = await paged(lambda n, skip: repo.list_sessions(
        conn, principal.counties, sees_drafts=_sees_drafts(principal), school_id=principal.school_id,
        filters=filters, limit=n, offset=skip), lambda r: r, limit, offset)
    figures = await _figures(conn, seats, page.items)
    return Page(items=[_session(r, figures[r["id"]]) for r in page.items], total=page.total, limit=page.limit,
                offset=page.offset)


async def cancel_session(conn: Conn, principal: Principal, session_id: UUID, data: SessionCancel, *,
                         seats: SeatCounts, cancel_enrolments: CancelEnrolments) -> Session:
    """Cancel a draft or published session (its school or an admin): in one transaction the session
    becomes cancelled and everyone signed up to it is cancelled and their seats released."""
    current = await _session_row(conn, principal, session_id)
    county = current["county_code"]
    await _writable_school(conn, principal, current["school_id"])
    async with conn.transaction():
        previous = await repo.cancel_session(conn, county, session_id)
        if previous is None:
            raise Conflict("培训班已取消")
        await audit.record(conn, principal, "cancel", "session", session_id, county,
                           {"from": previous, "to": "cancelled", "reason": data.reason})
        await cancel_enrolments(conn, principal, county, session_id, data.reason)
    return await get_session(conn, principal, session_id, seats=seats)


# ------------------------------------------------------------------ packages and the menu


def _package(row: asyncpg.Record) -> Package:
    return Package(id=row["id"], county_code=row["county_code"], name=row["name"],
                   villages=msgspec.convert(row["villages"], list[RegionRef]), session_ids=list(row["session_ids"]),
                   created_at=row["created_at"])


async def create_package(conn: Conn, principal: Principal, data: PackageCreate) -> Package:
    county = data.county_code
    if not principal.sees_county(county):
        raise Forbidden("只能为本县组织培训资源包")
    errors: list[FieldError] = []
    villages = {r["code"]: r for r in await repo.regions(conn, data.village_codes)}
    for i, code in enumerate(data.village_codes):
        region = villages.get(code)
        if region is None or region["level"] != "village":
            errors.append(FieldError(f"village_codes[{i}]", f"{code} 不是已登记的村级区划代码"))
        elif region["county_code"] != county:
            errors.append(FieldError(f"village_codes[{i}]", f"{region['name']}不在本县"))
        elif principal.role == "official" and not principal.sees_region(code):
            errors.append(FieldError(f"village_codes[{i}]", f"{region['name']}不在您负责的区域内"))
    sessions = {r["id"]: r for r in await repo.sessions_in_county(conn, county, data.session_ids)}
    for i, session_id in enumerate(data.session_ids):
        session = sessions.get(session_id)
        hidden_draft = (session is not None and session["status"] == "draft" and not _sees_drafts(principal)
                        and session["school_id"] != principal.school_id)
        if session is None or hidden_draft:
            errors.append(FieldError(f"session_ids[{i}]", "培训班不存在或不在本县"))
        elif session["status"] == "cancelled":
            errors.append(FieldError(f"session_ids[{i}]", "培训班已取消"))
        elif principal.role == "school" and session["school_id"] != principal.school_id:
            errors.append(FieldError(f"session_ids[{i}]", "学校只能把本校的培训班打包"))
    if len(set(data.village_codes)) != len(data.village_codes):
        errors.append(FieldError("village_codes", "村重复"))
    if len(set(data.session_ids)) != len(data.session_ids):
        errors.append(FieldError("session_ids", "培训班重复"))
    if errors:
        raise InvalidInput(errors)
    async with conn.transaction():
        package_id = await repo.insert_package(conn, county, data.name.strip(), data.village_codes, data.session_ids)
        if package_id is None:
            raise Conflict(f"本县已有名为“{data.name}”的培训资源包")
        await audit.record(conn, principal, "create", "package", package_id, county,
                           {"name": data.name, "village_codes": data.village_codes,
                            "session_ids": [str(s) for s in data.session_ids]})
    return await get_package(conn, principal, package_id)


async def get_package(conn: Conn, principal: Principal, package_id: UUID) -> Package:
    row = await repo.get_package(conn, principal.counties, package_id)
    if row is None:
        raise NotFound("培训资源包不存在或不在您的权限范围内")
    return _package(row)


async def list_packages(conn: Conn, principal: Principal, village_code: str | None, limit: int,
                        offset: int) -> Page[Package]:
    return await paged(lambda n, skip: repo.list_packages(conn, principal.counties, village_code, n, skip),
                       _package, limit, offset)


async def menu(conn: Conn, principal: Principal, village_code: str, today: date, *, seats: SeatCounts,
               limit: int = 50, offset: int = 0) -> Menu:
    """One page of a village's menu (paged like every list: 500 sessions were 350 KB in one answer)."""
    village = await repo.region(conn, village_code)
    if village is None or village["level"] != "village" or not principal.sees_region(village_code):
        raise NotFound("村不存在或不在您的权限范围内")
    rows = await repo.menu(conn, village_code, village["county_code"], today, limit, offset)
    if rows:
        total = int(rows[0]["total"])
    else:  # past the last page (or nothing at all): the real total still, so a client can step back
        probe = await repo.menu(conn, village_code, village["county_code"], today, 1, 0) if offset else []
        total = int(probe[0]["total"]) if probe else 0
    figures = await _figures(conn, seats, rows, "session_id")
    items = [_menu_item(r, figures[r["session_id"]]) for r in rows]
    return Menu(village_code=village_code, village_name=village["name"], key_poverty=village["key_poverty"],
                items=items, total=total, limit=limit, offset=offset)


async def session_facts(conn: Conn, county_code: str, session_ids: list[UUID] | None) -> list[asyncpg.Record]:
    """The recommender's view of sessions in a county (see repository.session_facts)."""
    return await repo.session_facts(conn, county_code, session_ids)


class UpcomingSession(msgspec.Struct, frozen=True):
    county_code: str
    session_id: UUID
    village_code: str
    trade_code: str
    starts_on: date


async def upcoming_sessions(conn: Conn, counties: list[str] | None, after: date) -> list[UpcomingSession]:
    """Published sessions that start after the day (people can still sign up for them)."""
    return [UpcomingSession(r["county_code"], r["id"], r["village_code"], r["trade_code"], r["starts_on"])
            for r in await repo.upcoming_sessions(conn, counties, after)]


async def names(conn: Conn, school_ids: list[UUID], trade_codes: list[str], counties: list[str] | None = None
                ) -> tuple[dict[UUID, str], dict[str, str]]:
    """Names of schools (of `counties`; None: any) and trades, for labels in figures and reports."""
    schools, trades = await repo.names(conn, school_ids, trade_codes, counties)
    return {r["id"]: r["name"] for r in schools}, {r["code"]: r["name"] for r in trades}


async def school_county(conn: Conn, school_id: UUID) -> str | None:
    return await repo.school_county(conn, school_id)
