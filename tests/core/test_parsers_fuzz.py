"""Every parser of outside input, fed anything (hypothesis): it returns a value or raises its own clear
error (a Chinese message a clerk can act on), never another exception, whatever a library underneath
raises (python-stdnum, datetime, csv, calamine, zipfile).

The inputs are what actually arrives: workbook cells as calamine gives them (text, int, float including
nan and inf, bool, date, datetime, time, timedelta, empty), query strings, CSV text, JSON-ish records,
and uploaded bytes; plus text shaped like the real thing (18-digit numbers, dates, months) so the
deeper branches are reached, not only the first check.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from training.core import cells
from training.core.errors import FieldError, InvalidInput, Problem
from training.core.excel import read_sheet
from training.core.idcard import IdCard, IdCardError, parse_id_number
from training.core.text import clean, parse_bool, printable, quoted
from training.enrolment import signin
from training.ledger import columns as col
from training.ledger.service import Parsed, parse_rows
from training.progress.service import parse_period
from training.regions.service import parse_csv
from training.registry.rules import Reference, household_errors, person_errors, survey_errors
from training.registry.service import household_number

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_CJK = re.compile(r"[\u4e00-\u9fff]")

# Text a clerk or a device might send: any Unicode, and the characters that break naive parsers.
texts = st.one_of(st.text(), st.text(alphabet="0123456789xX-/.年月日 ,，、;；\u3000\u200b\x00\x07０１２３ＸＱ", max_size=30))
digits = st.from_regex(r"\A[0-9０-９]{0,20}[0-9xX]?\Z")
id_like = st.one_of(st.from_regex(r"\A[1-9]\d{5}(19|20)\d{2}[01]\d[0-3]\d\d{3}[\dXx]\Z"), digits)
dates_as_text = st.from_regex(r"\A\d{1,5}[-/.年]\d{1,3}[-/.月]\d{1,3}日?\Z")
cells_ = st.one_of(
    st.none(), texts, id_like, dates_as_text, st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.dates(), st.datetimes(), st.times(), st.timedeltas(),
)


def assert_own_error(exc: BaseException, kind: type[BaseException]) -> None:
    """The error is the parser's own (its type) and says something a clerk can read (Chinese)."""
    assert type(exc) is kind or (isinstance(exc, kind) and type(exc).__module__.startswith("training")), repr(exc)
    message = exc.detail if isinstance(exc, Problem) else str(exc)
    assert _CJK.search(message), repr(exc)


def returns_or_raises(parse: Any, value: Any, kind: type[BaseException], *args: Any) -> Any:
    try:
        return parse(value, *args)
    except kind as exc:
        assert_own_error(exc, kind)
        return None


# ------------------------------------------------------------------ ID numbers (python-stdnum underneath)

@FUZZ
@given(st.one_of(cells_, id_like), st.one_of(st.none(), st.dates()))
def test_an_id_number_parses_or_says_why_not(raw: object, today: date | None) -> None:
    card = returns_or_raises(parse_id_number, raw, IdCardError, today)
    if card is not None:
        assert isinstance(card, IdCard) and re.fullmatch(r"\d{17}[\dX]", card.number)
        assert card.sex in ("male", "female") and card.address_code == card.number[:6]


# ------------------------------------------------------------------ workbook cells

@FUZZ
@given(cells_)
def test_every_cell_reader_returns_a_value_or_a_chinese_value_error(cell: object) -> None:
    for reader in (cells.yes_no, cells.year, cells.months, cells.a_date, cells.any_date, cells.text_value,
                   cells.phone, cells.code_text, cells.header_key):
        value = returns_or_raises(reader, cell, ValueError)
        if reader is cells.months and value is not None:
            assert all(1 <= m <= 12 for m in value)
        if reader is cells.a_date and value is not None:
            assert 2000 <= value.year <= 2100
    clean(cell), parse_bool(cell), household_number(None if cell is None else str(cell))  # total: never raise


@FUZZ
@given(cells_)
def test_every_choice_column_reads_a_known_word_or_says_which_words_it_knows(cell: object) -> None:
    for mapping, what in ((col.POVERTY, "家庭属性"), (col.LABOUR, "劳动能力"), (col.WORK, "务工状况"),
                          (col.MONITOR, "监测类型"), (col.SEX, "性别"), (col.KIND, "培训类型")):
        value = returns_or_raises(col.word(mapping, what), cell, ValueError)
        assert value is None or value in mapping.values()
    returns_or_raises(col.education, cell, ValueError, {"初中毕业": "71"})


@FUZZ
@given(texts)
def test_text_helpers_are_total(text: str) -> None:
    assert printable(printable(text)) == printable(text)
    assert len(quoted(text)) <= 40
    assert not re.search(r"\d{11,}", quoted(text))


# ------------------------------------------------------------------ months, quarters, years (query strings)

@FUZZ
@given(st.one_of(st.none(), texts, st.from_regex(r"\A\d{4}-\d{1,2}\Z")),
       st.one_of(st.none(), texts, st.from_regex(r"\A\d{4}-Q?\d\Z")), st.one_of(st.none(), st.integers(2000, 2100)))
def test_a_period_is_a_year_and_months_or_a_chinese_problem_naming_the_parameter(
        month: str | None, quarter: str | None, year: int | None) -> None:
    try:
        got_year, first, last = parse_period(month, quarter, year)
    except InvalidInput as exc:
        assert_own_error(exc, InvalidInput)
        assert [e.field for e in exc.errors] in (["month"], ["quarter"], ["year"], ["month", "quarter"],
                                                 ["year", "month"], ["year", "quarter"])
        return
    assert 2000 <= got_year <= 2100 and 1 <= first <= last <= 12


