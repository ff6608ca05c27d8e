"""The demo county 甘洛县 (513435): regions, schools with what they teach, courses, sessions, packages
and one account per role. Everything goes through the same services as the API, so the demo obeys
the same rules (a session is published only if it is coherent)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID

import asyncpg
import msgspec

from training.auth import service as accounts
from training.catalogue import service as catalogue
from training.catalogue.schemas import (
    CourseCreate,
    EquipmentCreate,
    MajorCreate,
    PackageCreate,
    SchoolCreate,
    SessionCreate,
    TeacherCreate,
)
from training.core.security import Principal
from training.enrolment import service as enrolment
from training.regions import service as regions

COUNTY = "513435"
REGIONS_CSV = Path(__file__).parent / "data" / "regions_513435.csv"
MARKER_USER = "demo_admin"


class DemoAccount(msgspec.Struct):
    username: str
    role: str
    password: str
    scope: str


# name, kind, address, phone, majors {name: trades}, teachers [(name, title, trades, level)],
# equipment [(name, qty, trades)], courses [(title, trade, kind, hours, level, certificate, min_age, max_age, min_edu)]
SCHOOLS: list[dict[str, object]] = [
    {
        "name": "甘洛县职业技术学校", "kind": "secondary_vocational", "address": "新市坝镇城东社区职教路 1 号",
        "phone": "0834-7812345",
        "majors": {"电子电工": ["6-31-01-03", "6-25-04-07"], "机电技术应用": ["6-31-01-02", "6-18-02-04"],
                   "数控技术应用": ["6-18-01-01", "6-18-01-07"]},
        "teachers": [("吉克石布", "高级讲师", ["6-31-01-03", "6-25-04-07"], "technician"),
                     ("王建国", "讲师", ["6-31-01-02", "6-18-02-04"], "senior"),
                     ("阿木日哈", "讲师", ["6-18-01-01", "6-18-01-07"], "senior"),
                     ("李秀英", "实习指导教师", ["4-12-03-01", "6-31-01-03"], "intermediate")],
        "equipment": [("电工实训台", 20, ["6-31-01-03"]), ("电子装接工位", 30, ["6-25-04-07"]),
                      ("数控车床", 6, ["6-18-01-01", "6-18-01-07"]), ("交直流焊机", 12, ["6-18-02-04"])],
        "courses": [("低压电工作业培训", "6-31-01-03", "short", 80, "junior", True, 18, 55, "71"),
                    ("电子设备装接工（初级）", "6-25-04-07", "short", 120, "junior", True, 16, 50, "71"),
                    ("焊工技能培训", "6-18-02-04", "short", 100, "junior", True, 18, 55, "71"),
                    ("数控车工（中级）", "6-18-01-01", "short", 160, "intermediate", True, 16, 45, "61"),
                    ("机修钳工基础", "6-31-01-02", "short", 90, "junior", True, 16, 55, None),
                    ("家用电器维修", "4-12-03-01", "short", 60, None, False, 16, 60, None),
                    ("电子电工专业（劳动预备制）", "6-31-01-03", "long", 1800, "intermediate", True, 15, 22, "71")],
    },
    {
        "name": "甘洛县农业广播电视学校", "kind": "training_institution", "address": "新市坝镇新民村农科路 8 号",
        "phone": "0834-7815678",
        "majors": {"现代种植": ["5-01-02-01", "5-01-02-02", "5-01-02-05"], "畜禽养殖": ["5-03-02-01", "5-03-02-02"]},
        "teachers": [("沙马拉且", "农艺师", ["5-01-02-01", "5-05-01-00", "5-05-02-01"], "senior"),
                     ("张丽", "畜牧师", ["5-03-02-01", "5-03-02-02", "5-05-02-03"], "senior"),
                     ("俄木阿呷", "助理农艺师", ["5-01-02-05", "5-01-02-03", "5-01-02-02"], "intermediate")],
        "equipment": [("智能温室大棚", 2, ["5-01-02-02"]), ("植保无人机", 3, ["5-05-02-01"]),
                      ("标准化养殖示范圈舍", 4, ["5-03-02-01", "5-03-02-02"])],
        "courses": [("马铃薯高产栽培", "5-01-02-01", "practical", 24, None, False, 16, 65, None),
                    ("高山蔬菜种植技术", "5-01-02-02", "practical", 32, None, False, 16, 65, None),
                    ("中药材（川续断、重楼）种植", "5-01-02-05", "practical", 40, None, False, 16, 65, None),
                    ("食用菌栽培", "5-01-02-03", "practical", 40, None, False, 16, 65, None),
                    ("生猪规模养殖", "5-03-02-01", "practical", 48, None, False, 16, 65, None),
                    ("林下土鸡养殖", "5-03-02-02", "practical", 32, None, False, 16, 65, None),
                    ("动物疫病防治员", "5-05-02-03", "short", 80, "junior", True, 18, 55, "71"),
                    ("农作物植保员（初级）", "5-05-02-01", "short", 80, "junior", True, 18, 55, "71"),
                    ("种植大户创业培训", "5-05-01-00", "entrepreneurship", 56, None, False, 20, 55, "71")],
    },
    {
        "name": "甘洛县阳光家政培训中心", "kind": "training_institution", "address": "新市坝镇城东社区阳光路 22 号",
        "phone": "0834-7819012",
        "majors": {"家政服务": ["4-10-01-06", "4-10-01-05"], "母婴照护": ["4-10-01-02", "4-10-01-03"]},
        "teachers": [("刘芳", "高级家政服务员", ["4-10-01-06", "4-09-08-01"], "senior"),
                     ("阿苏日作", "养老护理员", ["4-10-01-05", "4-10-01-06"], "intermediate"),
                     ("陈静", "育婴员", ["4-10-01-02", "4-10-01-03"], "senior")],
        "equipment": [("家政实训室", 2, ["4-10-01-06"]), ("婴儿护理模型", 15, ["4-10-01-02"]),
                      ("护理床", 8, ["4-10-01-05"])],
        "courses": [("家政服务员（初级）", "4-10-01-06", "short", 90, "junior", True, 18, 55, "81"),
                    ("月嫂（母婴护理）", "4-10-01-06", "short", 120, "intermediate", True, 20, 50, "71"),
                    ("育婴员（初级）", "4-10-01-02", "short", 100, "junior", True, 18, 50, "71"),
                    ("养老护理员（初级）", "4-10-01-05", "short", 100, "junior", True, 18, 55, "81"),
                    ("保育师", "4-10-01-03", "short", 120, "junior", True, 18, 45, "61"),
                    ("保洁员上岗培训", "4-09-08-01", "short", 40, None, False, 18, 60, None)],
    },
    {
        "name": "甘洛县新市坝职业技能培训学校", "kind": "training_institution", "address": "新市坝镇木古足村彝家路 5 号",
        "phone": "0834-7813344",
        "majors": {"中式烹饪": ["4-03-02-01", "4-03-02-02"], "建筑技能": ["6-29-01-01", "6-29-01-04"]},
        "teachers": [("马海木呷", "高级厨师", ["4-03-02-01", "4-03-02-02"], "technician"),
                     ("杨桂芬", "中式面点师", ["4-03-02-02", "6-02-01-01"], "senior"),
                     ("罗洪伍各", "砌筑工", ["6-29-01-01", "6-29-01-04", "6-29-01-07"], "senior")],
        "equipment": [("中餐烹饪灶台", 16, ["4-03-02-01"]), ("面点操作台", 10, ["4-03-02-02"]),
                      ("砌筑实训场", 1, ["6-29-01-01"])],
        "courses": [("中式烹调师（初级）", "4-03-02-01", "short", 120, "junior", True, 16, 55, "81"),
                    ("彝家特色菜与农家乐厨嫂", "4-03-02-01", "short", 60, None, False, 16, 60, None),
                    ("中式面点师（初级）", "4-03-02-02", "short", 100, "junior", True, 16, 55, "81"),
                    ("砌筑工（初级）", "6-29-01-01", "short", 80, "junior", True, 18, 55, None),
                    ("钢筋工", "6-29-01-04", "short", 80, "junior", True, 18, 55, None),
                    ("乡村建设工匠", "6-29-01-07", "short", 60, None, True, 18, 60, None)],
    },
    {
        "name": "甘洛县电子商务公共服务中心", "kind": "training_institution", "address": "新市坝镇城东社区电商产业园",
        "phone": "0834-7816677",
        "majors": {"农村电商": ["4-01-06-01", "4-01-02-07"], "农产品加工": ["6-02-06-10", "6-01-06-00"]},
        "teachers": [("吉伍阿支", "电子商务师", ["4-01-06-01", "4-01-02-07"], "senior"),
                     ("周洋", "互联网营销师", ["4-01-02-07", "4-13-01-05"], "intermediate"),
                     ("黄德明", "农产品加工技师", ["6-02-06-10", "6-01-06-00", "6-01-04-03"], "technician")],
        "equipment": [("直播间", 4, ["4-01-02-07"]), ("电商实训电脑", 40, ["4-01-06-01"]),
                      ("小型茶叶加工线", 1, ["6-02-06-10"])],
        "courses": [("农村电商创业培训", "4-01-06-01", "entrepreneurship", 56, None, False, 18, 50, "71"),
                    ("直播带货（互联网营销师）", "4-01-02-07", "short", 80, "junior", True, 18, 45, "71"),
                    ("农产品网店运营", "4-01-06-01", "short", 60, None, False, 18, 50, "71"),
                    ("苦荞茶加工", "6-02-06-10", "practical", 32, None, False, 16, 65, None),
                    ("腊肉香肠加工与包装", "6-01-04-03", "entrepreneurship", 40, None, False, 18, 60, None)],
    },
]

# Session venues: (village, offset in days from load date, length in days, capacity, publish?)
VENUES = ["513435100200", "513435100202", "513435101204", "513435102201", "513435103201", "513435103202",
          "513435105201", "513435105203", "513435106201", "513435106202", "513435108201", "513435108202",
          "513435204201", "513435204203", "513435205201", "513435205203", "513435214204", "513435101201"]

PACKAGES = [
    ("吉米镇重点村技能包", ["513435103201", "513435103202"]),
    ("普昌—玉田重点村种养殖包", ["513435105201", "513435105203", "513435106201", "513435106202"]),
]


async def is_loaded(conn: asyncpg.Connection) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM users WHERE username = $1)", MARKER_USER))


def _password() -> str:
    return secrets.token_urlsafe(9)


async def load_demo(conn: asyncpg.Connection, today: date,
                    progress: Callable[[str], None] = lambda _: None) -> list[DemoAccount]:
    """Load the demo county once. Returns the new accounts with their passwords (empty if already loaded)."""
    if await is_loaded(conn):
        return []
    accounts_made: list[DemoAccount] = []
    async with conn.transaction():
        progress("区划：甘洛县乡镇与村")
        await regions.load_csv(conn, REGIONS_CSV.read_text(encoding="utf-8"))

        county_region = f"{COUNTY}000000"
        password = _password()
        admin_id = await accounts.create_user(conn, username=MARKER_USER, password=password, role="admin",
                                              region_codes=[county_region])
        accounts_made.append(DemoAccount(MARKER_USER, "admin", password, "甘洛县"))
        admin = Principal(id=admin_id, username=MARKER_USER, role="admin", county_code=COUNTY, school_id=None,
                          region_codes=(county_region,))

        sessions_by_trade: dict[str, list[UUID]] = {}
        day = 0
        for index, spec in enumerate(SCHOOLS, start=1):
            progress(f"学校 {index}/{len(SCHOOLS)}：{spec['name']}")
            school = await catalogue.create_school(conn, admin, SchoolCreate(
                county_code=COUNTY, name=str(spec["name"]), kind=spec["kind"],  # type: ignore[arg-type]
                address=str(spec["address"]), phone=str(spec["phone"])))
            for name, trades in spec["majors"].items():  # type: ignore[attr-defined]
                await catalogue.add_major(conn, admin, school.id, MajorCreate(name=name, trade_codes=trades))
            teacher_ids: dict[str, UUID] = {}
            for name, title, trades, level in spec["teachers"]:  # type: ignore[attr-defined]
                teacher = await catalogue.add_teacher(conn, admin, school.id, TeacherCreate(
                    name=name, title=title, trade_codes=trades, skill_level=level))
                for trade in trades:
                    teacher_ids.setdefault(trade, teacher.id)
            for name, quantity, trades in spec["equipment"]:  # type: ignore[attr-defined]
                await catalogue.add_equipment(conn, admin, school.id, EquipmentCreate(
                    name=name, quantity=quantity, trade_codes=trades))
            for title, trade, kind, hours, level, certificate, min_age, max_age, min_edu in spec["courses"]:  # type: ignore[attr-defined]
                course = await catalogue.create_course(conn, admin, CourseCreate(
                    school_id=school.id, title=title, trade_code=trade, kind=kind, hours=hours, skill_level=level,
                    certificate=certificate, min_age=min_age, max_age=max_age, min_education=min_edu))
                length = 3 if kind == "practical" else (365 if kind == "long" else max(5, hours // 8))
                for run in range(2 if kind != "long" else 1):
                    day += 3
                    venue = VENUES[(day // 3) % len(VENUES)]
                    starts = today + timedelta(days=7 + day % 70 + run * 30)
                    session = await catalogue.create_session(conn, admin, course.id, SessionCreate(
                        starts_on=starts, ends_on=starts + timedelta(days=length - 1), village_code=venue,
                        capacity=30 if kind != "long" else 45, teacher_ids=[teacher_ids[trade]],
                        schedule="每天 9:00-12:00、14:00-17:00" if kind != "practical" else "农闲时段，每天 9:00-16:00",
                        venue=None), seats=enrolment.seat_counts)
                    # The second run of every fourth course stays a draft, as a school's work in progress.
                    if not (run == 1 and day % 4 == 0):
                        await catalogue.publish_session(conn, admin, session.id, today, seats=enrolment.seat_counts)
                        sessions_by_trade.setdefault(trade, []).append(session.id)
            password = _password()
            username = f"school{index}"
            await accounts.create_user(conn, username=username, password=password, role="school",
                                       school_id=school.id)
            accounts_made.append(DemoAccount(username, "school", password, str(spec["name"])))

        progress("培训资源包")
        package_trades = [["6-31-01-03", "4-10-01-06", "4-03-02-01"], ["5-03-02-01", "5-03-02-02", "5-01-02-05"]]
        for (name, villages), trades in zip(PACKAGES, package_trades, strict=True):
            session_ids = [sessions_by_trade[t][0] for t in trades if t in sessions_by_trade]
            await catalogue.create_package(conn, admin, PackageCreate(
                county_code=COUNTY, name=name, village_codes=villages, session_ids=session_ids))

        progress("账号")
        for username, role, codes, scope in [
            ("demo_official", "official", [county_region], "甘洛县（全县）"),
            ("demo_official_jimi", "official", ["513435103000"], "吉米镇"),
            ("demo_surveyor", "surveyor", ["513435103201", "513435103202", "513435105201"], "拉莫村、瓦姑村、觉呷村"),
            ("demo_surveyor2", "surveyor", ["513435106201", "513435106202"], "则拉村、瓦尔村"),
        ]:
            password = _password()
            await accounts.create_user(conn, username=username, password=password, role=role, region_codes=codes)
            accounts_made.append(DemoAccount(username, role, password, scope))
    return accounts_made
