"""Quotas and progress. The progress slice owns only the quotas: every figure is derived where its records
are owned and asked for through the owner's service (enrolment counts from the enrolment rollups,
households from the registry's, sessions from the catalogue, places from the regions), then composed here.
Definitions of every figure: README, 进度与指标."""

from __future__ import annotations

import asyncio
import calendar
import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple
from uuid import UUID

import msgspec

from training.catalogue import service as catalogue
from training.core import audit, db
from training.core.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from training.core.rules import Rule
from training.core.security import Principal, region_prefix
from training.enrolment import service as enrolment
from training.enrolment.schemas import TrainingCounts
from training.progress import reports
from training.progress import repository as repo
from training.progress.schemas import (
    By,
    DemandTrade,
    Figures,
    Progress,
    Quota,
    QuotaList,
    QuotaPut,
    QuotaResult,
    RecommendedSession,
    TownshipDemand,
    UncoveredHousehold,
    UncoveredPage,
    UnmetDemand,
    WorklistPerson,
)
from training.recommendations import service as recommendations
from training.regions import service as regions
from training.registry import service as registry

Conn = repo.Conn
NOT_IN_SCOPE = "地区不存在或不在您的权限范围内"


@dataclass(frozen=True)
class Reach:
    """What one request may count: counties (None: all), the leading digits of village codes in the
    region ('' for the whole counties), and one school when a school asks."""

    counties: list[str] | None
    region: str
    region_code: str
    name: str
    level: str
    school_id: UUID | None = None
    viewer: Principal | None = None  # whose quotas may be shown (may_see_quota); None: an internal caller


def _twelve(code: str) -> str:
    return code + "000000" if len(code) == 6 else code


def _may_read(principal: Principal, code: str) -> bool:
    if principal.role == "admin":
        return principal.sees_county(code[:6])
    if principal.role == "school":
        return principal.county_code == code[:6]
    return principal.sees_region(code)


async def reach_for(conn: Conn, principal: Principal, region_code: str) -> Reach:
    """The caller's view of a region: 404 outside their scope (another county, another township or village).
    A school sees its own sessions' figures within the region."""
    code = _twelve(region_code)
    place = await regions.find(conn, code)
    if place is None or not _may_read(principal, code):
        raise NotFound(NOT_IN_SCOPE)
    return Reach(counties=[code[:6]], region=region_prefix(code), region_code=code, name=place.name,
                 level=place.level, school_id=principal.school_id if principal.role == "school" else None,
                 viewer=principal)


# ------------------------------------------------------------------ periods


class Period(NamedTuple):
    """A reporting period: the months first..last of a year."""

    year: int
    first: int
    last: int

    @property
    def months(self) -> tuple[int, int]:
        return (self.first, self.last)


# ASCII digits only: \d would take full-width (２０２６) and Arabic-Indic digits for a month.
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_QUARTER = re.compile(r"([0-9]{4})-Q?([1-4])")
_YEARS = range(2000, 2101)
MONTH_FORMAT = "月份应写作 YYYY-MM（半角数字），如 2026-03"
QUARTER_FORMAT = "季度应写作 YYYY-Q（半角数字），如 2026-1"


