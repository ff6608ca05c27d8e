"""Who may see and change what in the catalogue (四晒一亮): authentication, county scope, school scope,
draft sessions, the village menu and training packages.

The seeded world has two counties: 甘洛县 513435 (schools A and B) and 美姑县 513436 (school C). Users of
one county must never see the other county's objects: a detail answers 404 without naming the object, and
a list leaves it out. Within a county, a school account changes only its own school's records.

Speed: the tests that only read, or whose write must be refused, share one database per module
(`reader`, `world`, `reader_conn`); each refused write checks that the row counts did not move. Tests whose
write succeeds use the per-test database of `api`.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from litestar.security.jwt import Token

from tests.conftest import Api, cloned_database, make_settings, serving
from tests.helpers import today
from tests.seed import (
    COUNTY_A,
    COUNTY_C,
    ELECTRICIAN,
    KEY_VILLAGE,
    KEY_VILLAGE_2,
    OTHER_TOWNSHIP_VILLAGE,
    SEED,
    VILLAGE_C,
)
from training.app import create_app
from training.core import db
from training.core.config import Settings

COUNTY_A_USERS = ["admin_a", "official_a", "official_jimi", "surveyor_a", "school_a", "school_b"]
COUNTY_C_USERS = ["admin_c", "official_c", "school_c"]
NOT_MANAGERS = ["official_a", "official_jimi", "official_c", "surveyor_a"]

PACKAGE_A_NAME = "甘洛县吉米镇电工资源包"
PACKAGE_C_NAME = "美姑县巴普电工资源包"
# Words that only county 513436's objects carry (school C, its teacher and course, its village, its package).
COUNTY_C_WORDS = ["美姑县职业技术学校", "吉克电工", "电工基础", "巴普村", PACKAGE_C_NAME]
# And county 513435's.
COUNTY_A_WORDS = ["甘洛县甲职业学校", "甘洛县乙培训中心", "张电工", "低压电工作业", "家政服务员（初级）", "拉莫村",
                  PACKAGE_A_NAME]
VILLAGE_NAMES = {KEY_VILLAGE: "拉莫村", KEY_VILLAGE_2: "瓦姑村", OTHER_TOWNSHIP_VILLAGE: "新民村",
                 VILLAGE_C: "巴普村"}


# ------------------------------------------------------------------ helpers


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def assert_hidden(response: httpx.Response, *secrets: object) -> None:
    """404, and the answer gives away nothing about the object: neither its name nor its id."""
    assert_problem(response, 404)
    for secret in secrets:
        assert str(secret) not in response.text, f"{secret!r} leaked in {response.text}"


def session_body(school: str, village: str | None = None) -> dict[str, Any]:
    start = today() + timedelta(days=10)
    return {"starts_on": start.isoformat(), "ends_on": (start + timedelta(days=5)).isoformat(),
            "village_code": village or (VILLAGE_C if school == "C" else KEY_VILLAGE), "capacity": 20,
            "teacher_ids": [str(SEED.teachers[school])]}


async def new_session(api: Api, school: str, *, publish: bool) -> str:
    """A session of the school's seeded course, opened (and published) by the school's own account."""
    user = f"school_{school.lower()}"
    response = await api.post(f"/api/courses/{SEED.courses[school]}/sessions", user, json=session_body(school))
    assert response.status_code == 201, response.text
    session_id: str = response.json()["id"]
    if publish:
        response = await api.post(f"/api/sessions/{session_id}/publish", user)
        assert response.status_code == 200, response.text
    return session_id


async def new_package(api: Api, user: str, county: str, name: str, villages: list[str],
                      sessions: list[str]) -> httpx.Response:
    return await api.post("/api/packages", user, json={"county_code": county, "name": name,
                                                       "village_codes": villages, "session_ids": sessions})


async def count(conn: asyncpg.Connection, table: str) -> int:
    assert table in {"schools", "majors", "teachers", "equipment", "courses", "sessions", "packages"}
    return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))


def ids_of(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


@dataclass
class World:
    """Objects beyond the seed: sessions and a package in each county."""

    draft_a: str
    published_a: str
    published_b: str
    published_c: str
    package_a: str
    package_c: str


async def build_world(api: Api) -> World:
    draft_a = await new_session(api, "A", publish=False)
    published_a = await new_session(api, "A", publish=True)
    published_b = await new_session(api, "B", publish=True)
    published_c = await new_session(api, "C", publish=True)
    package_a = await new_package(api, "official_a", COUNTY_A, PACKAGE_A_NAME, [KEY_VILLAGE], [published_a])
    assert package_a.status_code == 201, package_a.text
    package_c = await new_package(api, "official_c", COUNTY_C, PACKAGE_C_NAME, [VILLAGE_C], [published_c])
    assert package_c.status_code == 201, package_c.text
    return World(draft_a, published_a, published_b, published_c, package_a.json()["id"], package_c.json()["id"])


@pytest.fixture(scope="module")
async def shared_database(admin_dsn: str, template_dsn: str) -> AsyncIterator[str]:
    """One copy of the seeded template for this module's read-only and refused-write tests."""
    async with cloned_database(admin_dsn) as dsn:
        yield dsn


