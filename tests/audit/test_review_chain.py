"""An outside review's finding on the audit hash chain (issue 10): someone who can write the database
behind the service's back (the threat the chain is for) but cannot read the service's keys or its data
dir cannot rewind, rewrite, shorten or drop a county's chain without `training audit verify` seeing it."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

import asyncpg

from tests.audit.test_chain import behind_the_back, write
from tests.seed import COUNTY_A
from training.audit import repository as chain_repository
from training.audit import service as audit
from training.audit.service import Anchor, Keeper
from training.core.crypto import Vault


async def problems_of(conn: asyncpg.Connection, keeper: Keeper) -> list[str]:
    [result] = [r for r in await audit.verify_all(conn, keeper) if r.county_code == COUNTY_A]
    return result.problems


async def test_the_latest_reveal_cannot_be_erased_by_rewinding_the_chain_head(
        conn: asyncpg.Connection, keeper: Keeper) -> None:
    await write(conn, COUNTY_A, 4, "a")
    await audit.seal_all(conn, keeper)
    last = await conn.fetchval("SELECT max(id) FROM audit_log WHERE county_code = $1", COUNTY_A)
    await behind_the_back(conn, "DELETE FROM audit_log WHERE id = $1", last)
    seq = await conn.fetchval("DELETE FROM audit_chain WHERE county_code = $1 AND audit_id = $2 RETURNING seq",
                              COUNTY_A, last)
    await conn.execute(
        """UPDATE audit_chain_heads h SET seq = c.seq, hash = c.hash FROM audit_chain c
           WHERE h.county_code = $1 AND c.county_code = $1 AND c.seq = $2""", COUNTY_A, seq - 1)
    problems = await problems_of(conn, keeper)
    assert [p for p in problems if "链尾被回退" in p and f"链节 {seq}" in p] != [], problems


async def test_an_edit_with_its_links_recomputed_without_the_key_is_caught(
        conn: asyncpg.Connection, keeper: Keeper) -> None:
    """The links are keyed: recomputing them the way the old plain-sha256 chain was built (or with any
    key but the service's) leaves the row's link wrong."""
    await write(conn, COUNTY_A, 5, "a")
    await audit.seal_all(conn, keeper)
    victim = await conn.fetchval("SELECT id FROM audit_log WHERE object_id = 'a-2'")
    await behind_the_back(conn, "UPDATE audit_log SET actor_name = 'someone else' WHERE id = $1", victim)
    head = await conn.fetchrow("SELECT * FROM audit_chain_heads WHERE county_code = $1", COUNTY_A)
    assert head is not None
    rows = await conn.fetch(
        f"""SELECT c.seq, {chain_repository._ROW} FROM audit_chain c
            JOIN audit_log a ON a.county_code = c.county_code AND a.id = c.audit_id
            WHERE c.county_code = $1 ORDER BY c.seq""", COUNTY_A)
    previous = bytes(head["first_prev"])
    guess = secrets.token_bytes(32)
    for row in rows:  # the whole chain rebuilt from the edited rows, then the head moved to its end
        previous = hashlib.sha256(previous + audit.canonical(row, row["seq"])).digest() if row["seq"] % 2 else (
            audit.link(guess, previous, row, row["seq"]))
        await conn.execute("UPDATE audit_chain SET hash = $3 WHERE county_code = $1 AND seq = $2",
                           COUNTY_A, row["seq"], previous)
    await conn.execute("UPDATE audit_chain_heads SET hash = $2 WHERE county_code = $1", COUNTY_A, previous)
    problems = await problems_of(conn, keeper)
    assert any(f"审计记录 id {victim}" in p and "改动" in p for p in problems), problems


async def test_a_head_that_claims_retention_removed_links_or_a_dropped_chain_is_caught(
        conn: asyncpg.Connection, keeper: Keeper) -> None:
    await write(conn, COUNTY_A, 4, "a")
    await audit.seal_all(conn, keeper)
    # "Retention removed everything": the first kept link moved past the end, rows deleted.
    head = await conn.fetchrow("SELECT * FROM audit_chain_heads WHERE county_code = $1", COUNTY_A)
    assert head is not None
    await conn.execute("UPDATE audit_chain_heads SET first_seq = seq + 1, first_prev = hash WHERE county_code = $1",
                       COUNTY_A)
    await conn.execute("DELETE FROM audit_chain WHERE county_code = $1", COUNTY_A)
    await behind_the_back(conn, "DELETE FROM audit_log WHERE county_code = $1", COUNTY_A)
    problems = await problems_of(conn, keeper)
    assert any("链首被推后" in p for p in problems), problems
    # The county's chain gone altogether, head and all.
    await conn.execute("DELETE FROM audit_chain_heads WHERE county_code = $1", COUNTY_A)
    problems = await problems_of(conn, keeper)
    assert any(f"链尾为链节 {head['seq']}" in p and "整体被删除" in p for p in problems), problems


async def test_a_chain_keyed_with_a_key_the_keyring_does_not_hold_is_named(
        conn: asyncpg.Connection, keeper: Keeper, tmp_path: Path) -> None:
    await write(conn, COUNTY_A, 2, "a")
    await audit.seal_all(conn, keeper)
    stranger = Keeper(Vault(secrets.token_bytes(32)), Anchor(tmp_path / "other_anchor.json"))
    [result] = [r for r in await audit.verify_all(conn, stranger) if r.county_code == COUNTY_A]
    assert len(result.problems) == 1 and "不在密钥环中" in result.problems[0], result.problems


async def test_a_new_data_key_rekeys_a_sound_chain_and_keeps_a_broken_one_as_evidence(
        conn: asyncpg.Connection, keeper: Keeper) -> None:
    await write(conn, COUNTY_A, 3, "a")
    await audit.seal_all(conn, keeper)
    old, new = keeper.vault.keyring.current, Vault(secrets.token_bytes(32)).keyring.current
    rotated = Keeper(Vault(type(keeper.vault.keyring)(current=new, keys={new.id: new, old.id: old}, sources={})),
                     keeper.anchor)
    await write(conn, COUNTY_A, 2, "before-rekey")
    await audit.seal_all(conn, rotated)  # still sealed under the chain's own (old) key
    assert await audit.keys_in_use(conn) == {old.label}
    assert set((await audit.rekey_all(conn, rotated)).values()) == {"rekeyed"}  # every county's chain
    assert await audit.keys_in_use(conn) == {new.label}
    assert await problems_of(conn, rotated) == []
    only_new = Keeper(Vault(new.master), keeper.anchor)  # the old key retired
    assert await problems_of(conn, only_new) == []
    # A chain that does not verify is never re-keyed (that would launder the tampering).
    await behind_the_back(conn, "UPDATE audit_log SET action = 'nothing' WHERE object_id = 'a-1'")
    back = Keeper(Vault(type(keeper.vault.keyring)(current=old, keys={new.id: new, old.id: old}, sources={})),
                  keeper.anchor)
    assert (await audit.rekey_all(conn, back))[COUNTY_A] == "broken"
    assert await conn.fetchval("SELECT key_id FROM audit_chain_heads WHERE county_code = $1", COUNTY_A) == new.id
