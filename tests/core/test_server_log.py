"""The embedded PostgreSQL logs an error as one terse line: never the key values of a constraint
violation, the failing statement, nor its parameters."""

from __future__ import annotations

import asyncio
import os
import uuid

import asyncpg
import pytest

import tests.conftest as harness
from tests import cluster
from tests.conftest import Api
from tests.registry.test_households import HEAD, create


async def log_after(offset: int, marker: str) -> str:
    """What the server logged after `offset`, once `marker` shows up (the backend writes it as it fails)."""
    assert harness.SERVER_LOG is not None
    text = ""
    for _ in range(50):
        text = harness.SERVER_LOG.read_bytes()[offset:].decode("utf-8", "replace")
        if marker in text:
            return text
        await asyncio.sleep(0.1)
    raise AssertionError(f"the server never logged {marker!r}: {text[-2000:]}")


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")) or cluster.ENABLED,
                    reason="an outside server's logging is its operator's (the cluster's too)")
async def test_a_unique_violation_on_an_id_number_hash_is_logged_without_the_key_or_the_statement(
        api: Api, conn: asyncpg.Connection) -> None:
    person = (await create(api))["members"][0]
    id_hash = bytes(await conn.fetchval("SELECT id_hash FROM people WHERE id = $1", uuid.UUID(person["id"])))
    assert harness.SERVER_LOG is not None
    offset = harness.SERVER_LOG.stat().st_size

    with pytest.raises(asyncpg.UniqueViolationError):
        # The ID number as a literal in the statement and the hash as a parameter: neither may be logged.
        await conn.execute(
            f"""INSERT INTO people (county_code, household_id, name, id_hash, id_enc, id_masked, birth_date, sex,
                                    relation, education, labour_capacity, work_status)
                SELECT county_code, household_id, '{HEAD}', $2, id_enc, id_masked, birth_date, sex, relation,
                       education, labour_capacity, work_status
                FROM people WHERE id = $1""",
            uuid.UUID(person["id"]), id_hash)

    logged = await log_after(offset, "duplicate key value violates unique constraint")
    assert "people_county_code_id_hash_key" in logged  # the line is there: we read the right log
    assert "Key (" not in logged and "DETAIL" not in logged and "STATEMENT" not in logged, logged
    assert HEAD not in logged and id_hash.hex() not in logged, logged
