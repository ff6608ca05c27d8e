"""Logging in and carrying a bearer token."""

from __future__ import annotations

import asyncpg

from tests.conftest import Api
from tests.helpers import assert_problem
from tests.seed import PASSWORD


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


async def test_a_disabled_account_loses_access_at_once(api: Api, conn: asyncpg.Connection) -> None:
    assert (await api.get("/api/schools", "official_a")).status_code == 200
    await conn.execute("UPDATE users SET active = false WHERE username = 'official_a'")
    assert_problem(await api.get("/api/schools", "official_a"), 401)
    login = await api.post("/api/auth/token", None, json={"username": "official_a", "password": PASSWORD})
    assert_problem(login, 401)


async def test_passwords_are_stored_as_argon2_hashes(conn: asyncpg.Connection) -> None:
    stored = await conn.fetchval("SELECT password_hash FROM users WHERE username = 'school_a'")
    assert stored.startswith("$argon2")
    assert PASSWORD not in stored
