"""Logins and accounts: only the Bearer scheme, tokens that end with a password change or a disable, a
lockout per (name, client address) and a slowdown per name that neither tell which names exist nor lock
an owner out, a login rate per real client (forwarded headers believed only from the configured
proxies), and admins managing accounts over the API (never an admin account)."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import Api, make_settings, serving
from tests.helpers import assert_problem
from tests.seed import PASSWORD, SEED


async def login(api: Api, username: str, password: str = PASSWORD, **headers: str) -> httpx.Response:
    return await api.http.post("/api/auth/token", json={"username": username, "password": password}, headers=headers)


async def token_of(api: Api, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = await login(api, username, password)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@asynccontextmanager
async def service(database: str, tmp_path: Path, **settings: Any) -> AsyncIterator[Api]:
    async with serving(database, make_settings(tmp_path, **settings)) as api:
        yield api


# ---------------------------------------------------------------- the scheme


@pytest.mark.parametrize("scheme", ["Token", "Basic", "JWT", "Bearer:", ""])
async def test_only_the_bearer_scheme_carries_a_token(api: Api, scheme: str) -> None:
    token = (await token_of(api, "official_a"))["Authorization"].split(" ", 1)[1]
    refused = assert_problem(await api.http.get("/api/auth/me", headers={"Authorization": f"{scheme} {token}"}), 401)
    assert "Bearer" in refused["detail"]
    for accepted in ("Bearer", "bearer", "BEARER"):  # the scheme word is case-insensitive (RFC 9110)
        assert (await api.http.get("/api/auth/me", headers={"Authorization": f"{accepted} {token}"})).status_code == 200


# ---------------------------------------------------------------- tokens end


async def test_a_password_reset_or_a_disable_ends_every_token_issued_before_it(api: Api) -> None:
    before = await token_of(api, "surveyor_b")
    admin = await token_of(api, "admin_a")
    user = str(SEED.users["surveyor_b"])
    reset = await api.http.post(f"/api/users/{user}/reset-password", headers=admin)
    assert reset.status_code == 200, reset.text
    new_password = reset.json()["password"]
    assert_problem(await api.http.get("/api/auth/me", headers=before), 401)
    after = await token_of(api, "surveyor_b", new_password)
    assert (await api.http.get("/api/auth/me", headers=after)).status_code == 200
    assert (await api.http.post(f"/api/users/{user}/disable", headers=admin)).status_code == 200
    assert_problem(await api.http.get("/api/auth/me", headers=after), 401)
    assert (await api.http.post(f"/api/users/{user}/enable", headers=admin)).status_code == 200
    assert_problem(await api.http.get("/api/auth/me", headers=after), 401)  # enabling revives no old token
    assert (await api.http.get("/api/auth/me", headers=await token_of(api, "surveyor_b", new_password))
            ).status_code == 200


# ---------------------------------------------------------------- lockout


async def test_repeated_wrong_passwords_lock_the_account_and_say_until_when_in_chinese(
        database: str, tmp_path: Path, conn: asyncpg.Connection) -> None:
    async with service(database, tmp_path, login_lockout_failures=3, login_lockout_minutes=10) as api:
        for _ in range(3):
            assert_problem(await login(api, "school_a", "wrong-password"), 401)
        locked = await login(api, "school_a")  # even the right password, while locked
        body = assert_problem(locked, 429)
        assert re.search(r"请于 \d\d:\d\d（\d{4}-\d\d-\d\d）后再试", body["detail"]), body["detail"]
        assert 540 < int(locked.headers["retry-after"]) <= 600
        assert (await login(api, "school_b")).status_code == 200, "another account is not affected"
        listed = (await api.get("/api/users", "admin_a")).json()
        shown = next(a for a in listed if a["username"] == "school_a")["locked_until"]
        assert datetime.fromisoformat(shown) == datetime.fromisoformat(body["retry_at"])
        # When the lock has run out the right password works again, and a success clears the count.
        await conn.execute("UPDATE login_failures SET locked_until = now() - interval '1 second'")
        assert (await login(api, "school_a")).status_code == 200
        for _ in range(2):
            assert_problem(await login(api, "school_a", "wrong-password"), 401)
        assert (await login(api, "school_a")).status_code == 200


async def test_an_unknown_name_locks_exactly_like_a_real_one(database: str, tmp_path: Path) -> None:
    async with service(database, tmp_path, login_lockout_failures=2, login_lockout_minutes=5) as api:
        answers: dict[str, list[tuple[int, str]]] = {}
        for name in ("school_a", "no_such_user"):
            replies = [await login(api, name, "wrong-password") for _ in range(3)]
            answers[name] = [(r.status_code, re.sub(r"\d", "0", r.json()["detail"])) for r in replies]
        assert answers["school_a"] == answers["no_such_user"]
        assert [status for status, _ in answers["school_a"]] == [401, 401, 429]


async def test_parallel_guesses_cannot_pass_the_limit(database: str, tmp_path: Path) -> None:
    async with service(database, tmp_path, login_lockout_failures=3, login_lockout_minutes=5) as api:
        replies = await asyncio.gather(*(login(api, "official_a", f"guess-{i}-wrong") for i in range(12)))
        assert sorted(r.status_code for r in replies).count(401) <= 3
        assert_problem(await login(api, "official_a"), 429)


async def test_an_admin_reset_ends_a_lockout(database: str, tmp_path: Path) -> None:
    async with service(database, tmp_path, login_lockout_failures=1, login_lockout_minutes=60) as api:
        assert_problem(await login(api, "surveyor_a", "wrong-password"), 401)
        assert_problem(await login(api, "surveyor_a"), 429)
        reset = await api.post(f"/api/users/{SEED.users['surveyor_a']}/reset-password", "admin_a")
        assert (await login(api, "surveyor_a", reset.json()["password"])).status_code == 200


async def test_guessing_from_one_address_locks_that_address_out_not_the_owner(database: str, tmp_path: Path) -> None:
    """The lockout is not a tool to shut a known account out: it locks the (name, client address) pair,
    so the owner signing in from another address is not refused."""
    async with service(database, tmp_path, login_lockout_failures=3, login_lockout_minutes=10,
                       trusted_proxies=("127.0.0.1/32",)) as api:
        attacker = {"X-Forwarded-For": "203.0.113.66"}
        for _ in range(3):
            assert_problem(await login(api, "school_a", "wrong-password", **attacker), 401)
        assert_problem(await login(api, "school_a", **attacker), 429)  # even the right password, from there
        assert (await login(api, "school_a", **{"X-Forwarded-For": "198.51.100.7"})).status_code == 200
        assert_problem(await login(api, "school_a", **attacker), 429)  # the owner's success unlocks nobody else


async def test_guesses_from_many_addresses_only_slow_the_account_down(database: str, tmp_path: Path,
                                                                      conn: asyncpg.Connection) -> None:
    """Guesses spread over many addresses (each under its own lockout) make the account wait between
    attempts, a delay that doubles with each further failure up to TRAINING_LOGIN_SLOWDOWN_MAX_SECONDS:
    a 429 saying how many seconds, never the lockout; once it has passed, the right password works."""
    async with service(database, tmp_path, login_lockout_failures=5, login_slowdown_failures=4,
                       login_slowdown_max_seconds=20, trusted_proxies=("127.0.0.1/32",)) as api:
        for i in range(4):
            assert_problem(await login(api, "school_a", "wrong-password", **{"X-Forwarded-For": f"203.0.113.{i}"}),
                           401)
        owner = {"X-Forwarded-For": "198.51.100.7"}
        # Four more failures (as if from elsewhere): the next attempt is checked, then the one after it
        # waits 2^(8-4) = 16 seconds.
        await conn.execute("UPDATE login_slowdowns SET failures = 8")
        assert_problem(await login(api, "school_a", "wrong-password", **{"X-Forwarded-For": "203.0.113.9"}), 401)
        slowed = await login(api, "school_a", **owner)
        body = assert_problem(slowed, 429)
        assert re.search(r"请 \d+ 秒后再试", body["detail"]) and "锁定" not in body["detail"], body["detail"]
        assert 10 <= int(slowed.headers["retry-after"]) <= 16
        await conn.execute("UPDATE login_slowdowns SET not_before = now() - interval '1 second'")
        assert (await login(api, "school_a", **owner)).status_code == 200
        # The delay never grows past the cap, however many failures pile up.
        await conn.execute("UPDATE login_slowdowns SET failures = 1000, not_before = now() - interval '1 second'")
        assert_problem(await login(api, "school_a", "wrong-password", **{"X-Forwarded-For": "203.0.113.50"}), 401)
        capped = await login(api, "school_a", **owner)
        assert_problem(capped, 429)
        assert 19 <= int(capped.headers["retry-after"]) <= 20


async def test_parallel_guesses_from_many_addresses_get_one_attempt_per_delay(database: str, tmp_path: Path,
                                                                              conn: asyncpg.Connection) -> None:
    """Once the account is slowed, concurrent attempts race for the next slot: exactly one is checked,
    the others are told to wait (the slot is claimed before the password is checked)."""
    async with service(database, tmp_path, login_lockout_failures=5, login_slowdown_failures=2,
                       login_slowdown_max_seconds=60, trusted_proxies=("127.0.0.1/32",)) as api:
        for i in range(2):
            assert_problem(await login(api, "official_a", "wrong", **{"X-Forwarded-For": f"203.0.113.{i}"}), 401)
        await conn.execute("UPDATE login_slowdowns SET failures = 10")  # the next slot holds the account 60 s
        replies = await asyncio.gather(*(login(api, "official_a", f"guess-{i}-wrong",
                                               **{"X-Forwarded-For": f"198.51.100.{i}"}) for i in range(12)))
        assert sorted(r.status_code for r in replies) == [401] + [429] * 11
        assert await conn.fetchval("SELECT failures FROM login_slowdowns WHERE username = 'official_a'") == 11
        # A refused attempt is not held against its address: none of them is any nearer its own lockout.
        assert await conn.fetchval("SELECT max(failures) FROM login_failures WHERE username = 'official_a'") == 1


# ---------------------------------------------------------------- the rate limit's client


async def test_a_forged_forwarded_header_does_not_escape_the_login_rate(database: str, tmp_path: Path) -> None:
    async with service(database, tmp_path, login_rate_per_minute=3) as api:
        replies = [await login(api, "ghost", "wrong-password", **{"X-Forwarded-For": f"10.0.0.{i}"})
                   for i in range(6)]
        assert [r.status_code for r in replies] == [401, 401, 401, 429, 429, 429]


async def test_behind_a_trusted_proxy_each_client_has_its_own_rate(database: str, tmp_path: Path) -> None:
    # ASGITransport connects from 127.0.0.1: here that is the configured reverse proxy.
    async with service(database, tmp_path, login_rate_per_minute=3, trusted_proxies=("127.0.0.1/32",)) as api:
        noisy = [await login(api, "ghost", "wrong-password", **{"X-Forwarded-For": "203.0.113.9"}) for _ in range(4)]
        assert noisy[-1].status_code == 429
        # The same office's neighbour is not locked out by the noisy client...
        assert (await login(api, "school_a", **{"X-Forwarded-For": "203.0.113.10"})).status_code == 200
        # ...and the noisy client cannot escape by writing its own hops to the left of what the proxy adds.
        spoofed = await login(api, "ghost", "wrong-password", **{"X-Forwarded-For": "198.51.100.1, 203.0.113.9"})
        assert spoofed.status_code == 429


# ---------------------------------------------------------------- managing accounts over the API


async def test_a_county_admin_lists_and_manages_only_its_countys_accounts(api: Api, conn: asyncpg.Connection) -> None:
    listed = await api.get("/api/users", "admin_a")
    assert listed.status_code == 200
    names = {a["username"] for a in listed.json()}
    assert names == {"admin_a", "official_a", "official_jimi", "surveyor_a", "surveyor_b", "school_a", "school_b"}
    assert "password_hash" not in listed.text and "$argon2" not in listed.text
    assert len((await api.get("/api/users", "sysadmin")).json()) == 11
    for role in ("official_a", "school_a", "surveyor_a"):
        assert_problem(await api.get("/api/users", role), 403)
        assert_problem(await api.post(f"/api/users/{SEED.users['surveyor_b']}/disable", role), 403)
    unknown = assert_problem(await api.post(f"/api/users/{uuid.uuid4()}/disable", "admin_a"), 404)
    other_county = assert_problem(await api.post(f"/api/users/{SEED.users['school_c']}/disable", "admin_a"), 404)
    assert other_county == unknown
    assert_problem(await api.post(f"/api/users/{SEED.users['school_c']}/reset-password", "admin_a"), 404)
    assert_problem(await api.post(f"/api/users/{SEED.users['sysadmin']}/disable", "admin_a"), 404)
    mine = assert_problem(await api.post(f"/api/users/{SEED.users['admin_a']}/disable", "admin_a"), 403)
    assert mine["detail"].startswith("不能通过接口修改自己的账号")
    done = await api.post(f"/api/users/{SEED.users['school_b']}/disable", "admin_a")
    assert (done.status_code, done.json()["active"]) == (200, False)
    assert_problem(await api.post(f"/api/users/{SEED.users['school_b']}/disable", "admin_a"), 409)
    audited = await conn.fetch("SELECT action, actor_name, county_code, object_id, changes FROM audit_log "
                               "WHERE object_type = 'user'")
    assert [(r["action"], r["actor_name"], r["county_code"], r["object_id"]) for r in audited] == [
        ("disable", "admin_a", "513435", str(SEED.users["school_b"]))]


async def test_a_new_password_is_never_kept_for_replay(api: Api, conn: asyncpg.Connection) -> None:
    """The reset's answer carries the new password in clear: an Idempotency-Key must not store it, so a
    repeat resets again (a new password) instead of handing the first one out a second time."""
    url = f"/api/users/{SEED.users['surveyor_a']}/reset-password"
    headers = {**api.token("admin_a"), "Idempotency-Key": "reset-1"}
    first = await api.http.post(url, headers=headers)
    again = await api.http.post(url, headers=headers)
    assert first.status_code == again.status_code == 200
    assert "idempotent-replayed" not in again.headers and "no-store" in again.headers["cache-control"]
    assert first.json()["password"] != again.json()["password"]
    assert await conn.fetchval("SELECT count(*) FROM idempotency_keys") == 0


async def test_racing_disables_change_the_account_once(api: Api, conn: asyncpg.Connection) -> None:
    user = SEED.users["official_jimi"]
    replies = await asyncio.gather(*(api.post(f"/api/users/{user}/disable", "admin_a") for _ in range(4)))
    assert sorted(r.status_code for r in replies) == [200, 409, 409, 409]
    assert await conn.fetchval("SELECT token_version FROM users WHERE id = $1", user) == 1
    assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE action = 'disable'") == 1


# ---------------------------------------------------------------- security headers


@pytest.mark.parametrize("path", ["/api/auth/me", "/api/schools", "/", "/static/dashboard.js", "/health",
                                  "/api/no-such-route", "/schema/openapi.json"])
async def test_every_answer_carries_the_security_headers(api: Api, path: str) -> None:
    response = await api.get(path, "official_a")
    csp = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"  # nothing inline
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_the_docs_page_loads_only_our_own_script_and_keeps_script_inline_free(api: Api) -> None:
    page = await api.get("/schema", None)
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts and all('src="/static/' in attrs and not body.strip() for attrs, body in scripts)
    assert "https://" not in page.text and "http://" not in page.text.replace("http://www.w3.org", "")


async def test_no_admin_resets_disables_or_enables_an_admin_account_through_the_api(
        api: Api, conn: asyncpg.Connection) -> None:
    """Taking over an admin account (another's or one's own, with a stolen token) is for the server's
    `training users` commands, never the API: a county admin and the system admin alike are refused, and
    nothing is changed or audited; other accounts of the county stay theirs to manage."""
    second = await conn.fetchval(
        """INSERT INTO users (username, password_hash, role, county_code, region_codes)
           VALUES ('admin_a2', 'x', 'admin', '513435', $1) RETURNING id""", ["513435000000"])
    for actor, target in [("admin_a", second), ("admin_a", SEED.users["admin_a"]), ("sysadmin", SEED.users["admin_a"]),
                          ("sysadmin", SEED.users["sysadmin"])]:
        for action in ("reset-password", "disable", "enable"):
            refused = assert_problem(await api.post(f"/api/users/{target}/{action}", actor), 403)
            assert "training users" in refused["detail"], refused["detail"]
    assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE object_type = 'user'") == 0
    assert await conn.fetchval("SELECT sum(token_version) FROM users WHERE role = 'admin'") == 0
    assert (await api.post(f"/api/users/{SEED.users['official_a']}/reset-password", "admin_a")).status_code == 200


def test_the_account_rule_is_one_policy_function() -> None:
    from training.auth.policy import account_change_refusal
    from training.core.security import Principal

    admin = Principal(id=uuid.uuid4(), username="a", role="admin", county_code="513435", school_id=None,
                      region_codes=("513435000000",), token_version=0)
    assert account_change_refusal(admin, uuid.uuid4(), "admin") is not None
    assert account_change_refusal(admin, admin.id, "admin") is not None
    assert account_change_refusal(admin, uuid.uuid4(), "surveyor") is None
    assert account_change_refusal(None, admin.id, "admin") is None  # the server's own command line


async def test_failed_login_counts_of_names_left_alone_are_forgotten_and_the_rest_kept(
        conn: asyncpg.Connection, tmp_path: Path) -> None:
    """Guessers typing made-up names from many addresses leave a row per name and address: rows that no
    longer hold anyone back (an expired lock, no attempt for a lockout window) go, so the tables stay
    bounded; a running lock, a recent count and a name still slowed down stay."""
    from datetime import UTC, timedelta

    from training.auth import service

    settings = make_settings(tmp_path)
    now = datetime.now(UTC)
    old, recent = now - timedelta(minutes=settings.login_lockout_minutes + 1), now - timedelta(minutes=1)
    await conn.executemany(
        "INSERT INTO login_failures (username, client, failures, locked_until, last_attempt_at) "
        "VALUES ($1, '10.0.0.1', $2, $3, $4)",
        [("idle", 3, None, old), ("expired-lock", 0, old, old), ("locked", 0, now + timedelta(minutes=5), old),
         ("recent", 2, None, recent)])
    await conn.executemany(
        "INSERT INTO login_slowdowns (username, failures, last_failed_at, not_before, claim) "
        "VALUES ($1, $2, $3, $4, $5)",
        [("idle", 12, old, old, uuid.uuid4()), ("held", 12, old, now + timedelta(seconds=30), uuid.uuid4()),
         ("recent", 12, recent, recent, uuid.uuid4())])

    assert await service.prune_login_counts(conn, settings) == 3

    assert {r["username"] for r in await conn.fetch("SELECT username FROM login_failures")} == {"locked", "recent"}
    assert {r["username"] for r in await conn.fetch("SELECT username FROM login_slowdowns")} == {"held", "recent"}
