"""One county history per test module, built once and copied for every test that reads it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import asyncpg
import pytest

from tests.conftest import cloned_database
from tests.matching.history import History, make_history
from training.core import db
from training.core.config import Settings
from training.core.crypto import Vault


@pytest.fixture(scope="module")
async def history_database(admin_dsn: str, template_dsn: str, settings: Settings) -> AsyncIterator[tuple[str, History]]:
    async with cloned_database(admin_dsn) as dsn:
        async with db.connect(dsn) as conn:
            history = await make_history(conn, Vault.from_data_dir(settings.data_dir))
        yield urlsplit(dsn).path.lstrip("/"), history


@pytest.fixture
async def history(history_database: tuple[str, History]) -> History:
    return history_database[1]


@pytest.fixture
async def hdsn(admin_dsn: str, history_database: tuple[str, History]) -> AsyncIterator[str]:
    """A fresh copy of the module's history database."""
    async with cloned_database(admin_dsn, template=history_database[0]) as dsn:
        yield dsn


@pytest.fixture
async def hconn(hdsn: str) -> AsyncIterator[asyncpg.Connection]:
    async with db.connect(hdsn) as conn:
        yield conn
