"""The surveyor's worklist carries each labourer's top three sessions, the same ones the person's own
recommendations put first, scored for the whole page at once; its .xlsx is bounded."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
import pytest

from tests.conftest import Api
from tests.helpers import assert_problem, published_session, today
from tests.progress.county import County, build
from tests.progress.test_progress import COUNTY
from tests.progress.test_reports import assert_no_secrets, cells
from tests.seed import COUNTY_A, KEY_VILLAGE
from training.core.rules import Rule
from training.progress import service as progress
from training.recommendations import service as recommendations

WORKLIST = "/api/progress/uncovered-households"


@pytest.fixture
async def county(api: Api, conn: asyncpg.Connection) -> County:
    built = await build(api, conn)
    # Four more upcoming sessions, on days that clash with nobody's place.
    for key, school, course, start in [("S4", "school_a", "A", 10), ("S5", "school_b", "B", 12),
                                       ("S6", "school_a", "A", 20), ("S7", "school_b", "B", 30)]:
        built.sessions[key] = await published_session(api, as_=school, course=course, teacher=course, start=start)
    return built


async def own_recommendations(api: Api, person_id: str) -> list[dict[str, Any]]:
    response = await api.get(f"/api/people/{person_id}/recommendations", "admin_a", params={"limit": 20})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_each_labourer_gets_the_top_three_of_their_own_recommendations(api: Api, county: County) -> None:
    page = (await api.get(WORKLIST, "official_a", params={"region_code": COUNTY})).json()
    labourers = {p["name"]: p for h in page["items"] for p in h["labourers"]}
    assert sorted(labourers) == ["p4", "p6"]
    assert page["recommendations_note"] is None
    for name, person in labourers.items():
        listed = person["recommended_sessions"]
        assert len(listed) == 3, name
        own = await own_recommendations(api, county.people[name])
        assert [(s["session_id"], s["score"]) for s in listed] == [(r["session_id"], r["score"]) for r in own[:3]]
        assert [(s["title"], s["school_name"], s["starts_on"]) for s in listed] == [
            (r["course_title"], r["school_name"], r["starts_on"]) for r in own[:3]]
    # p6 is on S3's waitlist already: never offered it again.
    assert county.sessions["S3"]["id"] not in {s["session_id"] for s in labourers["p6"]["recommended_sessions"]}


async def test_the_worklist_download_lists_the_recommended_sessions(api: Api, county: County) -> None:
    page = (await api.get(WORKLIST, "official_a", params={"region_code": COUNTY})).json()
    response = await api.get(WORKLIST, "official_a", params={"region_code": COUNTY, "format": "xlsx"})
    assert response.status_code == 200, response.text
    sheets = cells(response.content)
    rows = {r[5]: r for r in sheets["未覆盖户"][4:] if len(r) > 5}
    for h in page["items"]:
        for p in h["labourers"]:
            written = rows[p["name"]][12].split("；")
            assert len(written) == len(p["recommended_sessions"]) == 3
            for w, s in zip(written, p["recommended_sessions"], strict=True):
                assert w == f"{s['title']}（{s['school_name']}，{s['starts_on']} 开班）"
    assert_no_secrets(sheets)


async def test_a_download_over_the_cap_asks_for_a_township_or_village(api: Api, county: County,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "WORKLIST_XLSX_MAX_HOUSEHOLDS", 1)
    body = assert_problem(await api.get(WORKLIST, "official_a", params={"region_code": COUNTY, "format": "xlsx"}),
                          422)
    assert body["errors"][0]["field"] == "region_code"
    assert "共有 2 户" in body["errors"][0]["message"] and "按乡镇或村" in body["errors"][0]["message"]
    village = await api.get(WORKLIST, "official_a", params={"region_code": KEY_VILLAGE, "format": "xlsx"})
    assert village.status_code == 200, village.text
    assert [r[5] for r in cells(village.content)["未覆盖户"][4:] if len(r) > 5] == ["p6"]


class CountingConnection:
    """A real connection that counts the statements sent through it."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self.statements = 0

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._conn, name)
        if name in ("fetch", "fetchrow", "fetchval", "execute", "executemany"):
            async def counted(*args: Any, **kwargs: Any) -> Any:
                self.statements += 1
                return await found(*args, **kwargs)
            return counted
        return found


async def test_scoring_a_page_costs_the_same_queries_for_one_person_or_many(api: Api, conn: asyncpg.Connection,
                                                                            county: County) -> None:
    rule = Rule(as_of=today(), years=3, male=(16, 60), female=(16, 55))
    offer = await recommendations.open_offer(conn, COUNTY_A, today())
    counts = []
    for people in (["p6"], ["p1", "p3", "p4", "p5", "p6"]):
        counting = CountingConnection(conn)
        found = await recommendations.top_sessions(counting, rule, offer,  # type: ignore[arg-type]
                                                   [UUID(county.people[p]) for p in people], today())
        assert set(found.by_person) == {UUID(county.people[p]) for p in people}
        counts.append(counting.statements)
    assert counts[0] == counts[1]
    assert counts[1] <= 4  # people, their enrolments, the model's person facts (the model stays loaded)


async def test_no_model_leaves_the_lists_empty_and_says_why(api: Api, conn: asyncpg.Connection,
                                                            county: County) -> None:
    await conn.execute("DELETE FROM active_models")
    page = (await api.get(WORKLIST, "official_a", params={"region_code": COUNTY})).json()
    assert all(p["recommended_sessions"] == [] for h in page["items"] for p in h["labourers"])
    assert "推荐模型" in page["recommendations_note"]
