"""The migrations runner and the guarantees the schema itself gives.

Migrations are forward-only files migrations/NNNN_name.sql, applied in order, each in its own
transaction, under an advisory lock, and recorded in schema_migrations with a sha256 of the file. An
applied file that changed, a badly named file, two files with one version, or a database that knows a
version the code does not, are loud errors. The schema keeps audit_log append-only and puts county_code
first in every tenant table's primary key, so each table can be distributed by county on Citus.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.conftest import cloned_database
from training.core import db
from training.core.config import PROJECT_ROOT
from training.core.db import (
    MIGRATION_LOCK_KEY,
    MigrationError,
    discover_migrations,
    migrate,
    split_statements,
)

MIGRATIONS = PROJECT_ROOT / "migrations"
FOUNDATION = MIGRATIONS / "0001_foundation.sql"
# models: trained recommender artifacts, shared by every county (migration 0010); active_models: each
# county's choice and the system-wide fallback every county reads (a reference table on Citus, 0020).
# login_failures, login_slowdowns: the lockout's counts per typed user name (and client address), before
# any county is known (migrations 0014, 0017).
REFERENCE_TABLES = {"regions", "trades", "education_levels", "users", "schema_migrations", "models",
                    "active_models", "login_failures", "login_slowdowns"}
# Tests add their own migrations after whatever the project ships by now.
NEXT = max(m.version for m in discover_migrations(MIGRATIONS)) + 1


def next_file(offset: int, name: str) -> str:
    return f"{NEXT + offset:04d}_{name}.sql"


@pytest.fixture
async def empty_dsn(admin_dsn: str) -> AsyncIterator[str]:
    """A brand-new database with nothing in it, dropped afterwards."""
    async with cloned_database(admin_dsn, template=None) as dsn:
        yield dsn


@pytest.fixture
async def empty(empty_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    async with db.connect(empty_dsn) as connection:
        yield connection


@pytest.fixture
def migrations_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped migrations directory that a test may change."""
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, directory)
    return directory


async def recorded(conn: asyncpg.Connection) -> list[tuple[int, str, str]]:
    rows = await conn.fetch("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
    return [(r["version"], r["name"], r["checksum"]) for r in rows]


async def table_exists(conn: asyncpg.Connection, name: str) -> bool:
    return bool(await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"public.{name}"))


# ---------------------------------------------------------------- applying and recording


async def test_an_empty_database_gets_0001_recorded_with_its_name_and_sha256(empty: asyncpg.Connection) -> None:
    shipped = discover_migrations(MIGRATIONS)

    applied = await migrate(empty, MIGRATIONS)

    assert applied == shipped
    assert (applied[0].version, applied[0].name) == (1, "foundation")
    checksum = hashlib.sha256(FOUNDATION.read_bytes()).hexdigest()
    assert (await recorded(empty))[0] == (1, "foundation", checksum)
    assert await recorded(empty) == [
        (m.version, m.name, hashlib.sha256(m.path.read_bytes()).hexdigest()) for m in shipped]
    assert await empty.fetchval("SELECT applied_at IS NOT NULL FROM schema_migrations WHERE version = 1")
    for table in ("schools", "courses", "sessions", "users", "audit_log", "regions"):
        assert await table_exists(empty, table), table


async def test_migrating_an_up_to_date_database_applies_nothing(empty: asyncpg.Connection) -> None:
    await migrate(empty, MIGRATIONS)
    before = await recorded(empty)

    assert await migrate(empty, MIGRATIONS) == []
    assert await recorded(empty) == before


async def test_pending_migrations_are_applied_in_version_order(empty: asyncpg.Connection,
                                                               migrations_copy: Path) -> None:
    shipped = [m.version for m in await migrate(empty, migrations_copy)]
    # Written out of order on purpose: the second depends on the first.
    (migrations_copy / next_file(1, "fill_notes")).write_text("INSERT INTO notes (body) VALUES ('second');\n")
    (migrations_copy / next_file(0, "add_notes")).write_text("CREATE TABLE notes (body text NOT NULL);\n")

    applied = await migrate(empty, migrations_copy)

    assert [m.path.name for m in applied] == [next_file(0, "add_notes"), next_file(1, "fill_notes")]
    assert [v for v, _, _ in await recorded(empty)] == [*shipped, NEXT, NEXT + 1]
    assert await empty.fetchval("SELECT body FROM notes") == "second"


