from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader, State
from litestar.params import FromPath, JSONBody

from training.auth import service
from training.auth.guards import roles
from training.auth.jwt import issue_token
from training.auth.schemas import Account, Me, PasswordReset, TokenRequest, TokenResponse
from training.core.deps import Caller, Conn
from training.core.errors import Unauthenticated
from training.core.idempotency import SENSITIVE
from training.core.web import client_address


class AuthController(Controller):
    path = "/api/auth"
    tags = ["登录 auth"]

    @post("/token", opt={"exclude_from_auth": True, "problems": (401, 429)}, status_code=200, summary="登录，获取访问令牌")
    async def token(self, data: JSONBody[TokenRequest], state: State, request: Request[Any, Any, Any]) -> TokenResponse:
        async with state.pool.acquire() as conn:
            principal = await service.authenticate(conn, data.username, data.password, state.settings,
                                                   client_address(request.scope, state.proxies))
        if principal is None:
            raise Unauthenticated("用户名或密码错误")
        ttl = state.settings.token_ttl_seconds
        token = issue_token(request.app.state.jwt_auth, principal)
        return TokenResponse(access_token=token, token_type="bearer", role=principal.role,  # noqa: S106
                             expires_in=ttl)

    @get("/me", summary="当前登录的账号及其权限范围")
    async def me(self, principal: Caller) -> Me:
        return Me(id=principal.id, username=principal.username, role=principal.role,
                  county_code=principal.county_code, school_id=principal.school_id,
                  region_codes=list(principal.region_codes), counties=principal.counties)


class UserController(Controller):
    """Accounts, for admins: a county admin manages its county's accounts, a system admin every one.
    Every change is audited; a disable or a reset ends the account's tokens at once."""

    path = "/api/users"
    tags = ["账号 users"]
    guards = [roles("admin")]

    @get("/", summary="账号列表（管理员）：角色、范围、是否停用、是否因多次密码错误被锁定")
    async def list_(self, conn: Conn, principal: Caller) -> list[Account]:
        return await service.list_accounts(conn, principal)

    @post("/{user_id:uuid}/disable", status_code=200, summary="停用账号（其令牌立即失效；管理员账号与自己的账号只能在服务器上用 training users 处理）")
    async def disable(self, conn: Conn, principal: Caller, user_id: FromPath[UUID], state: State) -> Account:
        account = await service.set_active(conn, principal, await service.find_account(conn, principal, user_id), False)
        state.accounts.forget(user_id)  # this process at once; the others on the change's NOTIFY
        return account

    @post("/{user_id:uuid}/enable", status_code=200, summary="启用账号")
    async def enable(self, conn: Conn, principal: Caller, user_id: FromPath[UUID], state: State) -> Account:
        account = await service.set_active(conn, principal, await service.find_account(conn, principal, user_id), True)
        state.accounts.forget(user_id)
        return account

    # The answer holds the new password: never kept for an Idempotency-Key replay, nor by any cache.
    @post("/{user_id:uuid}/reset-password", status_code=200,
          summary="重置密码：生成新密码（只显示这一次），旧令牌立即失效，解除锁定",
          opt=SENSITIVE, cache_control=CacheControlHeader(no_store=True))
    async def reset_password(self, conn: Conn, principal: Caller, user_id: FromPath[UUID], state: State) -> PasswordReset:
        reset = await service.reset_password(conn, principal, await service.find_account(conn, principal, user_id))
        state.accounts.forget(user_id)
        return reset
