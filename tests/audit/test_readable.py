"""The audit log names what it mentions: a reader sees a person's name, a course and its start day, a
village, a trade, never only an id."""

from __future__ import annotations

from tests.conftest import Api
from tests.helpers import published_session
from tests.recommendations.builders import person
from tests.seed import ELECTRICIAN


async def test_entries_carry_names_for_their_object_and_the_ids_they_mention(api: Api) -> None:
    session = await published_session(api)
    person_id = await person(api, "吉克阿木", wants=[ELECTRICIAN])
    enrolled = await api.post(f"/api/sessions/{session['id']}/enrolments", "surveyor_a",
                              json={"person_id": person_id, "source": "surveyor"})
    assert enrolled.status_code == 201, enrolled.text

    body = (await api.get("/api/audit", "admin_a", params={"object_type": "enrolment"})).json()
    entry = body["items"][0]
    assert entry["object_label"] == f"吉克阿木 · {session['course_title']}"
    assert entry["labels"][person_id] == "吉克阿木"
    assert entry["labels"][session["id"]] == f"{session['course_title']}（{session['starts_on']} 开班）"

    surveys = (await api.get("/api/audit", "admin_a", params={"object_type": "survey"})).json()["items"]
    assert surveys[0]["object_label"].startswith("吉克阿木 的需求调查")
    assert surveys[0]["labels"][ELECTRICIAN] == "电工"
    households = (await api.get("/api/audit", "admin_a", params={"object_type": "household"})).json()["items"]
    assert households[0]["object_label"] == "户主 吉克阿木"


async def test_another_countys_ids_get_no_names(api: Api) -> None:
    session = await published_session(api)
    body = (await api.get("/api/audit", "admin_c")).json()
    assert all(session["id"] not in e["labels"] and e["object_id"] != session["id"] for e in body["items"])
