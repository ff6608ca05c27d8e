"""A fresh install recommends at once: migrating a database without any model installs the newest model
shipped in models/ as the system-wide default."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import msgspec

from tests.matching.quick import quick_artifact
from training.lifecycle import MODELS_DIR
from training.matching import service


def shipped_version() -> str:
    cards = sorted(MODELS_DIR.glob("*.json"), reverse=True)
    assert cards, "a default model ships in models/"
    card: dict[str, str] = msgspec.json.decode(cards[0].read_bytes())
    assert (MODELS_DIR / f"{cards[0].stem}.skops").exists()
    return card["version"]


async def test_the_shipped_model_is_the_system_wide_default_of_a_fresh_database(conn: asyncpg.Connection) -> None:
    version = shipped_version()
    assert await conn.fetchval("SELECT version FROM active_models WHERE county_code = '000000'") == version
    card = await conn.fetchval("SELECT card FROM models WHERE version = $1", version)
    assert card["metrics"]["beats_baselines"] is True
    assert {"python", "scikit-learn", "numpy"} <= set(card["versions"])


async def test_installing_again_or_beside_other_models_changes_nothing(conn: asyncpg.Connection, tmp_path: Path) -> None:
    assert await service.install_default_model(conn, MODELS_DIR) is None
    await conn.execute("DELETE FROM active_models")
    await conn.execute("DELETE FROM models")
    # A shipped file that is not a trusted artifact is skipped, never installed.
    (tmp_path / "bad-1.skops").write_bytes(b"not a model")
    (tmp_path / "bad-1.json").write_bytes(b'{"version": "bad-1"}')
    assert await service.install_default_model(conn, tmp_path) is None
    (tmp_path / "quick-2.skops").write_bytes(quick_artifact(2))
    (tmp_path / "quick-2.json").write_bytes(msgspec.json.encode({
        "name": "quick", "version": "quick-2", "created_at": "2026-01-02T00:00:00+00:00",
        "training_data": {"counties": []}, "metrics": {"beats_baselines": True}}))
    assert await service.install_default_model(conn, tmp_path) == "quick-2"
    assert await conn.fetchval("SELECT version FROM active_models WHERE county_code = '000000'") == "quick-2"
