"""The audit log, read by admins: who did what to which object, newest first."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import asyncpg
import msgspec
from litestar import Controller, get
from litestar.params import FromQuery, QueryParameter

from training.audit import repository
from training.auth.guards import roles
from training.core.deps import Caller, Conn, PageLimit, PageOffset
from training.core.schemas import Page, paged


class AuditEntry(msgspec.Struct):
    id: int
    county_code: str
    at: datetime
    actor_id: UUID | None
    actor_name: str
    action: str
    object_type: str
    object_id: str | None
    changes: dict[str, Any]
    object_label: str | None = None  # the object's name for a reader (a person's name, a course's title, ...)
    labels: dict[str, str] = {}  # names of the ids and region codes among `changes`' values


def _mentioned(value: Any) -> list[str]:
    """The strings of a changes value (ids, codes) that may have a name."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [x for x in value if isinstance(x, str)]
    return []


async def _entries(conn: Conn, rows: list[asyncpg.Record]) -> list[AuditEntry]:
    """Entries with names in place of the ids and codes they carry, read in one query for the page."""
    refs = {(r["county_code"], r["object_id"]) for r in rows if r["object_id"]}
    for r in rows:
        changes = r["changes"] if isinstance(r["changes"], dict) else msgspec.json.decode(r["changes"])
        refs |= {(r["county_code"], text) for v in changes.values() for text in _mentioned(v)}
    found = await repository.labels(conn, sorted(refs)) if refs else {}
    out = []
    for r in rows:
        entry = AuditEntry(**{k: r[k] for k in AuditEntry.__struct_fields__ if k not in ("object_label", "labels")})
        county = r["county_code"]
        entry.object_label = found.get((county, r["object_id"])) if r["object_id"] else None
        changes = entry.changes if isinstance(entry.changes, dict) else msgspec.json.decode(entry.changes)
        entry.changes = changes
        entry.labels = {text: found[(county, text)] for v in changes.values() for text in _mentioned(v)
                        if (county, text) in found}
        out.append(entry)
    return out


class AuditController(Controller):
    path = "/api/audit"
    tags = ["审计 audit"]
    guards = [roles("admin")]

    @get("/", summary="审计日志（管理员）：按对象、操作人、动作、日期筛选")
    async def list_(
        self, conn: Conn, principal: Caller, object_type: FromQuery[str | None] = None,
        object_id: FromQuery[str | None] = None, actor: FromQuery[str | None] = None,
        action: FromQuery[str | None] = None,
        since: Annotated[date | None, QueryParameter(description="起始日期（含）")] = None,
        until: Annotated[date | None, QueryParameter(description="截止日期（含）")] = None,
        limit: PageLimit = 50, offset: PageOffset = 0,
    ) -> Page[AuditEntry]:

        page = await paged(lambda n, skip: repository.entries(
            conn, principal.counties, object_type=object_type, object_id=object_id, actor=actor, action=action,
            since=since, until=until, limit=n, offset=skip), lambda row: row, limit, offset)
        return Page(items=await _entries(conn, page.items), total=page.total, limit=limit, offset=offset)
