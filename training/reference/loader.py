"""Reference data shipped with the package: the trades (工种) table, synced after migrations."""

from __future__ import annotations

import csv
from pathlib import Path

import asyncpg

TRADES_CSV = Path(__file__).parent / "data" / "trades.csv"


def read_trades() -> list[dict[str, object]]:
    with TRADES_CSV.open(encoding="utf-8") as handle:
        return [
            {"code": r["code"], "edition": r["edition"], "name": r["name"], "category": r["category"],
             "aliases": "|".join(a for a in r["aliases"].split("|") if a), "focus": r["focus"].lower() == "true"}
            for r in csv.DictReader(handle)
        ]


async def sync_trades(conn: asyncpg.Connection) -> int:
    """Insert or update the shipped trades; codes already referenced are never deleted."""
    trades = read_trades()
    async with conn.transaction():
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
            [t["code"] for t in trades], [t["edition"] for t in trades], [t["name"] for t in trades],
            [t["category"] for t in trades], [t["aliases"] for t in trades], [t["focus"] for t in trades],
        )
    return len(trades)
