"""Logging in and carrying a bearer token."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import asyncpg

from tests.conftest import Api
from tests.helpers import assert_problem
from tests.seed import PASSWORD, SEED
from training.auth import service as auth
from training.auth.cache import STALE_SECONDS


async def test_login_returns_a_bearer_token_with_role_and_lifetime(api: Api) -> None:
    response = await api.post("/api/auth/token", None, json={"username": "school_a", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["role"] == "school"
    assert body["expires_in"] == 3600
    schools = await api.http.get("/api/schools", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert schools.status_code == 200


async def test_username_is_case_insensitive(api: Api) -> None:
    response = await api.post("/api/auth/token", None, json={"username": "School_A", "password": PASSWORD})
    assert response.status_code == 200


async def test_wrong_password_and_unknown_user_get_the_same_401(api: Api) -> None:
    wrong = await api.post("/api/auth/token", None, json={"username": "school_a", "password": "nope-nope"})
    unknown = await api.post("/api/auth/token", None, json={"username": "ghost", "password": PASSWORD})
    for response in (wrong, unknown):
        body = assert_problem(response, 401)
        assert body["detail"] == "用户名或密码错误"


async def test_login_body_rejects_unknown_fields(api: Api) -> None:
    response = await api.post("/api/auth/token", None,
                              json={"username": "school_a", "password": PASSWORD, "remember": True})
    body = assert_problem(response, 400)
    assert body["errors"] == [{"field": "remember", "message": "不认识的字段，请删除", "location": "body"}]


async def test_api_routes_need_a_token(api: Api) -> None:
    body = assert_problem(await api.get("/api/schools", None), 401)
    assert "Authorization" in body["detail"]
    garbage = await api.http.get("/api/schools", headers={"Authorization": "Bearer not.a.token"})
    assert_problem(garbage, 401)


async def refused_within(api: Api, headers: dict[str, str], seconds: float) -> float:
    """How long until the token is refused (401), failing after `seconds`."""
    started = time.monotonic()
    while (status := (await api.http.get("/api/schools", headers=headers)).status_code) == 200:
        assert time.monotonic() - started < seconds, f"still accepted after {seconds} s"
        await asyncio.sleep(0.02)
    assert status == 401
    return time.monotonic() - started


async def test_a_disabled_accounts_cached_token_is_refused_at_once(api: Api) -> None:
    token = api.token("official_a")
    for _ in range(2):  # the second answer comes from this process's account cache
        assert (await api.http.get("/api/schools", headers=token)).status_code == 200
    assert api.app.state.accounts.listening
    disabled = await api.post(f"/api/users/{SEED.users['official_a']}/disable", "admin_a")
    assert disabled.status_code == 200, disabled.text
    assert_problem(await api.http.get("/api/schools", headers=token), 401)
    login = await api.post("/api/auth/token", None, json={"username": "official_a", "password": PASSWORD})
    assert_problem(login, 401)


async def test_a_disable_in_another_process_ends_cached_tokens_within_moments(api: Api, conn: asyncpg.Connection
                                                                               ) -> None:
    """`training users disable` runs in a process of its own: its NOTIFY, not the cache's time bound,
    ends the token in this one."""
    token = api.token("official_a")
    for _ in range(2):
        assert (await api.http.get("/api/schools", headers=token)).status_code == 200
    account = await auth.find_account(conn, None, username="official_a")
    await auth.set_active(conn, None, account, False)  # what the CLI runs, on a connection of its own
    assert await refused_within(api, token, 1.0) < STALE_SECONDS


async def test_an_account_changed_past_the_service_is_refused_within_the_cache_bound(
        api: Api, conn: asyncpg.Connection) -> None:
    token = api.token("official_a")
    for _ in range(2):
        assert (await api.http.get("/api/schools", headers=token)).status_code == 200
    await conn.execute("UPDATE users SET active = false WHERE username = 'official_a'")  # no NOTIFY
    await refused_within(api, token, STALE_SECONDS + 1)
    login = await api.post("/api/auth/token", None, json={"username": "official_a", "password": PASSWORD})
    assert_problem(login, 401)


async def test_passwords_are_stored_as_argon2_hashes(conn: asyncpg.Connection) -> None:
    stored = await conn.fetchval("SELECT password_hash FROM users WHERE username = 'school_a'")
    assert stored.startswith("$argon2")
    assert PASSWORD not in stored


async def test_a_token_accepted_before_is_refused_once_it_expires(api: Api) -> None:
    token = api.app.state.jwt_auth.create_token(identifier=str(SEED.users["official_a"]),
                                                token_expiration=timedelta(seconds=2))
    headers = {"Authorization": f"Bearer {token}"}
    assert (await api.http.get("/api/schools", headers=headers)).status_code == 200  # verified, and remembered
    await asyncio.sleep(2.1)
    assert_problem(await api.http.get("/api/schools", headers=headers), 401)
