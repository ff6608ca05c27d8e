"""Accounts in SQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

_COLUMNS = "id, username, password_hash, role, county_code, school_id, region_codes, active, token_version"
Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy


async def by_username(conn: Conn, username: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_COLUMNS} FROM users WHERE lower(username) = lower($1)", username)


async def by_id(conn: Conn | asyncpg.Pool, user_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_COLUMNS} FROM users WHERE id = $1", user_id)


async def insert(
    conn: Conn, *, username: str, password_hash: str, role: str, county_code: str | None,
    school_id: UUID | None, region_codes: list[str],
) -> UUID:
    user_id: UUID = await conn.fetchval(
        """INSERT INTO users (username, password_hash, role, county_code, school_id, region_codes)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING id""",
        username, password_hash, role, county_code, school_id, region_codes,
    )
    return user_id


async def set_password(conn: Conn, user_id: UUID, password_hash: str) -> asyncpg.Record | None:
    """A new password; every token issued before it stops working (the version moves on)."""
    return await conn.fetchrow(
        "UPDATE users SET password_hash = $2, token_version = token_version + 1 WHERE id = $1 "
        "RETURNING username, county_code, token_version", user_id, password_hash)


async def set_active(conn: Conn, user_id: UUID, active: bool) -> asyncpg.Record | None:
    """Enable or disable, only from the other state (None when it already was); a disable also ends
    every token issued so far."""
    return await conn.fetchrow(
        """UPDATE users SET active = $2, token_version = token_version + CASE WHEN $2 THEN 0 ELSE 1 END
           WHERE id = $1 AND active = NOT $2 RETURNING id""", user_id, active)


async def ping(conn: asyncpg.Connection, within: float) -> None:
    await conn.fetchval("SELECT 1", timeout=within)


async def notify(conn: Conn, channel: str, payload: str) -> None:
    await conn.execute("SELECT pg_notify($1, $2)", channel, payload)


async def accounts(conn: Conn, counties: list[str] | None, username: str | None = None) -> list[asyncpg.Record]:
    """Accounts of these counties (None: every account, county-less ones too), with their lockout."""
    return await conn.fetch(
        """SELECT u.id, u.username, u.role, u.county_code, u.school_id, s.name AS school_name, u.region_codes,
                  u.active, u.created_at, f.locked_until
           FROM users u
           LEFT JOIN schools s ON s.county_code = u.county_code AND s.id = u.school_id
           LEFT JOIN (SELECT username, max(locked_until) AS locked_until FROM login_failures GROUP BY username) f
             ON f.username = lower(u.username)
           WHERE ($1::text[] IS NULL OR u.county_code = ANY($1))
             AND ($2::text IS NULL OR lower(u.username) = lower($2))
           ORDER BY u.county_code NULLS FIRST, u.role, u.username""", counties, username)


async def school_county(conn: Conn, school_id: UUID) -> str | None:
    county: str | None = await conn.fetchval("SELECT county_code FROM schools WHERE id = $1", school_id)
    return county


async def existing_regions(conn: Conn, codes: list[str]) -> set[str]:
    rows = await conn.fetch("SELECT code FROM regions WHERE code = ANY($1::text[])", codes)
    return {r["code"] for r in rows}


# ------------------------------------------------------------------ failed logins (keyed by lower(username))
# login_failures: per (name, client address), the lockout; login_slowdowns: per name, the slowdown.

async def claim_attempt(conn: Conn, username: str, client: str, now: datetime) -> asyncpg.Record:
    """Count a login attempt from `client` before the password is checked, so parallel guesses cannot
    slip past the limit; a lock that has run out starts the count again. Returns the count and any lock
    in force."""
    row = await conn.fetchrow(
        """INSERT INTO login_failures AS f (username, client, failures, locked_until, last_attempt_at)
           VALUES (lower($1), $3, 1, NULL, $2)
           ON CONFLICT (username, client) DO UPDATE SET
               last_attempt_at = EXCLUDED.last_attempt_at,
               failures = CASE WHEN f.locked_until > $2 THEN f.failures
                               WHEN f.locked_until IS NOT NULL THEN 1 ELSE f.failures + 1 END,
               locked_until = CASE WHEN f.locked_until > $2 THEN f.locked_until END
           RETURNING failures, locked_until""", username, now, client)
    assert row is not None  # an upsert always returns its row
    return row


async def give_back_attempt(conn: Conn, username: str, client: str) -> None:
    """An attempt refused before its password was checked does not count against its address."""
    await conn.execute("""UPDATE login_failures SET failures = greatest(failures - 1, 0)
                          WHERE username = lower($1) AND client = $2""", username, client)


async def lock(conn: Conn, username: str, client: str, until: datetime) -> None:
    await conn.execute("""UPDATE login_failures SET locked_until = $2, failures = 0
                          WHERE username = lower($1) AND client = $3""", username, until, client)


async def clear_attempts(conn: Conn, username: str, client: str) -> None:
    await conn.execute("DELETE FROM login_failures WHERE username = lower($1) AND client = $2", username, client)


async def claim_slot(conn: Conn, username: str, now: datetime, claim: UUID, quiet: timedelta, after: int,
                     max_seconds: int) -> asyncpg.Record:
    """Take the name's next attempt slot, in one statement so concurrent attempts cannot share it. A slot
    is free when `not_before` has passed; once the name has `after` failures, taking it holds the name
    for 2^(failures - after) seconds (at most `max_seconds`). Failures are forgotten after `quiet`
    without one. Returns `claim` (ours if we took the slot) and `not_before`."""
    # Citus takes only IMMUTABLE functions in DO UPDATE SET, and timestamptz ± interval is only STABLE:
    # the quiet threshold comes in computed, and the hold is added to the epoch (to_timestamp is IMMUTABLE).
    row = await conn.fetchrow(
        """INSERT INTO login_slowdowns AS s (username, failures, last_failed_at, not_before, claim)
           VALUES (lower($1), 0, NULL, $2, $3)
           ON CONFLICT (username) DO UPDATE SET
               failures = CASE WHEN s.not_before > $2 THEN s.failures
                               WHEN s.last_failed_at < $4 THEN 0 ELSE s.failures END,
               not_before = CASE WHEN s.not_before > $2 THEN s.not_before
                                 WHEN s.last_failed_at < $4 OR s.failures < $5 THEN $2
                                 ELSE to_timestamp($7 + least($6, power(2, least(s.failures - $5, 30))))
                            END,
               claim = CASE WHEN s.not_before > $2 THEN s.claim ELSE $3 END
           RETURNING claim, not_before""", username, now, claim, now - quiet, after, max_seconds, now.timestamp())
    assert row is not None
    return row


async def count_failure(conn: Conn, username: str, now: datetime) -> None:
    await conn.execute("""UPDATE login_slowdowns SET failures = failures + 1, last_failed_at = $2
                          WHERE username = lower($1)""", username, now)


async def clear_failures(conn: Conn, username: str) -> None:
    """Every lockout and the slowdown of the name (an admin's reset)."""
    await conn.execute("DELETE FROM login_failures WHERE username = lower($1)", username)
    await conn.execute("DELETE FROM login_slowdowns WHERE username = lower($1)", username)


async def prune_login_counts(conn: Conn, now: datetime, quiet_since: datetime) -> int:
    """Forget what no longer holds anything back: lockouts that have run out with no attempt since
    `quiet_since`, and slowdowns whose slot has passed with no failure since then (the next attempt would
    start from zero either way). Returns how many rows went."""
    failures = await conn.execute(
        """DELETE FROM login_failures
           WHERE coalesce(locked_until, '-infinity') < $1 AND coalesce(last_attempt_at, '-infinity') < $2""",
        now, quiet_since)
    slowdowns = await conn.execute(
        """DELETE FROM login_slowdowns
           WHERE not_before < $1 AND coalesce(last_failed_at, '-infinity') < $2""", now, quiet_since)
    return int(failures.split()[-1]) + int(slowdowns.split()[-1])
