"""HTTP routes of the recommender's models: list them with their hold-out figures, switch the active one."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import Body, FromPath

from training.auth.guards import roles
from training.core.deps import Caller, Conn
from training.matching import service
from training.matching.schemas import Activation, ModelInfo


class ModelController(Controller):
    path = "/api/models"
    tags = ["推荐模型 models"]

    @get("/", guards=[roles("admin", "official")],
         summary="推荐模型列表：版本、训练数据、检验集指标（与两个基线对比）、在哪些县启用")
    async def list_(self, conn: Conn, principal: Caller) -> list[ModelInfo]:
        return await service.list_models(conn, principal)

    @post("/{version:str}/activate", status_code=200, guards=[roles("admin")],
          summary="启用某个模型版本（管理员；县管理员为本县，系统管理员默认为全系统）；可来回切换，记审计")
    async def activate(self, conn: Conn, principal: Caller, version: FromPath[str],
                       data: Annotated[Activation | None, Body()] = None) -> ModelInfo:
        return await service.activate(conn, principal, version, data)


CONTROLLERS = [ModelController]