async def test_a_migration_is_sent_one_statement_at_a_time_in_one_transaction(
        empty: asyncpg.Connection, migrations_copy: Path) -> None:
    await migrate(empty, migrations_copy)
    # Semicolons in comments, strings, identifiers and a dollar-quoted body do not end a statement.
    (migrations_copy / next_file(0, "notes")).write_text(
        "-- notes; kept by a trigger\n"
        "CREATE TABLE \"notes;x\" (body text NOT NULL DEFAULT 'a;b', CONSTRAINT body_set CHECK (body <> ''));\n"
        "/* a block; /* nested; */ comment */\n"
        "CREATE FUNCTION notes_count() RETURNS bigint LANGUAGE plpgsql AS $body$\n"
        "BEGIN\n    RETURN (SELECT count(*) FROM \"notes;x\"); -- ;\nEND $body$;\n"
        "INSERT INTO \"notes;x\" (body) VALUES (E'it''s\\'; here');\n")
    sent: list[str] = []

    def record(query: Any) -> None:
        sent.append(query.query)

    empty.add_query_logger(record)
    await migrate(empty, migrations_copy)
    empty.remove_query_logger(record)

    assert await empty.fetchval("SELECT notes_count()") == 1
    assert await empty.fetchval('SELECT body FROM "notes;x"') == "it's'; here"
    assert [q for q in sent if "notes" in q and "schema_migrations" not in q] == [
        '-- notes; kept by a trigger\nCREATE TABLE "notes;x" (body text NOT NULL DEFAULT \'a;b\', '
        "CONSTRAINT body_set CHECK (body <> ''));",
        "/* a block; /* nested; */ comment */\nCREATE FUNCTION notes_count() RETURNS bigint LANGUAGE plpgsql AS "
        '$body$\nBEGIN\n    RETURN (SELECT count(*) FROM "notes;x"); -- ;\nEND $body$;',
        "INSERT INTO \"notes;x\" (body) VALUES (E'it''s\\'; here');",
    ]


@pytest.mark.parametrize("text", ["SELECT $x$ never closed;", "SELECT 1; /* never closed",
                                  "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;"])
def test_a_file_that_cannot_be_split_into_statements_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"never closed|BEGIN ATOMIC"):
        split_statements(text)


# ---------------------------------------------------------------- loud errors


async def test_an_applied_migration_whose_file_changed_is_an_error_naming_the_file(
        empty: asyncpg.Connection, migrations_copy: Path) -> None:
    await migrate(empty, migrations_copy)
    before = await recorded(empty)
    edited = migrations_copy / "0001_foundation.sql"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n-- a harmless-looking edit\n", encoding="utf-8")

    with pytest.raises(MigrationError, match=r"0001_foundation\.sql") as error:
        await migrate(empty, migrations_copy)

    assert "never be edited" in str(error.value)
    assert await recorded(empty) == before, "the recorded checksum is not silently updated"


async def test_a_changed_file_stops_pending_migrations_from_running_too(empty: asyncpg.Connection,
                                                                        migrations_copy: Path) -> None:
    await migrate(empty, migrations_copy)
    edited = migrations_copy / "0001_foundation.sql"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n-- edit\n", encoding="utf-8")
    (migrations_copy / next_file(0, "add_notes")).write_text("CREATE TABLE notes (body text);\n")
    before = await recorded(empty)

    with pytest.raises(MigrationError, match=r"0001_foundation\.sql"):
        await migrate(empty, migrations_copy)

    assert not await table_exists(empty, "notes")
    assert await recorded(empty) == before


