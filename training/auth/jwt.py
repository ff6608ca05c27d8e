"""Bearer tokens: Litestar's JWTAuth, with the caller re-read from the database on each request so a
disabled account or a changed scope takes effect at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.security.jwt import JWTAuth, Token

from training.auth import repository
from training.auth.service import principal_from
from training.core.config import Settings
from training.core.security import Principal


async def retrieve_principal(token: Token, connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    try:
        user_id = UUID(token.sub)
    except ValueError:
        return None
    row = await repository.by_id(connection.app.state.pool, user_id)
    if row is None or not row["active"]:
        return None
    return principal_from(row)


def make_jwt_auth(settings: Settings) -> JWTAuth[Principal, Token]:
    return JWTAuth[Principal, Token](
        retrieve_user_handler=retrieve_principal,
        token_secret=settings.secret_key,
        default_token_expiration=timedelta(seconds=settings.token_ttl_seconds),
        exclude=["^/schema", "^/static/", "^/health$", "^/$", "^/favicon.ico$"],
        openapi_security_scheme_name="BearerToken",
        description="POST /api/auth/token 获取令牌，然后在请求头中使用 Authorization: Bearer <token>",
    )
