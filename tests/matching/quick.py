"""Small models fitted on synthetic pairs, stored the way `training train` stores them, for tests of
listing and switching that do not need a county history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg

from tests.matching.test_features import synthetic
from training.matching import service
from training.matching.pipeline import dump, fit


def quick_artifact(seed: int) -> bytes:
    _, matrix, labels, weights = synthetic(n=800, seed=seed)
    completion = fit(matrix, labels, weights)
    return dump(*completion, *completion)


async def store_quick_model(conn: asyncpg.Connection, seed: int, name: str = "quick") -> str:
    artifact = quick_artifact(seed)
    version = f"2026010{seed}000000-q{seed}"
    card: dict[str, Any] = {
        "name": name, "version": version, "created_at": datetime(2026, 1, seed, tzinfo=UTC).isoformat(),
        "training_data": {"counties": ["513435"]},
        "metrics": {"model": {"ndcg": 0.5 + seed / 100}, "beats_baselines": True}}
    await service.store_model(conn, artifact, card)
    return version
