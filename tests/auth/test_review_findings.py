"""An outside review's findings on the authorization matrix (issue 10): rows that could not fail."""

from __future__ import annotations

from typing import Any, cast

import httpx
import pytest

from tests.auth.test_matrix import (
    ALLOW,
    ANON,
    BAD_REQUEST,
    DENY,
    HIDE,
    POLICY,
    World,
    answer,
    body_for,
    routes,
)
from tests.conftest import Api

SCOPED_BY_QUERY = ("/api/quotas", "/api/progress", "/api/reports")


async def test_the_matrix_reaches_the_scope_check_of_every_progress_route(api: Api) -> None:
    unchecked = []
    for method, path in routes(api.app):
        if not path.startswith(SCOPED_BY_QUERY):
            continue
        assert f"{method} {path}" in POLICY
        # Exactly the request the matrix sends for a route without a path object, as the county's admin.
        request: dict[str, Any] = body_for(method, path, "own", cast(World, None), 1)
        assert "region_code" in request.get("params", {}) or "region_code" in request.get("json", {})
        response = await api.http.request(method, path, headers=api.token("admin_a"), **request)
        if response.status_code in (400, 422):
            unchecked.append(f"{method} {path}: {response.status_code}")
    assert unchecked == []


def test_a_400_or_422_is_never_taken_for_allowed() -> None:
    for status in (400, 422):
        got = answer(httpx.Response(status, json={"type": "about:blank", "status": status, "detail": "x"}))
        assert got == BAD_REQUEST and got not in (ALLOW, DENY, HIDE, ANON)
    assert answer(httpx.Response(409, json={})) == ALLOW


def test_a_route_the_matrix_cannot_build_a_request_for_fails() -> None:
    with pytest.raises(AssertionError, match="no valid request for POST /api/new-thing"):
        body_for("POST", "/api/new-thing", "none", World(), 1)
