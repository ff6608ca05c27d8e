"""The one parser of a reporting period (progress, monthly and quarterly reports): ASCII YYYY-MM, YYYY-Q or a
year; a period that contradicts itself is refused naming the fields, never silently answered."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Api
from tests.helpers import assert_problem
from training.core.errors import InvalidInput
from training.progress.service import Period, parse_period

_CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(("month", "quarter", "year", "expected"), [
    ("2026-03", None, None, Period(2026, 3, 3)),
    ("2026-12", None, 2026, Period(2026, 12, 12)),
    (None, "2026-1", None, Period(2026, 1, 3)),
    (None, "2026-Q4", 2026, Period(2026, 10, 12)),
    (None, None, 2025, Period(2025, 1, 12)),
])
def test_a_period_is_a_month_a_quarter_or_a_year(month: str | None, quarter: str | None, year: int | None,
                                                 expected: Period) -> None:
    assert parse_period(month, quarter, year) == expected


@pytest.mark.parametrize(("month", "quarter", "year", "named"), [
    ("２０２６-０３", None, None, ["month"]),          # full-width digits
    ("٢٠٢٦-٠٣", None, None, ["month"]),               # Arabic-Indic digits
    (None, "２０２６-１", None, ["quarter"]),
    (None, "2026-\u0661", None, ["quarter"]),
    ("2026-3", None, None, ["month"]), ("2026-13", None, None, ["month"]), ("1999-01", None, None, ["month"]),
    ("2026-03\n", None, None, ["month"]), (None, "2026-5", None, ["quarter"]),
    ("2026-03", None, 2025, ["year", "month"]),
    (None, "2026-1", 2025, ["year", "quarter"]),
    ("2026-03", "2026-4", None, ["month", "quarter"]),
    ("2026-03", "2026-1", 2026, ["month", "quarter"]),  # even when they overlap: ask for one
    (None, None, None, ["year"]),
])
def test_a_bad_or_contradicting_period_names_its_fields_in_chinese(month: str | None, quarter: str | None,
                                                                   year: int | None, named: list[str]) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_period(month, quarter, year)
    assert [e.field for e in caught.value.errors] == named
    assert all(_CJK.search(e.message) and e.location == "query" for e in caught.value.errors)


texts = st.one_of(st.none(), st.text(max_size=12), st.from_regex(r"\A\d{4}-Q?\d{1,2}\Z"),
                  st.text(alphabet="0123456789-Q０１２٠١٢", max_size=8))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts, texts, st.one_of(st.none(), st.integers(1990, 2110)))
def test_any_input_is_a_period_or_its_own_clear_error(month: str | None, quarter: str | None,
                                                      year: int | None) -> None:
    try:
        got = parse_period(month, quarter, year)
    except InvalidInput as exc:
        assert exc.errors and all(_CJK.search(e.message) for e in exc.errors)
        assert {e.field for e in exc.errors} <= {"month", "quarter", "year"}
        return
    assert 2000 <= got.year <= 2100 and 1 <= got.first <= got.last <= 12
    assert (month is None) + (quarter is None) >= 1
    if year is not None:
        assert got.year == year
    for text in (month, quarter):
        if text is not None:
            assert text.isascii() and text.startswith(str(got.year))


async def test_the_routes_refuse_a_contradiction_with_the_fields_named(api: Api) -> None:
    cases: list[tuple[str, dict[str, str | int], set[str]]] = [
        ("/api/progress", {"year": 2025, "month": "2026-03"}, {"year", "month"}),
        ("/api/progress", {"month": "2026-03", "quarter": "2026-1"}, {"month", "quarter"}),
        ("/api/reports/monthly", {"month": "２０２６-０３"}, {"month"}),
        ("/api/reports/quarterly", {"quarter": "2026-５"}, {"quarter"}),
    ]
    for path, params, named in cases:
        body = assert_problem(await api.get(path, "official_a", params={"region_code": "513435000000", **params}),
                              422)
        assert {e["field"] for e in body["errors"]} == named, body
