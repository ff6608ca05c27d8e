"""Idempotency-Key: stored answers expire after the TTL (they carry names and masked ID numbers), and an
upload is fingerprinted as it streams through to the app, never held whole by the middleware."""

from __future__ import annotations

import hashlib
import tracemalloc
import uuid
from typing import Any

import asyncpg
import msgspec

from tests.conftest import Api, serving
from tests.enrolment.test_enrolment import enrol, people
from tests.helpers import assert_problem, published_session
from tests.ledger.nasty import clean_rows, ledger
from tests.seed import SEED
from training.core.config import Settings
from training.core.idempotency import Fingerprint, idempotency_middleware
from training.core.security import Principal

CHUNK = 64 * 1024
UPLOAD = 32 * 1024 * 1024


async def stored_keys(conn: asyncpg.Connection) -> list[str]:
    return [r["key"] for r in await conn.fetch("SELECT key FROM idempotency_keys ORDER BY key")]


async def age(conn: asyncpg.Connection, key: str, hours: int) -> None:
    await conn.execute("UPDATE idempotency_keys SET created_at = now() - make_interval(hours => $2) WHERE key = $1",
                       key, hours)


async def test_a_stored_answer_older_than_the_ttl_is_gone_and_its_key_can_be_used_again(
        api: Api, conn: asyncpg.Connection) -> None:
    session = await published_session(api)
    first, second, third = await people(api, 3)
    assert (await enrol(api, session, first, **{"Idempotency-Key": "old"})).status_code == 201
    assert await stored_keys(conn) == ["old"]
    await age(conn, "old", 25)

    # Any later claim deletes expired answers on its way.
    assert (await enrol(api, session, second, **{"Idempotency-Key": "new"})).status_code == 201
    assert await stored_keys(conn) == ["new"]
    # The expired key now names a new request: it runs (no 422 for another body, no stale replay).
    reused = await enrol(api, session, third, **{"Idempotency-Key": "old"})
    assert reused.status_code == 201 and "idempotent-replayed" not in reused.headers
    assert reused.json()["person_id"] == third
    # A fresh answer is still replayed within the TTL.
    again = await enrol(api, session, third, **{"Idempotency-Key": "old"})
    assert again.headers["idempotent-replayed"] == "true" and again.json() == reused.json()


async def test_an_expired_key_is_reusable_even_before_anything_prunes_it(api: Api, conn: asyncpg.Connection) -> None:
    session = await published_session(api)
    first, second = await people(api, 2)
    assert (await enrol(api, session, first, **{"Idempotency-Key": "k"})).status_code == 201
    await age(conn, "k", 25)
    reused = await enrol(api, session, second, **{"Idempotency-Key": "k"})
    assert reused.status_code == 201 and reused.json()["person_id"] == second


async def test_the_service_prunes_expired_answers_when_it_starts_with_the_configured_ttl(
        api: Api, conn: asyncpg.Connection, database: str, settings: Settings) -> None:
    session = await published_session(api)
    first, second = await people(api, 2)
    for person, key in ((first, "two-hours-old"), (second, "fresh")):
        assert (await enrol(api, session, person, **{"Idempotency-Key": key})).status_code == 201
    await age(conn, "two-hours-old", 2)
    async with serving(database, msgspec.structs.replace(settings, idempotency_ttl_hours=1)):
        assert await stored_keys(conn) == ["fresh"]


async def test_a_multipart_upload_replays_and_another_file_under_the_same_key_is_refused(api: Api) -> None:
    content = ledger(clean_rows())

    async def upload(body: bytes) -> Any:
        return await api.http.post("/api/ledger/import", files={"file": ("台账.xlsx", body)},
                                   headers={**api.token("surveyor_a"), "Idempotency-Key": "ledger-1"})

    first = await upload(content)
    assert first.status_code == 200, first.text
    again = await upload(content)
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    other = ledger(clean_rows()[:2])
    assert "Idempotency-Key" in assert_problem(await upload(other), 422)["title"]


def surveyor() -> Principal:
    return Principal(id=SEED.users["surveyor_a"], username="surveyor_a", role="surveyor", county_code="513435",
                     school_id=None, region_codes=())


def chunks_of(total: int, seed: bytes) -> tuple[Any, hashlib._Hash]:
    """An ASGI receive() yielding `total` bytes in CHUNK pieces made on demand, and the expected hash."""
    expected = hashlib.sha256(b"/api/ledger/import\0\0")
    sent = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        piece = hashlib.shake_256(seed + sent.to_bytes(8, "big")).digest(CHUNK)
        expected.update(piece)
        sent += CHUNK
        return {"type": "http.request", "body": piece, "more_body": sent < total}

    return receive, expected


