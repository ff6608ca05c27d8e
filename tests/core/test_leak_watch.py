"""The suite-wide leak watch (tests/leaks.py) itself: it finds a full ID number or phone wherever it
shows up, lets an audited reveal through, and ignores masked numbers. (Its findings over the whole run
fail the run: see pytest_sessionfinish in tests/conftest.py.)"""

from __future__ import annotations

import io
import logging
from typing import Any

import httpx
from openpyxl import Workbook

from tests.core.test_parameter_errors import ID_NUMBER
from tests.leaks import LogWatch, Watch, full_numbers, watch_asgi

PHONE = "13912345678"


def test_full_numbers_are_found_and_masked_or_wrong_ones_are_not() -> None:
    assert full_numbers(f"身份证 {ID_NUMBER}，电话{PHONE}。") == [ID_NUMBER, PHONE]
    wrong_check_digit = ID_NUMBER[:17] + ("0" if ID_NUMBER[17] != "0" else "1")
    assert full_numbers(f"{ID_NUMBER[:3]}***********{ID_NUMBER[-4:]} 139****5678 {wrong_check_digit}") == []
    assert full_numbers("offset 1391234567890 0.13912345678 a13912345678b") == []


def app_answering(body: bytes, content_type: str = "application/json", replayed: bool = False) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        headers = [(b"content-type", content_type.encode())]
        if replayed:
            headers.append((b"idempotent-replayed", b"true"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
    return app


async def call(app: Any, method: str, path: str, **params: str) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        await http.request(method, path, params=params)


async def test_a_response_with_a_full_number_is_a_finding_unless_it_is_an_audited_reveal() -> None:
    watch = Watch()
    leaky = f'{{"phone": "{PHONE}"}}'.encode()
    await call(watch_asgi(app_answering(leaky), watch), "GET", "/api/people/x")
    reveal = "/api/people/00000000-0000-0000-0000-000000000001/reveal"
    await call(watch_asgi(app_answering(leaky), watch), "POST", reveal)
    await call(watch_asgi(app_answering(leaky, replayed=True), watch), "POST", reveal)
    await call(watch_asgi(app_answering(leaky), watch), "GET", "/api/ledger/export", reveal="true")
    await call(watch_asgi(app_answering(leaky), watch), "GET", "/api/people", q=PHONE)
    assert watch.findings == ["response GET /api/people/x 200: 139****5678",
                              f"response POST {reveal} 200 (replayed): 139****5678",
                              "response GET /api/people?q=139****5678 200: 139****5678"]


async def test_a_masked_export_that_carries_a_full_number_is_found_inside_the_workbook() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["身份证号", ID_NUMBER])
    out = io.BytesIO()
    book.save(out)
    watch = Watch()
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    await call(watch_asgi(app_answering(out.getvalue(), xlsx), watch), "GET", "/api/ledger/export")
    assert len(watch.findings) == 1 and "/api/ledger/export" in watch.findings[0]


def test_a_log_line_with_a_full_number_is_a_finding_and_the_tests_own_client_is_not() -> None:
    watch = Watch()
    handler = LogWatch(watch)
    logger = logging.getLogger("leak-watch-test")
    logger.propagate = False  # this planted line is for `watch` only, not the run's own watch
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        logger.warning("looked up %s", ID_NUMBER)
        handler.handle(logging.LogRecord("httpx", logging.INFO, "", 0, f"GET /?q={ID_NUMBER}", None, None))
    finally:
        logger.removeHandler(handler)
    assert watch.findings == [f"log leak-watch-test WARNING: {ID_NUMBER[:3]}***********{ID_NUMBER[-4:]}"]
