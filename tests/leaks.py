"""The suite-wide leak watch: every response body, CLI output and log line produced while the tests run
(service and access logs, PostgreSQL's own log files) is scanned for a full ID number or mobile phone
number, and the run fails on any found outside an audited reveal.

`tests/conftest.py` wires it in: `serving()` puts `watch_asgi` around the app, a handler on the root
logger feeds `WATCH.text`, Click's test runner reports its output, and the server logs are read when
the run ends. New tests are covered without doing anything.

Only a full number counts: an ID number whose GB 11643 check digit is right (a typo or a masked
`513***1234` is not one), an 11-digit mobile number starting 13-19 standing alone. An xlsx answer is
unzipped and its sheets scanned, so a masked export that leaks a number is caught too.
"""

from __future__ import annotations

import io
import logging
import os
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from stdnum.cn import ric

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9A-Za-z.])(1[3-9]\d{9})(?![0-9A-Za-z.])")
_REVEAL_PATH = re.compile(r"^/api/people/[0-9a-f-]{36}/reveal$")
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def full_numbers(text: str) -> list[str]:
    """Every full ID number (right check digit) and mobile phone number in `text`."""
    found = [m for m in _ID_NUMBER.findall(text) if ric.calc_check_digit(m.upper()) == m[17].upper()]
    return found + _MOBILE.findall(text)


def _mask(number: str) -> str:
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def xlsx_text(content: bytes) -> str:
    """The XML of every part of a workbook (shared strings and sheets), or "" if it is not one."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            return "\n".join(book.read(name).decode("utf-8", "replace") for name in book.namelist()
                             if name.endswith(".xml"))
    except (zipfile.BadZipFile, OSError, ValueError):
        return ""


def audited_reveal(method: str, path: str, query: str, status: int, replayed: bool) -> bool:
    """The answers allowed to carry full numbers: a reveal the service ran (and so audited) just now,
    never a stored answer replayed for an Idempotency-Key."""
    if status >= 300 or replayed:
        return False
    if method == "POST" and _REVEAL_PATH.match(path):
        return True
    return (method == "GET" and path == "/api/ledger/export"
            and parse_qs(query).get("reveal", [""])[-1].lower() in ("true", "1"))


@dataclass
class Watch:
    """What was scanned and what was found; findings keep only masked numbers and where they were."""

    findings: list[str] = field(default_factory=list)
    responses: int = 0
    lines: int = 0
    server_logs: int = 0
    file: str | None = None

    def text(self, where: str, text: str) -> None:
        for number in full_numbers(text):
            for shown in full_numbers(where):  # a query string or CLI argument may hold one too
                where = where.replace(shown, _mask(shown))
            self.findings.append(f"{where}: {_mask(number)}")
            if self.file:  # as found, for a run that may not reach its end
                with open(self.file, "a", encoding="utf-8") as out:
                    out.write(self.findings[-1] + "\n")

    def response(self, method: str, path: str, query: str, status: int, headers: dict[str, str],
                 body: bytes) -> None:
        self.responses += 1
        replayed = headers.get("idempotent-replayed") == "true"
        if audited_reveal(method, path, query, status, replayed):
            return
        where = f"response {method} {path}{'?' + query if query else ''} {status}{' (replayed)' if replayed else ''}"
        kind = headers.get("content-type", "")
        self.text(where, xlsx_text(body) if kind.startswith(_XLSX) else body.decode("utf-8", "replace"))
        self.text(where + " headers", " ".join(headers.values()))

    def server_log(self, path: Path) -> None:
        self.server_logs += 1
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            self.text(f"PostgreSQL log {path}:{n}", line)

    def report(self) -> str:
        shown = "\n".join(f"  - {f}" for f in self.findings[:50])
        more = f"\n  … and {len(self.findings) - 50} more" if len(self.findings) > 50 else ""
        return (f"full ID numbers or phones outside an audited reveal ({len(self.findings)}; scanned "
                f"{self.responses} responses, {self.lines} log lines, {self.server_logs} server logs):\n"
                f"{shown}{more}")


WATCH = Watch(file=os.environ.get("LEAK_WATCH_FILE"))


# The tests' own HTTP client logs the address it calls, query string and all: the caller's log, not the service's.
CLIENT_LOGGERS = ("httpx", "httpcore")


class LogWatch(logging.Handler):
    """Every log record of the run, formatted as a log file would show it (with its traceback)."""

    def __init__(self, watch: Watch) -> None:
        super().__init__(logging.DEBUG)
        self.watch = watch
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(CLIENT_LOGGERS):
            return
        try:
            line = self.format(record)
        except Exception:  # a record that cannot be formatted would not reach a log file either
            return
        self.watch.lines += 1
        self.watch.text(f"log {record.name} {record.levelname}", line)


def watch_asgi(app: Any, watch: Watch = WATCH) -> Any:
    """`app` with every HTTP answer's status, headers and body reported to `watch`."""

    async def watched(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        status, headers, body = 0, {}, bytearray()

        async def capture(message: Any) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in message.get("headers", [])}
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
            await send(message)

        try:
            await app(scope, receive, capture)
        finally:
            watch.response(scope.get("method", ""), scope["path"], scope.get("query_string", b"").decode("latin-1"),
                           status, headers, bytes(body))

    return watched


def server_logs(roots: Iterable[Path]) -> list[Path]:
    """The log file of every embedded PostgreSQL data directory under `roots` (pgdata/log)."""
    return sorted({p for root in roots if root.exists() for p in root.rglob("log")
                   if p.is_file() and (p.parent / "PG_VERSION").exists()})
