"""The course menu's rules: what a school publishes, when a session may be published, and how a
village's menu is ordered."""

from __future__ import annotations

from datetime import timedelta

import asyncpg

from tests.conftest import Api
from tests.helpers import assert_problem, draft_session, fields, in_days, published_session, today
from tests.seed import (
    COOK,
    ELECTRICIAN,
    JIMI,
    KEY_VILLAGE,
    KEY_VILLAGE_2,
    OTHER_TOWNSHIP_VILLAGE,
    SEED,
    VILLAGE_C,
)

# ------------------------------------------------------------------ schools and 四晒


async def test_an_admin_registers_a_school_in_its_county(api: Api, conn: asyncpg.Connection) -> None:
    response = await api.post("/api/schools", "admin_a", json={
        "county_code": "513435", "name": "甘洛县丙技工学校", "kind": "technical", "phone": "0834-1234567"})
    assert response.status_code == 201
    school = response.json()
    assert school["kind_label"] == "技工学校"
    assert school["phone"] == "0834-1234567"
    audit = await conn.fetchrow("SELECT actor_name, action, object_type FROM audit_log WHERE object_id = $1",
                                school["id"])
    assert audit is not None and dict(audit) == {"actor_name": "admin_a", "action": "create", "object_type": "school"}


async def test_school_names_are_unique_within_a_county(api: Api) -> None:
    body = assert_problem(await api.post("/api/schools", "admin_a", json={
        "county_code": "513435", "name": "甘洛县甲职业学校", "kind": "technical"}), 409)
    assert "甘洛县甲职业学校" in body["detail"]


async def test_a_school_needs_a_known_county(api: Api) -> None:
    body = assert_problem(await api.post("/api/schools", "sysadmin", json={
        "county_code": "999999", "name": "无名学校", "kind": "technical"}), 422)
    assert "county_code" in fields(body)


async def test_a_school_shows_its_majors_teachers_and_equipment(api: Api) -> None:
    school = SEED.schools["A"]
    major = await api.post(f"/api/schools/{school}/majors", "school_a",
                           json={"name": "电子电工", "trade_codes": [ELECTRICIAN, "6-25-04-07"]})
    assert major.status_code == 201
    assert major.json()["trades"] == [{"code": ELECTRICIAN, "name": "电工"},
                                      {"code": "6-25-04-07", "name": "电子设备装接工"}]
    teacher = await api.post(f"/api/schools/{school}/teachers", "school_a", json={
        "name": "吉克老师", "title": "讲师", "trade_codes": [ELECTRICIAN], "skill_level": "technician"})
    assert teacher.status_code == 201
    equipment = await api.post(f"/api/schools/{school}/equipment", "school_a",
                               json={"name": "电工实训台", "quantity": 20, "trade_codes": [ELECTRICIAN]})
    assert equipment.status_code == 201

    detail = (await api.get(f"/api/schools/{school}", "surveyor_a")).json()
    assert [m["name"] for m in detail["majors"]] == ["电子电工"]
    assert "吉克老师" in [t["name"] for t in detail["teachers"]]
    assert [(e["name"], e["quantity"]) for e in detail["equipment"]] == [("电工实训台", 20)]
    assert [c["title"] for c in detail["courses"]] == ["低压电工作业"]
    listed = (await api.get(f"/api/schools/{school}/teachers", "official_a")).json()
    assert {t["name"] for t in listed} == {"张电工", "李厨师", "吉克老师"}


async def test_a_major_name_is_unique_per_school(api: Api) -> None:
    url = f"/api/schools/{SEED.schools['A']}/majors"
    assert (await api.post(url, "school_a", json={"name": "烹饪", "trade_codes": [COOK]})).status_code == 201
    assert_problem(await api.post(url, "school_a", json={"name": "烹饪", "trade_codes": [COOK]}), 409)


async def test_unknown_and_repeated_trade_codes_are_named(api: Api) -> None:
    body = assert_problem(await api.post(f"/api/schools/{SEED.schools['A']}/equipment", "school_a", json={
        "name": "设备", "quantity": 1, "trade_codes": [ELECTRICIAN, "1-11-11-11", ELECTRICIAN]}), 422)
    assert fields(body) == {"trade_codes[1]": "工种代码 1-11-11-11 不在职业分类大典工种表中",
                            "trade_codes": "工种代码重复"}


# ------------------------------------------------------------------ trades


