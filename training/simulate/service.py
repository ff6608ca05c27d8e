"""A county with a past: draw a plausible history from a seed (`training.simulate.world`) and write
it through the service's own rules, as of the simulated day of each act.

Households and members go through `registry.create_household` (every member rule, ID numbers checked
and encrypted), surveys through `registry.add_survey`, school leavers and the change of poverty era
through `update_person`/`update_household`; schools, courses and sessions through the catalogue
(published only if coherent, before they start); sign-ups, withdrawals, roll calls, drops,
completions and jobs through the enrolment service with `today` and `Rule.as_of` set to the simulated
day. Nothing is written around a rule: a refusal means the generator is wrong, and stops the run.

Entry point for other code (the model's training data, tests, the demo):
`simulate(conn, settings, county_code, households, years, seed, today)`.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import date
from typing import TypeVar
from uuid import UUID

from training.catalogue import service as catalogue
from training.catalogue.schemas import (
    CourseCreate,
    EquipmentCreate,
    MajorCreate,
    SchoolCreate,
    SessionCreate,
    TeacherCreate,
)
from training.core.config import Settings
from training.core.crypto import Vault
from training.core.errors import Conflict, FieldError, InvalidInput
from training.core.rules import rule_for
from training.core.security import Principal
from training.enrolment import service as enrolment
from training.enrolment.schemas import (
    AttendanceDay,
    Completion,
    EmploymentCreate,
    Enrolment,
    EnrolmentCreate,
    Withdrawal,
)
from training.ledger.service import import_ledger
from training.registry import service as registry
from training.registry.schemas import (
    HouseholdUpdate,
    PersonUpdate,
)
from training.simulate import repository as repo
from training.simulate import workbook
from training.simulate import world as w
from training.simulate.schemas import SimulatedSchool, Simulation
from training.simulate.schools import SCHOOLS

Conn = repo.Conn
T = TypeVar("T")
MAX_HOUSEHOLDS = 100_000
MAX_YEARS = 10
WAITLIST_REASON = "开班时候补未能递补"
MAKE_UP_REASON = "缺勤部分已补课，参加结业考核"


def sessions_per_year(households: int) -> int:
    """Short sessions a year: 5 per 100 households (40 for the demo's 800), at least 6, at most 100
    (a county of 50,000 people: about 2,500 places a year); the long courses come on top, one each a year."""
    return max(6, min(100, round(households * 0.05)))


def simulator(county_code: str) -> Principal:
    """The county administrator the history is entered as when no account is given: audit rows name
    it `simulate`."""
    return Principal(id=uuid.uuid5(uuid.NAMESPACE_URL, f"training:simulate:{county_code}"), username="simulate",
                     role="admin", county_code=county_code, school_id=None, region_codes=(f"{county_code}000000",))


def check_arguments(county_code: str, households: int, years: int) -> None:
    errors: list[FieldError] = []
    if not (len(county_code) == 6 and county_code.isdigit()):
        errors.append(FieldError("county", "县代码应为 6 位行政区划代码，如 513435"))
    if not 1 <= households <= MAX_HOUSEHOLDS:
        errors.append(FieldError("households", f"农户数应在 1 到 {MAX_HOUSEHOLDS} 之间"))
    if not 1 <= years <= MAX_YEARS:
        errors.append(FieldError("years", f"年数应在 1 到 {MAX_YEARS} 之间（含今年）"))
    if errors:
        raise InvalidInput(errors)


async def _each(conns: Sequence[Conn], items: Iterable[T], job: Callable[[Conn, T], Awaitable[object]]) -> None:
    """Run `job` over the items, one connection each at a time (items are independent of each other)."""
    queue = iter(items)

    async def worker(conn: Conn) -> None:
        for item in queue:
            await job(conn, item)

    await asyncio.gather(*(worker(c) for c in conns))


async def simulate(conn: Conn, settings: Settings, county_code: str, households: int, years: int, seed: int,
                   today: date, *, vault: Vault | None = None, principal: Principal | None = None,
                   workers: Sequence[Conn] = (), progress: Callable[[str], None] = lambda _: None) -> Simulation:
    """Write `households` households of `county_code` and `years` calendar years of history ending
    `today` (the current year under way). `workers`, if given, are extra connections the independent
    writes are spread over; with none, everything runs on `conn` (and inside its transaction, if any)."""
    began = time.monotonic()
    check_arguments(county_code, households, years)
    vault = vault or Vault.from_data_dir(settings.data_dir)
    admin = principal or simulator(county_code)
    conns: Sequence[Conn] = workers or [conn]
    village_rows = await repo.villages(conn, county_code)
    if not village_rows:
        raise InvalidInput([FieldError("county", f"县 {county_code} 还没有村级区划，请先导入区划"
                                                 "（training regions load FILE.csv，或 training demo 导入甘洛县）")])
    if await repo.households_in_county(conn, county_code):
        raise Conflict(f"县 {county_code} 已有农户登记，模拟只能写入一个还没有农户的县（请用新的数据库）")
    villages = [w.Village(code=r["code"], name=r["name"], township=r["parent_code"], lat=r["lat"], lon=r["lon"],
                          key_poverty=r["key_poverty"]) for r in village_rows]

    progress("学校、专业、教师与课程")
    schools, course_ids, teacher_of = await _catalogue(conn, admin, county_code)
    categories = await repo.trade_categories(conn)
    ranks = {e.code: e.rank for e in await catalogue.education_levels(conn)}
    progress(f"生成 {households} 户（种子 {seed}，{date(today.year - years + 1, 1, 1)} 至 {today}）")
    world = await asyncio.to_thread(plan, seed, county_code, villages, households, years, today, settings,
                                    categories, ranks)
    start, people, plan_households, sessions = world.start, world.people, world.households, world.sessions

    ledgers = workbook.rounds(world)
    progress(f"导入台账：{ledgers[0].name}（{len(ledgers[0].rows)} 人）")
    await _import(conn, admin, vault, ledgers[0])
    person_ids = await _person_ids(conn, vault, county_code, people)
    household_ids = await _household_ids(conn, county_code, plan_households)

    details = [h for h in plan_households if h.poverty_status != "ordinary" and _household_details(h)]
    members = [p for p in people if p.disability or p.skills]
    progress(f"补录致贫原因 {len(details)} 户，残疾与技能 {len(members)} 人")
    start_rule = rule_for(settings, ledgers[0].day)
    await _each(conns, details, lambda c, h: registry.update_household(
        c, admin, vault, start_rule, household_ids[h.index], HouseholdUpdate(**_household_details(h))))  # type: ignore[arg-type]
    await _each(conns, members, lambda c, p: registry.update_person(
        c, admin, vault, start_rule, person_ids[p.key], PersonUpdate(disability=p.disability, skills=p.skills or None)))

    # Later survey rounds and the change of era, in order of day.
    events: list[tuple[date, int, workbook.Round | w.HouseholdPlan]] = [(r.day, 1, r) for r in ledgers[1:]]
    events += [(h.transition[0], 0, h) for h in plan_households if h.transition is not None]
    for day, _, item in sorted(events, key=lambda e: (e[0], e[1])):
        if isinstance(item, workbook.Round):
            progress(f"导入台账：{item.name}（{len(item.rows)} 人）")
            await _import(conn, admin, vault, item)
        else:
            assert item.transition is not None
            await registry.update_household(conn, admin, vault, rule_for(settings, day), household_ids[item.index],
                                            HouseholdUpdate(**item.transition[1]))  # type: ignore[arg-type]

    signups = sum(len(s.signups) for s in sessions)
    progress(f"培训班 {len(sessions)} 个，报名 {signups} 人次")
    finished = 0

    async def run(c: Conn, session: w.SessionPlan) -> None:
        nonlocal finished
        await _run_session(c, settings, admin, seed, today, session, course_ids[session.course.index],
                           teacher_of[session.course.index], person_ids)
        finished += 1
        if finished % max(1, len(sessions) // 10) == 0:
            progress(f"培训班 {finished}/{len(sessions)}")

    await _each(conns, sessions, run)

    progress("汇总")
    counts = await repo.summary(conn, county_code, rule_for(settings, today))
    return Simulation(county_code=county_code, seed=seed, starts_on=start, today=today,
                      fingerprint=await repo.fingerprint(conn, county_code), seconds=round(time.monotonic() - began, 1),
                      schools=schools, **{k: int(v) for k, v in counts.items()})


# ------------------------------------------------------------------ the catalogue


def course_specs(ranks: dict[str, int]) -> list[w.CourseSpec]:
    """The catalogue's courses in order (school by school), as the generator sees them."""
    courses: list[w.CourseSpec] = []
    for school_index, spec in enumerate(SCHOOLS):
        for title, trade, kind, hours, level, certificate, min_age, max_age, min_edu in spec["courses"]:  # type: ignore[attr-defined]
            courses.append(w.CourseSpec(index=len(courses), school=school_index, title=title, trade=trade,
                                        category="", kind=kind, hours=hours, level=level, certificate=certificate,
                                        min_age=min_age, max_age=max_age,
                                        min_education_rank=ranks[min_edu] if min_edu else None))
    return courses


def plan(seed: int, county_code: str, villages: list[w.Village], households: int, years: int, today: date,
         settings: Settings, categories: dict[str, str], ranks: dict[str, int]) -> w.World:
    """The whole history, drawn but not written (pure: the same arguments give the same world)."""
    start = date(today.year - years + 1, 1, 1)
    working_age = {"male": settings.working_age_male, "female": settings.working_age_female}
    courses = course_specs(ranks)
    offered = {c.trade: categories[c.trade] for c in courses}
    home = {i: _home_village(str(spec["address"]), villages) for i, spec in enumerate(SCHOOLS)}
    plan_households = w.make_households(seed, county_code, villages, households, start, today)
    people = [m for h in plan_households for m in h.members]
    surveys = w.make_surveys(seed, plan_households, offered, start, today, settings.lianghousheng_years, working_age)
    sessions = w.make_sessions(seed, courses, villages, home, start, today, sessions_per_year(households))
    world = w.World(county=county_code, start=start, today=today, households=plan_households, people=people,
                    surveys=surveys, sessions=sessions)
    w.plan_signups(seed, world, settings.lianghousheng_years, working_age, categories)
    return world



def _home_village(address: str, villages: list[w.Village]) -> w.Village:
    """The village a school's address names, else the first village of the county seat."""
    for village in villages:
        if village.name in address:
            return village
    seat = min(v.township for v in villages)
    return next(v for v in villages if v.township == seat)


async def _catalogue(conn: Conn, admin: Principal, county: str
                     ) -> tuple[list[SimulatedSchool], dict[int, UUID], dict[int, UUID]]:
    """The schools of the catalogue, created unless they already exist (then their courses are used):
    course ids and a qualified teacher by the course's place in `course_specs`."""
    existing = await repo.school_ids(conn, county, [str(s["name"]) for s in SCHOOLS])
    schools: list[SimulatedSchool] = []
    index = 0
    course_ids: dict[int, UUID] = {}
    teacher_of: dict[int, UUID] = {}
    for spec in SCHOOLS:
        name = str(spec["name"])
        if name in existing:
            school_id = existing[name]["id"]
            detail = await catalogue.school_detail(conn, admin, school_id)
            teachers = {code: t.id for t in reversed(detail.teachers) for code in t.trade_codes}
            titles = {c.title: c.id for c in detail.courses}
        else:
            school = await catalogue.create_school(conn, admin, SchoolCreate(
                county_code=county, name=name, kind=spec["kind"],  # type: ignore[arg-type]
                address=str(spec["address"]), phone=str(spec["phone"])))
            school_id = school.id
            for major, trades in spec["majors"].items():  # type: ignore[attr-defined]
                await catalogue.add_major(conn, admin, school_id, MajorCreate(name=major, trade_codes=trades))
            teachers = {}
            for teacher_name, title, trades, level in spec["teachers"]:  # type: ignore[attr-defined]
                teacher = await catalogue.add_teacher(conn, admin, school_id, TeacherCreate(
                    name=teacher_name, title=title, trade_codes=trades, skill_level=level))
                for trade in trades:
                    teachers.setdefault(trade, teacher.id)
            for item, quantity, trades in spec["equipment"]:  # type: ignore[attr-defined]
                await catalogue.add_equipment(conn, admin, school_id, EquipmentCreate(
                    name=item, quantity=quantity, trade_codes=trades))
            titles = {}
        schools.append(SimulatedSchool(id=school_id, name=name))
        for title, trade, kind, hours, level, certificate, min_age, max_age, min_edu in spec["courses"]:  # type: ignore[attr-defined]
            if title not in titles:
                course = await catalogue.create_course(conn, admin, CourseCreate(
                    school_id=school_id, title=title, trade_code=trade, kind=kind, hours=hours, skill_level=level,
                    certificate=certificate, min_age=min_age, max_age=max_age, min_education=min_edu))
                titles[title] = course.id
            course_ids[index] = titles[title]
            teacher_of[index] = teachers[trade]
            index += 1
    return schools, course_ids, teacher_of


# ------------------------------------------------------------------ the registry


async def _import(conn: Conn, admin: Principal, vault: Vault, ledger: workbook.Round) -> None:
    """One ledger through the ledger service, all or nothing: a refused row is a generator bug."""
    content = await asyncio.to_thread(workbook.xlsx, ledger)
    await import_ledger(conn, admin, vault, content, "all_or_nothing", ledger.day)


async def _person_ids(conn: Conn, vault: Vault, county: str, people: list[w.PersonPlan]) -> dict[int, UUID]:
    known = await repo.people_ids(conn, county)
    return {p.key: known[vault.lookup_hash(p.id_number)] for p in people}


async def _household_ids(conn: Conn, county: str, households: list[w.HouseholdPlan]) -> dict[int, UUID]:
    known = await repo.household_ids(conn, county)
    return {h.index: known[h.household_no] for h in households}


def _household_details(h: w.HouseholdPlan) -> dict[str, object]:
    """What the ledger has no column for: 致贫原因 and the household's phone (脱贫年度, 监测类型 and
    风险消除 come with the ledger's era columns)."""
    values: dict[str, object] = {"poverty_causes": h.poverty_causes or None, "phone": h.phone}
    return {k: v for k, v in values.items() if v is not None}


# ------------------------------------------------------------------ sessions and places


async def _whole_roster(conn: Conn, admin: Principal, session_id: UUID) -> list[Enrolment]:
    """Every row of a session's roster, page by page."""
    rows: list[Enrolment] = []
    while True:
        page = await enrolment.session_enrolments(conn, admin, session_id, 500, len(rows))
        rows += page.items
        if len(rows) >= page.total or not page.items:
            return rows


async def _run_session(conn: Conn, settings: Settings, admin: Principal, seed: int, today: date,
                       plan: w.SessionPlan, course_id: UUID, teacher_id: UUID, person_ids: dict[int, UUID]) -> None:
    """One session from publication to the last job found, each act as of its own day."""
    course = plan.course
    session = await catalogue.create_session(conn, admin, course_id, SessionCreate(
        starts_on=plan.starts, ends_on=plan.ends, village_code=plan.village.code, capacity=plan.capacity,
        teacher_ids=[teacher_id], venue=None,
        schedule="每周一点名，全日制" if course.kind == "long" else
        ("农闲时段，每天 9:00-16:00" if course.kind == "practical" else "每天 9:00-12:00、14:00-17:00")),
        seats=enrolment.seat_counts)
    await catalogue.publish_session(conn, admin, session.id, plan.publish_day, seats=enrolment.seat_counts)

    # Before the start: sign-ups and withdrawals in order of day (a withdrawal frees a seat for the
    # first on the waitlist at once).
    places: dict[int, UUID] = {}
    waitlisted = False
    events: list[tuple[date, int, w.SignUp]] = [(s.day, 0, s) for s in plan.signups]
    events += [(s.leave_day, 1, s) for s in plan.signups
               if s.outcome == "withdrawn" and s.leave_day is not None and s.leave_day <= today]
    for day, kind, signup in sorted(events, key=lambda e: (e[0], e[1], e[2].person)):
        if kind == 0:
            made = await enrolment.enrol(conn, admin, rule_for(settings, day), session.id,
                                         EnrolmentCreate(person_id=person_ids[signup.person], source=signup.source))  # type: ignore[arg-type]
            places[signup.person] = made.id
            waitlisted = waitlisted or made.status == "waitlisted"
        else:
            await enrolment.withdraw(conn, admin, places[signup.person], Withdrawal(reason=signup.reason or "个人原因"))
    if plan.starts > today:
        return

    # At the start the waitlist is closed: who did not get a seat is told so. Who holds a seat is
    # asked of the enrolment service when anyone was ever waitlisted (promotions are its business).
    withdrawn = {s.person for s in plan.signups if s.outcome == "withdrawn" and s.leave_day and s.leave_day <= today}
    seated = {person: place for person, place in places.items() if person not in withdrawn}
    if waitlisted:
        seated = {}
        by_place = {v: k for k, v in places.items()}
        for row in await _whole_roster(conn, admin, session.id):
            if row.status == "waitlisted":
                await enrolment.withdraw(conn, admin, row.id, Withdrawal(reason=WAITLIST_REASON))
            elif row.status == "enrolled":
                seated[by_place[row.id]] = row.id
    plans = {s.person: s for s in plan.signups}

    # Roll calls, with drops on their day.
    rng = w.stream(seed, "attendance", plan.index)
    present_days = dict.fromkeys(seated, 0)
    recorded = 0
    for day in plan.class_days:
        if day > today:
            break
        for person, place in list(seated.items()):
            signup = plans[person]
            if signup.outcome == "dropped" and signup.leave_day is not None and signup.leave_day <= day:
                await enrolment.drop(conn, admin, place, Withdrawal(reason=signup.reason or "缺勤过多"))
                del seated[person]
        present = [person for person in sorted(seated) if rng.random() < plans[person].attendance]
        await enrolment.record_attendance(conn, admin, session.id, AttendanceDay(
            date=day, present=[seated[p] for p in present]), day)
        recorded += 1
        for person in present:
            present_days[person] += 1
    if plan.ends > today:
        return

    # The last day: completion (pass or fail, certificate), then jobs as they are found.
    for person, place in sorted(seated.items()):
        signup = plans[person]
        passed = signup.outcome == "passed"
        rate = present_days[person] / recorded if recorded else 0.0
        await enrolment.complete(conn, admin, place, Completion(
            completed_on=plan.ends, passed=passed, skill_level=course.level if passed else None,  # type: ignore[arg-type]
            certificate_no=signup.certificate_no if passed else None,
            override_reason=MAKE_UP_REASON if rate < settings.attendance_threshold else None),
            plan.ends, settings.attendance_threshold)
        if passed and signup.employment is not None and signup.employment[0] <= today:
            employed_on, place_kind, employer, income = signup.employment
            await enrolment.record_employment(conn, admin, place, EmploymentCreate(
                employed_on=employed_on, place=place_kind, trade_code=course.trade, employer=employer,  # type: ignore[arg-type]
                monthly_income=income), employed_on)

