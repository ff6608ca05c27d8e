"""Review: a data-key change and rotation while a ledger import is between checking its rows and writing
them (an administrator runs `training keys new` and `training keys rotate` with the service running)."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from tests.conftest import Api
from tests.ledger.nasty import XLSX_MIME
from tests.registry.test_data_keys import (  # noqa: F401 (fixtures)
    admin_vault,
    keyring_from_files,
    own_settings,
    register,
    service,
)
from training.core.config import Settings
from training.core.crypto import Vault, add_new_key
from training.ledger import service as ledger
from training.registry.keys import rotate


async def test_a_key_rotation_while_a_ledger_import_checks_its_rows_registers_nobody_twice(
        service: Api, conn: asyncpg.Connection, database: str, own_settings: Settings,  # noqa: F811
        admin_vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """Regression: the rows' ID hashes were made with the key current when the rows were checked; a rotation
    that moved the people to a new key before the write let the upsert miss them and insert them again."""
    await register(service, 2)
    exported = await service.get("/api/ledger/export", "surveyor_a", params={"reveal": "true"})
    assert exported.status_code == 200, exported.text
    versions = await conn.fetch("SELECT id, version FROM people ORDER BY id")
    checked = ledger.check_rows

    async def new_key_and_rotation() -> None:
        add_new_key(own_settings.data_dir)
        admin = await asyncpg.connect(database)
        try:
            assert (await rotate(admin, Vault.from_data_dir(own_settings.data_dir))).done
        finally:
            await admin.close()

    def check_rows_then_rotate(*args: Any) -> None:
        checked(*args)
        asyncio.run(new_key_and_rotation())  # the check runs in a worker thread: the administrator's process

    monkeypatch.setattr(ledger, "check_rows", check_rows_then_rotate)
    response = await service.http.post("/api/ledger/import", headers=service.token("surveyor_a"),
                                       files={"file": ("台账.xlsx", exported.content, XLSX_MIME)},
                                       data={"mode": "all_or_nothing"})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    assert (result["people_created"], result["people_updated"], result["people_unchanged"]) == (0, 0, 6)
    assert await conn.fetchval("SELECT count(*) FROM people") == 6
    assert await conn.fetch("SELECT id, version FROM people ORDER BY id") == versions