def parse_period(month: str | None, quarter: str | None, year: int | None) -> Period:
    """The one reader of a period (progress, the reports): a month YYYY-MM, a quarter YYYY-Q, or a whole
    year. A period that contradicts itself (a month and a quarter; a year and a month or quarter of
    another year) is refused naming the fields, never answered as one of them."""
    def query(field: str, message: str) -> FieldError:
        return FieldError(field, message, "query")

    if month is not None and quarter is not None:
        raise InvalidInput([query("month", "月份和季度只能给一个，请只保留 month 或 quarter"),
                            query("quarter", "月份和季度只能给一个，请只保留 month 或 quarter")])
    if month is not None:
        m = _MONTH.fullmatch(month)
        if m is None or int(m[1]) not in _YEARS or not 1 <= int(m[2]) <= 12:
            raise InvalidInput([query("month", MONTH_FORMAT)])
        found, field, first, last = int(m[1]), "month", int(m[2]), int(m[2])
    elif quarter is not None:
        q = _QUARTER.fullmatch(quarter)
        if q is None or int(q[1]) not in _YEARS:
            raise InvalidInput([query("quarter", QUARTER_FORMAT)])
        found, field, first, last = int(q[1]), "quarter", 3 * int(q[2]) - 2, 3 * int(q[2])
    elif year is None:
        raise InvalidInput([query("year", "请给出年份 year（或 month、quarter）")])
    else:
        if year not in _YEARS:
            raise InvalidInput([query("year", "年份应在 2000 至 2100 之间")])
        return Period(year, 1, 12)
    if year is not None and year != found:
        said = f"{field} 是 {found} 年的，与 year={year} 不符：请只给一个，或让两者一致"
        raise InvalidInput([query("year", said), query(field, said)])
    return Period(found, first, last)


# ------------------------------------------------------------------ quotas


def _quota(values: dict[str, Any], names: dict[str, str]) -> Quota:
    unit = values["region_code"] or str(values["school_id"])
    return Quota(name=names.get(unit, unit), **values)


async def _quota_names(conn: Conn, rows: list[dict[str, Any]]) -> dict[str, str]:
    codes = [str(r["region_code"]) for r in rows if r["region_code"]]
    schools = [r["school_id"] for r in rows if r["school_id"]]
    school_names, _ = await catalogue.names(conn, schools, [])
    return await regions.names(conn, codes) | {str(k): v for k, v in school_names.items()}


def may_see_quota(viewer: Principal | None, county_code: str, region_code: str | None,
                  school_id: UUID | None) -> bool:
    """THE rule of who may read a quota, for every path that shows one (the quota list, its warning,
    /api/progress and so the reports): admins of the county; an official the quotas of the regions it
    covers (a township official its township's, not the county's), and a school's only when it covers
    the whole county; a school its own; surveyors none (quotas are the officials' business). No viewer:
    an internal caller (the benchmark) reading every quota of the reach."""
    if viewer is None:
        return True
    if viewer.role == "admin":
        return viewer.sees_county(county_code)
    if viewer.role == "official":
        return viewer.sees_region(region_code or county_code + "000000")
    if viewer.role == "school":
        return school_id is not None and school_id == viewer.school_id and viewer.county_code == county_code
    return False


def _visible(viewer: Principal | None, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if may_see_quota(viewer, str(r["county_code"]), r["region_code"], r["school_id"])]


def _is_township(code: str | None) -> bool:
    return code is not None and code.endswith("000") and not code.endswith("000000")


OVER_WITHOUT_FIGURES = "各乡镇指标合计已超过全县指标，请与县里核对"


def _over_warning(viewer: Principal, rows: list[dict[str, Any]]) -> str | None:
    """The townships' quotas adding up to more than their county's (allowed, but flagged), in figures only
    to a caller who may read every quota it names; to an official whose township's quota is part of the
    excess, without anyone's figures; to anyone else, nothing."""
    warnings = []
    for county in sorted({str(r["county_code"]) for r in rows}):
        county_row = next((r for r in rows if r["region_code"] == county + "000000"), None)
        townships = [r for r in rows if r["county_code"] == county and _is_township(r["region_code"])]
        total = sum(int(r["target_person_times"]) for r in townships)
        if county_row is None or total <= int(county_row["target_person_times"]):
            continue
        seen = _visible(viewer, [county_row, *townships])
        if len(seen) == len(townships) + 1:
            warnings.append(f"各乡镇指标合计 {total} 人次，超过全县指标 {county_row['target_person_times']} 人次")
        elif seen:
            warnings.append(OVER_WITHOUT_FIGURES)
    return "；".join(dict.fromkeys(warnings)) or None


