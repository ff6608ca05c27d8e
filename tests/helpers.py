"""Small builders shared by tests: dates relative to the county's today, and catalogue objects made
through the API the way a school clerk would."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.conftest import TIMEZONE, Api
from tests.seed import KEY_VILLAGE, SEED
from training.core.config import today_in

PROBLEM = "application/problem+json"


def today() -> date:
    """Today for the service under test: its configured zone, never the machine's or the database's."""
    return today_in(TIMEZONE)


def in_days(n: int) -> str:
    return (today() + timedelta(days=n)).isoformat()


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return body


def fields(body: dict[str, Any]) -> dict[str, str]:
    """field path -> message of a validation problem."""
    return {e["field"]: e["message"] for e in body.get("errors", [])}


async def draft_session(api: Api, *, as_: str = "school_a", course: str = "A", teacher: str = "A",
                        village: str = KEY_VILLAGE, start: int = 10, length: int = 5,
                        capacity: int = 20) -> dict[str, Any]:
    response = await api.post(f"/api/courses/{SEED.courses[course]}/sessions", as_, json={
        "starts_on": in_days(start), "ends_on": in_days(start + length), "village_code": village,
        "capacity": capacity, "teacher_ids": [str(SEED.teachers[teacher])]})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def published_session(api: Api, *, as_: str = "school_a", **kwargs: Any) -> dict[str, Any]:
    session = await draft_session(api, as_=as_, **kwargs)
    response = await api.post(f"/api/sessions/{session['id']}/publish", as_)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
