"""`training simulate` as an administrator runs it: progress on stderr as it goes, a summary at the
end, and a clear refusal (no traceback) for bad arguments or a county it cannot simulate."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from tests.cli.test_cli import assert_failed, training
from tests.helpers import today


@pytest.mark.parametrize(("args", "says"), [
    (["--county", "51343"], ["县代码应为 6 位"]),
    (["--county", "513435", "--households", "0"], ["--households", "0"]),
    (["--county", "513435", "--years", "11"], ["--years", "11"]),
    (["--county", "513435", "--today", "2026-13-01"], ["--today", "不是日期"]),
    (["--county", "513437"], ["513437", "还没有村级区划", "training regions load"]),
], ids=["county code", "households", "years", "today", "county without villages"])
async def test_simulate_refuses_bad_arguments_with_a_clear_message(database: str, tmp_path: Path,
                                                                   args: list[str], says: list[str]) -> None:
    result = await training(database, tmp_path, "simulate", *args)

    assert_failed(result, *says)


async def test_simulate_prints_progress_then_a_summary_and_refuses_a_second_run(
        database: str, tmp_path: Path, conn: asyncpg.Connection) -> None:
    result = await training(database, tmp_path, "simulate", "--county", "513435", "--households", "8",
                            "--years", "1", "--seed", "2", "--workers", "1", "--today", today().isoformat())

    assert result.exit_code == 0, result.output
    for step in ("学校、专业、教师与课程", "导入台账", "培训班"):
        assert step in result.stderr, result.stderr
    assert "模拟完成" in result.stdout and "指纹" in result.stdout
    households = await conn.fetchval("SELECT count(*) FROM households WHERE county_code = '513435'")
    assert households == 8
    assert f"农户 {households}" in result.stdout

    again = await training(database, tmp_path, "simulate", "--county", "513435", "--households", "8")

    assert_failed(again, "已有农户")
    assert await conn.fetchval("SELECT count(*) FROM households WHERE county_code = '513435'") == 8


def test_simulate_explains_itself() -> None:
    from click.testing import CliRunner

    from training.cli import main

    result = CliRunner().invoke(main, ["simulate", "--help"])

    assert result.exit_code == 0
    for text in ("--county", "--households", "--years", "--seed", "--today", "docs/simulation.md", "模拟"):
        assert text in result.output
