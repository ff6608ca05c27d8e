"""The demo county 甘洛县 (513435): regions, schools with what they teach, courses, about a year and a
half of simulated history (training.simulate), sessions open now, packages and one account per role.
Everything goes through the same services as the API, so the demo obeys the same rules (a session is
published only if it is coherent, a sign-up only if the person is eligible)."""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID

import asyncpg
import msgspec

from training.auth import service as accounts
from training.catalogue import service as catalogue
from training.catalogue.schemas import PackageCreate, SessionCreate
from training.core.config import Settings
from training.core.security import Principal
from training.demo import repository
from training.enrolment import service as enrolment
from training.progress import service as quotas
from training.progress.schemas import QuotaPut
from training.regions import service as regions
from training.simulate.service import simulate, simulator

COUNTY = "513435"
REGIONS_CSV = Path(__file__).parent / "data" / "regions_513435.csv"
MARKER_USER = "demo_admin"


class DemoAccount(msgspec.Struct):
    username: str
    role: str
    password: str
    scope: str


# The demo's accounts besides one per school (school1, school2, ...): name, role, regions, scope shown.
DEMO_ACCOUNTS = [
    ("demo_official", "official", [f"{COUNTY}000000"], "甘洛县（全县）"),
    ("demo_official_jimi", "official", ["513435103000"], "吉米镇"),
    ("demo_surveyor", "surveyor", ["513435103201", "513435103202", "513435105201"], "拉莫村、瓦姑村、觉呷村"),
    ("demo_surveyor2", "surveyor", ["513435106201", "513435106202"], "则拉村、瓦尔村"),
    (MARKER_USER, "admin", [f"{COUNTY}000000"], "甘洛县"),
]
SCHOOL_USER = re.compile(r"school\d+")

# The demo's history: how many households, how many calendar years (last year and this), which seed.
DEMO_HOUSEHOLDS = 800
DEMO_YEARS = 2
DEMO_SEED = 513435
VILLAGES_FOR_DRAFTS = ["513435100200"]

PACKAGES = [
    ("吉米镇重点村技能包", ["513435103201", "513435103202"]),
    ("普昌—玉田重点村种养殖包", ["513435105201", "513435105203", "513435106201", "513435106202"]),
]
PACKAGE_TRADES = [["6-31-01-03", "4-10-01-06", "4-03-02-01"], ["5-03-02-01", "5-03-02-02", "5-01-02-05"]]


async def is_loaded(conn: asyncpg.Connection) -> bool:
    return await repository.user_exists(conn, MARKER_USER)


def _password() -> str:
    return secrets.token_urlsafe(9)


async def load_demo(conn: asyncpg.Connection, settings: Settings, today: date,
                    progress: Callable[[str], None] = lambda _: None, workers: Sequence[asyncpg.Connection] = (),
                    households: int = DEMO_HOUSEHOLDS) -> list[DemoAccount]:
    """Load the demo county once: regions, the schools, about a year and a half of simulated history
    (last year finished, this year under way, sessions open for the coming weeks), packages and one
    account per role. Returns the new accounts with their passwords (empty if already loaded).

    The marker account is made last, so a load that stops half-way is not taken for a loaded demo
    (running it again then says the county already has households)."""
    if await is_loaded(conn):
        return []
    progress("区划：甘洛县乡镇与村")
    await regions.load_csv(conn, REGIONS_CSV.read_text(encoding="utf-8"))
    history = await simulate(conn, settings, COUNTY, households, DEMO_YEARS, DEMO_SEED, today, workers=workers,
                             progress=progress)
    admin = simulator(COUNTY)
    accounts_made: list[DemoAccount] = []
    progress("今年的指标：全县与各乡镇")
    await _set_quotas(conn, admin, today)  # before the transaction below: progress reads in its own snapshot
    async with conn.transaction():
        progress("草稿培训班与培训资源包")
        courses = (await catalogue.list_courses(conn, admin, school_id=None, trade_code=None, kind="short",
                                                category=None, q=None, limit=3, offset=0)).items
        for course in courses:
            detail = await catalogue.school_detail(conn, admin, course.school_id)
            teacher = next(t.id for t in detail.teachers if course.trade_code in t.trade_codes)
            starts = today + timedelta(days=60)
            # A school's work in progress: drafted, not yet published.
            await catalogue.create_session(conn, admin, course.id, SessionCreate(
                starts_on=starts, ends_on=starts + timedelta(days=9), village_code=VILLAGES_FOR_DRAFTS[0],
                capacity=30, teacher_ids=[teacher], schedule="每天 9:00-12:00、14:00-17:00", venue=None),
                seats=enrolment.seat_counts)
        for (name, villages), trades in zip(PACKAGES, PACKAGE_TRADES, strict=True):
            session_ids: list[UUID] = []
            for trade in trades:
                found = await catalogue.list_sessions(conn, admin, {
                    "village_code": None, "township_code": None, "trade_code": trade, "status": "published",
                    "starts_from": today + timedelta(days=1), "starts_to": None, "school_id": None,
                    "course_id": None}, 1, 0, seats=enrolment.seat_counts)
                session_ids += [s.id for s in found.items]
            await catalogue.create_package(conn, admin, PackageCreate(
                county_code=COUNTY, name=name, village_codes=villages, session_ids=session_ids))

        progress("账号")
        for index, school in enumerate(history.schools, start=1):
            password = _password()
            await accounts.create_user(conn, username=f"school{index}", password=password, role="school",
                                       school_id=school.id)
            accounts_made.append(DemoAccount(f"school{index}", "school", password, school.name))
        for username, role, codes, scope in DEMO_ACCOUNTS:
            password = _password()
            await accounts.create_user(conn, username=username, password=password, role=role, region_codes=codes)
            accounts_made.append(DemoAccount(username, role, password, scope))
    return _in_order(accounts_made)