@pytest.fixture(scope="module")
async def reader(shared_database: str, settings: Settings) -> AsyncIterator[Api]:
    async with serving(shared_database, settings) as client:
        yield client


@pytest.fixture(scope="module")
async def reader_conn(shared_database: str) -> AsyncIterator[asyncpg.Connection]:
    async with db.connect(shared_database) as connection:
        yield connection


@pytest.fixture(scope="module")
async def world(reader: Api) -> World:
    return await build_world(reader)


# ------------------------------------------------------------------ authentication


def _protected_routes() -> list[tuple[str, str]]:
    """Every (method, path) under /api that needs a token, read from the app itself so a new route is
    covered the day it is added. Path parameters get a UUID that names no row."""
    app = create_app(make_settings(Path(tempfile.gettempdir())), dsn="postgresql://unused/unused")
    routes: set[tuple[str, str]] = set()
    for route in app.routes:
        if not route.path.startswith("/api/"):
            continue
        for handler in getattr(route, "route_handlers", []):
            if handler.opt.get("exclude_from_auth"):
                continue
            for method in handler.http_methods:
                if method in ("OPTIONS", "HEAD"):
                    continue
                # Derived from the route, not random, so parallel workers (pytest-xdist) collect the same ids.
                path = "/".join(str(uuid.uuid5(uuid.NAMESPACE_URL, route.path + part))
                                if part.endswith(":uuid}") else part
                                for part in route.path.split("/"))
                routes.add((method, path))
    return sorted(routes)


PROTECTED_ROUTES = _protected_routes()


def test_the_route_list_covers_the_catalogue() -> None:
    shapes = {(method, "/".join("{id}" if len(p) == 36 else p for p in path.split("/")))
              for method, path in PROTECTED_ROUTES}
    for expected in [("GET", "/api/schools"), ("POST", "/api/schools"), ("GET", "/api/schools/{id}/majors"),
                     ("POST", "/api/schools/{id}/equipment"), ("POST", "/api/courses/{id}/sessions"),
                     ("PATCH", "/api/sessions/{id}"), ("POST", "/api/sessions/{id}/publish"),
                     ("POST", "/api/packages"), ("GET", "/api/packages/{id}"), ("GET", "/api/menu"),
                     ("GET", "/api/regions"), ("GET", "/api/trades")]:
        assert expected in shapes
    assert ("POST", "/api/auth/token") not in shapes


def _foreign_token(user_id: uuid.UUID) -> str:
    """A well-formed JWT for a real user, signed with a key that is not the service's."""
    token = Token(exp=datetime.now(UTC) + timedelta(hours=1), sub=str(user_id))
    return token.encode("some-other-secret-key-" + "y" * 32, "HS256")


@pytest.mark.parametrize(("method", "path"), PROTECTED_ROUTES,
                         ids=[f"{m} {p.split('/', 2)[2]}" for m, p in PROTECTED_ROUTES])
