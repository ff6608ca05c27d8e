"""Reference data shipped with the package: the trades (工种) table, synced after migrations."""

from __future__ import annotations

import csv
from pathlib import Path

import asyncpg

from training.reference import repository

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
        await repository.upsert_trades(
            conn, [str(t["code"]) for t in trades], [str(t["edition"]) for t in trades], [str(t["name"]) for t in trades],
            [str(t["category"]) for t in trades], [str(t["aliases"]) for t in trades], [bool(t["focus"]) for t in trades])
    return len(trades)