async def put_quota(conn: Conn, principal: Principal, data: QuotaPut) -> QuotaResult:
    """Set a quota; with `version` (the one the caller last saw, 0 for none yet) only if it is still the
    current one: two officials setting the same quota at once never silently overwrite each other."""
    if (data.region_code is None) == (data.school_id is None):
        raise InvalidInput([FieldError("region_code", "请填写县或乡镇的区划代码，或学校编号（二者选一）")])
    if principal.role not in ("admin", "official"):
        raise Forbidden("只有官员和管理员可以设定指标")
    if data.region_code is not None:
        code = _twelve(data.region_code)
        place = await regions.find(conn, code)
        if place is None or not may_see_quota(principal, code[:6], code, None):
            raise NotFound(NOT_IN_SCOPE)
        if place.level == "village":
            raise InvalidInput([FieldError("region_code", "指标按县、乡镇或学校下达，不按村")])
        county, unit, region_code, school_id = code[:6], code, code, None
    else:
        assert data.school_id is not None
        found = await catalogue.school_county(conn, data.school_id)
        # A school's quota is the county's business: county officials and admins.
        if found is None or not may_see_quota(principal, found, None, data.school_id):
            raise NotFound("学校不存在或不在您的权限范围内")
        county, unit, region_code, school_id = found, str(data.school_id), None, data.school_id
    values = msgspec.structs.asdict(data) | {"region_code": region_code, "school_id": school_id}
    async with conn.transaction():
        row = await repo.upsert_quota(conn, county, unit, values, principal.id)
        if row is None:
            current = await repo.quota_version(conn, county, data.year, unit)
            raise Conflict(f"该指标已被他人修改（当前版本 {current}），请刷新后再改", current_version=current)
        await audit.record(conn, principal, "set_quota", "quota", unit, county,
                           {"year": data.year, "target_person_times": data.target_person_times,
                            "target_persons": data.target_persons, "target_households": data.target_households,
                            "target_lianghousheng": data.target_lianghousheng})
    rows = [dict(r) for r in await repo.quotas(conn, [county], data.year)]
    names = await _quota_names(conn, [dict(row)])
    return QuotaResult(quota=_quota(dict(row), names), warning=_over_warning(principal, rows))


async def list_quotas(conn: Conn, principal: Principal, year: int, region_code: str | None) -> QuotaList:
    """The quotas of the year within the region (default: every county the caller sees) that the caller
    may read (`may_see_quota`)."""
    if region_code is not None:
        reach = await reach_for(conn, principal, region_code)
        counties, prefix = reach.counties, reach.region
    else:
        counties, prefix = principal.counties, ""
    rows = [dict(r) for r in await repo.quotas(conn, counties, year)]
    in_region = [r for r in rows if (str(r["region_code"]).startswith(prefix) if r["region_code"] is not None
                                     else len(prefix) <= 6)]
    visible = _visible(principal, in_region)
    names = await _quota_names(conn, visible)
    return QuotaList(items=[_quota(r, names) for r in visible], warning=_over_warning(principal, rows))


async def visible_quotas(conn: Conn, reach: Reach, year: int) -> dict[str, dict[str, Any]]:
    """The quotas of the reach's counties in the year that its viewer may read, by unit (a region code
    or a school's id)."""
    rows = _visible(reach.viewer, [dict(r) for r in await repo.quotas(conn, reach.counties, year)])
    return {str(r["region_code"] or r["school_id"]): r for r in rows}


async def quota_for(conn: Conn, reach: Reach, year: int) -> Quota | None:
    """The quota of the reach's own unit in the year (its school's for a school), if one is set and the
    viewer may read it."""
    unit = str(reach.school_id) if reach.school_id else reach.region_code
    row = (await visible_quotas(conn, reach, year)).get(unit)
    return None if row is None else _quota(row, {unit: reach.name})


# ------------------------------------------------------------------ progress


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def period_end(year: int, months: tuple[int, int]) -> date:
    return date(year, months[1], calendar.monthrange(year, months[1])[1])


def _pace(done: int, target: int | None, year: int, line_day: date) -> float | None:
    """Done against a straight line from 0 on 1 January to the target on 31 December, read on line_day."""
    start = date(year, 1, 1)
    if not target or line_day < start:
        return None
    days = 366 if calendar.isleap(year) else 365
    expected = target * (min((line_day - start).days + 1, days) / days)
    return round(done / expected, 4)