@pytest.mark.parametrize("bad_name", ["9_add_notes.sql", "0009-add-notes.sql", "0009_AddNotes.sql",
                                      "00009_add_notes.sql", "0009_.sql", "add_notes.sql"])
async def test_a_file_not_named_nnnn_name_sql_is_an_error(empty: asyncpg.Connection, migrations_copy: Path,
                                                          bad_name: str) -> None:
    (migrations_copy / bad_name).write_text("CREATE TABLE notes (body text);\n")

    with pytest.raises(MigrationError, match=re.escape(bad_name)):
        discover_migrations(migrations_copy)
    with pytest.raises(MigrationError, match=r"NNNN_name\.sql"):
        await migrate(empty, migrations_copy)

    assert not await table_exists(empty, "schema_migrations"), "nothing is applied when the directory is bad"


async def test_two_files_with_the_same_version_are_an_error_naming_both(empty: asyncpg.Connection,
                                                                         migrations_copy: Path) -> None:
    (migrations_copy / next_file(0, "add_notes")).write_text("CREATE TABLE notes (body text);\n")
    (migrations_copy / next_file(0, "add_tags")).write_text("CREATE TABLE tags (name text);\n")

    with pytest.raises(MigrationError, match=f"{NEXT:04d}") as error:
        await migrate(empty, migrations_copy)

    assert next_file(0, "add_notes") in str(error.value)
    assert next_file(0, "add_tags") in str(error.value)
    assert not await table_exists(empty, "schema_migrations")


async def test_a_database_with_a_version_the_code_does_not_know_is_an_error(empty: asyncpg.Connection,
                                                                            migrations_copy: Path) -> None:
    # A newer release applied one more migration; this (older) code does not ship it.
    (migrations_copy / next_file(0, "add_notes")).write_text("CREATE TABLE notes (body text);\n")
    await migrate(empty, migrations_copy)
    before = await recorded(empty)

    with pytest.raises(MigrationError, match=rf"does not know: \[{NEXT}\]"):
        await migrate(empty, MIGRATIONS)

    assert await recorded(empty) == before


# ---------------------------------------------------------------- atomicity and concurrency


@pytest.mark.parametrize("broken_sql", [
    "CREATE TABLE half_done (id integer);\nCREATE TABLE oops (;\n",  # a syntax error
    "CREATE TABLE half_done (id integer);\nINSERT INTO half_done VALUES (1);\nSELECT 1 / 0;\n",  # fails at run time
], ids=["syntax-error", "runtime-error"])
async def test_a_migration_that_fails_midway_leaves_nothing_of_itself_behind(
        empty: asyncpg.Connection, empty_dsn: str, migrations_copy: Path, broken_sql: str) -> None:
    broken = migrations_copy / next_file(0, "half_done")
    broken.write_text(broken_sql)

    with pytest.raises(MigrationError, match=re.escape(broken.name)) as error:
        await migrate(empty, migrations_copy)

    assert "rolled back" in str(error.value)
    assert isinstance(error.value.__cause__, asyncpg.PostgresError), "the database's own error is kept"

    assert not await table_exists(empty, "half_done")
    assert [v for v, _, _ in await recorded(empty)] == [m.version for m in discover_migrations(MIGRATIONS)], \
        "the good migrations before it stay applied, the broken one is not recorded"
    # The advisory lock was let go, so another process can migrate once the file is fixed.
    broken.write_text("CREATE TABLE half_done (id integer);\n")
    async with db.connect(empty_dsn) as other:
        assert await other.fetchval("SELECT pg_try_advisory_lock($1)", MIGRATION_LOCK_KEY)
        await other.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
        assert [m.version for m in await migrate(other, migrations_copy)] == [NEXT]
    assert await table_exists(empty, "half_done")


