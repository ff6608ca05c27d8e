"""`training train` and `training evaluate` as an administrator runs them."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from tests.cli.test_cli import assert_failed, training
from tests.matching.history import History
from tests.seed import COUNTY_A


async def test_train_writes_stores_and_activates_and_evaluate_prints_the_figures(
        hdsn: str, history: History, tmp_path: Path) -> None:
    out = tmp_path / "models"
    result = await training(hdsn, tmp_path / "data", "train", "--county", COUNTY_A, "--name", "cli", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "读取培训历史" in result.stderr and "检验集" in result.stderr  # progress goes to stderr
    assert "优于两个基线" in result.stdout and "已启用模型" in result.stdout
    artifacts = sorted(out.glob("cli-*.skops"))
    assert len(artifacts) == 1 and artifacts[0].with_suffix(".json").exists()
    version = artifacts[0].stem.removeprefix("cli-")

    result = await training(hdsn, tmp_path / "data", "evaluate", "--county", COUNTY_A)
    assert result.exit_code == 0, result.output
    for text in (f"模型 {version}", "hit@1", "NDCG", "Brier", "基线：最热门工种", "基线：第一意向", "sex: men=",
                 "ethnicity: han=", "disability: without="):
        assert text in result.stdout, result.stdout

    # --no-activate stores a second version and leaves the first active.
    result = await training(hdsn, tmp_path / "data", "train", "--county", COUNTY_A, "--name", "cli", "--no-activate",
                            "-o", str(out))
    assert result.exit_code == 0 and "未启用（--no-activate）" in result.stdout
    conn = await asyncpg.connect(hdsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM models WHERE name = 'cli'") == 2
        assert await conn.fetchval("SELECT version FROM active_models WHERE county_code = $1", COUNTY_A) == version
    finally:
        await conn.close()


async def test_train_without_history_explains_itself(database: str, tmp_path: Path) -> None:
    result = await training(database, tmp_path / "data", "train", "--county", COUNTY_A, "-o", str(tmp_path))
    assert_failed(result, "没有可用于训练的培训记录")
    assert_failed(await training(database, tmp_path / "data", "train", "--name", "../x"), "--name")
