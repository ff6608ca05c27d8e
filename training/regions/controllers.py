from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import FromQuery, QueryParameter

from training.core.deps import Caller, Conn, PageLimit, PageOffset
from training.core.schemas import Page
from training.regions import service
from training.regions.schemas import Level, Region


class RegionController(Controller):
    path = "/api/regions"
    tags = ["区划 regions"]

    @get("/", summary="区划列表：给 parent_code 列下级；都不给时列县")
    async def list_(
        self, conn: Conn, principal: Caller, parent_code: Annotated[str | None, QueryParameter(pattern=r"^\d{12}$", description="上级 12 位区划代码")] = None,
        level: FromQuery[Level | None] = None, q: FromQuery[str | None] = None, limit: PageLimit = 50, offset: PageOffset = 0,
    ) -> Page[Region]:
        return await service.list_regions(conn, principal, parent_code, level, q, limit, offset)
