"""Every enrolment route, aimed at another county's and another school's objects."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.enrolment.test_enrolment import enrol, people
from tests.helpers import assert_problem, published_session, today


@pytest.fixture
async def entry(api: Api) -> dict[str, Any]:
    session = await published_session(api)
    person = (await people(api, 1))[0]
    body: dict[str, Any] = (await enrol(api, session, person)).json()
    return body


def routes(e: dict[str, Any]) -> list[tuple[str, str, Any]]:
    day = today().isoformat()
    return [
        ("GET", f"/api/enrolments/{e['id']}", None),
        ("POST", f"/api/enrolments/{e['id']}/withdraw", {"reason": "x"}),
        ("POST", f"/api/enrolments/{e['id']}/drop", {"reason": "x"}),
        ("POST", f"/api/enrolments/{e['id']}/complete", {"completed_on": day, "passed": True}),
        ("POST", f"/api/enrolments/{e['id']}/employment", {"employed_on": day, "place": "local"}),
        ("GET", f"/api/sessions/{e['session_id']}/enrolments", None),
        ("POST", f"/api/sessions/{e['session_id']}/attendance", {"date": day, "present": []}),
        ("GET", f"/api/people/{e['person_id']}/enrolments", None),
    ]


@pytest.mark.parametrize("user", ["admin_c", "school_c", "official_c"])
async def test_another_countys_users_find_nothing(api: Api, entry: dict[str, Any], user: str) -> None:
    for method, path, body in routes(entry):
        response = await api.http.request(method, path, json=body, headers=api.token(user))
        assert_problem(response, 404)
        assert entry["person_name"] not in response.text


async def test_another_school_of_the_county_cannot_see_or_change_it(api: Api, entry: dict[str, Any]) -> None:
    for method, path, body in routes(entry):
        response = await api.http.request(method, path, json=body, headers=api.token("school_b"))
        assert response.status_code in (403, 404), (method, path, response.status_code)
        assert entry["person_name"] not in response.text
    still = (await api.get(f"/api/enrolments/{entry['id']}", "school_a")).json()
    assert still["status"] == "enrolled"


async def test_a_surveyor_of_other_villages_cannot_see_or_change_it(api: Api, entry: dict[str, Any]) -> None:
    for method, path, body in routes(entry):
        response = await api.http.request(method, path, json=body, headers=api.token("surveyor_b"))
        assert response.status_code in (403, 404), (method, path, response.status_code)
        assert entry["person_name"] not in response.text


@pytest.mark.parametrize(("user", "status"), [("school_b", 403), ("surveyor_a", 403), ("admin_c", 404)])
async def test_only_the_sessions_school_uploads_its_sign_in_sheet(api: Api, entry: dict[str, Any], user: str,
                                                                  status: int) -> None:
    response = await api.http.post(f"/api/sessions/{entry['session_id']}/attendance/sheet", headers=api.token(user),
                                   files={"file": ("签到表.xlsx", b"PK\x03\x04 not read", "application/octet-stream")})
    assert_problem(response, status)
