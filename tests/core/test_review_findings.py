"""An outside review's findings on error answers (issue 10), pinned as tests that fail on main today."""

from __future__ import annotations

import re

from tests.conftest import Api
from tests.seed import SEED

CJK = re.compile(r"[\u4e00-\u9fff]")


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
    assert [d for d in details if not CJK.search(d)] == [], details


async def test_every_route_that_reads_a_body_explains_a_malformed_one_in_chinese(api: Api) -> None:
    """Whatever the route, a body the decoder cannot read is a 400 problem+json in Chinese (never the
    decoder's English, never a 500); path parameters are well-formed ids that need not exist, since the
    body is read before any object is looked up."""
    from tests.auth.test_matrix import routes

    english = []
    checked = 0
    for method, path in routes(api.app):
        if method not in ("POST", "PUT", "PATCH"):
            continue
        url = re.sub(r"\{\w+\}", str(SEED.courses["A"]), path)
        for content in (b'{"name":', b'{"n":1e400}', b'[1,'):
            response = await api.http.request(method, url, content=content, headers=api.token("admin_a") | {
                "content-type": "application/json"})
            assert response.status_code < 500, f"{method} {path}: {response.text}"
            if response.status_code == 400:
                checked += 1
                assert response.headers["content-type"].startswith("application/problem+json")
                if not CJK.search(response.json()["detail"]):
                    english.append(f"{method} {path}: {response.json()['detail']}")
    assert checked > 20 and english == []