async def test_two_concurrent_migrations_both_succeed_and_apply_0001_once(empty_dsn: str) -> None:
    async with db.connect(empty_dsn) as first, db.connect(empty_dsn) as second:
        results = await asyncio.gather(migrate(first, MIGRATIONS), migrate(second, MIGRATIONS))

        shipped = discover_migrations(MIGRATIONS)
        assert sorted(results, key=len) == [[], shipped], "one call applies everything, the other nothing"
        assert [v for v, _, _ in await recorded(first)] == [m.version for m in shipped]
        # Neither connection still holds the lock.
        assert await first.fetchval(
            """SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())""") == 0


async def test_a_migration_waits_for_the_lock_held_by_another_process(empty_dsn: str) -> None:
    async with db.connect(empty_dsn) as holder, db.connect(empty_dsn) as migrator:
        await holder.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        waiting = asyncio.create_task(migrate(migrator, MIGRATIONS))
        await asyncio.sleep(0.3)
        assert not waiting.done(), "migrate() must wait while another process migrates"
        assert not await table_exists(holder, "schema_migrations")

        await holder.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
        applied = await asyncio.wait_for(waiting, timeout=10)

        assert applied == discover_migrations(MIGRATIONS)


# ---------------------------------------------------------------- what the schema guarantees


async def test_the_seeded_template_is_fully_migrated(conn: asyncpg.Connection) -> None:
    assert await recorded(conn) == [(m.version, m.name, m.checksum) for m in discover_migrations(MIGRATIONS)]


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET action = 'tampered'",
    "DELETE FROM audit_log",
    "TRUNCATE audit_log",
])
async def test_the_audit_log_is_append_only(conn: asyncpg.Connection, statement: str) -> None:
    await conn.execute(
        """INSERT INTO audit_log (county_code, actor_name, action, object_type, object_id, changes)
           VALUES ('513435', 'sysadmin', 'create', 'school', 'x-1', '{"name": "甲"}')""")
    before = [dict(r) for r in await conn.fetch("SELECT * FROM audit_log ORDER BY id")]

    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await conn.execute(statement)

    assert [dict(r) for r in await conn.fetch("SELECT * FROM audit_log ORDER BY id")] == before
    assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE action = 'tampered'") == 0


async def tenant_tables(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch(
        """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
           ORDER BY c.relname""")
    return [r["relname"] for r in rows if r["relname"] not in REFERENCE_TABLES]


async def test_every_tenant_table_has_county_code_first_in_its_primary_key(conn: asyncpg.Connection) -> None:
    tables = await tenant_tables(conn)
    assert {"schools", "courses", "sessions", "packages", "audit_log"} <= set(tables)

    rows = await conn.fetch(
        """SELECT c.relname AS table_name, a.attname AS first_column
           FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
           LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
           LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
           WHERE c.relname = ANY($1::text[])""", tables)
    first_columns = {r["table_name"]: r["first_column"] for r in rows}

    wrong = {table: column for table, column in first_columns.items() if column != "county_code"}
    assert wrong == {}, f"tables whose primary key does not start with county_code (None = no key): {wrong}"


async def test_every_foreign_key_between_tenant_tables_leads_with_county_code(conn: asyncpg.Connection) -> None:
    tables = await tenant_tables(conn)
    rows = await conn.fetch(
        """SELECT con.conname, src.relname AS source, dst.relname AS target,
                  (SELECT attname FROM pg_attribute WHERE attrelid = con.conrelid AND attnum = con.conkey[1])
                      AS source_column,
                  (SELECT attname FROM pg_attribute WHERE attrelid = con.confrelid AND attnum = con.confkey[1])
                      AS target_column
           FROM pg_constraint con
           JOIN pg_class src ON src.oid = con.conrelid
           JOIN pg_class dst ON dst.oid = con.confrelid
           WHERE con.contype = 'f' AND src.relname = ANY($1::text[]) AND dst.relname = ANY($1::text[])""",
        tables)
    assert rows, "the catalogue has foreign keys between tenant tables"

    wrong = [r["conname"] for r in rows if (r["source_column"], r["target_column"]) != ("county_code", "county_code")]
    assert wrong == []
