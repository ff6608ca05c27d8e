"""A reveal is never kept for an Idempotency-Key replay: the key is ignored, every reveal runs and is
audited anew, and `idempotency_keys` never holds a full ID number or phone."""

from __future__ import annotations

import asyncpg

from tests.conftest import Api
from tests.registry.test_households import HEAD, create

PHONE = "13912345678"


async def reveals(api: Api, person_id: str) -> list[str]:
    log = (await api.get("/api/audit", "admin_a", params={"action": "reveal", "object_id": person_id})).json()
    return [e["actor_name"] for e in log["items"]]


async def test_a_reveal_with_an_idempotency_key_runs_and_is_audited_every_time_and_is_never_stored(
        api: Api, conn: asyncpg.Connection) -> None:
    head = (await create(api))["members"][0]
    url = f"/api/people/{head['id']}/reveal"
    answers = [await api.http.post(url, headers={**api.token("surveyor_a"), "Idempotency-Key": "r-1"})
               for _ in range(3)]

    for answer in answers:
        assert answer.status_code == 200
        assert answer.json() == {"person_id": head["id"], "id_number": HEAD, "phone": PHONE}
        assert "idempotent-replayed" not in answer.headers  # produced now, not a stored copy
        assert "no-store" in answer.headers["cache-control"]
    assert await reveals(api, head["id"]) == ["surveyor_a"] * 3
    stored = await conn.fetch("SELECT key, body FROM idempotency_keys")
    assert [r["key"] for r in stored] == []
    assert not any(HEAD.encode() in bytes(r["body"] or b"") or PHONE.encode() in bytes(r["body"] or b"")
                   for r in await conn.fetch("SELECT body FROM idempotency_keys"))


async def test_a_refused_reveal_with_a_key_is_not_stored_either(api: Api, conn: asyncpg.Connection) -> None:
    head = (await create(api))["members"][0]
    response = await api.http.post(f"/api/people/{head['id']}/reveal",
                                   headers={**api.token("official_a"), "Idempotency-Key": "r-2"})
    assert response.status_code == 403
    assert await conn.fetchval("SELECT count(*) FROM idempotency_keys") == 0
    assert await reveals(api, head["id"]) == []


async def test_other_posts_with_a_key_are_still_replayed(api: Api, conn: asyncpg.Connection) -> None:
    """The exemption is the reveal's own: creating a household with a key is replayed as before."""
    from tests.registry.test_households import household

    headers = {**api.token("surveyor_a"), "Idempotency-Key": "h-1"}
    first = await api.http.post("/api/households", json=household(), headers=headers)
    again = await api.http.post("/api/households", json=household(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    body = bytes(await conn.fetchval("SELECT body FROM idempotency_keys WHERE key = 'h-1'"))
    assert HEAD.encode() not in body and PHONE.encode() not in body  # the stored answer is masked
