"""On a Citus cluster (TRAINING_TEST_CITUS=1, `tests/citus.sh`): the schema is distributed the way
docs/scaling.md says, and a county's hot requests run as router plans, each statement on one shard.

A hot request is made through the API with a one-connection pool whose every statement is recorded; each
recorded statement is then EXPLAINed on the cluster with the same parameters, and every distributed
step of its plan (the statement itself and any subplan) must have exactly one task. On the embedded
server there is nothing to check and these tests are skipped.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, cast

import asyncpg
import httpx
import pytest
from asyncpg.connection import LoggedQuery

from tests import cluster
from tests.conftest import Api, running
from tests.helpers import published_session, today
from tests.recommendations.builders import person
from tests.seed import COUNTY_A, COUNTY_C, ELECTRICIAN, KEY_VILLAGE, VILLAGE_C
from training.app import create_app
from training.core import db
from training.core.config import Settings
from training.core.db import split_statements

pytestmark = pytest.mark.skipif(not cluster.ENABLED, reason="runs on a Citus cluster (tests/citus.sh)")

# Tables every county shares (docs/scaling.md); every other table is a tenant table.
REFERENCE = {"regions", "trades", "education_levels", "users", "login_failures", "login_slowdowns", "models", "active_models",
             "schema_migrations"}
STATEMENTS = ("select", "with", "insert", "update", "delete")


async def public_tables(conn: asyncpg.Connection) -> set[str]:
    rows = await conn.fetch(
        """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition""")
    return {r["relname"] for r in rows}


async def test_every_tenant_table_is_distributed_by_county_code_in_one_colocation_group(
        conn: asyncpg.Connection) -> None:
    tables = await public_tables(conn)
    citus = {r["table_name"]: r for r in await conn.fetch(
        """SELECT table_name::text, citus_table_type, distribution_column, colocation_id FROM citus_tables
           WHERE table_name::text NOT LIKE '%.%'""")}
    tenant = tables - REFERENCE
    assert {"schools", "people", "enrolments", "enrolment_rollup", "audit_log"} <= tenant

    not_distributed = sorted(t for t in tenant
                             if t not in citus or (citus[t]["citus_table_type"], citus[t]["distribution_column"])
                             != ("distributed", "county_code"))
    assert not_distributed == [], "tenant tables not distributed by county_code"
    groups = {t: citus[t]["colocation_id"] for t in tenant}
    assert set(groups.values()) == {groups["schools"]}, f"tenant tables outside schools' colocation group: {groups}"
    not_reference = sorted(t for t in REFERENCE & tables
                           if t not in citus or citus[t]["citus_table_type"] != "reference")
    assert not_reference == []


async def test_the_seeded_counties_live_on_different_workers(conn: asyncpg.Connection) -> None:
    nodes = [await conn.fetchval(
        """SELECT nodename || ':' || nodeport FROM citus_shards
           WHERE table_name = 'schools'::regclass
             AND shardid = get_shard_id_for_distribution_column('schools', $1::text)""", county)
        for county in (COUNTY_A, COUNTY_C)]
    assert nodes[0] != nodes[1]
    coordinator = cluster.nodes()[0]
    assert f"{coordinator[0]}:{coordinator[1]}" not in nodes, "tenant rows live on the workers"


# Set only while the test's request runs. asyncpg calls a query logger through loop.call_soon, which runs it in
# the context of the code that ran the statement: the request's statements see it, the background tasks'
# (the audit sealer, every few seconds, on the same pool) do not.
IN_REQUEST: ContextVar[bool] = ContextVar("IN_REQUEST", default=False)


@asynccontextmanager
async def recorded(dsn: str, settings: Settings) -> AsyncIterator[tuple[Api, list[tuple[str, tuple[Any, ...]]]]]:
    """The app with one pooled connection whose every statement made for a request (text and parameters;
    one entry per row of an executemany) is kept. The audit sealer shares that pool, but its statements are
    its own: a timer's pass over every county with unsealed rows (cross-county by design, docs/scaling.md),
    not the request's work, so they are not kept (their every statement has IN_REQUEST unset)."""
    app = create_app(settings, dsn=dsn, migrate_on_start=False, pool_size=(1, 1))
    statements: list[tuple[str, tuple[Any, ...]]] = []

    def keep(record: LoggedQuery) -> None:
        if not IN_REQUEST.get():
            return
        # execute/fetch log their parameters as a tuple, executemany the sequence of rows it was given
        rows = [record.args] if isinstance(record.args, tuple) else list(record.args)
        statements.extend((record.query, tuple(row)) for row in rows)

    async with running(app):
        async with app.state.pool.acquire() as connection:
            connection._con.add_query_logger(keep)
        transport = httpx.ASGITransport(app=cast(Any, app))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield Api(http, app), statements


