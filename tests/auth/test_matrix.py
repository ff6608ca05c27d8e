"""The authorization matrix: every route of the app's own route table × every role (and anonymous) ×
an object that is the caller's own, in another village, of another school, in another township and in
another county, against one policy table. A route the table does not name fails the test, so a new
route cannot ship without saying who may use it.

One database holds the whole matrix: a write that succeeded changes the object for the next caller, so
"allowed" means "got past authorization" (2xx, or a 409 about the object's state), never 401, 403 or
404. Every request is valid (`body_for`), so a 400 or 422 is never taken for "allowed": a route may check
the data before the scope, and a cell that never reaches the scope check could not fail. A person
outside the caller's reach in a sign-up answers 422 exactly like an unknown id: that answer counts as
hidden. Routes whose object is a region in the query (quotas, progress, worklist, demand, reports) get
one cell per target, aimed at the target's village (its township for a quota).

Where a target makes no different object for a route (a school has no village), the route's own object
is used for it; collection routes have a single target. Allocations are proposed by the recommender and
are aimed at an unknown id here (their scope is tested in tests/recommendations).
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import asyncpg
import httpx

from tests.conftest import Api
from tests.helpers import published_session, today
from tests.registry.test_households import id_number, member, years_ago
from tests.seed import (
    ELECTRICIAN,
    JIMI,
    KEY_VILLAGE,
    KEY_VILLAGE_2,
    OTHER_TOWNSHIP_VILLAGE,
    PASSWORD,
    SEED,
    VILLAGE_C,
)
from training.core.security import hash_password

ROLES = ("anonymous", "admin", "county_official", "township_official", "school", "surveyor")
TARGETS = ("own", "other_village", "other_school", "other_township", "other_county")
ACCOUNTS = {"admin": "admin_a", "county_official": "official_a", "township_official": "official_jimi",
            "school": "school_a", "surveyor": "matrix_surveyor"}
ALLOW, DENY, HIDE, ANON = "allow", "403", "404", "401"

# Where each target's object lies: its village and its school.
VILLAGE = {"own": KEY_VILLAGE, "other_village": KEY_VILLAGE_2, "other_school": KEY_VILLAGE,
           "other_township": OTHER_TOWNSHIP_VILLAGE, "other_county": VILLAGE_C}
SCHOOL = {"own": "A", "other_village": "A", "other_school": "B", "other_township": "A", "other_county": "C"}

Rule = Callable[[str, str], str]


# ---------------------------------------------------------------- the policy, in reach terms

def in_county(target: str) -> bool:
    return target != "other_county"


def in_region(role: str, target: str) -> bool:
    """Whether the target's village lies in the caller's regions (officials and the surveyor)."""
    if role == "county_official":
        return in_county(target)
    if role == "township_official":
        return VILLAGE[target].startswith(JIMI[:9])
    if role == "surveyor":
        return VILLAGE[target] == KEY_VILLAGE
    return in_county(target)


def own_school(target: str) -> bool:
    return SCHOOL[target] == "A"


def reads_person(role: str, target: str) -> bool:
    """The registry scope: a school reads the people who applied to its sessions (every target person
    signed up at its target's school)."""
    if role == "school":
        return own_school(target)
    return in_region(role, target)


def reads_enrolment(role: str, target: str) -> bool:
    if role == "school":
        return own_school(target)
    return in_region(role, target)


def anyone(role: str, target: str) -> str:
    return ALLOW


def public(role: str, target: str) -> str:
    return ANON if role == "anonymous" else ALLOW


def signed_in(rule: Rule) -> Rule:
    return lambda role, target: ANON if role == "anonymous" else rule(role, target)


def only(*roles: str, then: Rule | None = None) -> Rule:
    """A role guard (403 for other roles, whatever the object), then `then` (default: allowed)."""
    return signed_in(lambda role, target: DENY if role not in roles else (then or anyone)(role, target))


def county_object(role: str, target: str) -> str:
    return ALLOW if in_county(target) else HIDE


def school_change(role: str, target: str) -> str:
    """A school's own records: the school itself, or an admin of the county; another school's are seen,
    not changed; another county's are not seen."""
    if not in_county(target):
        return HIDE
    return ALLOW if role == "admin" or (role == "school" and own_school(target)) else DENY


def person_read(role: str, target: str) -> str:
    return ALLOW if reads_person(role, target) else HIDE


def person_recommendations(role: str, target: str) -> str:
    """Recommendations of sessions for a person serve whoever signs them up where they live: a school
    picks trainees from its own class's candidates instead, so it sees no person's recommendations."""
    return HIDE if role == "school" else person_read(role, target)


def person_write(role: str, target: str) -> str:
    if not reads_person(role, target):
        return HIDE
    return ALLOW if role in ("admin", "surveyor") else DENY


def enrolment_read(role: str, target: str) -> str:
    return ALLOW if reads_enrolment(role, target) else HIDE


def enrolment_act(*actors: str) -> Rule:
    def rule(role: str, target: str) -> str:
        if not reads_enrolment(role, target):
            return HIDE
        return ALLOW if role in actors else DENY
    return rule


def session_roster(role: str, target: str) -> str:
    if not in_county(target):
        return HIDE
    if role in ("admin", "county_official", "township_official"):
        return ALLOW
    return ALLOW if role == "school" and own_school(target) else DENY


def session_school_work(role: str, target: str) -> str:
    """Attendance: the session's school or an admin."""
    if not in_county(target):
        return HIDE
    return ALLOW if role == "admin" or (role == "school" and own_school(target)) else DENY


def sign_up(role: str, target: str) -> str:
    """POST /api/sessions/{own session}/enrolments with the target's person: officials never; others
    only a person they may act for, and a person out of reach answers like an unknown id (hidden)."""
    if role == "county_official" or role == "township_official":
        return DENY
    if role == "school":
        return ALLOW if own_school(target) else HIDE
    return ALLOW if in_region(role, target) else HIDE


def candidates(role: str, target: str) -> str:
    if not in_county(target):
        return HIDE
    return DENY if role == "school" and not own_school(target) else ALLOW


def user_admin(role: str, target: str) -> str:
    return ALLOW if in_county(target) else HIDE


def unknown(role: str, target: str) -> str:
    return HIDE


def region_read(role: str, target: str) -> str:
    """Figures of a region given as `region_code` (the target's village): a school sees its own sessions'
    figures anywhere in its county; everyone else the regions they hold."""
    if role == "school":
        return ALLOW if in_county(target) else HIDE
    return ALLOW if in_region(role, target) else HIDE


def quota_write(role: str, target: str) -> str:
    """PUT /api/quotas for the target's township: officials within their regions and admins; no one else."""
    if role in ("school", "surveyor"):
        return DENY
    return ALLOW if in_region(role, target) else HIDE


def household_create(role: str, target: str) -> str:
    """POST /api/households in the caller's own village: who may write the registry there."""
    return person_write(role, "own")


POLICY: dict[str, Rule] = {
    "GET /health": anyone,
    "GET /": anyone,
    "POST /api/auth/token": anyone,
    "GET /api/auth/me": public,
    "GET /api/users": only("admin"),
    "POST /api/users/{user_id}/disable": only("admin", then=user_admin),
    "POST /api/users/{user_id}/enable": only("admin", then=user_admin),
    "POST /api/users/{user_id}/reset-password": only("admin", then=user_admin),
    "GET /api/regions": public,
    "GET /api/trades": public,
    "GET /api/education-levels": public,
    "GET /api/schools": public,
    "POST /api/schools": only("admin"),
    "GET /api/schools/{school_id}": signed_in(county_object),
    "GET /api/schools/{school_id}/majors": signed_in(county_object),
    "GET /api/schools/{school_id}/teachers": signed_in(county_object),
    "GET /api/schools/{school_id}/equipment": signed_in(county_object),
    "POST /api/schools/{school_id}/majors": signed_in(school_change),
    "POST /api/schools/{school_id}/teachers": signed_in(school_change),
    "POST /api/schools/{school_id}/equipment": signed_in(school_change),
    "GET /api/courses": public,
    "POST /api/courses": only("admin", "school"),
    "GET /api/courses/{course_id}": signed_in(county_object),
    "POST /api/courses/{course_id}/sessions": only("admin", "school", then=school_change),
    "GET /api/sessions": public,
    "GET /api/sessions/{session_id}": signed_in(county_object),
    "PATCH /api/sessions/{session_id}": only("admin", "school", then=school_change),
    "POST /api/sessions/{session_id}/publish": only("admin", "school", then=school_change),
    "POST /api/sessions/{session_id}/cancel": only("admin", "school", then=school_change),
    "GET /api/packages": public,
    "POST /api/packages": only("admin", "county_official", "township_official", "school"),
    "GET /api/packages/{package_id}": signed_in(unknown),
    "GET /api/menu": public,  # for the surveyor's own village
    "GET /api/households": public,
    "POST /api/households": signed_in(household_create),
    "GET /api/households/{household_id}": signed_in(person_read),
    "PATCH /api/households/{household_id}": signed_in(person_write),
    "POST /api/households/{household_id}/members": signed_in(person_write),
    "GET /api/people": public,
    "GET /api/people/possible-duplicates": public,
    "GET /api/people/{person_id}": signed_in(person_read),
    "PATCH /api/people/{person_id}": signed_in(person_write),
    "POST /api/people/{person_id}/surveys": signed_in(person_write),
    "GET /api/people/{person_id}/surveys": signed_in(person_read),
    "POST /api/people/{person_id}/reveal": signed_in(person_write),
    "POST /api/sync": only("admin", "surveyor"),
    "GET /api/sessions/{session_id}/enrolments": signed_in(session_roster),
    "POST /api/sessions/{session_id}/enrolments": signed_in(sign_up),
    "POST /api/sessions/{session_id}/attendance": signed_in(session_school_work),
    "POST /api/sessions/{session_id}/attendance/sheet": signed_in(session_school_work),
    "GET /api/sessions/{session_id}/attendance/sheet": signed_in(session_roster),
    "GET /api/enrolments/{enrolment_id}": signed_in(enrolment_read),
    "POST /api/enrolments/{enrolment_id}/withdraw": signed_in(enrolment_act("admin", "school", "surveyor")),
    "POST /api/enrolments/{enrolment_id}/drop": signed_in(enrolment_act("admin", "school")),
    "POST /api/enrolments/{enrolment_id}/complete": signed_in(enrolment_act("admin", "school")),
    "POST /api/enrolments/{enrolment_id}/employment": signed_in(enrolment_act("admin", "school", "surveyor")),
    "GET /api/people/{person_id}/enrolments": signed_in(person_read),
    "GET /api/models": only("admin", "county_official", "township_official"),
    "POST /api/models/{version}/activate": only("admin", then=unknown),
    "GET /api/people/{person_id}/recommendations": signed_in(person_recommendations),
    "GET /api/sessions/{session_id}/candidates": signed_in(candidates),
    "POST /api/allocations": only("admin", "county_official", "township_official", "surveyor"),
    "GET /api/allocations/{allocation_id}": signed_in(unknown),
    "POST /api/allocations/{allocation_id}/accept": signed_in(unknown),
    "GET /api/recommendations/uptake": only("admin", "county_official", "township_official", "surveyor"),
    "GET /api/ledger/template": public,
    "POST /api/ledger/import": only("admin", "surveyor"),
    "GET /api/ledger/export": only("admin", "county_official", "township_official", "surveyor"),
    "GET /api/audit": only("admin"),
    "GET /api/quotas": signed_in(region_read),
    "PUT /api/quotas": signed_in(quota_write),
    "GET /api/progress": signed_in(region_read),
    # A school's figures are its own sessions'; the worklist and the demand are the villages' business.
    # (The worklist looks the region up before the role: a school asking for another county's gets 404.)
    "GET /api/progress/uncovered-households": signed_in(
        lambda role, target: (DENY if in_county(target) else HIDE) if role == "school" else region_read(role, target)),
    "GET /api/progress/unmet-demand": only("admin", "county_official", "township_official", "surveyor",
                                           then=region_read),
    "GET /api/reports/monthly": signed_in(region_read),
    "GET /api/reports/quarterly": signed_in(region_read),
}


# ---------------------------------------------------------------- the app's own route table

def routes(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every route the app serves, path parameters written {name}; the docs and the
    static files are left out (they are served to anyone and hold no data)."""
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        path = route.path
        if path.startswith(("/schema", "/static")):
            continue
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods:
                if method not in ("OPTIONS", "HEAD"):
                    found.add((method, _template(path)))
    return sorted(found)


def _template(path: str) -> str:
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path)


# ---------------------------------------------------------------- the world the matrix aims at

# Routes whose object is a region named in the query (or, for PUT /api/quotas, the body): one cell per
# target, aimed at the target's village (its township for a quota, which is set per county or township).
SCOPED_BY_REGION = ("/api/quotas", "/api/progress", "/api/reports/")


def by_region(path: str) -> bool:
    return path.startswith(SCOPED_BY_REGION)


def township(village: str) -> str:
    return village[:9] + "000"


class World:
    def __init__(self) -> None:
        self.ids: dict[str, dict[str, str]] = {}
        self.files: dict[str, dict[str, bytes]] = {}  # workbooks the service itself made, to upload back

    def of(self, param: str, target: str) -> str:
        return self.ids[param][target]


async def build_world(api: Api, conn: asyncpg.Connection) -> World:
    """Five objects of every kind, one per target, all made through the API."""
    world = World()
    world.ids["school_id"] = {t: str(SEED.schools[SCHOOL[t]]) for t in TARGETS}
    world.ids["course_id"] = {t: str(SEED.courses[SCHOOL[t]]) for t in TARGETS}
    teachers = {"A": "A", "B": "B", "C": "C"}
    sessions: dict[str, dict[str, Any]] = {}
    for t in TARGETS:
        school = SCHOOL[t]
        sessions[t] = await published_session(
            api, as_={"A": "school_a", "B": "school_b", "C": "school_c"}[school], course=school,
            teacher=teachers[school], village=VILLAGE[t])
    world.ids["session_id"] = {t: sessions[t]["id"] for t in TARGETS}
    people: dict[str, str] = {}
    households: dict[str, str] = {}
    for n, t in enumerate(TARGETS):
        admin = "admin_c" if t == "other_county" else "admin_a"
        response = await api.post("/api/households", admin, json={
            "village_code": VILLAGE[t], "head_name": f"矩阵户{n}", "poverty_status": "lifted", "lifted_year": 2019,
            "household_no": f"MX-{n}", "members": [member(f"矩阵{n}", id_number(years_ago(25 + n), 60 + n),
                                                          relation="户主")]})
        assert response.status_code == 201, response.text
        households[t] = response.json()["id"]
        people[t] = response.json()["members"][0]["id"]
    world.ids["household_id"] = households
    world.ids["person_id"] = people
    enrolments: dict[str, str] = {}
    for t in TARGETS:
        admin = "admin_c" if t == "other_county" else "admin_a"
        response = await api.post(f"/api/sessions/{sessions[t]['id']}/enrolments", admin,
                                  json={"person_id": people[t]})
        assert response.status_code == 201, response.text
        enrolments[t] = response.json()["id"]
    world.ids["enrolment_id"] = enrolments
    # The sign-up route aims the target's person at the caller's own session (one not started yet).
    sign_up = await published_session(api, as_="school_a", course="A", teacher="A", village=KEY_VILLAGE)
    world.ids["sign_up_session"] = {t: sign_up["id"] for t in TARGETS}
    # The target sessions run since the day before yesterday, so attendance and completion have days to be
    # about (moved in the database: the API refuses a session that starts in the past).
    running = ([uuid.UUID(s["id"]) for s in sessions.values()], today() - timedelta(days=2), today() + timedelta(days=3))
    await conn.execute("UPDATE sessions SET starts_on = $2, ends_on = $3 WHERE id = ANY($1::uuid[])", *running)
    await conn.execute("UPDATE enrolments SET starts_on = $2, ends_on = $3 WHERE session_id = ANY($1::uuid[])", *running)
    # Someone the recommender may place: of working age, in the own village, not in any class this year.
    response = await api.post("/api/households", "admin_a", json={
        "village_code": KEY_VILLAGE, "head_name": "矩阵待排户", "poverty_status": "lifted", "lifted_year": 2019,
        "household_no": "MX-free", "members": [member("矩阵待排", id_number(years_ago(30), 99), relation="户主")]})
    assert response.status_code == 201, response.text
    for t in TARGETS:
        admin = "admin_c" if t == "other_county" else "admin_a"
        sheet = await api.get(f"/api/sessions/{sessions[t]['id']}/attendance/sheet", admin)
        assert sheet.status_code == 200, sheet.text
        world.files.setdefault("attendance_sheet", {})[t] = sheet.content
    template = await api.get("/api/ledger/template", "admin_a")
    assert template.status_code == 200, template.text
    world.files["ledger"] = {t: template.content for t in TARGETS}
    world.ids["own_session"] = {t: sessions["own"]["id"] for t in TARGETS}
    users = {}
    for n, t in enumerate(TARGETS):
        county_region = VILLAGE[t]
        users[t] = str(await conn.fetchval(
            """INSERT INTO users (username, password_hash, role, county_code, region_codes)
               VALUES ($1, $2, 'surveyor', $3, $4) RETURNING id""",
            f"matrix_target_{n}", "x", county_region[:6], [county_region]))
    world.ids["user_id"] = users
    world.ids["allocation_id"] = {t: str(uuid.uuid4()) for t in TARGETS}
    world.ids["package_id"] = {t: str(uuid.uuid4()) for t in TARGETS}
    world.ids["version"] = {t: "no-such-model" for t in TARGETS}
    return world


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def body_for(method: str, path: str, target: str, world: World, serial: int) -> dict[str, Any]:
    """A valid request for the route (body and query), aimed at the target where the route's object is
    in the query or the body: every cell must reach the route's authorization, so a 400 or 422 answer is
    a fault of this function, never "allowed"."""
    day = today().isoformat()
    yesterday = (today() - timedelta(days=1)).isoformat()
    year = today().year
    village = VILLAGE["own" if target == "none" else target]
    if by_region(path):
        if method == "PUT":
            return {"json": {"year": year, "target_person_times": 10 + serial % 50, "region_code": township(village)}}
        params: dict[str, Any] = {"region_code": village}
        if path == "/api/quotas":
            params["year"] = year
        elif path == "/api/progress":
            params["year"] = year
        elif path.endswith("/monthly"):
            params["month"] = f"{year}-{today().month:02d}"
        elif path.endswith("/quarterly"):
            params["quarter"] = f"{year}-{(today().month + 2) // 3}"
        return {"params": params}
    if path == "/api/menu":
        return {"params": {"village_code": KEY_VILLAGE}}
    if path == "/api/auth/token":
        return {"json": {"username": "official_a", "password": PASSWORD}}
    if path == "/api/schools" and method == "POST":
        return {"json": {"county_code": KEY_VILLAGE[:6], "name": f"矩阵学校{serial}", "kind": "technical"}}
    if path == "/api/courses" and method == "POST":
        return {"json": {"school_id": str(SEED.schools["A"]), "title": f"矩阵课程{serial}", "trade_code": ELECTRICIAN,
                         "kind": "short", "hours": 40, "certificate": False}}
    if path == "/api/packages" and method == "POST":
        return {"json": {"county_code": KEY_VILLAGE[:6], "name": f"矩阵包{serial}", "village_codes": [KEY_VILLAGE],
                         "session_ids": [world.of("own_session", "own")]}}
    if path == "/api/households" and method == "POST":
        return {"json": household(serial)}
    if path == "/api/sync":
        return {"json": {"items": [{"kind": "household", "client_id": str(uuid.uuid4()), "data": household(serial)}]}}
    if path == "/api/allocations":
        return {"json": {"region_code": KEY_VILLAGE}}
    if path.endswith(("/withdraw", "/drop", "/cancel")):
        return {"json": {"reason": "矩阵检查"}}
    if path.endswith("/complete"):
        return {"json": {"completed_on": yesterday, "passed": True, "override_reason": "矩阵检查"}}
    if path.endswith("/employment"):
        return {"json": {"employed_on": day, "place": "local"}}
    if path.endswith("/attendance"):
        return {"json": {"date": yesterday, "present": []}}
    if path.endswith("/attendance/sheet") and method == "POST":
        return {"files": {"file": ("sheet.xlsx", world.files["attendance_sheet"][target], XLSX)}}
    if path == "/api/ledger/import":
        return {"files": {"file": ("ledger.xlsx", world.files["ledger"]["own"], XLSX)}}
    if path.endswith(("/majors", "/teachers")):
        return {"json": {"name": f"矩阵{serial}", "trade_codes": [ELECTRICIAN]}}
    if path.endswith("/equipment"):
        return {"json": {"name": f"矩阵{serial}", "quantity": 1, "trade_codes": [ELECTRICIAN]}}
    if path == "/api/courses/{course_id}/sessions":
        return {"json": {"starts_on": day, "ends_on": day, "village_code": VILLAGE[target], "capacity": 5,
                         "teacher_ids": []}}
    if method == "PATCH" and path == "/api/sessions/{session_id}":
        return {"json": {"capacity": 30}}
    if method == "PATCH" and path == "/api/households/{household_id}":
        return {"json": {"head_name": "矩阵户主"}}
    if method == "PATCH" and path == "/api/people/{person_id}":
        return {"json": {"ethnicity": "彝族"}}
    if path.endswith("/members"):
        return {"json": member(f"新成员{serial}", id_number(years_ago(30 + serial // 90), serial % 90 + 10))}
    if path.endswith("/surveys") and method == "POST":
        return {"json": {"surveyed_on": day}}
    if path == "/api/sessions/{session_id}/enrolments" and method == "POST":
        return {"json": {"person_id": world.of("person_id", target)}}
    if method in ("POST", "PUT", "PATCH") and not path.endswith(("/reveal", "/publish", "/disable", "/enable",
                                                                  "/reset-password", "/accept", "/activate")):
        raise AssertionError(f"the matrix has no valid request for {method} {path}: add one to body_for")
    return {}


def household(serial: int) -> dict[str, Any]:
    return {"village_code": KEY_VILLAGE, "head_name": f"矩阵新户{serial}", "poverty_status": "lifted",
            "lifted_year": 2019, "household_no": f"MXN-{serial}",
            "members": [member(f"矩阵新{serial}", id_number(years_ago(40 + serial // 90), serial % 90 + 10),
                               relation="户主")]}


BAD_REQUEST = "bad request"  # never expected: the matrix sent a request the route refuses as malformed


def answer(response: httpx.Response) -> str:
    """What the cell shows: 401/403/404, or allowed (2xx, or a 409 about the object's state, which comes
    after authorization). A 400 or 422 proves nothing about authorization (a route may check the data
    before the scope), so it is never evidence of "allowed": the matrix must send a valid request."""
    if response.status_code in (401, 403, 404):
        return str(response.status_code)
    if response.status_code == 422:
        errors = response.json().get("errors", [])
        if any(e.get("field") == "person_id" and "不在您的权限范围内" in e.get("message", "") for e in errors):
            return HIDE  # a sign-up's person out of reach answers like an unknown id
    assert response.status_code < 500, response.text
    if response.status_code in (400, 422):
        return BAD_REQUEST
    return ALLOW


async def test_every_route_answers_every_role_and_object_as_the_policy_says(
        api: Api, conn: asyncpg.Connection) -> None:
    table = routes(api.app)
    missing = [f"{m} {p}" for m, p in table if f"{m} {p}" not in POLICY]
    assert missing == [], f"routes with no entry in the policy table: {missing}"
    stale = sorted(set(POLICY) - {f"{m} {p}" for m, p in table})
    assert stale == [], f"policy entries for routes that no longer exist: {stale}"

    await conn.execute(
        """INSERT INTO users (username, password_hash, role, county_code, region_codes)
           VALUES ('matrix_surveyor', $1, 'surveyor', '513435', $2)""", hash_password(PASSWORD), [KEY_VILLAGE])
    world = await build_world(api, conn)
    accounts = {r["username"]: r["id"] for r in await conn.fetch("SELECT id, username FROM users")}
    tokens = {role: {"Authorization": "Bearer " + api.app.state.jwt_auth.create_token(
        identifier=str(accounts[name]))} for role, name in ACCOUNTS.items()}
    tokens["anonymous"] = {}

    wrong: list[str] = []
    cells: Counter[str] = Counter()
    serial = 0
    for method, path in table:
        params = [p for p in ("school_id", "course_id", "session_id", "household_id", "person_id", "enrolment_id",
                              "user_id", "allocation_id", "package_id", "version") if "{" + p + "}" in path]
        targets = TARGETS if params or by_region(path) else ("none",)
        for target in targets:
            # Most powerful last, so that a change it makes (a cancel, a withdrawal) cannot hide what the
            # others were allowed to do.
            # The school before the surveyor: once the surveyor has signed a person up for the school's
            # class, the school rightly sees them.
            for role in ("anonymous", "school", "surveyor", "township_official", "county_official", "admin"):
                serial += 1
                url = path
                for p in params:
                    key = "sign_up_session" if (p == "session_id" and method == "POST"
                                                and path.endswith("/enrolments")) else p
                    url = url.replace("{" + p + "}", world.of(key, target))
                expected = POLICY[f"{method} {path}"](role, "own" if target == "none" else target)
                response = await api.http.request(method, url, headers=tokens[role],
                                                  **body_for(method, path, target, world, serial))
                got = answer(response)
                cells[got] += 1
                if got != expected:
                    wrong.append(f"{method} {path} as {role} on {target}: expected {expected}, got "
                                 f"{response.status_code} {response.text[:160]}")
    size = sum(cells.values())
    print(f"\nauthorization matrix: {len(table)} routes, {size} cells: {dict(cells)}")
    assert wrong == [], f"{len(wrong)} of {size} cells differ from the policy:\n" + "\n".join(wrong)


def test_a_route_without_a_policy_entry_is_named(api: Api) -> None:
    """The matrix's first check can fail: drop an entry and it names the route."""
    table = routes(api.app)
    policy = dict(POLICY)
    del policy["GET /api/audit"]
    assert [f"{m} {p}" for m, p in table if f"{m} {p}" not in policy] == ["GET /api/audit"]

