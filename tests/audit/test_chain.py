"""The audit log's hash chain: every committed row is sealed into its county's chain exactly once, even
with writers and sealers racing; `training audit verify` names a row edited or deleted behind the
service's back; retention removes only rows past it (never younger than six months) and keeps the chain
checkable."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
from click.testing import CliRunner

from tests.seed import COUNTY_A, COUNTY_C
from training.audit import service as audit
from training.audit.service import Keeper
from training.cli import main
from training.core import db
from training.core.audit import record


async def write(conn: asyncpg.Connection, county: str, n: int, tag: str) -> None:
    for i in range(n):
        await record(conn, None, "update", "household", f"{tag}-{i}", county, {"fields": ["phone"], "n": i})


async def behind_the_back(conn: asyncpg.Connection, statement: str, *args: object) -> None:
    """What someone with the database's superuser can do: switch the append-only trigger off (Citus
    changes a distributed table's triggers only with its unsafe-trigger setting on)."""
    await conn.execute("SET citus.enable_unsafe_triggers = on")
    await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete")
    await conn.execute(statement, *args)
    await conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete")
    await conn.execute("RESET citus.enable_unsafe_triggers")


async def test_an_intact_chain_verifies_and_covers_every_row(keeper: Keeper, conn: asyncpg.Connection) -> None:
    await write(conn, COUNTY_A, 5, "a")
    await write(conn, COUNTY_C, 3, "c")
    assert await audit.seal_all(conn, keeper) == await conn.fetchval("SELECT count(*) FROM audit_log")
    await write(conn, COUNTY_A, 2, "later")
    assert await audit.seal_all(conn, keeper) == 2
    results = {r.county_code: r for r in await audit.verify_all(conn, keeper)}
    assert all(not r.problems for r in results.values())
    for county in (COUNTY_A, COUNTY_C):
        rows = await conn.fetchval("SELECT count(*) FROM audit_log WHERE county_code = $1", county)
        assert results[county].links == rows > 0


async def test_an_edited_row_is_caught_and_named(keeper: Keeper, conn: asyncpg.Connection) -> None:
    await write(conn, COUNTY_A, 6, "a")
    await audit.seal_all(conn, keeper)
    victim = await conn.fetchval("SELECT id FROM audit_log WHERE object_id = 'a-3'")
    await behind_the_back(conn, "UPDATE audit_log SET actor_name = 'someone else' WHERE id = $1", victim)
    [result] = [r for r in await audit.verify_all(conn, keeper) if r.county_code == COUNTY_A]
    assert result.problems == [f"审计记录 id {victim}（链节 {result.links - 2}）已被改动，或其前一链节被改动"] or (
        len(result.problems) == 1 and f"id {victim}" in result.problems[0] and "改动" in result.problems[0])


async def test_a_deleted_row_is_caught_and_named_and_so_is_a_changed_value(keeper: Keeper, conn: asyncpg.Connection) -> None:
    await write(conn, COUNTY_A, 6, "a")
    await audit.seal_all(conn, keeper)
    gone = await conn.fetchval("SELECT id FROM audit_log WHERE object_id = 'a-2'")
    changed = await conn.fetchval("SELECT id FROM audit_log WHERE object_id = 'a-4'")
    await behind_the_back(conn, "DELETE FROM audit_log WHERE id = $1", gone)
    await behind_the_back(conn, """UPDATE audit_log SET changes = jsonb_set(changes, '{n}', '40') WHERE id = $1""",
                          changed)
    [result] = [r for r in await audit.verify_all(conn, keeper) if r.county_code == COUNTY_A]
    assert any(f"审计记录 id {gone}" in p and "已被删除" in p for p in result.problems), result.problems
    assert any(f"审计记录 id {changed}" in p and "已被改动" in p for p in result.problems), result.problems
    assert len(result.problems) == 2


