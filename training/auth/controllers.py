from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import JSONBody

from training.auth import service
from training.auth.schemas import Me, TokenRequest, TokenResponse
from training.core.deps import Caller
from training.core.errors import Unauthenticated


class AuthController(Controller):
    path = "/api/auth"
    tags = ["登录 auth"]

    @post("/token", opt={"exclude_from_auth": True, "problems": (401, 429)}, status_code=200, summary="登录，获取访问令牌")
    async def token(self, data: JSONBody[TokenRequest], state: State, request: Request[Any, Any, Any]) -> TokenResponse:
        async with state.pool.acquire() as conn:
            principal = await service.authenticate(conn, data.username, data.password)
        if principal is None:
            raise Unauthenticated("用户名或密码错误")
        ttl = state.settings.token_ttl_seconds
        token = request.app.state.jwt_auth.create_token(identifier=str(principal.id))
        return TokenResponse(access_token=token, token_type="bearer", role=principal.role,  # noqa: S106
                             expires_in=ttl)

    @get("/me", summary="当前登录的账号及其权限范围")
    async def me(self, principal: Caller) -> Me:
        return Me(id=principal.id, username=principal.username, role=principal.role,
                  county_code=principal.county_code, school_id=principal.school_id,
                  region_codes=list(principal.region_codes), counties=principal.counties)