def _figures(key: str, name: str, c: TrainingCounts, target: int | None = None,
             households: tuple[int, int, int] | None = None) -> Figures:
    h = households
    return Figures(key=key, name=name, target_person_times=target, person_times_completed=c.completed,
                   persons_completed=c.persons_completed, certified=c.certified, employed=c.employed,
                   enrolled_now=c.enrolled_now, waitlisted_now=c.waitlisted_now,
                   lianghousheng_enrolled=c.lianghousheng_enrolled, lianghousheng_completed=c.lianghousheng_completed,
                   households_target=h[0] if h else None, households_covered=h[1] if h else None,
                   households_covered_two_skills=h[2] if h else None, pass_rate=_rate(c.passed, c.completed),
                   employment_rate=_rate(c.employed, c.completed))


def _township(village: str) -> str:
    return village[:9] + "000"


async def forecast(conn: Conn, reach: Reach, year: int, done_in_year: int) -> int:
    """Year-end 人次: done so far, plus the places still in progress in sessions ending this year times
    their county's completion rate in sessions that ended before this year (1 with no history)."""
    expected = 0.0
    for county in await enrolment.open_places(conn, reach.counties, reach.region, reach.school_id,
                                               date(year, 1, 1), date(year, 12, 31)):
        closed = county.history_completed + county.history_dropped
        rate = county.history_completed / closed if closed else 1.0
        expected += county.enrolled * rate
    return done_in_year + math.floor(expected + 0.5)


async def _reached(conn: Conn, reach: Reach, year: int, months: tuple[int, int]
                   ) -> tuple[dict[str, int], dict[str, int]]:
    """Covered and two-skill target households by village: from the enrolment slice's distinct counts
    (kept by (village, status) as the household is today) for a year, quarter or month, else from the
    households of the period's completions, judged by the registry."""
    found = await enrolment.households_reached(conn, reach.counties, year, months, reach.region)
    if found is not None:
        def by_village(counts: dict[tuple[str, str], int]) -> dict[str, int]:
            out: dict[str, int] = {}
            for (village, status), n in counts.items():
                if registry.is_target(status):
                    out[village] = out.get(village, 0) + n
            return out
        return by_village(found[0]), by_village(found[1])
    covered = await registry.target_households_among(
        conn, await enrolment.completing_households(conn, reach.counties, year, months, reach.region, None),
        reach.region)
    two = await registry.target_households_among(
        conn, await enrolment.two_trade_households(conn, reach.counties, reach.region), reach.region)
    return covered, two


async def progress(conn: Conn, reach: Reach, today: date, year: int, months: tuple[int, int] = (1, 12)) -> Progress:
    """Figures of the months of a year in the reach; pace and forecast are about the whole year. Read in one
    snapshot, so the totals, the breakdowns and the households agree with each other."""
    await enrolment.fold_rollups(conn)  # keeps the logs short, outside the snapshot
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        await db.set_local_work_mem(conn, 64)
        return await _progress(conn, reach, today, year, months)


