"""A big ledger is encrypted and written in chunks (a worker thread encrypts the next chunk while
PostgreSQL writes the current one), all in one transaction: what is written, counted and audited is
what one chunk gives, and a write failing in a later chunk leaves nothing behind."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg
import pytest

from tests.conftest import Api
from tests.ledger.nasty import clean_rows, ledger
from tests.ledger.test_ledger import counts, imported, table_counts
from training.auth import repository as accounts
from training.auth.service import principal_from
from training.core.crypto import Vault
from training.ledger import repository as ledger_repo
from training.ledger import service as ledger_service

AUDITED = """SELECT object_type, action, count(*) FROM audit_log WHERE changes ->> 'source' = 'ledger'
             GROUP BY 1, 2 ORDER BY 1, 2"""


async def test_a_ledger_written_two_rows_at_a_time_gives_what_one_chunk_gives(
        api: Api, conn: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first household's three members fall in two chunks: it is written once, from its first row."""
    monkeypatch.setattr(ledger_service, "WRITE_CHUNK", 2)
    result = await imported(api, ledger(clean_rows()))
    assert counts(result) == {"households_created": 2, "households_updated": 0, "households_unchanged": 0,
                              "people_created": 5, "people_updated": 0, "people_unchanged": 0,
                              "surveys_created": 4, "surveys_unchanged": 0}
    assert await table_counts(conn) == (2, 5, 4)
    assert [tuple(r) for r in await conn.fetch(AUDITED)] == [
        ("household", "create", 2), ("person", "create", 5), ("survey", "create", 4)]
    members = await conn.fetch("SELECT household_id, count(*) AS n FROM people GROUP BY 1 ORDER BY 2 DESC")
    assert [r["n"] for r in members] == [3, 2]

    again = await imported(api, ledger(clean_rows()))
    assert counts(again) == {"households_created": 0, "households_updated": 0, "households_unchanged": 2,
                             "people_created": 0, "people_updated": 0, "people_unchanged": 5,
                             "surveys_created": 0, "surveys_unchanged": 4}
    assert len(await conn.fetch(AUDITED)) == 3  # nothing changed, nothing more audited


async def test_a_write_failing_in_a_later_chunk_leaves_no_row_of_the_earlier_ones(
        conn: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ledger_service, "WRITE_CHUNK", 2)
    written = ledger_repo.write
    calls = 0

    async def write_then_fail_on_the_second_chunk(*args: Any) -> dict[str, int]:
        nonlocal calls
        calls += 1
        done = await written(*args)
        if calls == 2:  # the first chunk's rows and half the second's are in the tables by now
            assert await conn.fetchval("SELECT count(*) FROM people") == 4
            raise asyncpg.exceptions.DiskFullError("could not extend file")
        return done

    monkeypatch.setattr(ledger_repo, "write", write_then_fail_on_the_second_chunk)
    account = await accounts.by_username(conn, "surveyor_a")
    assert account is not None
    with pytest.raises(asyncpg.exceptions.DiskFullError):
        await ledger_service.import_ledger(conn, principal_from(account), Vault(bytes(32)), ledger(clean_rows()),
                                           "all_or_nothing", date(2026, 11, 1))
    assert calls == 2
    assert await table_counts(conn) == (0, 0, 0)
    assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE object_type IN ('household', 'person', "
                               "'survey', 'ledger')") == 0
