"""An outside review's findings on error answers (issue 10), pinned as tests that fail on main today."""

from __future__ import annotations

import re

import pytest

from tests.conftest import Api
from tests.seed import SEED

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.xfail(strict=True, reason="a body that is not well-formed JSON or multipart gets the decoder's "
                                       "English text as its detail ('Input data was truncated', 'Number out of "
                                       "range - at `$[...]`', 'Invalid multipart/form-data'), not a Chinese "
                                       "message a clerk understands")
async def test_a_malformed_body_is_explained_in_chinese(api: Api) -> None:
    target = f"/api/courses/{SEED.courses['A']}/sessions"  # any route with a JSON body
    details = []
    for content, content_type in [(b'{"name":', "application/json"), (b'{"version":1e400}', "application/json"),
                                  (b'{"name":"\\ud800"}', "application/json")]:
        response = await api.http.post(target, content=content, headers=api.token("admin_a") | {
            "content-type": content_type})
        assert response.status_code == 400, response.text
        details.append(response.json()["detail"])
    upload = await api.http.post("/api/ledger/import", content=b"abc", headers=api.token("admin_a") | {
        "content-type": "multipart/form-data"})
    assert upload.status_code == 400, upload.text
    details.append(upload.json()["detail"])
    assert [d for d in details if not CJK.search(d)] == []