async def _progress(conn: Conn, reach: Reach, today: date, year: int, months: tuple[int, int]) -> Progress:
    counts = await enrolment.training_counts(conn, reach.counties, year, months, reach.region, reach.school_id)
    # pace and forecast need only the completions to date and in the whole year
    to_date = counts if months[0] == 1 else await enrolment.training_counts(
        conn, reach.counties, year, (1, months[1]), reach.region, reach.school_id, persons=False)
    whole_year = counts if months == (1, 12) else await enrolment.training_counts(
        conn, reach.counties, year, (1, 12), reach.region, reach.school_id, persons=False)

    households: dict[str, tuple[int, int, int]] | None = None
    if reach.school_id is None:  # households belong to places, not to a school's trainees
        target = await registry.target_households(conn, reach.counties, reach.region)
        covered, two = await _reached(conn, reach, year, months)
        households = {v: (target.get(v, 0), covered.get(v, 0), two.get(v, 0))
                      for v in set(target) | set(covered) | set(two)}

    quotas = {unit: int(r["target_person_times"]) for unit, r in (await visible_quotas(conn, reach, year)).items()}
    target_total = quotas.get(str(reach.school_id)) if reach.school_id else quotas.get(reach.region_code)

    # households by township and in all, added up once (a province has thousands of villages)
    by_township: dict[str, tuple[int, int, int]] = {}
    for village, h in (households or {}).items():
        t = by_township.get(_township(village), (0, 0, 0))
        by_township[_township(village)] = (t[0] + h[0], t[1] + h[1], t[2] + h[2])
    all_households = None if households is None else tuple(
        sum(h[i] for h in by_township.values()) for i in range(3))

    villages = sorted(set(counts.by["village"]) | set(households or {}))
    townships = sorted({_township(v) for v in villages} | {k for k in quotas if k.startswith(reach.region)
                                                           and k.endswith("000") and not k.endswith("000000")
                                                           and len(reach.region) <= 6})
    school_ids = [UUID(s) for s in counts.by["school"]]
    school_names, trade_names = await catalogue.names(conn, school_ids, list(counts.by["trade"]), reach.counties)
    place_names = await regions.names(conn, villages + townships)
    empty = TrainingCounts()

    def village_households(township: str) -> tuple[int, int, int] | None:
        return None if households is None else by_township.get(township, (0, 0, 0))

    def of_village(village: str) -> tuple[int, int, int] | None:
        return None if households is None else households.get(village, (0, 0, 0))

    by = By(
        month=[_figures(str(m), f"{m}月", counts.by["month"].get(str(m), empty))
               for m in range(months[0], months[1] + 1)],
        township=[_figures(t, place_names.get(t, t), counts.by["township"].get(t, empty), quotas.get(t),
                           village_households(t)) for t in townships],
        village=[_figures(v, place_names.get(v, v), counts.by["village"].get(v, empty), None,
                          of_village(v)) for v in villages],
        trade=[_figures(t, trade_names.get(t, t), c) for t, c in sorted(counts.by["trade"].items())],
        school=[_figures(s, school_names.get(UUID(s), s), c, quotas.get(s))
                for s, c in sorted(counts.by["school"].items(), key=lambda kv: school_names.get(UUID(kv[0]), kv[0]))],
    )
    top = _figures(reach.region_code, reach.name, counts.total, target_total,
                   None if all_households is None else (all_households[0], all_households[1], all_households[2]))
    line_day = min(today, period_end(year, months))
    done = to_date.total.completed
    forecast_total = await forecast(conn, reach, year, whole_year.total.completed)
    return Progress(
        target_person_times=target_total, person_times_completed=top.person_times_completed,
        persons_completed=top.persons_completed, certified=top.certified, employed=top.employed,
        enrolled_now=top.enrolled_now, waitlisted_now=top.waitlisted_now,
        lianghousheng_enrolled=top.lianghousheng_enrolled, lianghousheng_completed=top.lianghousheng_completed,
        households_target=top.households_target, households_covered=top.households_covered,
        households_covered_two_skills=top.households_covered_two_skills, pass_rate=top.pass_rate,
        employment_rate=top.employment_rate, pace=_pace(done, target_total, year, line_day),
        forecast_person_times=forecast_total,
        on_track=None if target_total is None else forecast_total >= target_total, by=by)


async def progress_for(conn: Conn, principal: Principal, today: date, region_code: str, year: int,
                       months: tuple[int, int] = (1, 12)) -> Progress:
    return await progress(conn, await reach_for(conn, principal, region_code), today, year, months)


class Report(NamedTuple):
    """What a monthly or quarterly report needs: the figures, the reporting unit's quota, and its name."""

    figures: Progress
    quota: Quota | None
    unit: str


