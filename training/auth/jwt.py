"""Bearer tokens: Litestar's JWTAuth, with the caller's account checked on each request (from the
process's account cache, `training.auth.cache`, which every account change empties at once) so a
disabled account takes effect at once. A token carries its account's token version
(`ver`); a password change, a reset or a disable raises the version, so every token issued before it
stops working. Only `Authorization: Bearer <token>` is accepted (any other scheme is a 401)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware.authentication import AuthenticationResult
from litestar.security.jwt import JWTAuth, JWTAuthenticationMiddleware, Token

from training.auth.cache import AccountCache
from training.auth.service import principal_from
from training.core.config import Settings
from training.core.security import Principal

VERSION_CLAIM = "ver"


# Tokens whose signature and claims have been checked, by (secret, token): a token is the same every
# time it comes, so only its expiry needs checking again (decoding it was 5 % of a read's CPU).
_VERIFIED: dict[tuple[str, str], Token] = {}
_VERIFIED_MOST = 10_000


class BearerOnly(JWTAuthenticationMiddleware):
    """Litestar takes whatever follows the first space, whatever the scheme word; only Bearer is ours."""

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        scheme, _, token = connection.headers.get(self.auth_header, "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthorizedException("请使用 Authorization: Bearer <令牌> 登录后访问")
        return await self.authenticate_token(encoded_token=token.strip(), connection=connection)

    async def authenticate_token(self, encoded_token: str,
                                 connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        key = (self.token_secret, encoded_token)
        token = _VERIFIED.get(key)
        if token is None or token.exp <= datetime.now(UTC):
            _VERIFIED.pop(key, None)
            token = self.token_cls.decode(  # raises on a bad signature, claim or expiry
                encoded_token=encoded_token, secret=self.token_secret, algorithm=self.algorithm,
                audience=self.token_audience, issuer=self.token_issuer, require_claims=self.require_claims,
                verify_exp=self.verify_expiry, verify_nbf=self.verify_not_before,
                strict_audience=self.strict_audience)
            if "nbf" not in token.extras:  # one valid from a later time is checked each time
                if len(_VERIFIED) >= _VERIFIED_MOST:
                    _VERIFIED.clear()
                _VERIFIED[key] = token
        user = await self.retrieve_user_handler(token, connection)
        if not user or (self.revoked_token_handler and await self.revoked_token_handler(token, connection)):
            raise NotAuthorizedException()
        return AuthenticationResult(user=user, auth=token)


async def retrieve_principal(token: Token, connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    try:
        user_id = UUID(token.sub)
    except ValueError:
        return None
    accounts: AccountCache = connection.app.state.accounts
    pool = connection.app.state.pool
    # A token without the claim predates versions: it is as old as version 0.
    version = token.extras.get(VERSION_CLAIM, 0)
    row = await accounts.account(pool, user_id)
    if row is not None and (not row["active"] or version != row["token_version"]):
        # Refused only on the database's word: a cached row may predate a token just issued (a new
        # version after a password reset).
        row = await accounts.account(pool, user_id, fresh=True)
    if row is None or not row["active"] or version != row["token_version"]:
        return None
    return principal_from(row)


def issue_token(jwt_auth: JWTAuth[Principal, Token], principal: Principal) -> str:
    return jwt_auth.create_token(identifier=str(principal.id), token_extras={VERSION_CLAIM: principal.token_version})


def make_jwt_auth(settings: Settings) -> JWTAuth[Principal, Token]:
    return JWTAuth[Principal, Token](
        retrieve_user_handler=retrieve_principal,
        token_secret=settings.secret_key,
        default_token_expiration=timedelta(seconds=settings.token_ttl_seconds),
        exclude=["^/schema", "^/static/", "^/health$", "^/$", "^/favicon.ico$"],
        openapi_security_scheme_name="BearerToken",
        description="POST /api/auth/token 获取令牌，然后在请求头中使用 Authorization: Bearer <token>",
        authentication_middleware_class=BearerOnly,
    )
