"""Bad requests never strand a pooled database connection."""

from __future__ import annotations

from tests.conftest import Api


async def test_many_bad_query_parameters_leave_the_pool_usable(api: Api) -> None:
    # The test app's pool has 4 connections; a leak per bad request would block the last request.
    for _ in range(10):
        response = await api.get("/api/sessions", "official_a", params={"limit": "0", "starts_from": "x"})
        assert response.status_code == 400
    for _ in range(10):
        response = await api.post("/api/courses", "school_a", json={"title": 1})
        assert response.status_code == 400
    assert (await api.get("/api/sessions", "official_a")).status_code == 200
    assert api.app.state.pool.get_idle_size() >= 1


async def test_paging_past_the_end_keeps_the_real_total(api: Api) -> None:
    first = (await api.get("/api/schools", "sysadmin")).json()
    beyond = (await api.get("/api/schools", "sysadmin", params={"offset": 100})).json()
    assert first["total"] == 3
    assert beyond == {"items": [], "total": 3, "limit": 50, "offset": 100}
