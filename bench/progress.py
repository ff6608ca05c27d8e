"""Benchmark: /api/progress for a 50,000-person county and a 5-million-person province, from the rollups
(migrations 0012 and 0013), beside the raw queries on the rollups and a scan of the records.

Targets (issue 9): a county under 100 ms, a province under 1 s.

How the data is made:
  * the county (513435), by default with the simulator (`--simulate 12500`: 12,500 households, about
    50,000 people, three years of sessions, sign-ups and outcomes written through the services, so the
    triggers keep every rollup as in production; 5-8 minutes here); or with `--bulk`, bulk SQL inserts
    (15,000 households, 50,000 people, 10 schools, 600 sessions over the last 18 months, 30 places each:
    18,000 enrolments; about 20 s), also through the triggers;
  * the province (a documented cheaper generator): the county's households copied into 99 more
    counties (1.5 million households, the household rollup kept by the triggers), and the county's
    rollup rows (enrolment, completion people, distinct counts) copied into them with bulk SQL. The
    other counties' people and enrolments are not made: progress never reads them (that is the point),
    and 5 million people through the services would take the machine most of a day.

Measured: the service call (`progress.progress`, what the route runs after auth) at both scales, the
route over in-process HTTP for the county (an admin of the county; a province has no account here), and
in the same run the raw queries on the rollups (the enrolment counts and the distinct counts) and, for
the county, a scan of its enrolment rows.

    .venv/bin/python bench/progress.py [--counties 100] [--runs 30] [--bulk | --simulate 12500]

Uses DATABASE_URL if set (it must allow CREATE DATABASE), else a throwaway embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.common import ADMIN, ADMIN_PASSWORD, open_bench_database  # noqa: E402
from training.app import create_app  # noqa: E402
from training.core import db  # noqa: E402
from training.core.config import load_settings  # noqa: E402
from training.core.crypto import Vault  # noqa: E402
from training.enrolment import repository as enrolment_repo  # noqa: E402
from training.enrolment import service as enrolment  # noqa: E402
from training.progress import service as progress  # noqa: E402
from training.registry import repository as registry_repo  # noqa: E402
from training.registry import service as registry  # noqa: E402
from training.simulate import service as simulation  # noqa: E402

COUNTY = "513435"


def today() -> date:
    return load_settings().today()


COUNTY_SQL = """
INSERT INTO schools (county_code, name, kind)
SELECT $1, '基准学校' || g, 'training_institution' FROM generate_series(1, 10) g;

CREATE TEMP TABLE t AS SELECT row_number() OVER (ORDER BY code) AS n, code FROM trades ORDER BY code LIMIT 30;
CREATE TEMP TABLE s AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM schools WHERE county_code = $1;
CREATE TEMP TABLE v AS SELECT row_number() OVER (ORDER BY code) AS n, code FROM regions
    WHERE county_code = $1 AND level = 'village';

INSERT INTO courses (county_code, school_id, title, trade_code, kind, hours, certificate)
SELECT $1, s.id, '基准课程' || t.n, t.code, 'short', 80, true FROM t JOIN s ON s.n = 1 + t.n % 10;

CREATE TEMP TABLE c AS SELECT row_number() OVER (ORDER BY id) AS n, id, school_id FROM courses WHERE county_code = $1;

-- 600 sessions, starting evenly over the last 540 days and the next 30.
CREATE TEMP TABLE se AS
SELECT g AS n, gen_random_uuid() AS id, c.id AS course_id, c.school_id,
       ($2::date - 540 + (g * 570 / 600)) AS starts_on,
       ($2::date - 540 + (g * 570 / 600) + 5 + g % 20) AS ends_on,
       (SELECT code FROM v WHERE v.n = 1 + g % (SELECT count(*) FROM v)) AS village_code
FROM generate_series(1, 600) g JOIN c ON c.n = 1 + g % 30;
INSERT INTO sessions (county_code, id, course_id, school_id, starts_on, ends_on, village_code, capacity, status)
SELECT $1, id, course_id, school_id, starts_on, ends_on, village_code, 30, 'published' FROM se;

-- 15,000 households over the villages, 60 % target households.
CREATE TEMP TABLE hh AS
SELECT g AS n, gen_random_uuid() AS id, (SELECT code FROM v WHERE v.n = 1 + g % (SELECT count(*) FROM v)) AS village_code,
       (ARRAY['registered_poor', 'lifted', 'monitored', 'ordinary', 'ordinary'])[1 + g % 5] AS poverty_status