async def request(client: Api, method: str, path: str, who: str, *, params: dict[str, Any] | None = None,
                  json: dict[str, Any] | None = None) -> httpx.Response:
    """One API call whose statements `recorded` keeps."""
    token = IN_REQUEST.set(True)
    try:
        return await client.http.request(method, path, params=params, json=json, headers=client.token(who))
    finally:
        IN_REQUEST.reset(token)


def task_counts(plan: Any) -> list[int]:
    """Task Count of every distributed step (the statement and each subplan) of an EXPLAIN (FORMAT JSON)."""
    found: list[int] = []
    if isinstance(plan, dict):
        if "Task Count" in plan:
            found.append(plan["Task Count"])
        for value in plan.values():
            found += task_counts(value)
    elif isinstance(plan, list):
        for value in plan:
            found += task_counts(value)
    return found


async def multi_shard(conn: asyncpg.Connection, statements: list[tuple[str, tuple[Any, ...]]]) -> list[str]:
    """The recorded statements whose plan has a step on more than one shard."""
    offenders: list[str] = []
    checked = 0
    for query, args in statements:
        # asyncpg's own pool reset is several commands in one string, and not the request's work
        if not query.lstrip().lower().startswith(STATEMENTS) or len(split_statements(query)) != 1:
            continue
        plan = await conn.fetchval(f"EXPLAIN (FORMAT JSON) {query}", *args)
        counts = task_counts(json.loads(plan) if isinstance(plan, str) else plan)
        checked += 1
        if any(n != 1 for n in counts):
            offenders.append(f"{counts}: {' '.join(query.split())}")
    assert checked, "no statement was recorded"
    return offenders


# Citus sends a statement to one shard when it can prune every tenant table in it, sub-queries included, to
# one county by that table's own condition: `x.county_code = $n` (or `($n::text IS NULL OR x.county_code = $n)`,
# training.core.db.one_county), not only a join to another tenant table or to a reference table's row
# (docs/scaling.md, 'Router plans').
@pytest.mark.parametrize("name", ["sign-up", "progress", "menu", "person", "roster", "recommendations"])
async def test_a_countys_hot_requests_are_router_plans_to_one_shard(name: str, database: str, settings: Settings,
                                                                    api: Api) -> None:
    session = await published_session(api, capacity=5)
    someone = await person(api, "阿依", wants=[ELECTRICIAN])
    other = await person(api, "阿果", wants=[ELECTRICIAN])
    signed = await api.post(f"/api/sessions/{session['id']}/enrolments", "surveyor_a", json={"person_id": other})
    assert signed.status_code == 201, signed.text

    requests: dict[str, tuple[str, str, dict[str, Any] | None, dict[str, Any] | None]] = {
        "menu": ("GET", "/api/menu", {"village_code": KEY_VILLAGE}, None),
        "person": ("GET", f"/api/people/{someone}", None, None),
        "sign-up": ("POST", f"/api/sessions/{session['id']}/enrolments", None, {"person_id": someone}),
        "roster": ("GET", f"/api/sessions/{session['id']}/enrolments", None, None),
        "progress": ("GET", "/api/progress", {"region_code": COUNTY_A + "000000", "year": today().year}, None),
        "recommendations": ("GET", f"/api/people/{someone}/recommendations", None, None),
    }
    method, path, params, body = requests[name]
    async with db.connect(database) as explainer, recorded(database, settings) as (client, statements):
        who = "official_a" if name in ("progress", "roster") else "surveyor_a"
        response = await request(client, method, path, who, params=params, json=body)
        assert response.status_code in (200, 201), (name, response.text)
        offenders = await multi_shard(explainer, statements)
    assert offenders == [], json.dumps(offenders, ensure_ascii=False, indent=1)


async def test_the_other_countys_menu_is_a_router_plan_too(database: str, settings: Settings, api: Api) -> None:
    await published_session(api, as_="school_c", course="C", teacher="C", village=VILLAGE_C)
    async with recorded(database, settings) as (client, statements), db.connect(database) as explainer:
        response = await request(client, "GET", "/api/menu", "official_c", params={"village_code": VILLAGE_C})
        assert response.status_code == 200, response.text
        assert response.json()["items"], "the county's session is on its menu"
        assert await multi_shard(explainer, statements) == []