async def test_every_api_route_answers_401_problem_without_a_valid_token(reader: Api, method: str,
                                                                         path: str) -> None:
    bad_headers = {
        "no token": {},
        "garbage token": {"Authorization": "Bearer not-a-jwt"},
        "bare scheme": {"Authorization": "Bearer"},
        "foreign signature": {"Authorization": f"Bearer {_foreign_token(SEED.users['sysadmin'])}"},
        "unknown user": {
            "Authorization": "Bearer " + reader.app.state.jwt_auth.create_token(identifier=str(uuid.uuid4()))},
    }
    params = {"village_code": KEY_VILLAGE} if path == "/api/menu" else None
    json: dict[str, Any] | None = {} if method in ("POST", "PATCH", "PUT") else None
    for case, headers in bad_headers.items():
        response = await reader.http.request(method, path, headers=headers, json=json, params=params)
        assert response.status_code == 401, f"{case}: {response.status_code} {response.text}"
        assert_problem(response, 401)


# ------------------------------------------------------------------ reads are scoped by county

# Detail paths of what each county owns.
COUNTY_C_OBJECTS: dict[str, Callable[[World], str]] = {
    "school": lambda w: f"/api/schools/{SEED.schools['C']}",
    "school majors": lambda w: f"/api/schools/{SEED.schools['C']}/majors",
    "school teachers": lambda w: f"/api/schools/{SEED.schools['C']}/teachers",
    "school equipment": lambda w: f"/api/schools/{SEED.schools['C']}/equipment",
    "course": lambda w: f"/api/courses/{SEED.courses['C']}",
    "session": lambda w: f"/api/sessions/{w.published_c}",
    "package": lambda w: f"/api/packages/{w.package_c}",
}
COUNTY_A_OBJECTS: dict[str, Callable[[World], str]] = {
    "school": lambda w: f"/api/schools/{SEED.schools['A']}",
    "school majors": lambda w: f"/api/schools/{SEED.schools['A']}/majors",
    "school teachers": lambda w: f"/api/schools/{SEED.schools['A']}/teachers",
    "school equipment": lambda w: f"/api/schools/{SEED.schools['A']}/equipment",
    "course": lambda w: f"/api/courses/{SEED.courses['A']}",
    "session": lambda w: f"/api/sessions/{w.published_a}",
    "draft session": lambda w: f"/api/sessions/{w.draft_a}",
    "package": lambda w: f"/api/packages/{w.package_a}",
}


@pytest.mark.parametrize("kind", list(COUNTY_C_OBJECTS))
async def test_another_countys_object_is_not_found_for_every_user_of_county_513435(
        reader: Api, world: World, kind: str) -> None:
    path = COUNTY_C_OBJECTS[kind](world)
    owner = await reader.get(path, "admin_c")
    assert owner.status_code == 200, owner.text  # it exists, and its own county sees it
    for user in COUNTY_A_USERS:
        response = await reader.get(path, user)
        assert response.status_code == 404, f"{user}: {response.text}"
        assert_hidden(response, *COUNTY_C_WORDS)


@pytest.mark.parametrize("kind", list(COUNTY_A_OBJECTS))
async def test_another_countys_object_is_not_found_for_every_user_of_county_513436(
        reader: Api, world: World, kind: str) -> None:
    path = COUNTY_A_OBJECTS[kind](world)
    owner = await reader.get(path, "admin_a")
    assert owner.status_code == 200, owner.text
    for user in COUNTY_C_USERS:
        response = await reader.get(path, user)
        assert response.status_code == 404, f"{user}: {response.text}"
        assert_hidden(response, *COUNTY_A_WORDS)


async def test_the_system_admin_reads_objects_of_both_counties(reader: Api, world: World) -> None:
    for path in [p(world) for p in [*COUNTY_A_OBJECTS.values(), *COUNTY_C_OBJECTS.values()]]:
        response = await reader.get(path, "sysadmin")
        assert response.status_code == 200, f"{path}: {response.text}"


async def test_a_school_reads_the_other_schools_of_its_county(reader: Api) -> None:
    response = await reader.get(f"/api/schools/{SEED.schools['B']}", "school_a")
    assert response.status_code == 200, response.text
    assert response.json()["school"]["name"] == "甘洛县乙培训中心"