FROM generate_series(1, 15000) g;
INSERT INTO households (county_code, id, village_code, household_no, head_name, poverty_status, lifted_year,
                        monitor_type)
SELECT $1, id, village_code, 'B-' || n, '户主' || n, poverty_status,
       CASE WHEN poverty_status = 'lifted' THEN 2019 END,
       CASE WHEN poverty_status = 'monitored' THEN 'marginal' END
FROM hh;

-- 50,000 people.
CREATE TEMP TABLE pp AS
SELECT g AS n, gen_random_uuid() AS id, hh.id AS household_id FROM generate_series(1, 50000) g
JOIN hh ON hh.n = 1 + g % 15000;
INSERT INTO people (county_code, id, household_id, name, id_hash, id_enc, id_masked, birth_date, sex, relation,
                    education, labour_capacity, work_status)
SELECT $1, pp.id, pp.household_id, '人' || n, $3 || decode(md5(pp.id::text), 'hex'), $3 || '\\x00'::bytea,
       '513***********0000',
       $2::date - (6000 + n % 12000), CASE WHEN n % 2 = 0 THEN 'male' ELSE 'female' END, '子女', '71', 'full',
       'farming'
FROM pp;

-- 30 places per session; a person comes back every 500 sessions (so some learn two trades, never two at once).
INSERT INTO enrolments (county_code, session_id, person_id, school_id, status, waitlist_seq, starts_on, ends_on,
                        completed_on, passed, certificate_no, lianghousheng)
SELECT $1, se.id, pp.id, se.school_id, x.status,
       CASE WHEN x.status = 'waitlisted' THEN k END, se.starts_on, se.ends_on,
       CASE WHEN x.status = 'completed' THEN se.ends_on END,
       CASE WHEN x.status = 'completed' THEN k % 10 <> 0 END,
       CASE WHEN x.status = 'completed' AND k % 3 = 0 THEN 'Z' || lpad((se.n * 30 + k)::text, 21, '0') END,
       k % 12 = 0
FROM se CROSS JOIN generate_series(0, 29) k
JOIN pp ON pp.n = 1 + (se.n * 30 + k) % 15000
CROSS JOIN LATERAL (SELECT CASE
    WHEN se.ends_on < $2 THEN (CASE WHEN k < 25 THEN 'completed' WHEN k < 28 THEN 'dropped' ELSE 'withdrawn' END)
    WHEN se.starts_on <= $2 THEN (CASE WHEN k < 28 THEN 'enrolled' ELSE 'withdrawn' END)
    ELSE (CASE WHEN k < 25 THEN 'enrolled' ELSE 'waitlisted' END) END AS status) x;
UPDATE sessions SET enrolled_count = (SELECT count(*) FROM enrolments en WHERE en.county_code = sessions.county_code
    AND en.session_id = sessions.id AND en.status IN ('enrolled', 'completed')) WHERE county_code = $1;

INSERT INTO employment (county_code, enrolment_id, employed_on, place)
SELECT county_code, id, completed_on, 'local' FROM enrolments
WHERE county_code = $1 AND status = 'completed' AND hashtext(id::text) % 10 < 6;
"""

COPY_COUNTY_SQL = """
INSERT INTO regions (code, name, parent_code, level, key_poverty, lat, lon)
SELECT $2 || substr(code, 7), name, CASE WHEN parent_code IS NOT NULL THEN $2 || substr(parent_code, 7) END, level,
       key_poverty, lat, lon
FROM regions WHERE county_code = $1 ORDER BY level = 'village', level = 'township', code;
INSERT INTO households (county_code, id, village_code, household_no, head_name, poverty_status, lifted_year,
                        monitor_type)
SELECT $2, id, $2 || substr(village_code, 7), household_no, head_name, poverty_status, lifted_year, monitor_type
FROM households WHERE county_code = $1;
INSERT INTO enrolment_rollup
SELECT $2, year, month, session_id, $2 || substr(village_code, 7), lianghousheng, school_id, trade_code, ends_on,
       enrolled_now, waitlisted_now, dropped, completed, passed, certified, employed
FROM enrolment_rollup WHERE county_code = $1;
INSERT INTO enrolment_counts
SELECT $2, year, period, what, CASE WHEN what = 'county' THEN $2 WHEN what IN ('township', 'village')
                                    THEN $2 || substr(key, 7) ELSE key END,
       enrolled_now, waitlisted_now, dropped, completed, passed, certified, employed, lianghousheng_enrolled,
       lianghousheng_completed
