"""Idempotency-Key on creating POSTs: a retry with the same key and body gets the first answer again
without a second effect; the same key with another body is refused.

The key is claimed in its own committed row before the request runs, so two racing retries cannot
both run: the second is told the first is still in progress. A 5xx answer releases the key so the
client can try again.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Scope

from training.core.errors import PROBLEM_JSON

HEADER = b"idempotency-key"
STALE_SECONDS = 300


async def _send_json(send: Any, status: int, body: dict[str, Any], extra: list[tuple[bytes, bytes]]) -> None:
    payload = msgspec.json.encode(body)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(payload)).encode()),
                            *extra]})
    await send({"type": "http.response.body", "body": payload})


def idempotency_middleware(app: ASGIApp) -> ASGIApp:
    # ASGI messages are plain dicts here: the middleware only copies them through.
    async def middleware(scope: Scope, receive: Any, send: Any) -> None:
        key_header = dict(scope.get("headers", [])).get(HEADER) if scope["type"] == ScopeType.HTTP else None
        user = scope.get("user")
        if key_header is None or scope.get("method") != "POST" or user is None:
            await app(scope, receive, send)
            return
        key = key_header.decode("latin-1").strip()
        if not 1 <= len(key) <= 200:
            await _send_json(send, 400, {"type": "about:blank", "title": "请求有误", "status": 400,
                                         "detail": "Idempotency-Key 应为 1-200 个字符"}, [])
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message: dict[str, Any] = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        request_hash = hashlib.sha256(scope["path"].encode() + b"\0" + scope.get("query_string", b"") + b"\0" + body).digest()
        pool = scope["litestar_app"].state.pool
        county = user.county_code or "000000"
        async with pool.acquire() as conn:
            claimed = await conn.fetchval(
                """INSERT INTO idempotency_keys (county_code, user_id, key, request_hash) VALUES ($5, $1, $2, $3)
                   ON CONFLICT (county_code, user_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash,
                       created_at = now(), status_code = NULL, headers = NULL, body = NULL
                   WHERE idempotency_keys.status_code IS NULL
                     AND idempotency_keys.created_at < now() - make_interval(secs => $4)
                   RETURNING true""",
                user.id, key, request_hash, STALE_SECONDS, county,
            )
            if not claimed:
                stored = await conn.fetchrow(
                    """SELECT request_hash, status_code, headers, body FROM idempotency_keys
                       WHERE county_code = $3 AND user_id = $1 AND key = $2""",
                    user.id, key, county)
                assert stored is not None
                if bytes(stored["request_hash"]) != request_hash:
                    await _send_json(send, 422, {"type": "about:blank", "title": "Idempotency-Key 冲突", "status": 422,
                                                 "detail": "这个 Idempotency-Key 已用于另一个请求，请为新请求换一个"}, [])
                elif stored["status_code"] is None:
                    await _send_json(send, 409, {"type": "about:blank", "title": "请求正在处理", "status": 409,
                                                 "detail": "同一 Idempotency-Key 的请求还在处理中，请稍后重试"}, [])
                else:
                    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in stored["headers"]]
                    await send({"type": "http.response.start", "status": stored["status_code"],
                                "headers": [*headers, (b"idempotent-replayed", b"true")]})
                    await send({"type": "http.response.body", "body": bytes(stored["body"])})
                return

        delivered = False

        async def replay_body() -> dict[str, Any]:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 500
        response_headers: list[tuple[bytes, bytes]] = []
        response_body: list[bytes] = []

        async def capture(message: Any) -> None:
            nonlocal status, response_headers
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                response_body.append(message.get("body", b""))
            await send(message)

        try:
            await app(scope, replay_body, capture)  # type: ignore[arg-type]
        finally:
            async with pool.acquire() as conn:
                if status >= 500:
                    await conn.execute("DELETE FROM idempotency_keys WHERE county_code = $3 AND user_id = $1 AND key = $2",
                                       user.id, key, county)
                else:
                    kept = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response_headers
                            if k.lower() in (b"content-type", b"location")]
                    await conn.execute(
                        """UPDATE idempotency_keys SET status_code = $3, headers = $4, body = $5
                           WHERE county_code = $6 AND user_id = $1 AND key = $2""",
                        user.id, key, status, kept, b"".join(response_body), county)

    return middleware