async def report_for(conn: Conn, principal: Principal, today: date, region_code: str, period: Period) -> Report:
    """A report's figures for a period: a school reports as itself (its own sessions, its own quota, its own
    name as 填报单位), anyone else as the region asked for."""
    reach = await reach_for(conn, principal, region_code)
    figures = await progress(conn, reach, today, period.year, period.months)
    quota = await quota_for(conn, reach, period.year)
    unit = reach.name
    if reach.school_id is not None:
        school_names, _ = await catalogue.names(conn, [reach.school_id], [])
        unit = school_names.get(reach.school_id, unit)
    return Report(figures, quota, unit)


# ------------------------------------------------------------------ the worklist and unmet demand


WORKLIST_TOP = 3  # recommended sessions per labourer
WORKLIST_XLSX_MAX_HOUSEHOLDS = 5000  # one download; beyond it, ask for a township or a village
WORKLIST_XLSX_CHUNK = 200  # households scored and written at a time


async def _worklist(conn: Conn, principal: Principal, rule: Rule, today: date, reach: Reach, limit: int | None,
                    offset: int) -> tuple[list[registry.UncoveredHousehold], int]:
    if principal.role == "school":
        raise Forbidden("学校不能查看未覆盖户清单")
    trained = await enrolment.completing_households(conn, reach.counties, today.year, (1, 12), reach.region, None)
    return await registry.uncovered_households(conn, principal, reach.region, rule, trained, limit, offset)


async def _with_sessions(conn: Conn, rule: Rule, today: date, rows: list[registry.UncoveredHousehold],
                         offers: dict[str, recommendations.Offer]) -> tuple[list[UncoveredHousehold], str | None]:
    """Households of the worklist with each labourer's top sessions, scored together for the whole page
    (per county: one read of the people, one of their enrolments, one scoring pass)."""
    names = await regions.names(conn, sorted({r.village_code for r in rows} | {_township(r.village_code) for r in rows}))
    education = {e.code: e.name for e in await catalogue.education_levels(conn)}
    _, trades = await catalogue.names(conn, [], sorted({t for r in rows for p in r.labourers for t in p.desired_trades}))
    top: dict[UUID, list[RecommendedSession]] = {}
    notes = []
    for county in sorted({r.county_code for r in rows}):
        if county not in offers:
            offers[county] = await recommendations.open_offer(conn, county, today)
        found = await recommendations.top_sessions(
            conn, rule, offers[county], [p.person_id for r in rows if r.county_code == county for p in r.labourers],
            today, WORKLIST_TOP)
        if found.note:
            notes.append(found.note)
        for person, sessions in found.by_person.items():
            top[person] = [RecommendedSession(session_id=s.session_id, title=s.course_title, trade_name=s.trade_name,
                                              school_name=s.school_name, village_name=s.village_name,
                                              starts_on=s.starts_on, score=s.score) for s in sessions]
    items = [UncoveredHousehold(
        household_id=r.household_id, village_code=r.village_code, village_name=names.get(r.village_code, ""),
        township_name=names.get(_township(r.village_code), ""), household_no=r.household_no,
        head_name=r.head_name, poverty_status=r.poverty_status,
        labourers=[WorklistPerson(**msgspec.structs.asdict(p), education_name=education.get(p.education, p.education),
                                  desired_trade_names=[trades.get(t, t) for t in p.desired_trades],
                                  recommended_sessions=top.get(p.person_id, []))
                   for p in r.labourers])
        for r in rows]
    return items, "；".join(dict.fromkeys(notes)) or None


async def uncovered(conn: Conn, principal: Principal, rule: Rule, today: date, region_code: str,
                    limit: int, offset: int) -> UncoveredPage:
    """Target households in the caller's villages with a working-age labourer and nobody who completed a
    training this year, a page of them, each labourer with their top recommended sessions: a surveyor's
    worklist. Schools have no worklist (they do not see households)."""
    reach = await reach_for(conn, principal, region_code)
    rows, total = await _worklist(conn, principal, rule, today, reach, limit, offset)
    items, note = await _with_sessions(conn, rule, today, rows, {})
    return UncoveredPage(items=items, total=total, limit=limit, offset=offset, year=today.year,
                         recommendations_note=note)


