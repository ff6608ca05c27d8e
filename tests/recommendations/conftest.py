"""Recommendations need a model: the shipped default when the migrated template has one, else one
trained once per run on the matching tests' small county history and installed in every test's
database as the system-wide default."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest

from tests.conftest import cloned_database
from tests.helpers import today
from tests.matching.history import make_history, rule
from tests.seed import COUNTY_A
from training.core import db
from training.core.config import Settings
from training.core.crypto import Vault
from training.matching import service as matching


@pytest.fixture(scope="session")
async def trained_model(admin_dsn: str, template_dsn: str, settings: Settings,
                        tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, dict[str, object]] | None:
    async with db.connect(template_dsn) as template:
        if await template.fetchval("SELECT count(*) FROM active_models"):
            return None  # the shipped default is installed already
    async with cloned_database(admin_dsn) as dsn, db.connect(dsn) as conn:
        await make_history(conn, Vault.from_data_dir(settings.data_dir))
        trained = await matching.train(conn, rule(today()), counties=[COUNTY_A], name="serving-test",
                                       activate_if_better=False, output_dir=tmp_path_factory.mktemp("model"))
    artifact, card = await asyncio.gather(asyncio.to_thread(Path(trained.artifact_path).read_bytes),
                                          asyncio.to_thread(Path(trained.card_path).read_bytes))
    return artifact, msgspec.json.decode(card)


@pytest.fixture(autouse=True)
async def active_model(database: str, trained_model: tuple[bytes, dict[str, object]] | None) -> AsyncIterator[str]:
    async with db.connect(database) as conn:
        if trained_model is not None:
            artifact, card = trained_model
            await matching.store_model(conn, artifact, card)
            await matching.activate_system(conn, matching.GLOBAL, str(card["version"]))
        version: str = await conn.fetchval("SELECT version FROM active_models WHERE county_code = $1", matching.GLOBAL)
    yield version
