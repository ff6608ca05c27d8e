"""Enrolment: seats, waitlist, promotion, eligibility, idempotent retries, attendance, completion,
employment and the subsidy rule."""

from __future__ import annotations

import asyncio
import io
import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from openpyxl import Workbook, load_workbook

from tests.conftest import Api
from tests.helpers import assert_problem, fields, published_session, today
from tests.registry.test_households import create, id_number, member, years_ago
from tests.seed import COUNTY_A, OTHER_TOWNSHIP_VILLAGE, SEED


async def people(api: Api, n: int, **overrides: Any) -> list[str]:
    """n working-age people in 拉莫村, registered through the API."""
    h = await create(api, household_no=f"E-{uuid.uuid4().hex[:6]}", members=[
        member(f"学员{i}", id_number(years_ago(20 + i), 80 + i), relation="户主" if i == 0 else "子女", **overrides)
        for i in range(n)])
    return [m["id"] for m in h["members"]]


async def enrol(api: Api, session: dict[str, Any], person: str, as_: str = "surveyor_a",
                **headers: str) -> httpx.Response:
    return await api.http.post(f"/api/sessions/{session['id']}/enrolments", json={"person_id": person},
                               headers={**api.token(as_), **headers})


async def test_seats_then_an_ordered_waitlist(api: Api) -> None:
    session = await published_session(api, capacity=2)
    ids = await people(api, 4)
    answers = [(await enrol(api, session, p)).json() for p in ids]
    assert [(a["status"], a["waitlist_position"]) for a in answers] == [
        ("enrolled", None), ("enrolled", None), ("waitlisted", 1), ("waitlisted", 2)]
    assert answers[0]["id_number"].count("*") == 11


async def test_withdrawing_gives_the_seat_to_the_first_waitlisted_at_once(api: Api) -> None:
    session = await published_session(api, capacity=1)
    first, second, third = [(await enrol(api, session, p)).json() for p in await people(api, 3)]
    left = await api.post(f"/api/enrolments/{first['id']}/withdraw", "surveyor_a", json={"reason": "外出务工"})
    assert (left.status_code, left.json()["status"]) == (200, "withdrawn")
    promoted = (await api.get(f"/api/enrolments/{second['id']}", "school_a")).json()
    assert (promoted["status"], promoted["waitlist_position"]) == ("enrolled", None)
    assert (await api.get(f"/api/enrolments/{third['id']}", "school_a")).json()["waitlist_position"] == 1
    log = (await api.get("/api/audit", "admin_a", params={"action": "promote"})).json()
    assert [e["object_id"] for e in log["items"]] == [second["id"]]
    assert_problem(await api.post(f"/api/enrolments/{first['id']}/withdraw", "surveyor_a", json={"reason": "x"}), 409)


async def test_a_school_drops_with_a_reason_and_others_may_not(api: Api) -> None:
    session = await published_session(api, capacity=3)
    entry = (await enrol(api, session, (await people(api, 1))[0])).json()
    assert_problem(await api.post(f"/api/enrolments/{entry['id']}/drop", "surveyor_a", json={"reason": "x"}), 403)
    assert_problem(await api.post(f"/api/enrolments/{entry['id']}/drop", "school_a", json={}), 400)
    dropped = await api.post(f"/api/enrolments/{entry['id']}/drop", "school_a", json={"reason": "连续缺课"})
    assert (dropped.json()["status"], dropped.json()["reason"]) == ("dropped", "连续缺课")


async def test_the_same_session_twice_or_overlapping_dates_is_a_409(api: Api) -> None:
    first = await published_session(api, start=10, length=5)
    overlapping = await published_session(api, start=12, length=5)
    later = await published_session(api, start=30, length=5)
    person = (await people(api, 1))[0]
    assert (await enrol(api, first, person)).status_code == 201
    assert "已报名本培训班" in assert_problem(await enrol(api, first, person), 409)["detail"]
    assert "日期重叠" in assert_problem(await enrol(api, overlapping, person), 409)["detail"]
    assert (await enrol(api, later, person)).status_code == 201


async def test_eligibility_failures_are_named(api: Api, conn: asyncpg.Connection) -> None:
    session = await published_session(api)
    await conn.execute("UPDATE courses SET min_age = 30, max_age = 45, target_group = 'lianghousheng', "
                       "min_education = '61' WHERE id = $1", SEED.courses["A"])
    person = (await people(api, 1, labour_capacity="lost"))[0]
    body = assert_problem(await enrol(api, session, person), 422)
    assert [r["rule"] for r in body["rules"]] == ["min_age", "min_education", "labour_capacity", "target_group"]