FROM enrolment_counts WHERE county_code = $1;
INSERT INTO enrolment_counts_by_end SELECT $2, ends_year, enrolled_now, completed, dropped
FROM enrolment_counts_by_end WHERE county_code = $1;
INSERT INTO distinct_counts
SELECT $2, year, period, what, CASE WHEN what = 'persons:county' THEN $2
                                    WHEN what IN ('persons:trade', 'persons:school') THEN key
                                    ELSE $2 || substr(key, 7) END, poverty_status, n
FROM distinct_counts WHERE county_code = $1;
"""


async def timed(runs: int, call: Callable[[], Awaitable[Any]]) -> dict[str, float]:
    await call()  # warm the caches and the plans
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        seconds.append(time.perf_counter() - started)
    seconds.sort()
    return {"p50_ms": round(statistics.median(seconds) * 1000, 1),
            "p95_ms": round(seconds[max(0, int(len(seconds) * 0.95) - 1)] * 1000, 1),
            "max_ms": round(seconds[-1] * 1000, 1)}


async def raw_rollups(conn: Any, counties: list[str] | None, year: int) -> None:
    """The raw queries on the rollups that the service makes: enrolment counts of the year by every group
    and of each month for the counties, distinct people by period and group, covered and two-skill
    households by village, target households by village, places by the year sessions end."""
    months = [f"M{m}" for m in range(1, 13)]
    await enrolment_repo.counts_by(conn, counties, year, ["Y"], months)
    await enrolment_repo.distinct_counts(conn, counties, year, ["Y"], list(enrolment.PERSONS.values()), "",
                                         [f"M{m}" for m in range(1, 13)])
    await enrolment_repo.distinct_counts(conn, counties, year, ["Y"], ["covered"], "")
    await enrolment_repo.distinct_counts(conn, counties, 0, ["ever"], ["two_skills"], "")
    await registry_repo.target_household_counts(conn, counties, "")
    await enrolment_repo.by_end(conn, counties, year)


async def measure(conn: Any, counties: list[str] | None, name: str, runs: int) -> dict[str, Any]:
    reach = progress.Reach(counties=counties, region="", region_code=(counties[0] if counties else "51") + "0" * 6,
                           name=name, level="county")
    year = today().year
    figures = await progress.progress(conn, reach, today(), year)
    return {
        "service": await timed(runs, lambda: progress.progress(conn, reach, today(), year)),
        "raw_query_on_rollups": await timed(runs, lambda: raw_rollups(conn, counties, year)),
        # where the time goes
        "parts": {
            "enrolment_counts_and_people": await timed(min(runs, 5), lambda: enrolment.training_counts(
                conn, counties, year, (1, 12), "", None)),
            "households_reached": await timed(min(runs, 5), lambda: enrolment.households_reached(
                conn, counties, year, (1, 12), "")),
            "households_target": await timed(min(runs, 5), lambda: registry.target_households(conn, counties, "")),
            "forecast": await timed(min(runs, 5), lambda: progress.forecast(conn, reach, year, 0)),
        },
        "person_times_completed": figures.person_times_completed,
        "persons_completed": figures.persons_completed,
        "households_target": figures.households_target,
        "households_covered": figures.households_covered,
        "households_covered_two_skills": figures.households_covered_two_skills,
        "villages": len(figures.by.village),
        # what one request reads of the rollups: enrolment counts, distinct counts, households by village
        "rows_read": sum([len(await enrolment_repo.counts_by(conn, counties, year, ["Y"],
                                                             [f"M{m}" for m in range(1, 13)])),
                          len(await enrolment_repo.distinct_counts(conn, counties, year, ["Y"],
                                                                   list(enrolment.PERSONS.values()), "",
                                                                   [f"M{m}" for m in range(1, 13)])),
                          len(await enrolment_repo.distinct_counts(conn, counties, year, ["Y"], ["covered"], "")),
                          len(await enrolment_repo.distinct_counts(conn, counties, 0, ["ever"], ["two_skills"], "")),
                          len(await registry_repo.target_household_counts(conn, counties, ""))]),
        "rollup_rows": await conn.fetchval("SELECT count(*) FROM enrolment_rollup WHERE $1::text[] IS NULL "
                                           "OR county_code = ANY($1)", counties),
        "distinct_count_rows": await conn.fetchval("SELECT count(*) FROM distinct_counts WHERE $1::text[] IS NULL "
                                                   "OR county_code = ANY($1)", counties),
    }


async def over_http(settings: Any, dsn: str, runs: int) -> dict[str, float]:
    """GET /api/progress for the county through the whole app (auth, scope, JSON), in process."""
    app = create_app(settings, dsn=dsn, migrate_on_start=False, pool_size=(2, 2))
    async with app.lifespan(), httpx.AsyncClient(transport=httpx.ASGITransport(app=cast(Any, app)),
                                                 base_url="http://bench", timeout=600) as http:
        token = (await http.post("/api/auth/token", json={"username": ADMIN, "password": ADMIN_PASSWORD})).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}

        async def call() -> None:
            response = await http.get("/api/progress", headers=headers,
                                      params={"region_code": COUNTY, "year": today().year})
            assert response.status_code == 200, response.text

        return await timed(runs, call)


async def build_county(conn: Any, settings: Any, households: int | None) -> None:
    if households is None:
        # hashes and ciphertexts carry the current key's prefix (01 + key id), so the app starts on them
        prefix = f"decode('01{Vault.from_data_dir(settings.data_dir).keyring.current.label}', 'hex')"
        async with conn.transaction():
            for statement in COUNTY_SQL.split(";\n"):
                if statement.strip():
                    await conn.execute(statement.replace("$1", f"'{COUNTY}'").replace(
                        "$2::date", f"'{today().isoformat()}'::date").replace("$2", f"'{today().isoformat()}'")
                        .replace("$3", prefix))
        return
    await simulation.simulate(conn, settings, COUNTY, households, 3, 1, today(),
                              progress=lambda step: print(step, file=sys.stderr, flush=True))


async def main(counties: int, runs: int, households: int | None) -> dict[str, Any]:
    settings = load_settings()
    bench = await open_bench_database(settings, "progress")
    try:
        async with db.connect(bench.dsn) as conn:
            started = time.perf_counter()
            await conn.execute("SET statement_timeout = 0")
            await conn.execute("SET work_mem = '64MB'")  # what progress() sets for its own transaction
            await build_county(conn, settings, households)
            built_county = time.perf_counter() - started
            assert await enrolment.rollup_differences(conn, COUNTY) == [], "the rollups disagree with the records"
            await enrolment.fold_rollups(conn)
            await conn.execute("VACUUM ANALYZE")  # the folds leave the logs full of dead rows
            county = await measure(conn, [COUNTY], "甘洛县", runs)
            county["http"] = await over_http(settings, bench.dsn, runs)
            county["scan_of_the_records"] = await timed(min(runs, 5), lambda: enrolment_repo.raw_counts(conn, COUNTY))
            county["build"] = "simulator" if households else "bulk SQL"
            county["build_seconds"] = round(built_county, 1)
            county["people"] = await conn.fetchval("SELECT count(*) FROM people")
            county["households"] = await conn.fetchval("SELECT count(*) FROM households")
            county["enrolments"] = await conn.fetchval("SELECT count(*) FROM enrolments")

            started = time.perf_counter()
            for k in range(1, counties):
                code = f"51{90 + k // 100:02d}{k % 100:02d}"
                for statement in COPY_COUNTY_SQL.split(";\n"):
                    if statement.strip():
                        await conn.execute(statement, COUNTY, code)
            await conn.execute("VACUUM ANALYZE")  # the folds leave the logs full of dead rows
            province = await measure(conn, None, "四川省（基准）", runs)
            province["build_seconds"] = round(time.perf_counter() - started, 1)
            province["counties"] = counties
            province["people_represented"] = county["people"] * counties
            province["households"] = await conn.fetchval("SELECT count(*) FROM households")
            return {"county": county, "province": province, "runs": runs,
                    "load_average": [round(x, 1) for x in os.getloadavg()],
                    "targets_ms": {"county": 100, "province": 1000}}
    finally:
        await bench.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=100, help="counties of the province (100: 5 million people)")
    parser.add_argument("--runs", type=int, default=30)
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--simulate", type=int, default=12500, metavar="HOUSEHOLDS",
                     help="build the county with the simulator (default 12,500 households)")
    how.add_argument("--bulk", action="store_true", help="build the county with bulk SQL inserts instead")
    args = parser.parse_args()
    outcome = asyncio.run(main(args.counties, args.runs, None if args.bulk else args.simulate))
    if args.counties == 100 and args.runs == 30:
        out = ROOT / "bench" / "results" / "progress.json"
        out.write_text(json.dumps(outcome, ensure_ascii=False, indent=2) + "\n")
    print(json.dumps(outcome, ensure_ascii=False, indent=2))