async def uncovered_workbook(conn: Conn, principal: Principal, rule: Rule, today: date,
                             region_code: str) -> tuple[bytes, str]:
    """The whole worklist of the region as .xlsx, at most WORKLIST_XLSX_MAX_HOUSEHOLDS households (a larger
    region is refused with a message saying to download a township or village at a time). Read in one
    snapshot; scored and written WORKLIST_XLSX_CHUNK households at a time into a streamed workbook."""
    reach = await reach_for(conn, principal, region_code)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        rows, total = await _worklist(conn, principal, rule, today, reach, WORKLIST_XLSX_MAX_HOUSEHOLDS, 0)
        if total > WORKLIST_XLSX_MAX_HOUSEHOLDS:
            raise InvalidInput([FieldError(
                "region_code", f"{reach.name}共有 {total} 户未覆盖户，超过一次导出的上限 "
                               f"{WORKLIST_XLSX_MAX_HOUSEHOLDS} 户：请按乡镇或村（region_code）分别导出", "query")])
        writer = reports.WorklistWriter(reach.name, today.year, today)
        offers: dict[str, recommendations.Offer] = {}
        notes: list[str] = []
        for start in range(0, len(rows), WORKLIST_XLSX_CHUNK):
            items, note = await _with_sessions(conn, rule, today, rows[start:start + WORKLIST_XLSX_CHUNK], offers)
            writer.add(items)
            if note:
                notes.append(note)
        if notes:
            writer.note("推荐培训班为空的原因：" + "；".join(dict.fromkeys(notes)))
    return await asyncio.to_thread(writer.finish), f"未覆盖户清单_{reach.name}_{today.year}.xlsx"


def distance_km(a: regions.Place, b: regions.Place) -> float | None:
    """Great-circle distance between two places' recorded centres; None when either has no coordinates."""
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        return None
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(h))


async def unmet_demand(conn: Conn, principal: Principal, today: date, region_code: str) -> UnmetDemand:
    """Wanted trades (latest survey of each person) with no upcoming published session within reach, by
    township, with how many people want each. Within reach: a session in the person's own township; or
    anywhere in the county when the person can board (愿意住校); or, with a travel distance surveyed, a
    session whose village is at most that many km from the person's village (straight line between the
    villages' recorded centres)."""
    if principal.role == "school":
        raise Forbidden("学校不能查看各乡镇的培训需求")
    reach = await reach_for(conn, principal, region_code)
    wanted = await registry.wanted_trades(conn, reach.counties, reach.region)
    sessions = await catalogue.upcoming_sessions(conn, reach.counties, today)
    places = await regions.places(conn, reach.region_code[:6])
    by_trade: dict[tuple[str, str], list[str]] = {}
    for s in sessions:
        by_trade.setdefault((s.county_code, s.trade_code), []).append(s.village_code)

    def reachable(w: registry.WantedTrade) -> bool:
        home = places.get(w.village_code)
        for village in by_trade.get((w.county_code, w.trade_code), []):
            if w.can_board or _township(village) == _township(w.village_code):
                return True
            there = places.get(village)
            if w.max_travel_km is not None and home is not None and there is not None:
                km = distance_km(home, there)
                if km is not None and km <= w.max_travel_km:
                    return True
        return False

    unmet: dict[str, dict[str, int]] = {}
    for w in wanted:
        if not reachable(w):
            trades = unmet.setdefault(_township(w.village_code), {})
            trades[w.trade_code] = trades.get(w.trade_code, 0) + w.people
    _, trade_names = await catalogue.names(conn, [], sorted({t for ts in unmet.values() for t in ts}))

    def listed(counts: dict[str, int]) -> list[DemandTrade]:
        return [DemandTrade(trade_code=t, trade_name=trade_names.get(t, t), people=n)
                for t, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]

    totals: dict[str, int] = {}
    for trades in unmet.values():
        for t, n in trades.items():
            totals[t] = totals.get(t, 0) + n
    return UnmetDemand(
        townships=[TownshipDemand(township_code=t, township_name=places[t].name if t in places else t,
                                  trades=listed(unmet[t])) for t in sorted(unmet)],
        trades=listed(totals))
