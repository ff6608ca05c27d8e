""""Today" comes from one place: the service's configured time zone (`Settings.today()`, built on
`training.core.config.today_in`). Neither the machine's zone (`date.today()`, `datetime.now()`) nor the
database session's (`current_date`, `now()::date`) may decide a business date: the two disagree for
hours every day when the machine or the database is not in the county's zone, and tests that mixed them
failed under TZ=Pacific/Kiritimati. Timestamps (`now()` for created_at, `datetime.now(UTC)`) are fine.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = [
    (re.compile(r"\bcurrent_date\b", re.IGNORECASE), "the database's current_date"),
    (re.compile(r"\b(now\(\)|current_timestamp|localtimestamp)\s*::\s*date\b", re.IGNORECASE), "the database's day"),
    (re.compile(r"\blocaltimestamp\b", re.IGNORECASE), "the database's local time"),
    (re.compile(r"\bdate\.today\("), "the machine's day"),
    (re.compile(r"\bdatetime\.today\("), "the machine's day"),
    (re.compile(r"\bdatetime\.now\((?!UTC\))"), "a clock not in UTC (use Settings.today() or today_in)"),
    (re.compile(r"\btime\.localtime\("), "the machine's local time"),
]
ONE_PLACE = ROOT / "training" / "core" / "config.py"


def reasons(line: str) -> list[str]:
    return [why for pattern, why in FORBIDDEN if pattern.search(line)]


def offenders(files: list[Path]) -> list[str]:
    found: list[str] = []
    for path in files:
        if path in (ONE_PLACE, Path(__file__).resolve()):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            found += [f"{path.relative_to(ROOT)}:{number}: {why}: {line.strip()}" for why in reasons(line)]
    return found


def test_business_dates_come_from_the_configured_zone_only() -> None:
    files = [p for folder in ("training", "tests", "bench") for p in sorted((ROOT / folder).rglob("*.py"))]
    files += sorted((ROOT / "migrations").glob("*.sql"))
    assert offenders(files) == []


def test_the_checker_finds_each_way_of_asking_the_wrong_clock() -> None:
    wrong = ['"SELECT current_date - 3"', '"WHERE d >= now()::date"', "date.today()", "datetime.now()",
             'datetime.now(ZoneInfo("Asia/Shanghai"))', "datetime.today()", '"CURRENT_TIMESTAMP :: date"']
    right = ["datetime.now(UTC)", "settings.today()", '"updated_at = now()"', "today_in(TIMEZONE)"]
    assert [line for line in wrong if not reasons(line)] == []
    assert [line for line in right if reasons(line)] == []