async def test_trades_are_found_by_code_name_or_the_words_clerks_use(api: Api) -> None:
    by_code = (await api.get("/api/trades", "surveyor_a", params={"q": "4-03-02-01"})).json()
    assert by_code[0] == {"code": "4-03-02-01", "name": "中式烹调师", "edition": "2022", "category": "餐饮",
                          "focus": True, "aliases": by_code[0]["aliases"]}
    by_name = (await api.get("/api/trades", "surveyor_a", params={"q": "家政服务员"})).json()
    assert by_name[0]["code"] == "4-10-01-06"
    by_alias = (await api.get("/api/trades", "surveyor_a", params={"q": "厨师"})).json()
    assert "4-03-02-01" in [t["code"] for t in by_alias]
    focus = (await api.get("/api/trades", "surveyor_a", params={"focus": "true", "limit": 500})).json()
    assert all(t["focus"] for t in focus) and len(focus) >= 30


async def test_education_levels_are_listed_in_code_table_order_highest_first(api: Api) -> None:
    levels = (await api.get("/api/education-levels", "school_a")).json()
    codes = [level["code"] for level in levels]
    # GB/T 4658's order, as on the forms clerks know: each level's 毕业, 结业, 肄业 together, not interleaved by rank.
    assert codes == ["11", "14", "21", "22", "23", "31", "32", "33", "41", "42", "43", "44", "45", "46", "47", "48",
                     "49", "61", "62", "63", "71", "73", "81", "83", "90"]
    assert codes.index("61") < codes.index("71") < codes.index("81") < codes.index("90")


# ------------------------------------------------------------------ courses


async def test_a_school_adds_a_course_to_its_own_menu(api: Api) -> None:
    response = await api.post("/api/courses", "school_a", json={
        "school_id": str(SEED.schools["A"]), "title": "中式烹调师（初级）", "trade_code": COOK, "kind": "short",
        "hours": 120, "certificate": True, "skill_level": "junior", "min_age": 16, "max_age": 55,
        "min_education": "71"})
    assert response.status_code == 201
    course = response.json()
    assert (course["trade_name"], course["kind_label"], course["min_education_name"]) == (
        "中式烹调师", "短期技能培训", "初中毕业")
    listed = (await api.get("/api/courses", "official_a", params={"trade_code": COOK})).json()
    assert [c["id"] for c in listed["items"]] == [course["id"]]


async def test_course_age_range_and_education_are_checked(api: Api) -> None:
    body = assert_problem(await api.post("/api/courses", "school_a", json={
        "school_id": str(SEED.schools["A"]), "title": "电工", "trade_code": ELECTRICIAN, "kind": "short",
        "hours": 80, "certificate": False, "min_age": 40, "max_age": 30, "min_education": "77"}), 422)
    assert fields(body) == {"max_age": "最大年龄不能小于最小年龄", "min_education": "77 不是文化程度代码（GB/T 4658）"}


async def test_courses_are_filtered_by_kind_category_and_words(api: Api) -> None:
    by_category = (await api.get("/api/courses", "official_a", params={"category": "家政"})).json()
    assert [c["title"] for c in by_category["items"]] == ["家政服务员（初级）"]
    by_words = (await api.get("/api/courses", "official_a", params={"q": "电工"})).json()
    assert [c["title"] for c in by_words["items"]] == ["低压电工作业"]
    by_kind = (await api.get("/api/courses", "official_a", params={"kind": "long"})).json()
    assert by_kind["items"] == [] and by_kind["total"] == 0


# ------------------------------------------------------------------ sessions (亮时间表)


async def test_a_new_session_is_a_draft_with_its_teachers_and_place(api: Api) -> None:
    session = await draft_session(api)
    assert session["status"] == "draft" and session["status_label"] == "草稿"
    assert (session["village_name"], session["township_code"]) == ("拉莫村", JIMI)
    assert session["teachers"] == [{"id": str(SEED.teachers["A"]), "name": "张电工"}]
    assert (session["seats_left"], session["enrolled"], session["waitlisted"]) == (20, 0, 0)


async def test_a_session_must_be_held_in_a_village_of_the_schools_county(api: Api) -> None:
    url = f"/api/courses/{SEED.courses['A']}/sessions"
    base = {"starts_on": in_days(10), "ends_on": in_days(12), "capacity": 10,
            "teacher_ids": [str(SEED.teachers["A"])]}
    other_county = assert_problem(await api.post(url, "school_a", json=base | {"village_code": VILLAGE_C}), 422)
    assert fields(other_county) == {"village_code": "巴普村不在本县"}
    township = assert_problem(await api.post(url, "school_a", json=base | {"village_code": JIMI}), 422)
    assert "village_code" in fields(township)


async def test_session_teachers_must_be_the_schools_own(api: Api) -> None:
    response = await api.post(f"/api/courses/{SEED.courses['A']}/sessions", "school_a", json={
        "starts_on": in_days(10), "ends_on": in_days(12), "village_code": KEY_VILLAGE, "capacity": 10,
        "teacher_ids": [str(SEED.teachers["A"]), str(SEED.teachers["B"])]})
    assert fields(assert_problem(response, 422)) == {"teacher_ids[1]": "不是本校登记的教师"}