# ------------------------------------------------------------------ region codes (CSV)

REGION_HEADER = "code,name,parent_code,level,lat,lng\n"
region_lines = st.lists(st.tuples(st.one_of(digits, texts), texts, st.one_of(digits, texts),
                                  st.sampled_from(["county", "township", "village", "", "x"]),
                                  st.one_of(texts, st.floats().map(str)), st.one_of(texts, st.floats().map(str))),
                        max_size=8)


@FUZZ
@given(st.one_of(texts, region_lines.map(
    lambda rows: REGION_HEADER + "\n".join(",".join(f'"{v}"' for v in row) for row in rows))))
@example("\n")  # hypothesis found it: a lone line break made csv raise its own error (a 500)
@example("a\rb")
@example(REGION_HEADER + '"1\r')
def test_a_regions_file_gives_rows_or_problems_by_line_and_column(text: str) -> None:
    rows, errors = parse_csv(text)
    assert all(isinstance(e, FieldError) and _CJK.search(e.message) for e in errors)
    assert all(re.fullmatch(r"\d{12}", r.code) for r in rows) or errors


# ------------------------------------------------------------------ the ledger's rows (trade names, phones, 户编号, enums)

@FUZZ
@given(st.lists(st.lists(cells_, min_size=len(col.HEADERS), max_size=len(col.HEADERS) + 2), max_size=4),
       st.booleans())
def test_ledger_rows_are_parsed_or_reported_by_row_and_column(data: list[list[object]], with_header: bool) -> None:
    grid: list[list[object]] = [list(col.HEADERS + col.SURVEY_HEADERS), *data] if with_header else data
    trades = {"电工": "6-31-01-03", "6-31-01-03": "6-31-01-03"}
    try:
        parsed = parse_rows(grid, trades, {"初中毕业": "71"})
    except Problem as exc:
        assert_own_error(exc, Problem)
        return
    assert isinstance(parsed, Parsed)
    assert all(_CJK.search(r.message) for r in parsed.rejected)


# ------------------------------------------------------------------ the registry's rules (phones, names, codes)

reference = Reference(education=frozenset({"71", "81"}), trades=frozenset({"6-31-01-03"}), today=date(2026, 11, 30))
maybe_text = st.one_of(st.none(), texts, id_like)
# Each field with the type its JSON schema (or the ledger's cell reader) gives it, and any value of that type.
record_fields = {
    "village_code": maybe_text, "head_name": maybe_text, "household_no": maybe_text, "phone": maybe_text,
    "poverty_status": maybe_text, "lifted_year": st.one_of(st.none(), st.integers(-10**6, 10**6)),
    "monitor_type": maybe_text, "risk_removed": st.one_of(st.none(), st.booleans()),
    "poverty_causes": st.lists(texts, max_size=4), "name": maybe_text, "relation": maybe_text,
    "ethnicity": maybe_text, "id_number": maybe_text, "sex": maybe_text, "birth_date": st.one_of(st.none(), st.dates()),
    "left_school_year": st.one_of(st.none(), st.integers(-10**6, 10**6)), "education": maybe_text,
    "in_school": st.booleans(), "labour_capacity": maybe_text, "work_status": maybe_text,
    "skills": st.lists(texts, max_size=4), "desired_trades": st.lists(st.one_of(texts, st.just("6-31-01-03")), max_size=5),
    "training_kind": maybe_text, "available_months": st.lists(st.integers(-50, 50), max_size=14),
    "surveyed_on": st.one_of(st.none(), st.dates()),
}


@FUZZ
@given(st.fixed_dictionaries({}, optional=record_fields))
def test_the_rules_answer_chinese_field_errors_for_any_record(record: dict[str, Any]) -> None:
    errors = household_errors(record, reference) + survey_errors(record, reference) + person_errors(record, reference)[1]
    assert all(isinstance(e, FieldError) and _CJK.search(e.message) for e in errors)


# ------------------------------------------------------------------ uploads (bytes) and the sign-in sheet

@FUZZ
@given(st.one_of(st.binary(max_size=2000), st.binary(max_size=200).map(lambda b: b"PK\x03\x04" + b)))
def test_uploaded_bytes_are_a_sheet_or_a_chinese_problem(content: bytes) -> None:
    rows = returns_or_raises(read_sheet, content, Problem)
    assert rows is None or isinstance(rows, list)


@FUZZ
@given(st.lists(st.lists(cells_, max_size=6), max_size=5), st.integers(2000, 2100))
def test_a_sign_in_sheet_header_is_found_or_a_chinese_problem(rows: list[list[object]], year: int) -> None:
    grid = [["姓名", "身份证号", *[c for c in (rows[0] if rows else [])]], *rows]
    try:
        signin._locate(grid, year)
    except Problem as exc:
        assert_own_error(exc, Problem)
    for cell in (rows[0] if rows else []):
        day = signin._day(cell, year)
        assert day is None or isinstance(day, date)


def test_the_strategies_reach_the_deep_branches() -> None:
    """The fuzzing is not only bouncing off the first check: valid numbers, dates and periods occur."""
    assert parse_id_number("513435199001011234").sex == "male"
    assert cells.a_date("2026年3月5日") == date(2026, 3, 5) and cells.months("3、4,10") == [3, 4, 10]
    assert parse_period("2026-03", None, None) == (2026, 3, 3)