# Each list, with what county 513435 owns in it and what county 513436 owns in it.
LISTS: dict[str, Callable[[World], tuple[set[str], set[str]]]] = {
    "/api/schools": lambda w: ({str(SEED.schools["A"]), str(SEED.schools["B"])}, {str(SEED.schools["C"])}),
    "/api/courses": lambda w: ({str(SEED.courses["A"]), str(SEED.courses["B"])}, {str(SEED.courses["C"])}),
    "/api/sessions": lambda w: ({w.published_a, w.published_b}, {w.published_c}),
    "/api/packages": lambda w: ({w.package_a}, {w.package_c}),
}


@pytest.mark.parametrize("path", list(LISTS))
@pytest.mark.parametrize("county", [COUNTY_A, COUNTY_C])
async def test_lists_never_include_the_other_countys_objects(reader: Api, world: World, path: str,
                                                             county: str) -> None:
    county_a_objects, county_c_objects = LISTS[path](world)
    own, foreign = (county_a_objects, county_c_objects) if county == COUNTY_A else (county_c_objects, county_a_objects)
    users, foreign_words = (COUNTY_A_USERS, COUNTY_C_WORDS) if county == COUNTY_A else (COUNTY_C_USERS, COUNTY_A_WORDS)
    for user in users:
        response = await reader.get(path, user, params={"limit": 500})
        seen = ids_of(response)
        assert own <= seen, f"{user} misses its own county's objects"
        assert not seen & foreign, f"{user} sees the other county"
        assert {item["county_code"] for item in response.json()["items"]} == {county}
        assert response.json()["total"] == len(response.json()["items"])
        for word in foreign_words:
            assert word not in response.text, f"{user} sees {word}"


@pytest.mark.parametrize("path", list(LISTS))
async def test_the_system_admin_lists_both_counties(reader: Api, world: World, path: str) -> None:
    own, foreign = LISTS[path](world)
    response = await reader.get(path, "sysadmin", params={"limit": 500})
    assert own | foreign <= ids_of(response)
    assert {item["county_code"] for item in response.json()["items"]} == {COUNTY_A, COUNTY_C}


@pytest.mark.parametrize("path", ["/api/courses", "/api/sessions"])
async def test_a_list_filtered_on_another_countys_school_is_empty(reader: Api, world: World, path: str) -> None:
    response = await reader.get(path, "school_a", params={"school_id": str(SEED.schools["C"])})
    assert response.status_code == 200, response.text
    assert (response.json()["items"], response.json()["total"]) == ([], 0)


# ------------------------------------------------------------------ writes to a school's records

WRITE_KINDS = ["majors", "teachers", "equipment", "courses", "sessions"]


def write_request(kind: str, school: str) -> tuple[str, dict[str, Any]]:
    """A request that adds one record of this kind to the school, valid in every other respect."""
    school_id = SEED.schools[school]
    if kind == "majors":
        return f"/api/schools/{school_id}/majors", {"name": "电子电工专业", "trade_codes": [ELECTRICIAN]}
    if kind == "teachers":
        return f"/api/schools/{school_id}/teachers", {"name": "赵新老师", "trade_codes": [ELECTRICIAN]}
    if kind == "equipment":
        return f"/api/schools/{school_id}/equipment", {"name": "电工实训台", "quantity": 10,
                                                        "trade_codes": [ELECTRICIAN]}
    if kind == "courses":
        return "/api/courses", {"school_id": str(school_id), "title": "电工进阶", "trade_code": ELECTRICIAN,
                                "kind": "short", "hours": 40, "certificate": True}
    assert kind == "sessions"
    return f"/api/courses/{SEED.courses[school]}/sessions", session_body(school)