async def test_people_outside_working_age_are_refused(api: Api) -> None:
    session = await published_session(api)
    h = await create(api, household_no="OLD-1", members=[member("老人", id_number(date(1950, 1, 1), 90), relation="户主")])
    body = assert_problem(await enrol(api, session, h["members"][0]["id"]), 422)
    assert [r["rule"] for r in body["rules"]] == ["working_age"]


async def test_who_may_sign_people_up(api: Api) -> None:
    session = await published_session(api)
    person = (await people(api, 1))[0]
    assert_problem(await enrol(api, session, person, as_="official_a"), 403)
    assert_problem(await enrol(api, session, person, as_="school_b"), 403)
    assert_problem(await enrol(api, session, person, as_="admin_c"), 404)
    assert (await enrol(api, session, person, as_="surveyor_a")).status_code == 201
    assert (await api.get(f"/api/sessions/{session['id']}/enrolments", "official_a")).status_code == 200
    assert_problem(await api.get(f"/api/sessions/{session['id']}/enrolments", "school_b"), 403)
    assert_problem(await api.get(f"/api/sessions/{session['id']}/enrolments", "official_c"), 404)


async def test_an_idempotency_key_replays_the_first_answer(api: Api, conn: asyncpg.Connection) -> None:
    session = await published_session(api)
    first_person, other = await people(api, 2)
    first = await enrol(api, session, first_person, **{"Idempotency-Key": "retry-1"})
    again = await enrol(api, session, first_person, **{"Idempotency-Key": "retry-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert await conn.fetchval("SELECT count(*) FROM enrolments") == 1
    clash = await enrol(api, session, other, **{"Idempotency-Key": "retry-1"})
    assert "Idempotency-Key" in assert_problem(clash, 422)["title"]


async def test_a_burst_of_1000_sign_ups_fills_exactly_the_seats(api: Api, conn: asyncpg.Connection) -> None:
    session = await published_session(api, capacity=30)
    household = (await create(api, household_no="BURST"))["id"]
    # 1,000 distinct people straight into the table: the burst, not the registry, is under test here.
    born = today() - timedelta(days=25 * 365)
    ids = [uuid.uuid4() for _ in range(1000)]
    await conn.copy_records_to_table("people", columns=[
        "county_code", "id", "household_id", "name", "id_hash", "id_enc", "id_masked", "birth_date", "sex",
        "relation", "education", "labour_capacity", "work_status"], records=[
        (COUNTY_A, pid, uuid.UUID(household), f"人{i}", uuid.uuid4().bytes, b"x", "513***********0000", born,
         "male", "子女", "71", "full", "farming") for i, pid in enumerate(ids)])
    responses = await asyncio.gather(*(enrol(api, session, str(pid)) for pid in ids))
    assert {r.status_code for r in responses} == {201}
    statuses = [r.json()["status"] for r in responses]
    assert statuses.count("enrolled") == 30 and statuses.count("waitlisted") == 970
    positions = sorted(r.json()["waitlist_position"] for r in responses if r.json()["status"] == "waitlisted")
    assert positions == list(range(1, 971))
    counted = await conn.fetchrow("SELECT enrolled_count, capacity FROM sessions WHERE id = $1", uuid.UUID(session["id"]))
    assert counted is not None and tuple(counted) == (30, 30)
    assert await conn.fetchval("SELECT count(DISTINCT person_id) FROM enrolments") == 1000


@pytest.fixture
async def in_class(api: Api, conn: asyncpg.Connection) -> tuple[dict[str, Any], list[str]]:
    """A session that ran over the last five days, two people enrolled, attendance taken on each day."""
    session = await published_session(api, start=10, length=4)
    entries = [(await enrol(api, session, p)).json()["id"] for p in await people(api, 2)]
    first, last = today() - timedelta(days=5), today() - timedelta(days=1)
    await conn.execute("UPDATE sessions SET starts_on = $2, ends_on = $3 WHERE id = $1",
                       uuid.UUID(session["id"]), first, last)
    await conn.execute("UPDATE enrolments SET starts_on = $1, ends_on = $2", first, last)
    for day in range(5, 0, -1):
        present = [entries[0]] + ([entries[1]] if day > 2 else [])  # the second misses two of five days
        response = await api.post(f"/api/sessions/{session['id']}/attendance", "school_a", json={
            "date": (today() - timedelta(days=day)).isoformat(), "present": present})
        assert response.status_code == 200, response.text
    return session, entries


async def test_attendance_is_recorded_per_day(api: Api, in_class: tuple[dict[str, Any], list[str]]) -> None:
    session, entries = in_class
    entry = (await api.get(f"/api/enrolments/{entries[1]}", "school_a")).json()
    assert (entry["attended_days"], entry["recorded_days"]) == (3, 5)
    bad = await api.post(f"/api/sessions/{session['id']}/attendance", "school_a", json={
        "date": (today() + timedelta(days=3)).isoformat(), "present": [str(uuid.uuid4())]})
    assert set(fields(assert_problem(bad, 422))) == {"date", "present[0]"}
    assert_problem(await api.post(f"/api/sessions/{session['id']}/attendance", "school_b", json={
        "date": today().isoformat(), "present": []}), 403)


async def test_completion_needs_the_attendance_threshold_or_an_audited_override(
        api: Api, in_class: tuple[dict[str, Any], list[str]]) -> None:
    _, (good, poor) = in_class
    done = await api.post(f"/api/enrolments/{good}/complete", "school_a", json={
        "completed_on": today().isoformat(), "passed": True, "skill_level": "junior",
        "certificate_no": "S" + "2026" + "0" * 16 + "1"})
    assert (done.status_code, done.json()["status"]) == (200, "completed")
    body = assert_problem(await api.post(f"/api/enrolments/{poor}/complete", "school_a", json={
        "completed_on": today().isoformat(), "passed": True}), 422)
    assert body["rules"][0]["rule"] == "attendance" and "60%" in body["detail"]
    same_certificate = await api.post(f"/api/enrolments/{poor}/complete", "school_a", json={
        "completed_on": today().isoformat(), "passed": True, "override_reason": "因病补课已完成",
        "certificate_no": "S" + "2026" + "0" * 16 + "1"})
    assert_problem(same_certificate, 409)
    overridden = await api.post(f"/api/enrolments/{poor}/complete", "school_a", json={
        "completed_on": today().isoformat(), "passed": True, "override_reason": "因病补课已完成"})
    assert overridden.status_code == 200
    log = (await api.get("/api/audit", "admin_a", params={"action": "complete", "object_id": poor})).json()
    assert log["items"][0]["changes"]["override_reason"] == "因病补课已完成"


async def test_certificate_numbers_have_one_letter_and_21_digits(api: Api,
                                                                in_class: tuple[dict[str, Any], list[str]]) -> None:
    _, (good, _) = in_class
    response = await api.post(f"/api/enrolments/{good}/complete", "school_a", json={
        "completed_on": today().isoformat(), "passed": True, "certificate_no": "S123"})
    assert fields(assert_problem(response, 400)) == {"certificate_no": "格式不正确"}


async def test_employment_after_completion_and_the_subsidy_rule(api: Api,
                                                                in_class: tuple[dict[str, Any], list[str]]) -> None:
    _, (good, _) = in_class
    job = {"employed_on": today().isoformat(), "place": "migrant", "employer": "成都某餐饮公司", "monthly_income": 4200}
    assert_problem(await api.post(f"/api/enrolments/{good}/employment", "school_a", json=job), 409)
    await api.post(f"/api/enrolments/{good}/complete", "school_a", json={
        "completed_on": today().isoformat(), "passed": True, "skill_level": "junior"})
    assert (await api.post(f"/api/enrolments/{good}/employment", "surveyor_a", json=job)).status_code == 201
    person = (await api.get(f"/api/enrolments/{good}", "school_a")).json()["person_id"]
    record = (await api.get(f"/api/people/{person}/enrolments", "official_a")).json()
    assert (record["person_times"], record["subsidy_used_this_year"], record["subsidy_available_this_year"]) == (
        1, True, False)
    training = record["trainings"][0]
    assert training["subsidy_eligible"] is True and training["employment"][0]["place"] == "migrant"


async def test_a_school_reads_only_the_people_who_signed_up_for_its_sessions(api: Api) -> None:
    session = await published_session(api)
    applicant, bystander = await people(api, 2)
    assert (await api.get(f"/api/people/{applicant}", "school_a")).status_code == 404
    await enrol(api, session, applicant)
    assert (await api.get(f"/api/people/{applicant}", "school_a")).status_code == 200
    assert_problem(await api.get(f"/api/people/{bystander}", "school_a"), 404)
    assert_problem(await api.get(f"/api/people/{applicant}", "school_b"), 404)
    listed = (await api.get("/api/people", "school_a")).json()
    assert [p["id"] for p in listed["items"]] == [applicant]
    assert (await api.get(f"/api/people/{applicant}/enrolments", "school_a")).json()["trainings"]
    assert_problem(await api.get("/api/ledger/export", "school_a"), 403)


async def test_a_sign_in_sheet_records_attendance_and_names_bad_rows(
        api: Api, conn: asyncpg.Connection, in_class: tuple[dict[str, Any], list[str]]) -> None:
    session, entries = in_class
    rows = await conn.fetch("SELECT en.id, p.name, p.id_enc FROM enrolments en "
                            "JOIN people p ON p.county_code = en.county_code AND p.id = en.person_id "
                            "WHERE en.county_code = $2 AND en.id = ANY($1::uuid[]) ORDER BY p.name",
                            [uuid.UUID(e) for e in entries], COUNTY_A)
    first_person = (await api.get(f"/api/enrolments/{rows[0]['id']}", "school_a")).json()["person_id"]
    first_id = (await api.post(f"/api/people/{first_person}/reveal", "admin_a")).json()["id_number"]
    days = [today() - timedelta(days=n) for n in (5, 4, 3)]
    book = Workbook()
    sheet = book.active
    sheet.append(["培训班签到表"])
    sheet.append(["姓名", "身份证号", "报名编号", *days])
    sheet.append([rows[0]["name"], first_id, None, "√", "✓", "缺勤"])
    sheet.append([rows[1]["name"], None, str(rows[1]["id"]), "1", "", "出勤"])
    sheet.append(["外人", None, str(uuid.uuid4()), "√", "√", "√"])
    sheet.append([rows[1]["name"], None, str(rows[1]["id"]), "maybe", "√", "√"])
    out = io.BytesIO()
    book.save(out)
    url = f"/api/sessions/{session['id']}/attendance/sheet"
    files = {"file": ("签到表.xlsx", out.getvalue(), "application/octet-stream")}
    strict = await api.http.post(url, headers=api.token("school_a"), files=files, data={"mode": "all_or_nothing"})
    assert [(r["row"], r["column"]) for r in assert_problem(strict, 422)["rejected"]] == [
        (5, "报名编号"), (6, str(days[0]))]
    loose = await api.http.post(url, headers=api.token("school_a"), files=files)
    body = loose.json()
    assert (loose.status_code, body["written"], body["present_marks"], body["absent_marks"]) == (200, True, 4, 2)
    assert first_id not in loose.text
    third_day = await conn.fetchval("SELECT present FROM attendance WHERE enrolment_id = $1 AND day = $2",
                                    rows[0]["id"], days[2])
    assert third_day is False
    assert_problem(await api.http.post(url, headers=api.token("school_b"), files=files), 403)


async def test_a_school_signs_up_only_people_it_was_shown_and_a_stranger_answers_like_an_unknown_id(
        api: Api) -> None:
    """A school does not read the county's registry: it may sign up someone its own class was offered as
    a candidate (carrying that recommendation), not any person whose id it holds, and a real id
    outside its reach answers exactly like an id that does not exist."""
    session = await published_session(api)
    stranger, candidate = await people(api, 2)
    unknown = await enrol(api, session, str(uuid.uuid4()), as_="school_a")
    refused = await enrol(api, session, stranger, as_="school_a")
    assert (refused.status_code, refused.json()) == (unknown.status_code, unknown.json()) and unknown.status_code == 422
    assert_problem(await api.get(f"/api/people/{stranger}", "school_a"), 404)
    offered = (await api.get(f"/api/sessions/{session['id']}/candidates", "school_a")).json()["items"]
    shown = next(c for c in offered if c["person_id"] == candidate)
    wrong_person = await api.post(f"/api/sessions/{session['id']}/enrolments", "school_a", json={
        "person_id": stranger, "recommendation_id": shown["recommendation_id"]})
    assert wrong_person.json() == unknown.json()  # a recommendation of someone else opens nobody
    taken = await api.post(f"/api/sessions/{session['id']}/enrolments", "school_a", json={
        "person_id": candidate, "recommendation_id": shown["recommendation_id"]})
    assert taken.status_code == 201, taken.text
    assert (await api.get(f"/api/people/{candidate}", "school_a")).status_code == 200


async def test_a_surveyor_outside_the_village_and_an_unknown_id_get_the_same_answer(api: Api) -> None:
    session = await published_session(api)
    person = (await people(api, 1))[0]
    unknown = await enrol(api, session, str(uuid.uuid4()), as_="surveyor_b")
    elsewhere = await enrol(api, session, person, as_="surveyor_b")
    assert (elsewhere.status_code, elsewhere.json()) == (unknown.status_code, unknown.json())


async def test_a_township_official_reads_only_its_townships_enrolments_and_roster_rows(api: Api) -> None:
    """official_jimi (吉米镇) sees trainees from 吉米镇 villages; a trainee from 新市坝镇 on the same
    county-wide class is as invisible to it as their person record is."""
    session = await published_session(api)
    local = (await people(api, 1))[0]
    outsider = (await create(api, "surveyor_b", village_code=OTHER_TOWNSHIP_VILLAGE, household_no="XSB-1",
                             members=[member("外乡学员", id_number(years_ago(30), 77), relation="户主")]))["members"][0]["id"]
    mine = (await enrol(api, session, local)).json()["id"]
    theirs = (await enrol(api, session, outsider, as_="surveyor_b")).json()["id"]
    assert_problem(await api.get(f"/api/people/{outsider}", "official_jimi"), 404)
    assert (await api.get(f"/api/enrolments/{mine}", "official_jimi")).status_code == 200
    unknown = assert_problem(await api.get(f"/api/enrolments/{uuid.uuid4()}", "official_jimi"), 404)
    assert assert_problem(await api.get(f"/api/enrolments/{theirs}", "official_jimi"), 404) == unknown
    assert_problem(await api.get(f"/api/people/{outsider}/enrolments", "official_jimi"), 404)
    roster = (await api.get(f"/api/sessions/{session['id']}/enrolments", "official_jimi")).json()
    assert ([e["id"] for e in roster["items"]], roster["total"]) == ([mine], 1)
    county_wide = (await api.get(f"/api/sessions/{session['id']}/enrolments", "official_a")).json()
    assert {e["id"] for e in county_wide["items"]} == {mine, theirs}
    assert (await api.get(f"/api/enrolments/{theirs}", "official_a")).status_code == 200


async def test_the_sign_in_sheet_comes_pre_filled_and_goes_back_ticked(
        api: Api, in_class: tuple[dict[str, Any], list[str]]) -> None:
    """签到表 download: everyone in class with the masked 身份证号 and a column per class day; ticked and
    uploaded back as it is, it records the attendance (rows matched by the hidden 报名编号)."""
    session, entries = in_class
    url = f"/api/sessions/{session['id']}/attendance/sheet"
    response = await api.get(url, "school_a")
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    first = today() - timedelta(days=5)
    day_headers = [f"{d.month}月{d.day}日" for d in (first + timedelta(days=n) for n in range(5))]
    assert rows[2] == ["序号", "报名编号", "姓名", "身份证号", "村", *day_headers]
    trainees = rows[3:]
    assert sorted(r[1] for r in trainees) == sorted(entries)
    roster = (await api.get(f"/api/sessions/{session['id']}/enrolments", "school_a")).json()["items"]
    masked = {e["id"]: (e["person_name"], e["id_number"]) for e in roster}
    assert all((r[2], r[3]) == masked[r[1]] for r in trainees)
    assert all("*" in r[3] for r in trainees)  # never the full number

    for r in range(4, 4 + len(trainees)):  # everyone present on the last day, as a clerk would tick it
        sheet.cell(row=r, column=5 + 5, value="√")
    out = io.BytesIO()
    sheet.parent.save(out)
    uploaded = await api.http.post(url, headers=api.token("school_a"),
                                   files={"file": ("签到表.xlsx", out.getvalue(), "application/octet-stream")})
    assert uploaded.status_code == 200, uploaded.text
    assert (uploaded.json()["trainees"], uploaded.json()["present_marks"]) == (2, 2)
    assert_problem(await api.get(url, "school_b"), 403)
    assert_problem(await api.get(url, "surveyor_a"), 403)
