"""Idempotency-Key on creating POSTs: a retry with the same key and body gets the first answer again
without a second effect; the same key with another body is refused.

The key is claimed in its own committed row before the request runs, so two racing retries cannot
both run: the second is told the first is still in progress. A 5xx answer releases the key so the
client can try again.

The body is fingerprinted as it streams through to the app, never held here: an upload of tens of
megabytes costs one chunk of memory in this middleware, and a body over the route's size limit is
refused before anything reads it. A sensitive answer (a reveal) is never stored: its route ignores the
key and runs, and is audited, every time. Stored answers (they carry names and masked ID numbers) are kept
for TRAINING_IDEMPOTENCY_TTL_HOURS only: each claim deletes a batch of expired rows, and the service
deletes all of them when it starts.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Scope

from training.core.errors import PROBLEM_JSON

HEADER = b"idempotency-key"
# A route whose answer must never be kept for replay (a reveal of full ID numbers): `opt=SENSITIVE`. Such
# a request ignores the key and runs every time, so every answer is produced, and audited, anew.
SENSITIVE = {"sensitive": True}
STALE_SECONDS = 300
PRUNE_BATCH = 100  # expired rows each claim deletes on its way: bounded work per request


async def _send_json(send: Any, status: int, body: dict[str, Any], extra: list[tuple[bytes, bytes]]) -> None:
    payload = msgspec.json.encode(body)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(payload)).encode()),
                            *extra]})
    await send({"type": "http.response.body", "body": payload})


async def _too_large(send: Any, limit: int) -> None:
    await _send_json(send, 413, {"type": "about:blank", "title": "上传内容过大", "status": 413,
                                 "detail": f"请求内容超过 {limit // (1024 * 1024)} MB 的上限，请拆分后再上传"}, [])


async def prune(conn: Any, ttl_hours: int) -> int:
    """Delete every stored answer older than the TTL; returns how many went."""
    deleted: str = await conn.execute(
        "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1)", ttl_hours)
    return int(deleted.split()[-1])


class Fingerprint:
    """SHA-256 of the path, query and body, fed chunk by chunk; `complete` once the last chunk passed.

    A multipart body's boundary is random per request (browsers and HTTP clients draw a new one for
    every retry), so each boundary delimiter is hashed as one fixed token: a retry of the same form is
    the same request. A delimiter split across two chunks is caught by holding back its length - 1 bytes.
    """

    TOKEN = b"--\0boundary\0"

    def __init__(self, scope: Scope, limit: int | None) -> None:
        self._hash = hashlib.sha256(scope["path"].encode() + b"\0" + scope.get("query_string", b"") + b"\0")
        self.limit = limit
        self.size = 0
        self.complete = False
        self.too_large = False
        self._delimiter = _multipart_delimiter(dict(scope.get("headers", [])).get(b"content-type", b""))
        self._pending = b""

    def feed(self, message: Any) -> None:
        if message["type"] != "http.request":
            return
        chunk: bytes = message.get("body", b"")
        self.size += len(chunk)
        self.too_large = self.too_large or (self.limit is not None and self.size > self.limit)
        self.complete = not message.get("more_body", False)
        if self._delimiter is None:
            self._hash.update(chunk)
            return
        data, length = self._pending + chunk, len(self._delimiter)
        end = len(data) if self.complete else max(0, len(data) - (length - 1))
        at = 0
        while (found := data.find(self._delimiter, at)) != -1 and found < end:
            self._hash.update(data[at:found])
            self._hash.update(self.TOKEN)
            at = found + length
        if at < end:
            self._hash.update(data[at:end])
            at = end
        self._pending = data[at:]

    async def drain(self, receive: Any) -> None:
        """Read what is left of the body through the hash, keeping none of it."""
        while not (self.complete or self.too_large):
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            self.feed(message)

    def digest(self) -> bytes:
        return self._hash.digest()


def _multipart_delimiter(content_type: bytes) -> bytes | None:
    kind, _, params = content_type.partition(b";")
    if kind.strip().lower() != b"multipart/form-data":
        return None
    for param in params.split(b";"):
        name, _, value = param.strip().partition(b"=")
        if name.strip().lower() == b"boundary" and value.strip(b'" '):
            return b"--" + value.strip(b'" ')
    return None


def _body_limit(scope: Scope) -> int | None:
    handler = scope.get("route_handler")
    resolve = getattr(handler, "resolve_request_max_body_size", None)
    limit = resolve() if resolve is not None else None
    return limit if isinstance(limit, int) else None


def _sensitive(scope: Scope) -> bool:
    handler = scope.get("route_handler")
    return bool(getattr(handler, "opt", {}).get("sensitive"))


def _no_store(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(k.lower() == b"cache-control" and b"no-store" in v.lower() for k, v in headers)


def idempotency_middleware(app: ASGIApp) -> ASGIApp:
    # ASGI messages are plain dicts here: the middleware only copies them through.
    async def middleware(scope: Scope, receive: Any, send: Any) -> None:
        if scope.get("method") != "POST":  # the cheap test first: reads pass straight through
            await app(scope, receive, send)
            return
        headers = dict(scope.get("headers", [])) if scope["type"] == ScopeType.HTTP else {}
        key_header = headers.get(HEADER)
        user = scope.get("user")
        if key_header is None or user is None or _sensitive(scope):
            await app(scope, receive, send)
            return
        key = key_header.decode("latin-1").strip()
        if not 1 <= len(key) <= 200:
            await _send_json(send, 400, {"type": "about:blank", "title": "请求有误", "status": 400,
                                         "detail": "Idempotency-Key 应为 1-200 个字符"}, [])
            return
        limit = _body_limit(scope)
        declared = headers.get(b"content-length", b"")
        if limit is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        fingerprint = Fingerprint(scope, limit)
        state = scope["litestar_app"].state
        pool, ttl_hours = state.pool, state.settings.idempotency_ttl_hours
        county = user.county_code or "000000"
        async with pool.acquire() as conn:
            # The claim: a new key, an in-progress one abandoned for STALE_SECONDS, or an expired answer.
            # The request hash is written once the body has passed through (NULL until then). Expired
            # answers of the same county go on the way (one shard on Citus); the conflict branch compares
            # with excluded.created_at (the default, now()) because Citus refuses now() there.
            claimed = await conn.fetchval(
                """WITH expired AS (
                       DELETE FROM idempotency_keys d USING (
                           SELECT user_id, key FROM idempotency_keys
                           WHERE county_code = $4 AND created_at < now() - make_interval(hours => $5)
                             AND (user_id, key) <> ($1, $2)
                           LIMIT $6 FOR UPDATE SKIP LOCKED) old
                       WHERE d.county_code = $4 AND d.user_id = old.user_id AND d.key = old.key)
                   INSERT INTO idempotency_keys (county_code, user_id, key, request_hash) VALUES ($4, $1, $2, NULL)
                   ON CONFLICT (county_code, user_id, key) DO UPDATE SET request_hash = NULL,
                       created_at = excluded.created_at, status_code = NULL, headers = NULL, body = NULL
                   WHERE (idempotency_keys.status_code IS NULL
                          AND excluded.created_at - idempotency_keys.created_at > make_interval(secs => $3))
                      OR excluded.created_at - idempotency_keys.created_at > make_interval(hours => $5)
                   RETURNING true""",
                user.id, key, STALE_SECONDS, county, ttl_hours, PRUNE_BATCH,
            )
            stored = None if claimed else await conn.fetchrow(
                """SELECT request_hash, status_code, headers, body FROM idempotency_keys
                   WHERE county_code = $3 AND user_id = $1 AND key = $2""",
                user.id, key, county)
        if not claimed:
            if stored is None or stored["status_code"] is None:
                await _send_json(send, 409, {"type": "about:blank", "title": "请求正在处理", "status": 409,
                                             "detail": "同一 Idempotency-Key 的请求还在处理中，请稍后重试"}, [])
                return
            await fingerprint.drain(receive)
            if fingerprint.too_large:
                await _too_large(send, limit or 0)
            elif not fingerprint.complete:
                return  # the client is gone: nobody to answer
            elif bytes(stored["request_hash"]) != fingerprint.digest():
                await _send_json(send, 422, {"type": "about:blank", "title": "Idempotency-Key 冲突", "status": 422,
                                             "detail": "这个 Idempotency-Key 已用于另一个请求，请为新请求换一个"}, [])
            else:
                replayed = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in stored["headers"]]
                await send({"type": "http.response.start", "status": stored["status_code"],
                            "headers": [*replayed, (b"idempotent-replayed", b"true")]})
                await send({"type": "http.response.body", "body": bytes(stored["body"])})
            return

        async def hashing_receive() -> Any:
            message = await receive()
            fingerprint.feed(message)
            return message

        status = 500
        response_headers: list[tuple[bytes, bytes]] = []
        response_body: list[bytes] = []

        async def capture(message: Any) -> None:
            nonlocal status, response_headers
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers = list(message.get("headers", []))
                # An app that answered before reading everything (a 400, a 403): the rest of the body
                # still belongs to the fingerprint, and can only be read before the answer goes out.
                await fingerprint.drain(receive)
            elif message["type"] == "http.response.body":
                response_body.append(message.get("body", b""))
            await send(message)

        try:
            await app(scope, hashing_receive, capture)
        finally:
            async with pool.acquire() as conn:
                if status >= 500 or not fingerprint.complete or fingerprint.too_large or _no_store(response_headers):
                    # Nothing to replay: a failure, a body never read to its end, or an answer that must
                    # not be kept (the safety net behind SENSITIVE: whatever says no-store is not stored).
                    await conn.execute("DELETE FROM idempotency_keys WHERE county_code = $3 AND user_id = $1 AND key = $2",
                                       user.id, key, county)
                else:
                    kept = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response_headers
                            if k.lower() in (b"content-type", b"location")]
                    await conn.execute(
                        """UPDATE idempotency_keys SET status_code = $3, headers = $4, body = $5, request_hash = $7
                           WHERE county_code = $6 AND user_id = $1 AND key = $2""",
                        user.id, key, status, kept, b"".join(response_body), county, fingerprint.digest())

    return middleware
