"""The audit log in SQL (written by `training.core.audit.record`, read here)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy
TRADE_CODE = re.compile(r"\d-\d{2}-\d{2}-\d{2}")


async def entries(conn: Conn, counties: list[str] | None, *, object_type: str | None, object_id: str | None,
                  actor: str | None, action: str | None, since: date | None, until: date | None, limit: int,
                  offset: int) -> list[asyncpg.Record]:
    """Newest first; rows carry `count(*) OVER () AS total`."""
    return await conn.fetch(
        """SELECT *, count(*) OVER () AS total FROM audit_log
           WHERE ($1::text[] IS NULL OR county_code = ANY($1))
             AND ($2::text IS NULL OR object_type = $2) AND ($3::text IS NULL OR object_id = $3)
             AND ($4::text IS NULL OR actor_name = $4) AND ($5::text IS NULL OR action = $5)
             AND ($6::date IS NULL OR at >= $6) AND ($7::date IS NULL OR at < $7::date + 1)
           ORDER BY at DESC, id DESC LIMIT $8 OFFSET $9""",
        counties, object_type, object_id, actor, action, since, until, limit, offset,
    )


# ------------------------------------------------------------------ the hash chain (see migration 0016)

_ROW = "a.county_code, a.id, a.at, a.actor_id, a.actor_name, a.action, a.object_type, a.object_id, a.changes"


async def counties_to_seal(conn: Conn) -> list[str]:
    """Counties with audit rows stamped at or after their chain's `sealed_to` (or with no chain yet)."""
    rows = await conn.fetch(
        """SELECT DISTINCT a.county_code FROM audit_log a
           WHERE a.at >= coalesce((SELECT h.sealed_to FROM audit_chain_heads h WHERE h.county_code = a.county_code),
                                  '-infinity')""")
    return [r["county_code"] for r in rows]


async def chained_counties(conn: Conn) -> list[str]:
    return [r["county_code"] for r in await conn.fetch("SELECT county_code FROM audit_chain_heads ORDER BY 1")]


async def lock_head(conn: Conn, county_code: str, genesis: bytes, key_id: bytes) -> asyncpg.Record:
    """The county's chain head, locked for this transaction (made first, keyed with `key_id`, if the
    county has none)."""
    await conn.execute(
        """INSERT INTO audit_chain_heads (county_code, seq, hash, sealed_to, first_seq, first_prev, key_id)
           VALUES ($1, 0, $2, '-infinity', 1, $2, $3) ON CONFLICT (county_code) DO NOTHING""",
        county_code, genesis, key_id)
    row = await conn.fetchrow("SELECT * FROM audit_chain_heads WHERE county_code = $1 FOR UPDATE", county_code)
    assert row is not None
    return row


async def heads(conn: Conn) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM audit_chain_heads ORDER BY county_code")


async def replace_links(conn: Conn, county_code: str, links: list[tuple[int, bytes]], key_id: bytes,
                        last: bytes) -> None:
    """Re-keying: every link's new hash, and the head's key and last hash."""
    await conn.execute(
        """UPDATE audit_chain c SET hash = l.hash
           FROM unnest($2::bigint[], $3::bytea[]) AS l(seq, hash)
           WHERE c.county_code = $1 AND c.seq = l.seq""",
        county_code, [seq for seq, _ in links], [h for _, h in links])
    await conn.execute("UPDATE audit_chain_heads SET key_id = $2, hash = $3 WHERE county_code = $1",
                       county_code, key_id, last)


