"""A province's progress is its counties' added up, read from the per-county rows of the rollups (county,
township, village, trade and school, by period): two counties, the hand-built one (tests/progress/county.py)
and a second with one household trained in the same trade, checked figure by figure against each county's
own progress and against a recount of the records."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import msgspec

from tests.conftest import Api
from tests.helpers import published_session, today
from tests.progress.county import County, build, complete, enrol, household, started_on
from tests.registry.test_households import id_number, member, years_ago
from tests.seed import COUNTY_A, COUNTY_C, VILLAGE_C
from training.enrolment import service as enrolment
from training.progress import service as progress
from training.registry import service as registry

FIGURES = ("person_times_completed", "persons_completed", "certified", "employed", "enrolled_now", "waitlisted_now",
           "lianghousheng_enrolled", "lianghousheng_completed", "households_target", "households_covered",
           "households_covered_two_skills")


async def second_county(api: Api, conn: asyncpg.Connection) -> County:
    """美姑县: one 建档立卡 household of two in 巴普村; q1 completes 电工 (passed, certified), q2 is enrolled."""
    county = County()
    await household(api, "C1", "admin_c", VILLAGE_C, "registered_poor",
                    [member("q1", id_number(years_ago(28), 11), relation="户主"),
                     member("q2", id_number(years_ago(22), 12), relation="子女")], county)
    county.sessions["C"] = await published_session(api, as_="school_c", course="C", teacher="C", capacity=5,
                                                   village=VILLAGE_C)
    await conn.execute("UPDATE sessions SET starts_on = $2, ends_on = $3 WHERE id = $1",
                       uuid.UUID(county.sessions["C"]["id"]), started_on(), today())
    await enrol(api, "C", "q1", county, as_="admin_c")
    await enrol(api, "C", "q2", county, as_="admin_c")
    await complete(api, county, "q1@C", "school_c", passed=True, certificate_no="C" + "2" * 21)
    return county


def reach(counties: list[str] | None, code: str, name: str, level: str) -> progress.Reach:
    return progress.Reach(counties=counties, region="", region_code=code, name=name, level=level)


async def figures(conn: asyncpg.Connection, where: progress.Reach) -> dict[str, Any]:
    found: dict[str, Any] = msgspec.to_builtins(await progress.progress(conn, where, today(), today().year))
    return found


def by_key(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["key"]: {f: r[f] for f in FIGURES} for r in rows}


def added(*rows: dict[str, Any] | None) -> dict[str, Any]:
    """Figures added up; None (not shown, e.g. households of a trade) stays None."""
    present = [r for r in rows if r is not None]
    return {f: None if all(r[f] is None for r in present) else sum(r[f] or 0 for r in present) for f in FIGURES}


async def test_a_province_adds_up_its_counties_figure_by_figure(api: Api, conn: asyncpg.Connection) -> None:
    await build(api, conn)
    await second_county(api, conn)
    for code in (COUNTY_A, COUNTY_C):
        assert await enrolment.rollup_differences(conn, code) == [], code
        assert await registry.household_count_differences(conn, code) == [], code

    a = await figures(conn, reach([COUNTY_A], COUNTY_A + "000000", "甘洛县", "county"))
    c = await figures(conn, reach([COUNTY_C], COUNTY_C + "000000", "美姑县", "county"))
    assert c["person_times_completed"] == 1 and c["enrolled_now"] == 1 and c["households_covered"] == 1
    assert a["person_times_completed"] == 3  # the hand-built county, as tests/progress/test_progress.py works out
    for counties in (None, [COUNTY_A, COUNTY_C]):
        p = await figures(conn, reach(counties, "510000000000", "四川省", "province"))
        assert {f: p[f] for f in FIGURES} == added(a, c), counties
        assert p["forecast_person_times"] == a["forecast_person_times"] + c["forecast_person_times"]
        # townships, villages and schools belong to one county each: the province lists both counties'
        for dimension in ("township", "village", "school"):
            assert by_key(p["by"][dimension]) == by_key(a["by"][dimension]) | by_key(c["by"][dimension]), dimension
        # a trade (电工) and a month are shared: added up
        for dimension in ("trade", "month"):
            ours, theirs = by_key(a["by"][dimension]), by_key(c["by"][dimension])
            assert by_key(p["by"][dimension]) == {k: added(ours.get(k), theirs.get(k))
                                                  for k in ours | theirs}, dimension
        trade = by_key(p["by"]["trade"])
        assert sum(t["person_times_completed"] for t in trade.values()) == p["person_times_completed"]
        townships = p["by"]["township"]
        assert sum(t["person_times_completed"] for t in townships) == p["person_times_completed"]
        assert sum(t["households_covered"] for t in townships) == p["households_covered"]


async def test_a_province_reads_changes_not_yet_folded(api: Api, conn: asyncpg.Connection) -> None:
    await build(api, conn)
    county = await second_county(api, conn)
    await enrolment.fold_rollups(conn)
    await complete(api, county, "q2@C", "school_c", passed=False)  # logged, not folded
    assert await conn.fetchval("SELECT count(*) FROM enrolment_rollup_log") > 0
    unfolded = await enrolment.training_counts(conn, None, today().year, (1, 12), "", None)
    assert await enrolment.fold_rollups(conn) > 0
    assert await conn.fetchval("SELECT count(*) FROM enrolment_rollup_log") == 0
    folded = await enrolment.training_counts(conn, None, today().year, (1, 12), "", None)
    assert folded == unfolded
    assert folded.total.completed == 3 + 2 and folded.total.persons_completed == 2 + 2
    for code in (COUNTY_A, COUNTY_C):
        assert await enrolment.rollup_differences(conn, code) == [], code
