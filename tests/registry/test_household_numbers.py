"""户编号: every household has one, unique within its village. One typed in is kept; none typed gets
`<village code>-<4-digit sequence>` (README, "Registry and ledger"); villages may each number from 1."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.conftest import Api, cloned_database
from tests.helpers import assert_problem
from tests.registry.test_households import id_number
from tests.seed import KEY_VILLAGE, KEY_VILLAGE_2
from training.core import db
from training.core.config import PROJECT_ROOT
from training.core.db import discover_migrations, migrate
from training.demo.loader import REGIONS_CSV
from training.regions.service import load_csv

MIGRATION = PROJECT_ROOT / "migrations" / "0006_household_numbers.sql"


def household(village: str, serial: int, number: str | None = None) -> dict[str, Any]:
    return {"village_code": village, "head_name": f"户主{serial}", "poverty_status": "ordinary",
            "household_no": number,
            "members": [{"name": f"户主{serial}", "id_number": id_number(date(1980, 1, 1 + serial), serial),
                         "relation": "户主", "education": "71", "in_school": False, "labour_capacity": "full",
                         "work_status": "farming"}]}


async def register(api: Api, village: str, serial: int, number: str | None = None) -> dict[str, Any]:
    response = await api.post("/api/households", "surveyor_a", json=household(village, serial, number))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_household_registered_without_a_number_gets_the_next_of_its_village(api: Api) -> None:
    assert (await register(api, KEY_VILLAGE, 1))["household_no"] == f"{KEY_VILLAGE}-0001"
    assert (await register(api, KEY_VILLAGE, 2, "LM-7"))["household_no"] == "LM-7"
    assert (await register(api, KEY_VILLAGE, 3))["household_no"] == f"{KEY_VILLAGE}-0002"
    assert (await register(api, KEY_VILLAGE_2, 4))["household_no"] == f"{KEY_VILLAGE_2}-0001"


async def test_households_registered_at_once_get_different_numbers(api: Api) -> None:
    created = await asyncio.gather(*(register(api, KEY_VILLAGE, n) for n in range(1, 7)))
    assert sorted(h["household_no"] for h in created) == [f"{KEY_VILLAGE}-{n:04d}" for n in range(1, 7)]


async def test_a_number_is_unique_within_its_village_not_its_county(api: Api) -> None:
    await register(api, KEY_VILLAGE, 1, "1")
    assert (await register(api, KEY_VILLAGE_2, 2, "1"))["household_no"] == "1"
    body = assert_problem(await api.post("/api/households", "surveyor_a", json=household(KEY_VILLAGE, 3, "1")), 409)
    assert body["errors"][0]["field"] == "household_no" and "本村已存在" in body["errors"][0]["message"]


@pytest.fixture
async def before_0006(admin_dsn: str, tmp_path: Path) -> AsyncIterator[tuple[asyncpg.Connection, Path]]:
    """A database migrated up to 0005, with the migrations directory to add 0006 to."""
    directory = tmp_path / "migrations"
    directory.mkdir()
    for m in discover_migrations(PROJECT_ROOT / "migrations"):
        if m.version < 6:
            shutil.copy(m.path, directory)
    async with cloned_database(admin_dsn, template=None) as dsn, db.connect(dsn) as conn:
        await migrate(conn, directory)
        await load_csv(conn, REGIONS_CSV.read_text(encoding="utf-8"))
        yield conn, directory


async def test_migration_0006_numbers_every_household_that_had_none(
        before_0006: tuple[asyncpg.Connection, Path]) -> None:
    conn, directory = before_0006
    rows = [("a", KEY_VILLAGE, None, "2020-01-02"), ("b", KEY_VILLAGE, f"{KEY_VILLAGE}-0003", "2020-01-01"),
            ("c", KEY_VILLAGE, "LM-1", "2020-01-03"), ("d", KEY_VILLAGE, None, "2020-01-01"),
            ("e", KEY_VILLAGE_2, None, "2020-01-05")]
    for head, village, number, created in rows:
        await conn.execute(
            """INSERT INTO households (county_code, village_code, household_no, head_name, poverty_status, created_at)
               VALUES ($1, $2, $3, $4, 'ordinary', $5::date)""", village[:6], village, number, head,
            date.fromisoformat(created))
    shutil.copy(MIGRATION, directory)
    await migrate(conn, directory)
    numbers = {r["head_name"]: r["household_no"] for r in await conn.fetch("SELECT head_name, household_no FROM households")}
    # Numbers already given are kept; the rest follow the village's highest assigned one, oldest first.
    assert numbers == {"a": f"{KEY_VILLAGE}-0005", "b": f"{KEY_VILLAGE}-0003", "c": "LM-1",
                       "d": f"{KEY_VILLAGE}-0004", "e": f"{KEY_VILLAGE_2}-0001"}
    with pytest.raises(asyncpg.NotNullViolationError):
        await conn.execute("""INSERT INTO households (county_code, village_code, head_name, poverty_status)
                              VALUES ($1, $2, '无号', 'ordinary')""", KEY_VILLAGE[:6], KEY_VILLAGE)