@pytest.mark.parametrize("kind", WRITE_KINDS)
async def test_a_school_account_adds_records_to_its_own_school(api: Api, conn: asyncpg.Connection,
                                                              kind: str) -> None:
    before = await count(conn, kind)
    path, body = write_request(kind, "A")
    response = await api.post(path, "school_a", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["school_id"] == str(SEED.schools["A"])
    assert response.json()["county_code"] == COUNTY_A
    assert await count(conn, kind) == before + 1


@pytest.mark.parametrize("kind", WRITE_KINDS)
async def test_a_county_admin_adds_records_to_any_school_of_its_county(api: Api, kind: str) -> None:
    path, body = write_request(kind, "B")
    response = await api.post(path, "admin_a", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["school_id"] == str(SEED.schools["B"])


@pytest.mark.parametrize("kind", WRITE_KINDS)
async def test_a_school_account_is_forbidden_to_add_to_another_school_of_its_county(
        reader: Api, reader_conn: asyncpg.Connection, kind: str) -> None:
    before = await count(reader_conn, kind)
    path, body = write_request(kind, "B")
    assert_problem(await reader.post(path, "school_a", json=body), 403)
    assert await count(reader_conn, kind) == before


@pytest.mark.parametrize("user", ["school_a", "admin_a"])
@pytest.mark.parametrize("kind", WRITE_KINDS)
async def test_writing_to_another_countys_school_is_not_found(
        reader: Api, reader_conn: asyncpg.Connection, kind: str, user: str) -> None:
    before = await count(reader_conn, kind)
    path, body = write_request(kind, "C")
    assert_hidden(await reader.post(path, user, json=body), *COUNTY_C_WORDS)
    assert await count(reader_conn, kind) == before


# ------------------------------------------------------------------ registering schools


def school_body(county: str) -> dict[str, Any]:
    return {"county_code": county, "name": "新建职业培训学校", "kind": "training_institution"}


@pytest.mark.parametrize(("user", "county"), [("admin_a", COUNTY_A), ("admin_c", COUNTY_C),
                                              ("sysadmin", COUNTY_C)])
async def test_an_admin_registers_a_school_in_its_county(api: Api, user: str, county: str) -> None:
    response = await api.post("/api/schools", user, json=school_body(county))
    assert response.status_code == 201, response.text
    assert response.json()["county_code"] == county
    detail = await api.get(f"/api/schools/{response.json()['id']}", user)
    assert detail.status_code == 200, detail.text


@pytest.mark.parametrize(("user", "county"), [("admin_a", COUNTY_C), ("admin_c", COUNTY_A)])
async def test_an_admin_is_forbidden_to_register_a_school_in_another_county(
        reader: Api, reader_conn: asyncpg.Connection, user: str, county: str) -> None:
    before = await count(reader_conn, "schools")
    assert_problem(await reader.post("/api/schools", user, json=school_body(county)), 403)
    assert await count(reader_conn, "schools") == before


async def test_a_school_account_is_forbidden_to_register_schools(reader: Api,
                                                                 reader_conn: asyncpg.Connection) -> None:
    before = await count(reader_conn, "schools")
    assert_problem(await reader.post("/api/schools", "school_a", json=school_body(COUNTY_A)), 403)
    assert await count(reader_conn, "schools") == before


# ------------------------------------------------------------------ roles that never write the catalogue

ROLE_REFUSED: dict[str, Callable[[World], tuple[str, str, dict[str, Any] | None]]] = {
    "POST schools": lambda w: ("POST", "/api/schools", school_body(COUNTY_A)),
    "POST courses": lambda w: ("POST", *write_request("courses", "A")),
    "POST course sessions": lambda w: ("POST", *write_request("sessions", "A")),
    "POST session publish": lambda w: ("POST", f"/api/sessions/{w.draft_a}/publish", None),
    "PATCH session": lambda w: ("PATCH", f"/api/sessions/{w.draft_a}", {"capacity": 5}),
}


@pytest.mark.parametrize("route", list(ROLE_REFUSED))
async def test_officials_and_surveyors_are_forbidden_to_write_the_catalogue(
        reader: Api, reader_conn: asyncpg.Connection, world: World, route: str) -> None:
    counts = {t: await count(reader_conn, t) for t in ("schools", "courses", "sessions")}
    method, path, body = ROLE_REFUSED[route](world)
    for user in NOT_MANAGERS:
        response = await reader.http.request(method, path, headers=reader.token(user), json=body)
        assert response.status_code == 403, f"{user}: {response.text}"
        assert_problem(response, 403)
    assert {t: await count(reader_conn, t) for t in counts} == counts
    draft = (await reader.get(f"/api/sessions/{world.draft_a}", "school_a")).json()
    assert (draft["status"], draft["capacity"]) == ("draft", 20)


# ------------------------------------------------------------------ drafts and published sessions


@pytest.mark.parametrize("user", ["school_a", "admin_a", "official_a", "sysadmin"])
async def test_a_draft_is_visible_to_its_school_and_to_county_admins_and_officials(
        reader: Api, world: World, user: str) -> None:
    detail = await reader.get(f"/api/sessions/{world.draft_a}", user)
    assert detail.status_code == 200, detail.text
    assert detail.json()["status"] == "draft"
    assert world.draft_a in ids_of(await reader.get("/api/sessions", user, params={"limit": 500}))


@pytest.mark.parametrize("user", ["school_b", "surveyor_a", "school_c", "official_c", "admin_c"])
async def test_a_draft_is_hidden_from_other_schools_and_surveyors(reader: Api, world: World, user: str) -> None:
    assert_hidden(await reader.get(f"/api/sessions/{world.draft_a}", user), world.draft_a)
    listed = await reader.get("/api/sessions", user, params={"limit": 500})
    assert world.draft_a not in ids_of(listed)
    assert "draft" not in {item["status"] for item in listed.json()["items"]}
    assert listed.json()["total"] == len(listed.json()["items"])  # not even counted
    filtered = await reader.get("/api/sessions", user, params={"status": "draft"})
    assert (filtered.json()["items"], filtered.json()["total"]) == ([], 0)


@pytest.mark.parametrize("user", COUNTY_A_USERS)
async def test_a_published_session_is_visible_to_every_user_of_its_county(
        reader: Api, world: World, user: str) -> None:
    detail = await reader.get(f"/api/sessions/{world.published_a}", user)
    assert detail.status_code == 200, detail.text
    assert detail.json()["status"] == "published"
    assert world.published_a in ids_of(await reader.get("/api/sessions", user, params={"limit": 500}))


SESSION_CHANGES = pytest.mark.parametrize(("method", "suffix", "body"),
                                          [("POST", "/publish", None), ("PATCH", "", {"capacity": 5})],
                                          ids=["publish", "patch"])


@SESSION_CHANGES
async def test_another_school_cannot_find_a_draft_to_publish_or_change(
        reader: Api, world: World, method: str, suffix: str, body: dict[str, Any] | None) -> None:
    response = await reader.http.request(method, f"/api/sessions/{world.draft_a}{suffix}",
                                         headers=reader.token("school_b"), json=body)
    assert_hidden(response, world.draft_a, "低压电工作业")
    draft = (await reader.get(f"/api/sessions/{world.draft_a}", "school_a")).json()
    assert (draft["status"], draft["capacity"]) == ("draft", 20)


@SESSION_CHANGES
async def test_another_school_is_forbidden_to_publish_or_change_a_published_session(
        reader: Api, world: World, method: str, suffix: str, body: dict[str, Any] | None) -> None:
    before = (await reader.get(f"/api/sessions/{world.published_a}", "school_a")).json()
    response = await reader.http.request(method, f"/api/sessions/{world.published_a}{suffix}",
                                         headers=reader.token("school_b"), json=body)
    assert_problem(response, 403)
    assert (await reader.get(f"/api/sessions/{world.published_a}", "school_a")).json() == before


async def test_publishing_makes_a_draft_visible_to_the_whole_county(api: Api) -> None:
    draft = await new_session(api, "A", publish=False)
    assert (await api.get(f"/api/sessions/{draft}", "surveyor_a")).status_code == 404
    response = await api.post(f"/api/sessions/{draft}/publish", "school_a")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "published"
    for user in COUNTY_A_USERS:
        assert (await api.get(f"/api/sessions/{draft}", user)).status_code == 200, user


# ------------------------------------------------------------------ the village menu


@pytest.mark.parametrize(("user", "village", "status"), [
    ("surveyor_a", KEY_VILLAGE, 200),
    ("surveyor_a", KEY_VILLAGE_2, 200),
    ("surveyor_a", OTHER_TOWNSHIP_VILLAGE, 404),  # same county, not assigned
    ("surveyor_a", VILLAGE_C, 404),  # another county
    ("official_jimi", KEY_VILLAGE_2, 200),  # in 吉米镇
    ("official_jimi", OTHER_TOWNSHIP_VILLAGE, 404),  # 新市坝镇
    ("official_jimi", VILLAGE_C, 404),
    ("official_a", KEY_VILLAGE, 200),
    ("official_a", OTHER_TOWNSHIP_VILLAGE, 200),
    ("official_a", VILLAGE_C, 404),
    ("school_a", OTHER_TOWNSHIP_VILLAGE, 200),
    ("school_a", VILLAGE_C, 404),
    ("admin_a", VILLAGE_C, 404),
    ("official_c", VILLAGE_C, 200),
    ("official_c", KEY_VILLAGE, 404),
    ("sysadmin", KEY_VILLAGE, 200),
    ("sysadmin", VILLAGE_C, 200),
])
async def test_the_menu_of_a_village_is_served_only_inside_the_callers_regions(
        reader: Api, user: str, village: str, status: int) -> None:
    response = await reader.get("/api/menu", user, params={"village_code": village})
    if status == 200:
        assert response.status_code == 200, response.text
        assert response.json()["village_code"] == village
        assert response.json()["village_name"] == VILLAGE_NAMES[village]
    else:
        assert_hidden(response, VILLAGE_NAMES[village])


async def test_the_menu_lists_only_published_sessions_of_the_villages_county(reader: Api, world: World) -> None:
    items = (await reader.get("/api/menu", "official_a", params={"village_code": KEY_VILLAGE})).json()["items"]
    listed = {item["session_id"] for item in items}
    assert {world.published_a, world.published_b} <= listed
    assert world.draft_a not in listed and world.published_c not in listed
    items = (await reader.get("/api/menu", "official_c", params={"village_code": VILLAGE_C})).json()["items"]
    assert {item["session_id"] for item in items} == {world.published_c}


# ------------------------------------------------------------------ training packages


async def test_a_school_packs_its_own_sessions(api: Api) -> None:
    own = await new_session(api, "A", publish=True)
    response = await new_package(api, "school_a", COUNTY_A, "甲校电工包", [KEY_VILLAGE], [own])
    assert response.status_code == 201, response.text
    assert response.json()["session_ids"] == [own]


async def test_a_school_cannot_pack_another_schools_session(reader: Api, reader_conn: asyncpg.Connection,
                                                            world: World) -> None:
    before = await count(reader_conn, "packages")
    response = await new_package(reader, "school_a", COUNTY_A, "甲校混合包", [KEY_VILLAGE], [world.published_b])
    body = assert_problem(response, 422)
    assert "session_ids[0]" in {e["field"] for e in body["errors"]}
    assert await count(reader_conn, "packages") == before


async def test_a_township_official_packs_villages_of_its_township(api: Api) -> None:
    session = await new_session(api, "A", publish=True)
    response = await new_package(api, "official_jimi", COUNTY_A, "吉米镇电工包", [KEY_VILLAGE, KEY_VILLAGE_2],
                                 [session])
    assert response.status_code == 201, response.text


async def test_a_township_official_cannot_pack_a_village_outside_its_township(
        reader: Api, reader_conn: asyncpg.Connection, world: World) -> None:
    before = await count(reader_conn, "packages")
    response = await new_package(reader, "official_jimi", COUNTY_A, "跨镇电工包",
                                 [KEY_VILLAGE, OTHER_TOWNSHIP_VILLAGE], [world.published_a])
    body = assert_problem(response, 422)
    assert {e["field"] for e in body["errors"]} == {"village_codes[1]"}
    assert await count(reader_conn, "packages") == before


async def test_an_admin_is_forbidden_to_pack_for_another_county(reader: Api, reader_conn: asyncpg.Connection,
                                                                 world: World) -> None:
    before = await count(reader_conn, "packages")
    response = await new_package(reader, "admin_a", COUNTY_C, "越县资源包", [VILLAGE_C], [world.published_c])
    assert_problem(response, 403)
    assert await count(reader_conn, "packages") == before
