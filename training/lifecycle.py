"""Bringing the database up to date: migrations, then the shipped reference data."""

from __future__ import annotations

import asyncpg

from training.core.config import Settings
from training.core.db import Migration, migrate
from training.reference.loader import sync_trades


async def prepare_database(conn: asyncpg.Connection, settings: Settings) -> list[Migration]:
    applied = await migrate(conn, settings.migrations_dir)
    await sync_trades(conn)
    return applied
