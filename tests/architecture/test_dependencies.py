"""The code's shape, as a specification: dependencies point one way.

- `training.core` knows no slice: it imports only `training.core`.
- A slice (`training/<area>/`) imports `training.core`, its own modules, and of another slice only
  that slice's public face: `service` and `schemas` (and, for `auth`, its `guards` and `policy`).
  Another slice's `repository`, `controllers` or private helpers are off limits: a rule lives in one
  place and is reached through its service.
- The composition root (`training/app.py`, `cli.py`, `lifecycle.py`, `__main__.py`) may import anything.

A new wrong-way import fails `test_no_wrong_way_imports` with the file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "training"
COMPOSITION_ROOT = {"app.py", "cli.py", "lifecycle.py", "__main__.py", "__init__.py"}
PUBLIC = {"service", "schemas"}
PUBLIC_BY_SLICE = {"auth": PUBLIC | {"guards", "policy"}}


def _is_module(dotted: str) -> bool:
    path = ROOT.parent / Path(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Every `training.*` module a file imports (resolving `from training.x import module`)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("training")]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module.startswith("training"):
            for alias in node.names:
                target = f"{node.module}.{alias.name}"
                found.append((node.lineno, target if _is_module(target) else node.module))
    return found


def violation(path: Path, target: str) -> str | None:
    rel = path.relative_to(ROOT)
    parts = target.split(".")
    if len(rel.parts) == 1:  # the composition root
        return None if rel.name in COMPOSITION_ROOT else f"{rel}: top-level module outside the composition root"
    area = rel.parts[0]
    if len(parts) < 2 or parts[1] == area:
        return None
    other = parts[1]
    if area == "core":
        return f"core imports the {other} slice"
    if other == "core":
        return None
    module = parts[2] if len(parts) > 2 else None
    if module in PUBLIC_BY_SLICE.get(other, PUBLIC):
        return None
    return f"{area} reaches into {target} (use {other}'s service)"


def all_violations() -> list[str]:
    out: list[str] = []
    for path in sorted(ROOT.rglob("*.py")):
        for line, target in imports_of(path):
            if (why := violation(path, target)) is not None:
                out.append(f"{path.relative_to(ROOT.parent)}:{line}: {why}")
    return out


def test_no_wrong_way_imports() -> None:
    assert all_violations() == []


@pytest.mark.parametrize(("file", "target", "wrong"), [
    ("core/deps.py", "training.registry.repository", True),
    ("core/deps.py", "training.core.rules", False),
    ("enrolment/service.py", "training.registry.service", False),
    ("enrolment/service.py", "training.registry.repository", True),
    ("ledger/service.py", "training.registry.sync", True),
    ("catalogue/controllers.py", "training.auth.guards", False),
    ("app.py", "training.registry.repository", False),
])
def test_the_checker_itself(file: str, target: str, wrong: bool) -> None:
    assert (violation(ROOT / file, target) is not None) is wrong


# SQL lives in repositories: a file that talks to the database is a slice's `repository.py` or the
# database plumbing in `core`. Rules in a service stay readable as rules, and every query is in one look.
DATABASE_CALLS = {"fetch", "fetchrow", "fetchval", "execute", "executemany", "copy_records_to_table",
                  "copy_to_table", "copy_from_query", "cursor", "prepare"}
SQL_ALLOWED = {"core/db.py", "core/audit.py", "core/idempotency.py"}


def database_calls(path: Path) -> list[int]:
    lines: list[int] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in DATABASE_CALLS and isinstance(node.func.value, ast.Name)
                and node.func.value.id in {"conn", "connection", "db", "admin", "pool"}):
            lines.append(node.lineno)
    return lines


def test_sql_lives_in_repositories() -> None:
    found = [f"{path.relative_to(ROOT.parent)}:{line}"
             for path in sorted(ROOT.rglob("*.py"))
             if path.name != "repository.py" and str(path.relative_to(ROOT)) not in SQL_ALLOWED
             for line in database_calls(path)]
    assert found == []


def test_no_private_names_of_other_modules() -> None:
    """`module._helper` from another module is a private rule leaking: make it public in its service."""
    found: list[str] = []
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        modules = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                   and n.module and n.module.startswith("training") for a in n.names
                   if _is_module(f"{n.module}.{a.name}")}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                found.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}: {node.value.id}.{node.attr}")
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("training"):
                found += [f"{path.relative_to(ROOT.parent)}:{node.lineno}: imports {node.module}.{a.name}"
                          for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
    assert found == []
