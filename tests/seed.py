"""The world every test starts from (copied per test from the template database).

Two counties: 甘洛县 513435 (the demo regions) with schools A and B, and 美姑县 513436 with school C,
so every "another school's / another county's object" case has an object to aim at.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from training.core.security import hash_password
from training.demo.loader import REGIONS_CSV
from training.regions.service import load_csv

PASSWORD = "correct-horse-42"
COUNTY_A, COUNTY_C = "513435", "513436"
KEY_VILLAGE = "513435103201"  # 拉莫村, 吉米镇, a key poverty village
KEY_VILLAGE_2 = "513435103202"  # 瓦姑村, 吉米镇
JIMI = "513435103000"  # 吉米镇
OTHER_TOWNSHIP_VILLAGE = "513435100200"  # 新民村, 新市坝镇 (not a key village)
VILLAGE_C = "513436100200"  # 巴普村, 美姑县
ELECTRICIAN, HOUSEKEEPER, COOK = "6-31-01-03", "4-10-01-06", "4-03-02-01"


@dataclass
class Seed:
    users: dict[str, uuid.UUID] = field(default_factory=dict)
    schools: dict[str, uuid.UUID] = field(default_factory=dict)
    teachers: dict[str, uuid.UUID] = field(default_factory=dict)
    courses: dict[str, uuid.UUID] = field(default_factory=dict)


SEED = Seed()


async def seed_world(conn: asyncpg.Connection) -> None:
    await load_csv(conn, REGIONS_CSV.read_text(encoding="utf-8"))
    await load_csv(conn, (Path(__file__).parent / "data" / "regions_test.csv").read_text(encoding="utf-8"))

    for key, county, name in [("A", COUNTY_A, "甘洛县甲职业学校"), ("B", COUNTY_A, "甘洛县乙培训中心"),
                              ("C", COUNTY_C, "美姑县职业技术学校")]:
        SEED.schools[key] = await conn.fetchval(
            "INSERT INTO schools (county_code, name, kind) VALUES ($1, $2, 'training_institution') RETURNING id",
            county, name)

    for key, school, county, name, trades in [
        ("A", "A", COUNTY_A, "张电工", [ELECTRICIAN]),
        ("A_cook", "A", COUNTY_A, "李厨师", [COOK]),
        ("B", "B", COUNTY_A, "王家政", [HOUSEKEEPER]),
        ("C", "C", COUNTY_C, "吉克电工", [ELECTRICIAN]),
    ]:
        SEED.teachers[key] = await conn.fetchval(
            "INSERT INTO teachers (county_code, school_id, name, trade_codes) VALUES ($1, $2, $3, $4) RETURNING id",
            county, SEED.schools[school], name, trades)

    for key, school, county, title, trade in [
        ("A", "A", COUNTY_A, "低压电工作业", ELECTRICIAN),
        ("B", "B", COUNTY_A, "家政服务员（初级）", HOUSEKEEPER),
        ("C", "C", COUNTY_C, "电工基础", ELECTRICIAN),
    ]:
        SEED.courses[key] = await conn.fetchval(
            """INSERT INTO courses (county_code, school_id, title, trade_code, kind, hours, certificate)
               VALUES ($1, $2, $3, $4, 'short', 80, true) RETURNING id""",
            county, SEED.schools[school], title, trade)

    password_hash = hash_password(PASSWORD)
    for username, role, user_county, user_school, regions in [
        ("sysadmin", "admin", None, None, []),
        ("admin_a", "admin", COUNTY_A, None, [COUNTY_A + "000000"]),
        ("admin_c", "admin", COUNTY_C, None, [COUNTY_C + "000000"]),
        ("official_a", "official", COUNTY_A, None, [COUNTY_A + "000000"]),
        ("official_jimi", "official", COUNTY_A, None, [JIMI]),
        ("official_c", "official", COUNTY_C, None, [COUNTY_C + "000000"]),
        ("surveyor_a", "surveyor", COUNTY_A, None, [KEY_VILLAGE, KEY_VILLAGE_2]),
        ("surveyor_b", "surveyor", COUNTY_A, None, [OTHER_TOWNSHIP_VILLAGE]),
        ("school_a", "school", COUNTY_A, "A", []),
        ("school_b", "school", COUNTY_A, "B", []),
        ("school_c", "school", COUNTY_C, "C", []),
    ]:
        SEED.users[username] = await conn.fetchval(
            """INSERT INTO users (username, password_hash, role, county_code, school_id, region_codes)
               VALUES ($1, $2, $3, $4, $5, $6) RETURNING id""",
            username, password_hash, role, user_county, SEED.schools[user_school] if user_school else None, regions)
