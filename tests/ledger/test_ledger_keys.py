"""An exported ledger goes back in during a data-key rotation: a masked number stands for the person's own
number, whichever key it is stored under, so nothing changes and nobody is registered twice."""

from __future__ import annotations

from typing import Any

import asyncpg

from tests.conftest import Api
from tests.ledger.nasty import XLSX_MIME
from tests.registry.test_data_keys import (  # noqa: F401 (fixtures)
    admin_vault,
    keyring_from_files,
    keys_in_use,
    own_settings,
    register,
    service,
)
from training.core.config import Settings
from training.core.crypto import add_new_key


async def test_a_masked_export_reimports_unchanged_after_the_key_changed(
        service: Api, conn: asyncpg.Connection, own_settings: Settings) -> None:  # noqa: F811
    await register(service, 2)
    exported = await service.get("/api/ledger/export", "surveyor_a")
    assert exported.status_code == 200, exported.text
    versions = await conn.fetch("SELECT id, version FROM people ORDER BY id")
    _old, new = add_new_key(own_settings.data_dir)
    response = await service.http.post("/api/ledger/import", headers=service.token("surveyor_a"),
                                       files={"file": ("台账.xlsx", exported.content, XLSX_MIME)},
                                       data={"mode": "all_or_nothing"})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    assert (result["people_created"], result["people_updated"], result["people_unchanged"]) == (0, 0, 6)
    assert await conn.fetch("SELECT id, version FROM people ORDER BY id") == versions
    assert await conn.fetchval("SELECT count(*) FROM people") == 6
    assert new.label in await keys_in_use(conn)  # the people it matched were moved to the new key
