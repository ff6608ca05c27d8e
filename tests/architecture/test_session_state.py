"""Nothing the service runs on a pooled connection outlives its request. The pool releases connections
without asyncpg's reset query (`training.core.db.PooledConnection`: it was a round trip per request), so
session state would leak into whichever request gets the connection next: a session-level SET or
set_config, a session advisory lock, a LISTEN, an SQL cursor or prepared statement, a temporary table
that is not dropped on commit. Transaction-scoped forms (SET LOCAL, pg_advisory_xact_lock, asyncpg's
cursors inside a transaction, ON COMMIT DROP) end with the transaction, and asyncpg still rolls back a
transaction left open on release (checked below against the real pool).

Two uses are on connections of their own, never pooled: the migrations' session lock (`db.migrate`,
unlocked in its `finally`) and the account cache's LISTEN (`auth/cache.py`).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import Api
from training.core.db import PooledConnection

ROOT = Path(__file__).resolve().parents[2]
STATEMENT_START = r"(?:^|;)\s*"
SESSION_STATE = [
    (re.compile(STATEMENT_START + r"SET\s+(?!LOCAL\b)", re.IGNORECASE), "a session-level SET (use SET LOCAL)"),
    (re.compile(STATEMENT_START + r"RESET\s+\w", re.IGNORECASE), "RESET of a session setting"),
    (re.compile(r"\bset_config\s*\([^)]*,\s*false\s*\)", re.IGNORECASE), "set_config(..., false): session-wide"),
    (re.compile(r"\bpg_(?:try_)?advisory_lock(?:_shared)?\s*\(", re.IGNORECASE),
     "a session advisory lock (use pg_advisory_xact_lock)"),
    (re.compile(STATEMENT_START + r"LISTEN\b", re.IGNORECASE), "LISTEN"),
    (re.compile(STATEMENT_START + r"(?:DECLARE|PREPARE)\b", re.IGNORECASE), "an SQL cursor or prepared statement"),
    (re.compile(r"\bWITH\s+HOLD\b", re.IGNORECASE), "a cursor held past its transaction"),
    (re.compile(r"\bCREATE\s+(?:TEMP|TEMPORARY)\s+TABLE\b(?![^;]*\bON\s+COMMIT\s+DROP\b)", re.IGNORECASE),
     "a temporary table kept past its transaction (add ON COMMIT DROP)"),
]
OWN_CONNECTION = {("training/core/db.py", "a session advisory lock (use pg_advisory_xact_lock)"),
                  ("training/auth/cache.py", "add_listener")}


def reasons(sql: str) -> list[str]:
    return [why for pattern, why in SESSION_STATE if pattern.search(sql)]


def offenders(source: str, name: str) -> list[str]:
    """Each string in the module's code (f-strings' fixed parts included) that leaves session state, and
    each add_listener call: `name:line: why`."""
    found: list[str] = []
    tree = ast.parse(source)
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            found += [f"{name}:{node.lineno}: {why}" for why in reasons(node.value)
                      if (name, why) not in OWN_CONNECTION]
        elif isinstance(node, ast.Attribute) and node.attr == "add_listener" and (name, "add_listener") not in OWN_CONNECTION:
            found.append(f"{name}:{node.lineno}: add_listener (LISTEN) on a connection that may be pooled")
    return found


def test_no_query_of_the_service_leaves_session_state_on_its_connection() -> None:
    found: list[str] = []
    for path in sorted((ROOT / "training").rglob("*.py")):
        found += offenders(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert found == []


def test_the_check_finds_each_kind_of_session_state() -> None:
    leaking = ['"SET statement_timeout = 0"', '"SELECT 1; set search_path TO x"', '"RESET ALL"',
               "\"SELECT set_config('work_mem', '64MB', false)\"", '"SELECT pg_advisory_lock($1)"',
               '"SELECT pg_try_advisory_lock_shared(1)"', '"LISTEN accounts"', '"DECLARE c CURSOR FOR SELECT 1"',
               '"PREPARE q AS SELECT 1"', '"DECLARE c CURSOR WITH HOLD FOR SELECT 1"',
               '"CREATE TEMP TABLE t (x int)"', "conn.add_listener('c', f)"]
    for code in leaking:
        assert offenders(f"q = {code}", "training/x.py"), code
    fine = ["\"SET LOCAL work_mem = '64MB'\"", '"UPDATE sessions SET status = $1 WHERE id = $2"',
            '"INSERT INTO t VALUES (1) ON CONFLICT (id) DO UPDATE SET x = EXCLUDED.x"',
            '"SELECT pg_advisory_xact_lock($1)"', "\"SELECT set_config('work_mem', '64MB', true)\"",
            '"CREATE TEMP TABLE t (x int) ON COMMIT DROP"', "f\"SET LOCAL work_mem = '{n}MB'\""]
    fine.append('def f():\n    """Set the work_mem; reset it after."""')  # prose, not SQL
    for code in fine:
        assert offenders(code if code.startswith("def") else f"q = {code}", "training/x.py") == [], code


async def test_a_released_connection_is_clean_for_the_next_request(api: Api) -> None:
    pool = api.app.state.pool
    async with pool.acquire() as conn:
        assert isinstance(conn._con, PooledConnection) and conn._con.get_reset_query() == ""
        backend = await conn.fetchval("SELECT pg_backend_pid()")
        tx = conn.transaction()
        await tx.start()  # left open, as a failed request might
        await conn.execute("SET LOCAL work_mem = '77MB'")
        await conn.execute("CREATE TEMP TABLE left_over (x int) ON COMMIT DROP")
    for _ in range(pool.get_max_size()):  # whichever connection comes back: the one used above among them
        async with pool.acquire() as conn:
            if await conn.fetchval("SELECT pg_backend_pid()") != backend:
                continue
            assert await conn.fetchval("SELECT current_setting('work_mem')") != "77MB"
            assert await conn.fetchval("SELECT to_regclass('pg_temp.left_over')") is None
            assert await conn.fetchval("SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() "
                                       "AND locktype = 'transactionid'") == 0  # no transaction still open
            return
    raise AssertionError("the connection used above never came back from the pool")
