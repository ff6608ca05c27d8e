"""A small county history for training tests, written through the services' own rules.

Households and people (with surveys a year and a half old), three trades' sessions every month for
the past months, and people offered sessions month by month who then complete, fail, withdraw or are
dropped. Who finishes follows a hidden rule the classifier has to find, and which a clerk's baselines
only partly know:

    log-odds = -0.3 + wish (first +0.7, second +0.3, not wished -0.5)
               + month (free then +1.0, not free -2.0) + place (own village +0.5,
               another township and cannot board -1.6) + women in housekeeping +1.6, men as electricians
               +0.8, 45 and older as electricians -1.5, 两后生 +0.3

Offers lean only mildly towards wishes and nearby sessions, so completing, not being offered, decides
who ends up with a completed session.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal
from uuid import UUID

import asyncpg
import numpy as np
from stdnum.cn import ric

from tests.helpers import today
from tests.seed import COOK, COUNTY_A, ELECTRICIAN, HOUSEKEEPER, SEED
from training.catalogue import service as catalogue
from training.catalogue.schemas import CourseCreate, SessionCreate
from training.core.crypto import Vault
from training.core.rules import Rule
from training.core.security import Principal
from training.enrolment import service as enrolment
from training.enrolment.schemas import Completion, EnrolmentCreate, Withdrawal
from training.registry import service as registry
from training.registry.schemas import HouseholdCreate, MemberCreate, SurveyCreate

WorkStatus = Literal["farming", "local_work", "migrant", "unemployed"]
WORK_STATUSES: list[WorkStatus] = ["farming", "local_work", "migrant", "unemployed"]

VILLAGES = ["513435103201", "513435103202", "513435103203", "513435100200", "513435100201", "513435106200"]
TRADES = [ELECTRICIAN, COOK, HOUSEKEEPER]


def admin() -> Principal:
    return Principal(id=SEED.users["admin_a"], username="admin_a", role="admin", county_code=COUNTY_A,
                     school_id=None, region_codes=(COUNTY_A + "000000",))


def id_number(birth: date, serial: int, male: bool) -> str:
    sequence = f"{serial % 100:02d}{(1 if male else 2) + (serial // 100 % 4) * 2}"
    body = f"{COUNTY_A}{birth:%Y%m%d}{sequence}"
    return body + ric.calc_check_digit(body + "0")


def rule(as_of: date) -> Rule:
    return Rule(as_of=as_of, years=3, male=(16, 60), female=(16, 55))


@dataclass
class Person:
    id: UUID
    village: str
    male: bool
    age: int
    wishes: list[str]
    months: set[int]
    can_board: bool
    lianghousheng: bool


@dataclass
class History:
    people: list[Person] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    enrolments: int = 0
    completed: int = 0


def truth(p: Person, s: dict[str, Any]) -> float:
    """The hidden log-odds that p completes s."""
    z = -0.3
    z += {0: 0.7, 1: 0.3, 2: 0.0}.get(p.wishes.index(s["trade"]) if s["trade"] in p.wishes else -1, -0.5)
    if p.months:
        z += 1.0 if s["starts_on"].month in p.months else -2.0
    if s["village"] == p.village:
        z += 0.5
    elif s["village"][:9] != p.village[:9] and not p.can_board:
        z -= 1.6
    if s["trade"] == HOUSEKEEPER and not p.male:
        z += 1.6
    if s["trade"] == ELECTRICIAN:
        z += 0.8 if p.male else 0.0
        z -= 1.5 if p.age >= 45 else 0.0
    z += 0.3 if p.lianghousheng else 0.0
    return z


async def make_history(conn: asyncpg.Connection, vault: Vault, *, households: int = 160, months: int = 12,
                       seed: int = 2, offer_rate: float = 0.16) -> History:
    rng = np.random.default_rng(seed)
    now = today()
    who = admin()
    history = History()
    survey_day = now - timedelta(days=(months + 3) * 31)
    cook = await catalogue.create_course(conn, who, CourseCreate(
        school_id=SEED.schools["A"], title="中式烹调（初级）", trade_code=COOK, kind="short", hours=60,
        certificate=True))
    courses = {ELECTRICIAN: (SEED.courses["A"], SEED.teachers["A"]), COOK: (cook.id, SEED.teachers["A_cook"]),
               HOUSEKEEPER: (SEED.courses["B"], SEED.teachers["B"])}
    serial = 0
    for h in range(households):
        village = VILLAGES[int(rng.integers(len(VILLAGES)))]
        poor = rng.random() < 0.6
        members = []
        facts = []
        for k in range(int(rng.integers(1, 4))):
            serial += 1
            male = bool(rng.random() < 0.5)
            age = int(rng.integers(17, 55))
            born = date(now.year - age - 1, int(rng.integers(1, 13)), int(rng.integers(1, 28)))
            young = age <= 20 and poor
            members.append(MemberCreate(
                name=f"测试{h}-{k}", id_number=id_number(born, serial, male), relation="户主" if k == 0 else "子女",
                education="71", in_school=False, labour_capacity="full",
                work_status=WORK_STATUSES[int(rng.integers(4))],
                ethnicity="彝族" if rng.random() < 0.7 else "汉族",
                left_school_year=now.year - 1 if young else None,
                disability="肢体残疾" if rng.random() < 0.05 else None))
            wishes = [str(t) for t in rng.permutation(TRADES)[: int(rng.integers(1, 4))]]
            free = set() if rng.random() < 0.3 else {int(m) for m in rng.choice(np.arange(1, 13), 5, replace=False)}
            facts.append((wishes, free, bool(rng.random() < 0.5), male, age, young))
        created = await registry.create_household(conn, who, vault, rule(now), HouseholdCreate(
            village_code=village, head_name=members[0].name, members=members,
            poverty_status="registered_poor" if poor else "ordinary"))
        for person, (wishes, free, board, male, age, _young) in zip(created.members, facts, strict=True):
            await registry.add_survey(conn, who, rule(now), person.id, SurveyCreate(
                surveyed_on=survey_day, desired_trades=wishes, training_kind="short",
                available_months=sorted(free), can_board=board, wants_certificate=True))
            history.people.append(Person(person.id, village, male, age, wishes, free, board,
                                         bool(person.lianghousheng)))

    first = (now.replace(day=1) - timedelta(days=31 * months)).replace(day=1)
    for m in range(months):
        month = (first + timedelta(days=31 * m + 2)).replace(day=1)
        for k in range(6):
            trade = TRADES[k % 3]
            course, teacher = courses[trade]
            starts = month + timedelta(days=int(rng.integers(0, 20)))
            village = VILLAGES[int(rng.integers(len(VILLAGES)))]
            session = await catalogue.create_session(conn, who, course, SessionCreate(
                starts_on=starts, ends_on=starts + timedelta(days=4), village_code=village, capacity=200,
                teacher_ids=[teacher]), seats=enrolment.seat_counts)
            await catalogue.publish_session(conn, who, session.id, starts - timedelta(days=10),
                                            seats=enrolment.seat_counts)
            history.sessions.append({"id": session.id, "trade": trade, "starts_on": starts, "village": village})

    for m in range(months):
        month_sessions = [s for s in history.sessions if (s["starts_on"].year, s["starts_on"].month) ==
                          ((first + timedelta(days=31 * m + 2)).year, (first + timedelta(days=31 * m + 2)).month)]
        for p in history.people:
            if rng.random() >= offer_rate:
                continue
            lean = np.array([0.2 * (s["trade"] in p.wishes[:1]) + 0.2 * (s["village"][:9] == p.village[:9])
                             for s in month_sessions])
            choice = month_sessions[int(rng.choice(len(month_sessions), p=np.exp(lean) / np.exp(lean).sum()))]
            made = await enrolment.enrol(conn, who, rule(choice["starts_on"] - timedelta(days=3)), choice["id"],
                                         EnrolmentCreate(person_id=p.id))
            history.enrolments += 1
            finishes = rng.random() < 1 / (1 + math.exp(-truth(p, choice)))
            if finishes:
                await enrolment.complete(conn, who, made.id, Completion(
                    completed_on=choice["starts_on"] + timedelta(days=4), passed=True,
                    override_reason="历史数据补录"), now, 0.8)
                history.completed += 1
            elif rng.random() < 0.5:
                await enrolment.withdraw(conn, who, made.id, Withdrawal(reason="外出务工"))
            else:
                await enrolment.drop(conn, who, made.id, Withdrawal(reason="缺勤过多"))
    return history
