"""The API documents itself at /schema, and the docs page needs no CDN."""

from __future__ import annotations

from typing import Any

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


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, ops in spec["paths"].items() for method, op in ops.items()]


async def test_every_error_answer_is_documented_as_a_problem(api: Api) -> None:
    spec = (await api.get("/schema/openapi.json", None)).json()
    for method, path, op in operations(spec):
        errors = {status: response for status, response in op["responses"].items() if status >= "400"}
        assert "503" in errors, (method, path)
        if path == "/health":
            continue
        for status, response in errors.items():
            assert list(response["content"]) == ["application/problem+json"], (method, path, status)
            assert response["content"]["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/ProblemDetails"}
        if op.get("parameters") or op.get("requestBody"):
            assert {"400", "404", "422"} <= set(errors), (method, path)
        if method in {"POST", "PUT", "PATCH"} and path != "/api/auth/token":
            assert "409" in errors, (method, path)


async def test_only_health_and_login_need_no_token(api: Api) -> None:
    spec = (await api.get("/schema/openapi.json", None)).json()
    assert "security" not in spec
    open_ = {(method, path) for method, path, op in operations(spec) if not op.get("security")}
    assert open_ == {("GET", "/health"), ("POST", "/api/auth/token")}
    for method, path, op in operations(spec):
        if op.get("security"):
            assert op["security"] == [{"BearerToken": []}]
            assert {"401", "403"} <= set(op["responses"]), (method, path)
    login = spec["paths"]["/api/auth/token"]["post"]["responses"]
    assert {"401", "429"} <= set(login)


async def test_workbooks_are_documented_as_xlsx(api: Api) -> None:
    spec = (await api.get("/schema/openapi.json", None)).json()
    for path in ["/api/ledger/template", "/api/ledger/export", "/api/reports/monthly", "/api/reports/quarterly"]:
        assert list(spec["paths"][path]["get"]["responses"]["200"]["content"]) == [XLSX], path
    worklist = spec["paths"]["/api/progress/uncovered-households"]["get"]["responses"]["200"]["content"]
    assert worklist["application/json"]["schema"] == {"$ref": "#/components/schemas/UncoveredPage"}
    assert XLSX in worklist


async def test_request_bodies_refuse_unknown_fields_and_constrain_their_items(api: Api) -> None:
    spec = (await api.get("/schema/openapi.json", None)).json()
    schemas = spec["components"]["schemas"]
    for name in ["SchoolCreate", "SessionCreate", "SessionUpdate", "HouseholdCreate", "PackageCreate", "TokenRequest"]:
        assert schemas[name]["additionalProperties"] is False, name
    assert schemas["PackageCreate"]["properties"]["village_codes"]["items"]["pattern"] == r"^\d{12}$"
    assert schemas["MajorCreate"]["properties"]["trade_codes"]["items"]["pattern"] == r"^\d-\d{2}-\d{2}-\d{2}$"
    # An optional field's bounds sit on its non-null option, zero included.
    capacity = schemas["SessionUpdate"]["properties"]["capacity"]
    assert capacity["oneOf"][0] == {"type": "integer", "minimum": 0, "maximum": 10000}
    assert "minimum" not in capacity


async def test_paging_offset_is_bounded(api: Api) -> None:
    spec = (await api.get("/schema/openapi.json", None)).json()
    offsets = [p for _, _, op in operations(spec) for p in op.get("parameters", []) if p["name"] == "offset"]
    assert offsets and all(p["schema"].get("maximum") for p in offsets)
    response = await api.get("/api/schools?offset=99999999999999999999", "admin_a")
    assert response.status_code == 400, response.text
