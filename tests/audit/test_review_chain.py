"""An outside review's finding on the audit hash chain (issue 10), pinned as a test that fails on main today."""

from __future__ import annotations

import asyncpg
import pytest

from tests.audit.test_chain import behind_the_back, write
from tests.seed import COUNTY_A
from training.audit import service as audit


@pytest.mark.xfail(strict=True, reason="the chain is plain sha256 kept in the same database as the rows, with no "
                                       "key and no copy of the head anywhere else: whoever can delete an audit row "
                                       "behind the service's back (the threat the chain is for) can also delete its "
                                       "link and step the head back one link, and `training audit verify` finds "
                                       "nothing (the same holds for an edit with the links recomputed by `link`)")
async def test_the_latest_reveal_cannot_be_erased_by_rewinding_the_chain_head(conn: asyncpg.Connection) -> None:
    await write(conn, COUNTY_A, 4, "a")
    await audit.seal_all(conn)
    last = await conn.fetchval("SELECT max(id) FROM audit_log WHERE county_code = $1", COUNTY_A)
    await behind_the_back(conn, "DELETE FROM audit_log WHERE id = $1", last)
    seq = await conn.fetchval("DELETE FROM audit_chain WHERE county_code = $1 AND audit_id = $2 RETURNING seq",
                              COUNTY_A, last)
    await conn.execute(
        """UPDATE audit_chain_heads h SET seq = c.seq, hash = c.hash FROM audit_chain c
           WHERE h.county_code = $1 AND c.county_code = $1 AND c.seq = $2""", COUNTY_A, seq - 1)
    [result] = [r for r in await audit.verify_all(conn) if r.county_code == COUNTY_A]
    assert result.problems != []