async def test_an_upload_is_fingerprinted_chunk_by_chunk_without_being_held(api: Api, conn: asyncpg.Connection) -> None:
    seen: list[int] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        """Stands in for the route: reads the upload chunk by chunk and keeps only its size."""
        more = True
        while more:
            message = await receive()
            seen.append(len(message["body"]))
            more = message["more_body"]
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"rows": 0}'})

    answers: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        answers.append(message)

    scope: Any = {"type": "http", "method": "POST", "path": "/api/ledger/import", "query_string": b"",
             "headers": [(b"idempotency-key", b"big-upload"), (b"content-type", b"multipart/form-data; boundary=b")],
             "user": surveyor(), "litestar_app": api.app}
    middleware = idempotency_middleware(app)
    receive, expected = chunks_of(UPLOAD, b"one")
    tracemalloc.start()
    try:
        await middleware(scope, receive, send)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sum(seen) == UPLOAD and max(seen) == CHUNK  # the app got every chunk as it came
    assert peak < 16 * CHUNK, f"the middleware held {peak} bytes of a {UPLOAD}-byte upload"
    stored = await conn.fetchval("SELECT request_hash FROM idempotency_keys WHERE key = 'big-upload'")
    assert bytes(stored) == expected.digest()

    # The retry is recognised from its fingerprint alone, again without holding it, and the app does not run.
    seen.clear()
    answers.clear()
    receive, _ = chunks_of(UPLOAD, b"one")
    tracemalloc.start()
    try:
        await middleware(scope, receive, send)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == [] and peak < 16 * CHUNK
    assert (answers[0]["status"], answers[1]["body"]) == (200, b'{"rows": 0}')
    assert (b"idempotent-replayed", b"true") in answers[0]["headers"]


class Limited:
    """The route's request size limit, as Litestar resolves it."""

    def resolve_request_max_body_size(self) -> int:
        return 1000


async def test_a_body_over_the_routes_limit_is_refused_before_anything_reads_it(api: Api) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the route must not run")

    async def receive() -> Any:
        raise AssertionError("nothing may read the body")

    answers: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        answers.append(message)

    scope: Any = {"type": "http", "method": "POST", "path": "/api/ledger/import", "query_string": b"",
             "headers": [(b"idempotency-key", b"huge"), (b"content-length", b"5000")],
             "user": surveyor(), "litestar_app": api.app, "route_handler": Limited()}
    await idempotency_middleware(app)(scope, receive, send)
    assert answers[0]["status"] == 413


async def test_a_streamed_body_over_the_limit_is_refused_on_a_retry_without_being_held(
        api: Api, conn: asyncpg.Connection) -> None:
    await conn.execute("""INSERT INTO idempotency_keys (county_code, user_id, key, request_hash, status_code, headers, body)
                          VALUES ('513435', $1, 'k', $2, 200, '[]', '')""", SEED.users["surveyor_a"], b"x" * 32)
    answers: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        answers.append(message)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the route must not run")

    receive, _ = chunks_of(10 * CHUNK, b"two")
    scope: Any = {"type": "http", "method": "POST", "path": "/api/ledger/import", "query_string": b"",
             "headers": [(b"idempotency-key", b"k")], "user": surveyor(), "litestar_app": api.app,
             "route_handler": Limited(), "id": uuid.uuid4()}
    await idempotency_middleware(app)(scope, receive, send)
    assert answers[0]["status"] == 413


def form(boundary: str, content: bytes) -> bytes:
    return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.xlsx\"\r\n\r\n".encode()
            + content + f"\r\n--{boundary}--\r\n".encode())


def fingerprint(boundary: str, body: bytes, size: int) -> bytes:
    scope: Any = {"path": "/api/ledger/import", "query_string": b"",
                  "headers": [(b"content-type", f"multipart/form-data; boundary={boundary}".encode())]}
    hashed = Fingerprint(scope, None)
    for at in range(0, len(body), size):
        hashed.feed({"type": "http.request", "body": body[at:at + size], "more_body": at + size < len(body)})
    assert hashed.complete
    return hashed.digest()


def test_a_form_retried_with_a_new_boundary_is_the_same_request_however_it_is_chunked() -> None:
    first = fingerprint("a1b2c3d4", form("a1b2c3d4", b"ledger bytes"), 1000)
    assert fingerprint("zz99", form("zz99", b"ledger bytes"), 3) == first
    assert fingerprint("0123456789abcdef", form("0123456789abcdef", b"ledger bytes"), 7) == first
    assert fingerprint("zz99", form("zz99", b"ledger bytez"), 5) != first
