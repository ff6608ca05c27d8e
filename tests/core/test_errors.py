"""Every failure is application/problem+json; validation lists every bad field, in Chinese."""

from __future__ import annotations

import msgspec
import pytest

from tests.conftest import Api
from tests.helpers import assert_problem, fields
from tests.seed import SEED
from training.catalogue.schemas import CourseCreate, PackageCreate
from training.core.errors import collect_errors, translate


async def test_a_bad_body_lists_every_bad_field_with_its_path(api: Api) -> None:
    response = await api.post("/api/courses", "school_a", json={
        "school_id": "not-a-uuid", "title": "", "kind": "weekend", "hours": 0, "certificate": "yes",
        "min_age": 200, "colour": "red"})
    body = assert_problem(response, 400)
    assert fields(body) == {
        "colour": "不认识的字段，请删除",
        "school_id": "不是有效的编号（UUID）",
        "title": "至少 1 个字符",
        "trade_code": "缺少必填字段",
        "kind": "不是可选的值：'weekend'",
        "hours": "不能小于 1",
        "certificate": "应为是/否（true/false），收到的是文本",
        "min_age": "不能大于 120",
    }
    assert all(e["location"] == "body" for e in body["errors"])


async def test_nested_list_items_are_named_by_index(api: Api) -> None:
    response = await api.post(f"/api/schools/{SEED.schools['A']}/majors", "school_a",
                              json={"name": "电子", "trade_codes": ["6-31-01-03", "631013"]})
    body = assert_problem(response, 400)
    assert fields(body) == {"trade_codes[1]": "格式不正确"}


async def test_a_body_that_is_not_json_is_a_400_problem(api: Api) -> None:
    response = await api.http.post("/api/courses", content=b"{not json", headers={
        **api.token("school_a"), "content-type": "application/json"})
    assert_problem(response, 400)


async def test_a_body_that_is_not_an_object_is_a_400_problem(api: Api) -> None:
    response = await api.post("/api/courses", "school_a", json=[1, 2, 3])
    assert_problem(response, 400)


async def test_bad_query_parameters_name_the_parameter(api: Api) -> None:
    body = assert_problem(await api.get("/api/sessions", "official_a", params={"starts_from": "yesterday"}), 400)
    assert body["errors"] == [{"field": "starts_from", "message": "日期格式应为 YYYY-MM-DD", "location": "query"}]
    body = assert_problem(await api.get("/api/sessions", "official_a", params={"limit": "0"}), 400)
    assert body["errors"] == [{"field": "limit", "message": "不能小于 1", "location": "query"}]


async def test_a_reversed_date_range_is_refused(api: Api) -> None:
    response = await api.get("/api/sessions", "official_a", params={"starts_from": "2027-03-01",
                                                                      "starts_to": "2027-02-01"})
    body = assert_problem(response, 422)
    assert fields(body) == {"starts_to": "结束日期不能早于开始日期"}


async def test_bad_path_parameter_is_not_found_not_a_crash(api: Api) -> None:
    assert_problem(await api.get("/api/schools/not-a-uuid", "official_a"), 404)


async def test_unknown_routes_and_methods_are_problems(api: Api) -> None:
    assert_problem(await api.get("/api/nowhere", "official_a"), 404)
    assert_problem(await api.http.delete("/api/schools", headers=api.token("admin_a")), 405)


async def test_a_database_constraint_the_service_did_not_foresee_is_not_a_500(api: Api) -> None:
    # A trade code that passes the shape check but is not in the table: the service catches it first,
    # naming the field; the point is that nothing reaches the client as a 500.
    response = await api.post(f"/api/schools/{SEED.schools['A']}/teachers", "school_a",
                              json={"name": "赵老师", "trade_codes": ["9-99-99-99"]})
    body = assert_problem(response, 422)
    assert fields(body) == {"trade_codes[0]": "工种代码 9-99-99-99 不在职业分类大典工种表中"}


def test_collect_errors_reports_missing_fields_and_nested_structs() -> None:
    errors = collect_errors(PackageCreate, {"county_code": "51", "village_codes": [], "session_ids": ["x"]})
    assert {(e.field, e.message) for e in errors} == {
        ("county_code", "格式不正确"), ("name", "缺少必填字段"), ("village_codes", "至少要有 1 项"),
        ("session_ids[0]", "不是有效的编号（UUID）")}


def test_collect_errors_finds_nothing_in_a_valid_body() -> None:
    raw = {"school_id": "0b6f6f4e-58b5-4bd4-b2b4-6a2f7b4c2e11", "title": "电工", "trade_code": "6-31-01-03",
           "kind": "short", "hours": 80, "certificate": True}
    assert collect_errors(CourseCreate, raw) == []
    assert msgspec.convert(raw, CourseCreate).hours == 80


@pytest.mark.parametrize(("message", "field", "text"), [
    ("Expected `int`, got `str` - at `$.hours`", "hours", "应为整数，收到的是文本"),
    ("Object missing required field `name`", "name", "缺少必填字段"),
    ("Expected `array` of length <= 3 - at `$.desired_trades`", "desired_trades", "最多只能有 3 项"),
    ("Invalid RFC3339 encoded date - at `$[0].starts_on`", "[0].starts_on", "日期格式应为 YYYY-MM-DD"),
    ("Something msgspec has never said", "(body)", "内容不正确"),
])
def test_msgspec_messages_become_chinese(message: str, field: str, text: str) -> None:
    error = translate(message)
    assert (error.field, error.message) == (field, text)


async def test_an_unexpected_failure_is_a_500_problem_whose_log_omits_the_message(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    from training.catalogue import service

    number, phone = "5134351990" + "01011234", "139" + "00001111"

    async def broken(*_: object) -> None:
        # Built at run time: a traceback shows source lines, and production source holds no personal data.
        raise RuntimeError(f"row ({number}, {phone}) failed")

    monkeypatch.setattr(service, "search_trades", broken)
    body = assert_problem(await api.get("/api/trades", "official_a"), 500)
    assert body["reference"] in body["detail"]
    assert "513435199001011234" not in str(body)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "RuntimeError" in logged and body["reference"] in logged
    assert "513435199001011234" not in logged and "13900001111" not in logged
