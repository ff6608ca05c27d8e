"""Every query and path parameter error, on every route of the app's own OpenAPI document, is a 400
problem in Chinese that names the parameter and never quotes what was sent (a query string may carry
an ID number typed into the wrong box). An empty body on any PATCH route says so in Chinese."""

from __future__ import annotations

import re
import uuid
from typing import Any

from stdnum.cn import ric

from tests.conftest import Api
from tests.helpers import assert_problem

_BODY = "51343519900101123"
ID_NUMBER = _BODY + ric.calc_check_digit(_BODY + "0")
# Tried in order until one passes the route's role guard: parameter errors are for whoever may call it.
USERS = ("admin_a", "sysadmin", "official_a", "surveyor_a", "school_a")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def operations(api: Api) -> list[tuple[str, str, dict[str, Any]]]:
    schema = api.app.openapi_schema.to_schema()
    return [(method.upper(), path, op) for path, item in schema["paths"].items()
            for method, op in item.items() if method in ("get", "post", "patch", "put", "delete")]


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: str(uuid.uuid4()), path)


def _constrained(schema: dict[str, Any]) -> bool:
    """Whether an ID number can be a wrong value for this parameter (a plain text filter takes anything)."""
    flat = [schema, *schema.get("oneOf", [])]
    # An integer without a maximum (an offset) takes an 18-digit number: it is the caller's own page.
    return any((s.get("type") in ("integer", "number") and "maximum" in schema) or s.get("type") == "boolean"
               or "pattern" in s or "enum" in s
               or s.get("format") in ("uuid", "date", "date-time") for s in flat) or "pattern" in schema


async def call(api: Api, method: str, path: str, **kwargs: Any) -> Any:
    for user in USERS:
        response = await api.http.request(method, path, headers=api.token(user), **kwargs)
        if response.status_code not in (401, 403):
            return response
    raise AssertionError(f"no seeded user may call {method} {path}")


def assert_clean(body: dict[str, Any], name: str, location: str) -> None:
    text = str(body)
    assert ID_NUMBER not in text and ID_NUMBER[-8:] not in text, text
    assert [e["field"] for e in body["errors"]] == [name], text
    assert body["errors"][0]["location"] == location
    assert _CJK.search(body["detail"]) and _CJK.search(body["errors"][0]["message"]), text
    # No English left over (the words a clerk types, true/false and YYYY-MM-DD, are fine).
    assert not re.search(r"[A-Za-z]{4,}", re.sub(r"true|false|YYYY|UUID|JSON", "", body["errors"][0]["message"])), text


async def test_a_missing_required_query_parameter_is_named_in_chinese_and_the_query_is_not_echoed(api: Api) -> None:
    checked = []
    for method, path, op in operations(api):
        required = [p for p in op.get("parameters", []) if p["in"] == "query" and p.get("required")]
        for missing in required:
            others = {p["name"]: example(p["schema"]) for p in required if p is not missing}
            response = await call(api, method, concrete(path), params={**others, "q": ID_NUMBER})
            assert_clean(assert_problem(response, 400), missing["name"], "query")
            assert assert_problem(response, 400)["errors"][0]["message"] == "缺少必填的查询参数"
            checked.append((path, missing["name"]))
    assert len(checked) >= 8, checked  # /api/menu, /api/quotas, /api/progress…, /api/reports/…


async def test_a_wrong_query_parameter_is_named_in_chinese_and_its_value_is_not_echoed(api: Api) -> None:
    checked = []
    for method, path, op in operations(api):
        parameters = [p for p in op.get("parameters", []) if p["in"] == "query"]
        required = {p["name"]: example(p["schema"]) for p in parameters if p.get("required")}
        for parameter in parameters:
            if not _constrained(parameter["schema"]):
                continue
            response = await call(api, method, concrete(path), params={**required, parameter["name"]: ID_NUMBER})
            assert_clean(assert_problem(response, 400), parameter["name"], "query")
            checked.append((path, parameter["name"]))
    assert len(checked) >= 30, checked


async def test_a_path_parameter_that_is_not_an_id_is_a_chinese_not_found_that_does_not_echo_it(api: Api) -> None:
    for method, path, _ in operations(api):
        if "{" not in path:
            continue
        response = await call(api, method, re.sub(r"\{[^}]+\}", ID_NUMBER, path), json={})
        if response.status_code == 404:
            body = assert_problem(response, 404)
        else:  # a text parameter (a model version) reaches its handler, which refuses it
            body = response.json()
            assert 400 <= response.status_code < 500, (path, response.text)
        assert ID_NUMBER not in response.text and _CJK.search(body["detail"]), (path, response.text)


async def test_an_empty_patch_says_in_chinese_that_the_body_is_missing_on_every_patch_route(api: Api) -> None:
    patches = [(path, op) for method, path, op in operations(api) if method == "PATCH"]
    assert len(patches) >= 3
    for path, _ in patches:
        response = await call(api, "PATCH", concrete(path))
        body = assert_problem(response, 400)
        assert body["errors"] == [{"field": "(body)", "message": "请求内容为空：应为 JSON 对象，写出要填写或修改的字段",
                                   "location": "body"}], (path, body)
        assert "Empty" not in response.text


def example(schema: dict[str, Any]) -> str:
    """A valid value for a required parameter, so only the one under test is wrong."""
    description = schema.get("description", "")
    if "YYYY-MM" in description:
        return "2026-03"
    if "YYYY-Q" in description:
        return "2026-1"
    if schema.get("type") == "integer":
        return str(int(schema.get("minimum", 2026)))
    if schema.get("pattern") == r"^\d{12}$":  # a village (the menu's, beside its paging parameters)
        return "513435000000"
    if "pattern" in schema:
        return "513435"
    return "x"