async def test_publishing_a_coherent_draft_makes_it_public(api: Api) -> None:
    session = await published_session(api)
    assert session["status"] == "published" and session["published_at"]
    assert (await api.get(f"/api/sessions/{session['id']}", "surveyor_a")).status_code == 200


async def test_publishing_names_every_rule_an_incoherent_draft_breaks(api: Api, conn: asyncpg.Connection) -> None:
    session = await draft_session(api, teacher="A_cook", capacity=0)
    # Dates can only be put in the past behind the API's back (as time passing would).
    await conn.execute("UPDATE sessions SET starts_on = $2, ends_on = $3 WHERE id = $1",
                       session["id"], today() - timedelta(days=3), today() - timedelta(days=5))
    body = assert_problem(await api.post(f"/api/sessions/{session['id']}/publish", "school_a"), 422)
    assert [r["rule"] for r in body["rules"]] == ["dates_in_order", "starts_in_future", "capacity_positive",
                                                   "qualified_teacher"]
    assert "电工" in body["rules"][3]["message"]
    still = (await api.get(f"/api/sessions/{session['id']}", "school_a")).json()
    assert still["status"] == "draft"


async def test_a_draft_starting_today_cannot_be_published(api: Api) -> None:
    session = await draft_session(api, start=0)
    body = assert_problem(await api.post(f"/api/sessions/{session['id']}/publish", "school_a"), 422)
    assert [r["rule"] for r in body["rules"]] == ["starts_in_future"]


async def test_a_draft_is_fixed_with_patch_then_published(api: Api) -> None:
    session = await draft_session(api, teacher="A_cook", capacity=0)
    assert_problem(await api.post(f"/api/sessions/{session['id']}/publish", "school_a"), 422)
    fixed = await api.patch(f"/api/sessions/{session['id']}", "school_a", json={
        "capacity": 25, "teacher_ids": [str(SEED.teachers["A"]), str(SEED.teachers["A_cook"])],
        "venue": "吉米镇文化站"})
    assert fixed.status_code == 200
    assert (fixed.json()["capacity"], fixed.json()["venue"], len(fixed.json()["teachers"])) == (25, "吉米镇文化站", 2)
    published = await api.post(f"/api/sessions/{session['id']}/publish", "school_a")
    assert published.status_code == 200


async def test_only_drafts_change_and_publish_happens_once(api: Api) -> None:
    session = await published_session(api)
    assert_problem(await api.post(f"/api/sessions/{session['id']}/publish", "school_a"), 409)
    assert_problem(await api.patch(f"/api/sessions/{session['id']}", "school_a", json={"capacity": 5}), 409)


async def test_sessions_are_filtered_by_place_trade_status_and_dates(api: Api) -> None:
    early = await published_session(api, start=5)
    late = await published_session(api, start=40, village=OTHER_TOWNSHIP_VILLAGE)
    draft = await draft_session(api, start=20)

    async def ids(**params: str) -> list[str]:
        page = (await api.get("/api/sessions", "official_a", params=params)).json()
        return [s["id"] for s in page["items"]]

    assert await ids(township_code=JIMI) == [early["id"], draft["id"]]
    assert await ids(village_code=OTHER_TOWNSHIP_VILLAGE) == [late["id"]]
    assert await ids(status="published") == [early["id"], late["id"]]
    assert await ids(starts_from=in_days(10), starts_to=in_days(60)) == [draft["id"], late["id"]]
    assert await ids(trade_code=COOK) == []
    paged = (await api.get("/api/sessions", "official_a", params={"limit": 1, "offset": 1})).json()
    assert (paged["total"], [s["id"] for s in paged["items"]]) == (3, [draft["id"]])


# ------------------------------------------------------------------ packages and the menu


async def test_a_package_bundles_sessions_for_villages(api: Api) -> None:
    session = await published_session(api)
    response = await api.post("/api/packages", "official_a", json={
        "county_code": "513435", "name": "吉米镇电工包", "village_codes": [KEY_VILLAGE, KEY_VILLAGE_2],
        "session_ids": [session["id"]]})
    assert response.status_code == 201
    package = response.json()
    assert [v["name"] for v in package["villages"]] == ["拉莫村", "瓦姑村"]
    assert package["session_ids"] == [session["id"]]
    listed = (await api.get("/api/packages", "surveyor_a", params={"village_code": KEY_VILLAGE})).json()
    assert [p["id"] for p in listed["items"]] == [package["id"]]
    again = await api.post("/api/packages", "official_a", json={
        "county_code": "513435", "name": "吉米镇电工包", "village_codes": [KEY_VILLAGE], "session_ids": [session["id"]]})
    assert_problem(again, 409)


