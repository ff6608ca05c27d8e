"""Bringing the database up to date: migrations, then the shipped reference data and, on a database
without any model, the shipped default recommender model."""

from __future__ import annotations

import asyncpg

from training.core.config import PROJECT_ROOT, Settings
from training.core.db import Migration, migrate
from training.matching.service import install_default_model
from training.reference.loader import sync_trades

MODELS_DIR = PROJECT_ROOT / "models"


async def prepare_database(conn: asyncpg.Connection, settings: Settings) -> list[Migration]:
    applied = await migrate(conn, settings.migrations_dir)
    await sync_trades(conn)
    await install_default_model(conn, MODELS_DIR)
    return applied
