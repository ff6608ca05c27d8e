"""The shipped reference tables in SQL."""

from __future__ import annotations

import asyncpg


async def upsert_trades(conn: asyncpg.Connection, codes: list[str], editions: list[str], names: list[str],
                        categories: list[str], aliases: list[str], focus: list[bool]) -> None:
    """Insert or update trades (aliases '|'-separated); rows already equal are left untouched."""
    await conn.execute(
        """INSERT INTO trades (code, edition, name, category, aliases, focus)
           SELECT u.code, u.edition, u.name, u.category,
                  string_to_array(u.aliases, '|'), u.focus
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[])
                AS u(code, edition, name, category, aliases, focus)
           ON CONFLICT (code) DO UPDATE SET edition = EXCLUDED.edition, name = EXCLUDED.name,
               category = EXCLUDED.category, aliases = EXCLUDED.aliases, focus = EXCLUDED.focus
           WHERE (trades.edition, trades.name, trades.category, trades.aliases, trades.focus)
                 IS DISTINCT FROM (EXCLUDED.edition, EXCLUDED.name, EXCLUDED.category, EXCLUDED.aliases,
                                   EXCLUDED.focus)""",
        codes, editions, names, categories, aliases, focus,
    )
