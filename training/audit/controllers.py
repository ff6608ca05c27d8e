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


def _entry(row: asyncpg.Record) -> AuditEntry:
    return AuditEntry(**{k: row[k] for k in AuditEntry.__struct_fields__})


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

        return await paged(lambda n, skip: repository.entries(
            conn, principal.counties, object_type=object_type, object_id=object_id, actor=actor, action=action,
            since=since, until=until, limit=n, offset=skip), _entry, limit, offset)