# This year's quota: last year's completions and a tenth more, to the ten above (at least QUOTA_MIN); the
# townships share QUOTA_TOWNSHIP_SHARE of it by their target households, so their sum stays under the county's.
QUOTA_GROWTH = 1.1
QUOTA_MIN = 50
QUOTA_TOWNSHIP_SHARE = 0.95
QUOTA_PERSONS_SHARE = 0.85  # some people complete two trainings in a year


async def _set_quotas(conn: asyncpg.Connection, admin: Principal, today: date) -> None:
    """The county's and its townships' quotas for this year, through the same service as PUT /api/quotas,
    so the official's pace card has a target from the first login."""
    reach = await quotas.reach_for(conn, admin, f"{COUNTY}000000")
    last = await quotas.progress(conn, reach, today, today.year - 1)
    county = max(QUOTA_MIN, math.ceil(last.person_times_completed * QUOTA_GROWTH / 10) * 10)
    await quotas.put_quota(conn, admin, QuotaPut(year=today.year, region_code=f"{COUNTY}000000",
                                                 target_person_times=county,
                                                 target_persons=math.floor(county * QUOTA_PERSONS_SHARE)))
    weights = {t.key: t.households_target or 0 for t in last.by.township}
    total = sum(weights.values())
    for township, weight in sorted(weights.items()):
        share = math.floor(county * QUOTA_TOWNSHIP_SHARE * weight / total) if total else 0
        if share > 0:
            await quotas.put_quota(conn, admin, QuotaPut(year=today.year, region_code=township,
                                                         target_person_times=share))


def _in_order(made: list[DemoAccount]) -> list[DemoAccount]:
    return sorted(made, key=lambda a: (a.username != MARKER_USER, a.role != "school", a.username))


async def reset_passwords(conn: asyncpg.Connection) -> list[DemoAccount]:
    """New passwords for the demo's accounts (the demo county's schools' and the fixed ones), to show
    again; every token they held stops working. Empty when the demo is not loaded."""
    if not await is_loaded(conn):
        return []
    scopes = {username: scope for username, _, _, scope in DEMO_ACCOUNTS}
    made: list[DemoAccount] = []
    async with conn.transaction():
        for account in await accounts.list_accounts(conn, None):
            demo_school = account.role == "school" and account.county_code == COUNTY and SCHOOL_USER.fullmatch(
                account.username)
            if account.username not in scopes and not demo_school:
                continue
            reset = await accounts.reset_password(conn, None, account, _password())
            made.append(DemoAccount(account.username, account.role, reset.password,
                                    scopes.get(account.username) or account.school_name or ""))
    return _in_order(made)