async def test_a_package_refuses_townships_and_repeats(api: Api) -> None:
    session = await published_session(api)
    body = assert_problem(await api.post("/api/packages", "admin_a", json={
        "county_code": "513435", "name": "坏包", "village_codes": [JIMI, KEY_VILLAGE, KEY_VILLAGE],
        "session_ids": [session["id"]]}), 422)
    assert set(fields(body)) == {"village_codes[0]", "village_codes"}


async def test_the_menu_puts_a_key_villages_package_first_then_the_nearest(api: Api) -> None:
    county_wide = await published_session(api, village=OTHER_TOWNSHIP_VILLAGE, start=5)
    same_township = await published_session(api, village=KEY_VILLAGE_2, start=6)
    same_village = await published_session(api, village=KEY_VILLAGE, start=30)
    packaged_far = await published_session(api, as_="school_b", course="B", teacher="B",
                                           village=OTHER_TOWNSHIP_VILLAGE, start=50)
    await draft_session(api, village=KEY_VILLAGE, start=7)  # drafts never reach the menu
    await api.post("/api/packages", "official_a", json={
        "county_code": "513435", "name": "拉莫村家政包", "village_codes": [KEY_VILLAGE],
        "session_ids": [packaged_far["id"]]})

    menu = (await api.get("/api/menu", "surveyor_a", params={"village_code": KEY_VILLAGE})).json()
    assert (menu["village_name"], menu["key_poverty"]) == ("拉莫村", True)
    order = [(item["session_id"], item["nearness"], item["in_package"]) for item in menu["items"]]
    assert order == [
        (packaged_far["id"], "same_county", True),
        (same_village["id"], "same_village", False),
        (same_township["id"], "same_township", False),
        (county_wide["id"], "same_county", False),
    ]
    first = menu["items"][0]
    assert (first["school_name"], first["trade_name"], first["package_names"]) == (
        "甘洛县乙培训中心", "家政服务员", ["拉莫村家政包"])
    assert (first["seats_left"], first["enrolled"], first["waitlisted"]) == (20, 0, 0) and first["venue"]


async def test_packages_do_not_jump_the_queue_in_an_ordinary_village(api: Api) -> None:
    near = await published_session(api, village=OTHER_TOWNSHIP_VILLAGE, start=5)
    far = await published_session(api, village=KEY_VILLAGE, start=6)
    await api.post("/api/packages", "official_a", json={
        "county_code": "513435", "name": "普通村包", "village_codes": [OTHER_TOWNSHIP_VILLAGE],
        "session_ids": [far["id"]]})
    menu = (await api.get("/api/menu", "official_a", params={"village_code": OTHER_TOWNSHIP_VILLAGE})).json()
    assert menu["key_poverty"] is False
    assert [(i["session_id"], i["in_package"]) for i in menu["items"]] == [(near["id"], False), (far["id"], True)]


async def test_the_menu_leaves_out_sessions_that_have_started(api: Api, conn: asyncpg.Connection) -> None:
    started = await published_session(api)
    upcoming = await published_session(api, start=20)
    await conn.execute("UPDATE sessions SET starts_on = $2 WHERE id = $1", started["id"], today())
    menu = (await api.get("/api/menu", "official_a", params={"village_code": KEY_VILLAGE})).json()
    assert [i["session_id"] for i in menu["items"]] == [upcoming["id"]]


async def test_the_menu_needs_a_village(api: Api) -> None:
    assert_problem(await api.get("/api/menu", "official_a"), 400)
    assert_problem(await api.get("/api/menu", "official_a", params={"village_code": JIMI}), 404)


async def test_the_menu_comes_in_pages_in_menu_order(api: Api) -> None:
    sessions = [await published_session(api, village=KEY_VILLAGE, start=10 + i) for i in range(3)]
    whole = (await api.get("/api/menu", "official_a", params={"village_code": KEY_VILLAGE})).json()
    assert [i["session_id"] for i in whole["items"]] == [s["id"] for s in sessions]
    assert (whole["total"], whole["limit"], whole["offset"]) == (3, 50, 0)
    page = (await api.get("/api/menu", "official_a",
                          params={"village_code": KEY_VILLAGE, "limit": 2, "offset": 1})).json()
    assert [i["session_id"] for i in page["items"]] == [sessions[1]["id"], sessions[2]["id"]]
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)
    past = (await api.get("/api/menu", "official_a", params={"village_code": KEY_VILLAGE, "offset": 9})).json()
    assert (past["items"], past["total"]) == ([], 3)
    assert_problem(await api.get("/api/menu", "official_a", params={"village_code": KEY_VILLAGE, "limit": 501}), 400)
