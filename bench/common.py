"""What every benchmark starts from: a fresh database (on DATABASE_URL's server, else a throwaway
embedded PostgreSQL), migrated, with the demo county's regions and an admin account."""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from training.auth.service import create_user
from training.core import db
from training.core.config import Settings
from training.demo.loader import REGIONS_CSV
from training.lifecycle import prepare_database
from training.regions.service import load_csv

ADMIN, ADMIN_PASSWORD = "bench_admin", "bench-password"


def with_database(dsn: str, name: str) -> str:
    return urlunsplit(urlsplit(dsn)._replace(path="/" + name))


@dataclass
class BenchDatabase:
    dsn: str
    admin_id: uuid.UUID
    _admin: asyncpg.Connection
    _name: str
    _server: db.EmbeddedPostgres | None

    async def close(self) -> None:
        await self._admin.execute(f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)')
        await self._admin.close()
        if self._server is not None:
            self._server.stop()


async def open_bench_database(settings: Settings, prefix: str) -> BenchDatabase:
    server: db.EmbeddedPostgres | None = None
    if settings.database_url:
        admin_dsn = settings.database_url
    else:
        server = db.EmbeddedPostgres(Path(tempfile.mkdtemp(prefix=f"bench-{prefix}-")) / "pgdata")
        server.start()
        admin_dsn = server.admin_dsn()
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    dsn = with_database(admin_dsn, name)
    async with db.connect(dsn) as conn:
        await prepare_database(conn, settings)
        await load_csv(conn, REGIONS_CSV.read_text(encoding="utf-8"))
        admin_id = await create_user(conn, username=ADMIN, password=ADMIN_PASSWORD, role="admin",
                                     region_codes=["513435000000"])
    return BenchDatabase(dsn, admin_id, admin, name, server)
