"""`training backup FILE` and `training restore FILE`: a populated county round-trips into a fresh data
directory — every row of every table, the audit log with its chain, and the encrypted ID numbers and
phones, readable with the keyring (which the backup deliberately does not hold)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import asyncpg
import pytest
from click.testing import CliRunner

from tests import cluster
from tests.conftest import Api
from tests.registry.test_households import HEAD, create
from training.cli import main
from training.core import db
from training.core.config import Settings
from training.core.crypto import Vault


async def snapshot(conn: asyncpg.Connection) -> dict[str, list[str]]:
    """Every table's rows as text, in a stable order."""
    tables = [r["tablename"] for r in await conn.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
    return {table: sorted(r["t"] for r in await conn.fetch(f'SELECT t::text AS t FROM "{table}" t'))
            for table in tables}


@pytest.mark.skipif(cluster.ENABLED, reason="a cluster is backed up node by node to a named restore point, "
                    "not by `training backup` into one server (docs/scaling.md, Backups on a cluster)")
async def test_a_populated_county_round_trips_into_a_fresh_data_directory(
        api: Api, database: str, settings: Settings, tmp_path: Path) -> None:
    household = await create(api)
    head = household["members"][0]
    assert (await api.post(f"/api/people/{head['id']}/reveal", "admin_a")).status_code == 200  # audited
    backup_file = tmp_path / "county.dump"

    dumped = await asyncio.to_thread(CliRunner(env={
        "DATABASE_URL": database, "TRAINING_DATA_DIR": str(settings.data_dir)}).invoke, main, ["backup", str(backup_file)])
    assert dumped.exit_code == 0, dumped.output
    assert "导出第 1 张表" in dumped.output and "备份里没有数据密钥" in dumped.output
    async with db.connect(database) as conn:
        before = await snapshot(conn)
    assert before["audit_log"] and before["audit_chain"] and before["people"]

    # A new machine: an empty data directory with only the keys, kept apart from the backups.
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    shutil.copy(settings.data_dir / "data_key", fresh / "data_key")
    if (settings.data_dir / "data_keys").exists():
        shutil.copytree(settings.data_dir / "data_keys", fresh / "data_keys")
    restored = await asyncio.to_thread(CliRunner(env={"DATABASE_URL": None, "TRAINING_DATA_DIR": str(fresh)}).invoke,
                                       main, ["restore", str(backup_file)])
    assert restored.exit_code == 0, restored.output
    assert "恢复表 public.people" in restored.output and "数据密钥检查通过" in restored.output
    assert "审计链完整" in restored.output

    server = db.EmbeddedPostgres(fresh / "pgdata")
    try:
        async with db.connect(server.start()) as conn:
            after = await snapshot(conn)
            stored = await conn.fetchval("SELECT id_enc FROM people WHERE id = $1::uuid", head["id"])
        # Every record, the audit log and its chain as they were (the restore's own audit seal adds nothing).
        assert after == before
        assert Vault.from_data_dir(fresh).decrypt(stored) == HEAD
    finally:
        await asyncio.to_thread(server.stop)


async def test_restore_refuses_a_database_that_is_not_empty(database: str, tmp_path: Path) -> None:
    backup_file = tmp_path / "x.dump"
    backup_file.write_bytes(b"not a dump")
    refused = await asyncio.to_thread(CliRunner(env={"DATABASE_URL": database, "TRAINING_DATA_DIR": str(tmp_path)}).invoke,
                                      main, ["restore", str(backup_file)])
    assert refused.exit_code == 1
    assert "目标数据库不是空的" in refused.output