async def head(conn: Conn, county_code: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM audit_chain_heads WHERE county_code = $1", county_code)


async def oldest_running_transaction(conn: Conn) -> datetime:
    """When the oldest transaction still open on this database began (ours included): every audit row
    stamped before it has committed or never will."""
    started: datetime = await conn.fetchval(
        "SELECT min(xact_start) FROM pg_stat_activity WHERE datname = current_database()")
    return started


async def unsealed(conn: Conn, county_code: str, since: datetime, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"""SELECT {_ROW} FROM audit_log a
            WHERE a.county_code = $1 AND a.at >= $2
              AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.county_code = a.county_code AND c.audit_id = a.id)
            ORDER BY a.id LIMIT $3""", county_code, since, limit)


async def append_links(conn: Conn, county_code: str, links: list[tuple[int, int, bytes]]) -> None:
    await conn.execute(
        """INSERT INTO audit_chain (county_code, seq, audit_id, hash)
           SELECT $1, l.seq, l.audit_id, l.hash FROM unnest($2::bigint[], $3::bigint[], $4::bytea[]) AS l(seq, audit_id, hash)""",
        county_code, [seq for seq, _, _ in links], [i for _, i, _ in links], [h for _, _, h in links])


async def move_head(conn: Conn, county_code: str, seq: int, hash_: bytes, sealed_to: datetime | None) -> None:
    await conn.execute(
        """UPDATE audit_chain_heads SET seq = $2, hash = $3, sealed_to = coalesce($4, sealed_to)
           WHERE county_code = $1""", county_code, seq, hash_, sealed_to)


def chain_cursor(conn: Conn, county_code: str, first_seq: int, upto_seq: int) -> Any:
    """Links from `first_seq` to `upto_seq` in order, each with its audit row (NULL columns if the row is gone);
    iterate inside a transaction."""
    return conn.cursor(
        f"""SELECT c.seq, c.audit_id, c.hash, a.id IS NOT NULL AS present, {_ROW} FROM audit_chain c
            LEFT JOIN audit_log a ON a.county_code = c.county_code AND a.id = c.audit_id
            WHERE c.county_code = $1 AND c.seq >= $2 AND c.seq <= $3 ORDER BY c.seq""",
        county_code, first_seq, upto_seq, prefetch=2000)


async def outside_chain(conn: Conn, county_code: str, before: datetime) -> list[int]:
    """Rows stamped before the last seal's horizon that no link covers: written behind the service's back."""
    rows = await conn.fetch(
        """SELECT a.id FROM audit_log a WHERE a.county_code = $1 AND a.at < $2
             AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.county_code = a.county_code AND c.audit_id = a.id)
           ORDER BY a.id LIMIT 100""", county_code, before)
    return [r["id"] for r in rows]


async def first_link_to_keep(conn: Conn, county_code: str, first_seq: int, retention_days: int) -> int | None:
    """The first link whose row is younger than the retention (or gone: retention never skips past a gap)."""
    seq: int | None = await conn.fetchval(
        """SELECT min(c.seq) FROM audit_chain c
           LEFT JOIN audit_log a ON a.county_code = c.county_code AND a.id = c.audit_id
           WHERE c.county_code = $1 AND c.seq >= $2 AND (a.id IS NULL OR a.at >= now() - make_interval(days => $3))""",
        county_code, first_seq, retention_days)
    return seq


async def drop_links_before(conn: Conn, county_code: str, first_seq: int, keep_from: int) -> int:
    """Delete the links before `keep_from` and their rows; the new anchor is the last dropped link's hash."""
    anchor: bytes = await conn.fetchval(
        "SELECT hash FROM audit_chain WHERE county_code = $1 AND seq = $2", county_code, keep_from - 1)
    deleted = await conn.execute(
        """DELETE FROM audit_log a USING audit_chain c
           WHERE a.county_code = $1 AND c.county_code = a.county_code AND c.audit_id = a.id
             AND c.seq >= $2 AND c.seq < $3""", county_code, first_seq, keep_from)
    await conn.execute("DELETE FROM audit_chain WHERE county_code = $1 AND seq < $2", county_code, keep_from)
    await conn.execute("UPDATE audit_chain_heads SET first_seq = $2, first_prev = $3 WHERE county_code = $1",
                       county_code, keep_from, anchor)
    return int(deleted.split()[-1])

async def labels(conn: Conn, refs: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """A reader's name for each (county, id) an entry mentions: a person's name, a household's head, a
    school, a course, a session (course and start day), an enrolment (person and course), an account's
    login name, a region's or a trade's name. Ids found nowhere (deleted rows, another county) are left out."""
    uuids = [(c, i) for c, i in refs if _is_uuid(i)]
    codes = sorted({i for _, i in refs if i.isdigit() and len(i) == 12})
    trades = sorted({i for _, i in refs if TRADE_CODE.fullmatch(i)})
    rows = await conn.fetch(
        """WITH r AS (SELECT DISTINCT * FROM unnest($1::text[], $2::uuid[]) AS r(county_code, id))
           SELECT r.county_code, r.id::text AS id, p.name AS label FROM r
             JOIN people p ON p.county_code = r.county_code AND p.id = r.id
           UNION ALL SELECT r.county_code, r.id::text, '户主 ' || h.head_name FROM r
             JOIN households h ON h.county_code = r.county_code AND h.id = r.id
           UNION ALL SELECT r.county_code, r.id::text, x.name FROM r
             JOIN schools x ON x.county_code = r.county_code AND x.id = r.id
           UNION ALL SELECT r.county_code, r.id::text, x.name FROM r
             JOIN majors x ON x.county_code = r.county_code AND x.id = r.id
           UNION ALL SELECT r.county_code, r.id::text, x.name FROM r
             JOIN teachers x ON x.county_code = r.county_code AND x.id = r.id
           UNION ALL SELECT r.county_code, r.id::text, x.name FROM r
             JOIN equipment x ON x.county_code = r.county_code AND x.id = r.id
           UNION ALL SELECT r.county_code, r.id::text, x.name FROM r
             JOIN packages x ON x.county_code = r.county_code AND x.id = r.id
           UNION ALL SELECT r.county_code, r.id::text, x.title FROM r
             JOIN courses x ON x.county_code = r.county_code AND x.id = r.id
           UNION ALL SELECT r.county_code, r.id::text, c.title || '（' || s.starts_on || ' 开班）' FROM r
             JOIN sessions s ON s.county_code = r.county_code AND s.id = r.id
             JOIN courses c ON c.county_code = s.county_code AND c.id = s.course_id
           UNION ALL SELECT r.county_code, r.id::text, p.name || ' · ' || c.title FROM r
             JOIN enrolments e ON e.county_code = r.county_code AND e.id = r.id
             JOIN people p ON p.county_code = e.county_code AND p.id = e.person_id
             JOIN sessions s ON s.county_code = e.county_code AND s.id = e.session_id
             JOIN courses c ON c.county_code = s.county_code AND c.id = s.course_id
           UNION ALL SELECT r.county_code, r.id::text, p.name || ' 的需求调查（' || v.surveyed_on || '）' FROM r
             JOIN surveys v ON v.county_code = r.county_code AND v.id = r.id
             JOIN people p ON p.county_code = v.county_code AND p.id = v.person_id
           UNION ALL SELECT r.county_code, r.id::text, '推荐 ' || c.title FROM r
             JOIN recommendations m ON m.county_code = r.county_code AND m.id = r.id
             JOIN sessions s ON s.county_code = m.county_code AND s.id = m.session_id
             JOIN courses c ON c.county_code = s.county_code AND c.id = s.course_id
           UNION ALL SELECT r.county_code, r.id::text, g.name || ' 的批次' FROM r
             JOIN allocations a ON a.county_code = r.county_code AND a.id = r.id
             JOIN regions g ON g.code = a.region_code
           UNION ALL SELECT r.county_code, r.id::text, u.username FROM r JOIN users u ON u.id = r.id
           UNION ALL SELECT NULL, g.code, g.name FROM regions g WHERE g.code = ANY($3::text[])
           UNION ALL SELECT NULL, t.code, t.name FROM trades t WHERE t.code = ANY($4::text[])""",
        [c for c, _ in uuids], [i for _, i in uuids], codes, trades)
    out: dict[tuple[str, str], str] = {}
    for row in rows:
        if row["county_code"] is None:  # a region or a trade: the same name in every county's entries
            out.update({(c, i): row["label"] for c, i in refs if i == row["id"]})
        else:
            out[(row["county_code"], row["id"])] = row["label"]
    return out


def _is_uuid(text: str) -> bool:
    try:
        UUID(text)
    except ValueError:
        return False
    return True
