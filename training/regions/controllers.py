from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter

from training.core.deps import Conn
from training.core.schemas import Page
from training.core.security import Principal
from training.regions import service
from training.regions.schemas import Level, Region


class RegionController(Controller):
    path = "/api/regions"
    tags = ["区划 regions"]

    @get("/", summary="区划列表：给 parent_code 列下级；都不给时列县")
    async def list_(
        self, conn: Conn, principal: Principal, limit: int, offset: int,
        parent_code: Annotated[str | None, Parameter(pattern=r"^\d{12}$", description="上级 12 位区划代码")] = None,
        level: Level | None = None, q: str | None = None,
    ) -> Page[Region]:
        return await service.list_regions(conn, principal, parent_code, level, q, limit, offset)
