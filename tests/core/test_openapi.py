"""The API documents itself at /schema, and the docs page needs no CDN."""

from __future__ import annotations

from tests.conftest import Api

ROUTES = {
    ("post", "/api/auth/token"), ("get", "/api/regions"), ("get", "/api/trades"),
    ("post", "/api/schools"), ("get", "/api/schools"), ("get", "/api/schools/{school_id}"),
    ("post", "/api/schools/{school_id}/majors"), ("get", "/api/schools/{school_id}/majors"),
    ("post", "/api/schools/{school_id}/teachers"), ("get", "/api/schools/{school_id}/teachers"),
    ("post", "/api/schools/{school_id}/equipment"), ("get", "/api/schools/{school_id}/equipment"),
    ("post", "/api/courses"), ("get", "/api/courses"), ("get", "/api/courses/{course_id}"),
    ("post", "/api/courses/{course_id}/sessions"), ("get", "/api/sessions"),
    ("get", "/api/sessions/{session_id}"), ("patch", "/api/sessions/{session_id}"),
    ("post", "/api/sessions/{session_id}/publish"), ("post", "/api/packages"), ("get", "/api/packages"),
    ("get", "/api/packages/{package_id}"), ("get", "/api/menu"), ("get", "/health"),
}


async def test_openapi_documents_every_route(api: Api) -> None:
    response = await api.get("/schema/openapi.json", None)
    assert response.status_code == 200
    spec = response.json()
    documented = {(method, path.rstrip("/") or "/") for path, ops in spec["paths"].items() for method in ops}
    assert ROUTES <= documented
    assert "BearerToken" in spec["components"]["securitySchemes"]


async def test_docs_page_loads_its_script_from_this_server(api: Api) -> None:
    page = await api.get("/schema", None)
    assert page.status_code == 200
    assert "/static/vendor/rapidoc-min.js" in page.text
    script = await api.get("/static/vendor/rapidoc-min.js", None)
    assert script.status_code == 200
    assert len(script.content) > 100_000


async def test_dashboard_is_served_in_chinese_without_a_cdn(api: Api) -> None:
    page = await api.get("/", None)
    assert page.status_code == 200
    assert 'lang="zh-CN"' in page.text
    assert "http://" not in page.text.replace("http://www.w3.org", "")
    assert "https://" not in page.text
