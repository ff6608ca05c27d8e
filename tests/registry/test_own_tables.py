"""The registry and the ledger read and write only the registry's tables (and the shared reference
tables): what another slice knows — which people a school may read, from its enrolments — reaches them
through that slice's service, wired by the composition root, never by SQL on its tables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TRAINING = Path(__file__).resolve().parents[2] / "training"
OTHER_SLICES_TABLES = {"schools", "majors", "teachers", "equipment", "courses", "sessions", "session_teachers",
                       "packages", "package_villages", "package_sessions", "enrolments", "attendance", "employment",
                       "users", "idempotency_keys"}
TABLE_USE = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE|EXISTS\s*\(\s*SELECT\s+1\s+FROM)\s+([a-z_]+)", re.IGNORECASE)


def tables_used(path: Path) -> set[str]:
    return {m.group(1).lower() for m in TABLE_USE.finditer(path.read_text(encoding="utf-8"))}


@pytest.mark.parametrize("path", sorted([*TRAINING.glob("registry/*.py"), *TRAINING.glob("ledger/*.py")]),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_only_the_registrys_own_tables(path: Path) -> None:
    assert tables_used(path) & OTHER_SLICES_TABLES == set()


def test_the_checker_sees_a_cross_slice_read(tmp_path: Path) -> None:
    old = tmp_path / "repository.py"
    old.write_text('"""EXISTS (SELECT 1 FROM enrolments e WHERE e.school_id = $16)"""', encoding="utf-8")
    assert tables_used(old) & OTHER_SLICES_TABLES == {"enrolments"}