async def test_the_last_rows_deleted_or_a_row_slipped_in_with_an_old_date_are_caught(keeper: Keeper, conn: asyncpg.Connection) -> None:
    await write(conn, COUNTY_A, 4, "a")
    await audit.seal_all(conn, keeper)
    last = await conn.fetchval("SELECT max(id) FROM audit_log WHERE county_code = $1", COUNTY_A)
    await behind_the_back(conn, "DELETE FROM audit_log WHERE id = $1", last)
    await conn.execute("DELETE FROM audit_chain WHERE county_code = $1 AND audit_id = $2", COUNTY_A, last)
    await conn.execute(
        """INSERT INTO audit_log (county_code, at, actor_name, action, object_type, object_id)
           VALUES ($1, now() - interval '1 day', 'ghost', 'reveal', 'person', 'p-1')""", COUNTY_A)
    ghost = await conn.fetchval("SELECT id FROM audit_log WHERE actor_name = 'ghost'")
    [result] = [r for r in await audit.verify_all(conn, keeper) if r.county_code == COUNTY_A]
    assert any("链尾" in p for p in result.problems), result.problems
    assert any(f"审计记录 id {ghost} 不在链中" in p for p in result.problems), result.problems


async def test_racing_writers_and_sealers_never_fork_the_chain(keeper: Keeper, database: str) -> None:
    async def writer(number: int) -> None:
        async with db.connect(database) as conn:
            for i in range(15):
                async with conn.transaction():
                    await record(conn, None, "create", "person", f"w{number}-{i}", COUNTY_A)
                    await asyncio.sleep(0.002)  # a transaction open while sealers run

    async def sealer() -> None:
        async with db.connect(database) as conn:
            for _ in range(15):
                await audit.seal_all(conn, keeper)
                await asyncio.sleep(0.003)

    await asyncio.gather(*(writer(n) for n in range(4)), *(sealer() for _ in range(3)))
    async with db.connect(database) as conn:
        await audit.seal_all(conn, keeper)
        rows = await conn.fetchval("SELECT count(*) FROM audit_log WHERE county_code = $1", COUNTY_A)
        seqs = [r["seq"] for r in await conn.fetch(
            "SELECT seq FROM audit_chain WHERE county_code = $1 ORDER BY seq", COUNTY_A)]
        assert seqs == list(range(1, rows + 1))  # one link per row, no gap, no fork
        [result] = [r for r in await audit.verify_all(conn, keeper) if r.county_code == COUNTY_A]
        assert result.problems == [] and result.links == rows


async def test_retention_removes_only_rows_past_it_and_the_chain_still_verifies(keeper: Keeper, conn: asyncpg.Connection) -> None:
    for days in (400, 300, 200, 10, 1):
        await conn.execute(
            """INSERT INTO audit_log (county_code, at, actor_name, action, object_type, object_id)
               VALUES ($1, now() - make_interval(days => $2), 'clerk', 'update', 'household', $3)""",
            COUNTY_A, days, f"aged-{days}")
    await audit.seal_all(conn, keeper)
    assert await audit.prune(conn, keeper, COUNTY_A, 250) == 2
    left = {r["object_id"] for r in await conn.fetch("SELECT object_id FROM audit_log WHERE object_id LIKE 'aged-%'")}
    assert left == {"aged-200", "aged-10", "aged-1"}
    [result] = [r for r in await audit.verify_all(conn, keeper) if r.county_code == COUNTY_A]
    assert result.problems == []
    # Retention is never shorter than six months (184 days): asked for 5 days, only the 200-day-old row goes,
    # and the database itself refuses to delete a younger row.
    assert await audit.prune(conn, keeper, COUNTY_A, 5) == 1
    assert (await audit.verify(conn, keeper, COUNTY_A)).problems == []
    try:
        await conn.execute("DELETE FROM audit_log WHERE object_id = 'aged-10'")
    except asyncpg.InsufficientPrivilegeError:
        pass
    else:
        raise AssertionError("a ten-day-old audit row was deleted")


async def test_training_audit_verify_names_the_tampered_row_and_fails(database: str, conn: asyncpg.Connection,
                                                                      tmp_path: Path) -> None:
    await write(conn, COUNTY_A, 3, "a")
    runner = CliRunner(env={"DATABASE_URL": database, "TRAINING_DATA_DIR": str(tmp_path)})
    ok = await asyncio.to_thread(runner.invoke, main, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert f"{COUNTY_A}：审计链完整" in ok.output
    victim = await conn.fetchval("SELECT id FROM audit_log WHERE object_id = 'a-1'")
    await behind_the_back(conn, "UPDATE audit_log SET action = 'nothing' WHERE id = $1", victim)
    caught = await asyncio.to_thread(runner.invoke, main, ["audit", "verify"])
    assert caught.exit_code == 1, caught.output
    assert f"审计记录 id {victim}" in caught.output
