"""A plausible county, drawn from a seed: households and people, their needs surveys over the years,
the schools' sessions, who signs up for which, and how each place ends.

Pure Python, no database: every number here is an assumption written down in `docs/simulation.md`
(keep the two in step). The plan is replayed through the services by `training.simulate.service`.
Everything is drawn from `random.Random` objects seeded from the one seed, each part from its own
stream (`stream(seed, "people")`, `stream(seed, "session", 17)`), so the same seed gives the same
county whatever order the replay runs in.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from stdnum.cn import ric

# ------------------------------------------------------------------ streams


def stream(seed: int, *parts: object) -> random.Random:
    """An independent random stream for one part of the world."""
    digest = hashlib.sha256(":".join(str(p) for p in (seed, *parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


# ------------------------------------------------------------------ places


@dataclass(frozen=True)
class Village:
    code: str
    name: str
    township: str
    lat: float
    lon: float
    key_poverty: bool


# ------------------------------------------------------------------ names

YI_SURNAMES = ["吉克", "阿苏", "沙马", "马海", "俄木", "吉伍", "阿木", "罗洪", "瓦渣", "海来", "曲比", "阿约", "勒格",
               "吉木", "阿尔", "井曲", "日火", "阿加", "苏呷", "俄底", "金古", "阿的", "吉觉", "果基", "倮伍", "木乃",
               "阿说", "吉史", "的日", "阿衣"]
YI_MALE = ["石布", "日哈", "拉且", "木呷", "伍各", "阿支", "尔古", "拉格", "约哈", "克哈", "子古", "阿牛", "么支",
           "尔布", "阿火", "体布", "伍沙", "木乃", "拉哈", "日作", "格哈", "比沙", "铁哈", "尔坡"]
YI_FEMALE = ["阿呷", "日作", "阿依", "阿果", "阿芝", "史沙", "莫色", "阿妞", "伍呷", "依作", "阿各", "么作", "尔果",
             "石各", "阿衣", "阿西", "木果", "拉果", "阿嫫", "金花", "秀英", "玉兰"]
HAN_SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "马", "罗", "何", "胡", "郭",
                "高", "林", "谢", "邓", "冯", "曾", "彭", "蒋"]
HAN_MALE = ["建国", "志强", "永华", "德明", "国平", "海军", "文斌", "俊杰", "浩", "宇", "勇", "伟", "磊", "鹏", "强",
            "明", "军", "斌", "涛", "超", "林", "杰", "家豪", "子轩"]
HAN_FEMALE = ["秀英", "桂芬", "丽", "芳", "敏", "静", "燕", "玲", "红梅", "玉兰", "晓燕", "婷", "雪", "丹", "慧",
              "琴", "霞", "欣怡", "梓涵", "雨桐"]
TIBETAN_MALE = ["扎西", "次仁", "多吉", "尼玛", "格桑", "拉巴", "旺堆", "罗布"]
TIBETAN_FEMALE = ["卓玛", "央金", "拉姆", "德吉", "措姆", "次珍", "白玛", "曲珍"]


def person_name(rng: random.Random, ethnicity: str, sex: str, surname: str | None) -> str:
    if ethnicity == "彝族":
        return (surname or rng.choice(YI_SURNAMES)) + rng.choice(YI_MALE if sex == "male" else YI_FEMALE)
    if ethnicity == "藏族":
        # 尔苏藏族 of 甘洛 mostly carry Han surnames with Tibetan or Han given names.
        given = TIBETAN_MALE if sex == "male" else TIBETAN_FEMALE
        return (surname or rng.choice(["王", "杨", "李", "罗"])) + rng.choice(given)
    return (surname or rng.choice(HAN_SURNAMES)) + rng.choice(HAN_MALE if sex == "male" else HAN_FEMALE)


# ------------------------------------------------------------------ codes

# GB/T 4658 codes by birth cohort (age at the history's start) and sex: the older, the less schooling.
EDUCATION_BY_AGE: list[tuple[int, dict[str, dict[str, float]]]] = [
    (29, {"male": {"81": 8, "71": 48, "73": 10, "61": 14, "63": 3, "41": 4, "44": 4, "47": 3, "31": 4, "21": 2},
          "female": {"90": 3, "81": 12, "71": 46, "73": 10, "61": 12, "63": 3, "41": 4, "44": 4, "31": 4, "21": 2}}),
    (44, {"male": {"90": 10, "83": 8, "81": 32, "71": 38, "73": 4, "61": 5, "41": 3},
          "female": {"90": 22, "83": 10, "81": 32, "71": 28, "73": 3, "61": 3, "41": 2}}),
    (59, {"male": {"90": 28, "83": 14, "81": 36, "71": 18, "61": 4},
          "female": {"90": 48, "83": 14, "81": 28, "71": 9, "61": 1}}),
    (200, {"male": {"90": 55, "83": 15, "81": 24, "71": 6}, "female": {"90": 75, "83": 10, "81": 13, "71": 2}}),
]
EDUCATION_RANK = {"90": 0, "83": 10, "81": 20, "73": 20, "71": 30, "63": 30, "61": 40, "41": 40, "44": 40, "47": 40,
                  "31": 50, "21": 60}
DISABILITIES = ["肢体残疾四级", "肢体残疾三级", "视力残疾四级", "听力残疾三级", "言语残疾四级", "智力残疾四级",
                "精神残疾四级", "肢体残疾二级"]
POVERTY_CAUSES = ["因病", "因残", "因学", "因灾", "缺劳力", "缺技术", "缺资金", "缺土地", "缺水", "交通条件落后",
                  "自身发展动力不足"]
CAUSE_WEIGHTS = [14, 8, 10, 4, 10, 22, 12, 4, 2, 8, 6]
PRIOR_SKILLS = ["砌筑", "驾驶", "电焊", "烹饪", "养殖", "种植", "缝纫", "木工", "彝绣"]


def id_number(address: str, birth: date, sequence: int, sex: str) -> str:
    """A valid 居民身份证号码: address + birth date + 3-digit sequence (odd for men) + MOD 11-2 check."""
    seq = sequence * 2 + (1 if sex == "male" else 0)
    body = f"{address}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum expects a number with a check place


# ------------------------------------------------------------------ trades and tastes

# Trade categories (the trades table's `category`) and how much each kind of person leans to them.
TASTE_BASE = {"电子电工": 1.0, "机电": 0.8, "数控": 0.6, "农业种植": 1.1, "养殖": 1.1, "餐饮": 1.0, "家政": 0.9,
              "建筑": 0.8, "电子商务": 0.6, "农产品加工": 0.6}


def taste(category: str, sex: str, age: int, education_rank: int) -> float:
    """How much a person of this sex, age and schooling wants trades of a category (a weight, 1 = average)."""
    w = TASTE_BASE.get(category, 0.5)
    if sex == "male":
        w *= {"电子电工": 2.2, "机电": 2.4, "数控": 2.2, "建筑": 2.4, "家政": 0.15, "餐饮": 0.8}.get(category, 1.0)
    else:
        w *= {"家政": 3.0, "餐饮": 2.0, "电子电工": 0.35, "机电": 0.2, "数控": 0.25, "建筑": 0.1,
              "电子商务": 1.4}.get(category, 1.0)
    if age >= 45:
        w *= {"农业种植": 2.5, "养殖": 2.5, "农产品加工": 1.5, "数控": 0.2, "电子商务": 0.2, "机电": 0.5}.get(category, 1.0)
    elif age < 30:
        w *= {"数控": 1.8, "电子商务": 2.0, "电子电工": 1.4, "农业种植": 0.4, "养殖": 0.5}.get(category, 1.0)
    if education_rank >= 40:
        w *= {"电子商务": 2.2, "数控": 1.8, "电子电工": 1.3, "农业种植": 0.7}.get(category, 1.0)
    elif education_rank < 20:
        w *= {"电子商务": 0.15, "数控": 0.3, "电子电工": 0.6}.get(category, 1.0)
    return w


# ------------------------------------------------------------------ the plan


@dataclass
class PersonPlan:
    key: int
    household: int
    name: str
    id_number: str
    birth: date
    sex: str
    relation: str
    ethnicity: str
    education: str
    in_school: bool
    left_school_year: int | None
    labour: str
    disability: str | None
    work: str
    phone: str | None
    skills: list[str]
    # Leaving school during the history: (day, new education, new work status).
    leaves: tuple[date, str, str] | None = None
    grit: float = 0.0  # a person's own steadiness, unseen by any feature

    def age_on(self, day: date) -> int:
        return day.year - self.birth.year - ((day.month, day.day) < (self.birth.month, self.birth.day))

    def in_school_on(self, day: date) -> bool:
        return self.in_school and (self.leaves is None or day < self.leaves[0])

    def education_on(self, day: date) -> str:
        return self.leaves[1] if self.leaves is not None and day >= self.leaves[0] else self.education

    def work_on(self, day: date) -> str:
        return self.leaves[2] if self.leaves is not None and day >= self.leaves[0] else self.work

    def left_year_on(self, day: date) -> int | None:
        return self.leaves[0].year if self.leaves is not None and day >= self.leaves[0] else self.left_school_year


@dataclass
class HouseholdPlan:
    index: int
    household_no: str
    village: Village
    head_name: str
    phone: str | None
    poverty_status: str
    lifted_year: int | None
    monitor_type: str | None
    risk_removed: bool | None
    poverty_causes: list[str]
    members: list[PersonPlan]
    # The change of era (建档立卡 → 脱贫/监测) on a day of the history: the new status fields.
    transition: tuple[date, dict[str, object]] | None = None


@dataclass
class SurveyPlan:
    person: int
    day: date
    trades: list[str]
    kind: str | None
    months: list[int]
    can_board: bool


@dataclass(frozen=True)
class CourseSpec:
    index: int
    school: int
    title: str
    trade: str
    category: str
    kind: str
    hours: int
    level: str | None
    certificate: bool
    min_age: int | None
    max_age: int | None
    min_education_rank: int | None


@dataclass
class SignUp:
    person: int
    day: date
    source: str
    outcome: str  # passed | failed | dropped | withdrawn
    leave_day: date | None = None  # withdrawn before the start, or dropped during the course
    reason: str | None = None
    attendance: float = 1.0  # chance of being present on a class day
    certificate_no: str | None = None
    employment: tuple[date, str, str, int] | None = None  # day, place, employer, monthly income
    p_complete: float = 0.0


@dataclass
class SessionPlan:
    index: int
    course: CourseSpec
    village: Village
    starts: date
    ends: date
    capacity: int
    publish_day: date
    class_days: list[date] = field(default_factory=list)
    signups: list[SignUp] = field(default_factory=list)


@dataclass
class World:
    county: str
    start: date
    today: date
    households: list[HouseholdPlan]
    people: list[PersonPlan]
    surveys: list[SurveyPlan]
    sessions: list[SessionPlan]


# ------------------------------------------------------------------ households and people

ETHNICITY_BY_TOWNSHIP_SEAT = {"彝族": 0.45, "汉族": 0.52, "藏族": 0.03}
ETHNICITY_RURAL = {"彝族": 0.82, "汉族": 0.14, "藏族": 0.04}


def _education(rng: random.Random, age: int, sex: str) -> str:
    for limit, table in EDUCATION_BY_AGE:
        if age <= limit:
            return pick(rng, table[sex])
    raise AssertionError


def _adult(rng: random.Random, key: int, household: int, name: str, birth: date, sex: str, relation: str,
           ethnicity: str, start: date, ids: IdMaker) -> PersonPlan:
    age = start.year - birth.year
    education = _education(rng, age, sex)
    labour = "full"
    disability = None
    if rng.random() < 0.045 + 0.002 * max(0, age - 40):
        disability = rng.choice(DISABILITIES)
        labour = "lost" if disability.endswith(("一级", "二级")) else rng.choice(["weak", "weak", "full"])
    if age >= 60:
        labour = rng.choices(["full", "weak", "lost", "none"], [25, 45, 15, 15])[0] if labour == "full" else labour
    elif age >= 50 and labour == "full" and rng.random() < 0.2:
        labour = "weak"
    if labour in ("lost", "none"):
        work = "unemployed"
    elif age < 46 and rng.random() < (0.36 if sex == "male" else 0.24):
        work = "migrant"
    else:
        work = rng.choices(["farming", "local_work", "unemployed"], [74, 16, 10])[0]
    left_year: int | None = None
    if education in ("71", "73", "61", "63", "41", "44", "47", "31", "21"):
        leave_age = {"71": 15, "73": 14, "61": 18, "63": 17, "41": 18, "44": 18, "47": 18, "31": 21, "21": 22}[education]
        left_year = birth.year + leave_age + rng.choice([0, 0, 1])
        if left_year > start.year:
            left_year = start.year
    phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}" if age < 65 and rng.random() < 0.75 else None
    skills = [rng.choice(PRIOR_SKILLS)] if rng.random() < 0.08 and age < 60 else []
    return PersonPlan(key=key, household=household, name=name, id_number=ids.make(birth, sex), birth=birth, sex=sex,
                      relation=relation, ethnicity=ethnicity, education=education, in_school=False,
                      left_school_year=left_year, labour=labour, disability=disability, work=work, phone=phone,
                      skills=skills, grit=rng.gauss(0.0, 0.5))


class IdMaker:
    """Unique ID numbers in the county: one sequence per birth date."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.used: dict[tuple[date, str], int] = {}

    def make(self, birth: date, sex: str) -> str:
        n = self.used.get((birth, sex), 0)
        self.used[(birth, sex)] = n + 1
        # 500 numbers per birth date and sex: far more than a county's people born on one day.
        return id_number(self.address, birth, n % 500, sex)


def _birth(rng: random.Random, year: int) -> date:
    return date(year, 1, 1) + timedelta(days=rng.randrange(365))


def _child(rng: random.Random, key: int, household: int, surname: str | None, ethnicity: str, birth: date,
           start: date, today: date, ids: IdMaker, relation: str = "子女") -> PersonPlan:
    sex = rng.choice(["male", "female"])
    name = person_name(rng, ethnicity, sex, surname)
    age = start.year - birth.year
    work = "student"
    in_school = 6 <= age <= 18
    education = "90" if age < 12 else ("81" if age < 15 else "71")
    leaves: tuple[date, str, str] | None = None
    left_year: int | None = None
    if in_school and age >= 16 and rng.random() < 0.45:
        # Already left after 初中 before the history starts.
        in_school, education = False, "71" if rng.random() > 0.15 else "73"
        left_year = birth.year + 15
        work = rng.choices(["farming", "migrant", "unemployed"], [45, 35, 20])[0]
    elif in_school:
        # Pupils leave after 初中 (age 15: 45% of them) or after 高中/中职 (18: 70%); the rest go on.
        for leave_age, finished, go_on in ((15, "71", 0.55), (18, "61", 0.30)):
            leave_year = birth.year + leave_age
            if leave_year < start.year:
                continue
            if rng.random() < go_on:
                continue
            day = date(leave_year, 7, 10)
            if day <= today:
                stop = rng.choices(["farming", "migrant", "unemployed"], [45, 35, 20])[0]
                leaves = (day, finished if rng.random() > 0.15 else ("73" if finished == "71" else "63"), stop)
            break
    elif age > 18:
        education = _education(rng, age, sex)
        left_year = min(start.year, birth.year + (15 if education in ("71", "73") else 18))
        work = rng.choices(["farming", "migrant", "local_work", "unemployed"], [40, 38, 12, 10])[0]
    else:
        work = "unemployed"
    return PersonPlan(key=key, household=household, name=name, id_number=ids.make(birth, sex), birth=birth, sex=sex,
                      relation=relation, ethnicity=ethnicity, education=education, in_school=in_school,
                      left_school_year=left_year, labour="full" if age >= 15 else "none",
                      disability=None, work=work, phone=None, skills=[], leaves=leaves, grit=rng.gauss(0.0, 0.5))


def make_households(seed: int, county: str, villages: list[Village], count: int, start: date,
                    today: date) -> list[HouseholdPlan]:
    rng = stream(seed, "households")
    ids = IdMaker(county)
    households: list[HouseholdPlan] = []
    key = 0
    weights = [1.5 if v.key_poverty else 1.0 for v in villages]
    seat = min(v.township for v in villages)  # the county seat's township has the lowest code
    era_before_2021 = start.year < 2021
    numbers: dict[str, int] = {}
    for index in range(count):
        village = rng.choices(villages, weights)[0]
        # 户编号 as the registry assigns them: the village code, a hyphen, a sequence in the village.
        numbers[village.code] = numbers.get(village.code, 0) + 1
        ethnic_mix = ETHNICITY_BY_TOWNSHIP_SEAT if village.township == seat else ETHNICITY_RURAL
        ethnicity = pick(rng, ethnic_mix)
        surname = rng.choice(YI_SURNAMES) if ethnicity == "彝族" else rng.choice(HAN_SURNAMES)
        poor_share = 0.55 if village.key_poverty else 0.38
        poor = rng.random() < poor_share
        members: list[PersonPlan] = []
        head_sex = "male" if rng.random() < 0.82 else "female"
        head_age = int(rng.triangular(24, 78, 44))
        head = _adult(rng, key, index, person_name(rng, ethnicity, head_sex, surname), _birth(rng, start.year - head_age),
                      head_sex, "户主", ethnicity, start, ids)
        members.append(head)
        key += 1
        if rng.random() < 0.86:
            spouse_sex = "female" if head_sex == "male" else "male"
            spouse_age = max(20, head_age + rng.randint(-6, 3) * (1 if head_sex == "male" else -1))
            # Yi women keep their own clan name (家支).
            members.append(_adult(rng, key, index, person_name(rng, ethnicity, spouse_sex, None),
                                  _birth(rng, start.year - spouse_age), spouse_sex, "配偶", ethnicity, start, ids))
            key += 1
        mother_age = head_age if head_sex == "female" else head_age - 2
        children = rng.choices([0, 1, 2, 3, 4, 5], [8, 14, 28, 26, 16, 8])[0] if ethnicity == "彝族" else \
            rng.choices([0, 1, 2, 3], [15, 40, 35, 10])[0]
        for _ in range(children):
            child_age = mother_age - rng.randint(19, 38)
            if child_age < 0:
                continue
            members.append(_child(rng, key, index, surname, ethnicity,
                                  _birth(rng, start.year - child_age), start, today, ids))
            key += 1
        if head_age < 50 and rng.random() < 0.25:
            elder_sex = rng.choice(["male", "female"])
            members.append(_adult(rng, key, index, person_name(rng, ethnicity, elder_sex, None),
                                  _birth(rng, start.year - head_age - rng.randint(22, 32)), elder_sex,
                                  "父亲" if elder_sex == "male" else "母亲", ethnicity, start, ids))
            key += 1
        # Names are unique within a household (the replay matches members by name).
        seen: set[str] = set()
        for m in members:
            while m.name in seen:
                m.name = person_name(rng, ethnicity, m.sex, None)
            seen.add(m.name)
        status, lifted, monitor, removed, transition = _poverty(rng, poor, era_before_2021, start)
        causes = rng.choices(POVERTY_CAUSES, CAUSE_WEIGHTS, k=rng.choice([1, 1, 2]))
        if transition is not None and status == "ordinary":
            transition[1]["poverty_causes"] = sorted(set(causes), key=POVERTY_CAUSES.index)
        if status == "ordinary":
            causes = []
        households.append(HouseholdPlan(
            index=index, household_no=f"{village.code}-{numbers[village.code]:04d}", village=village, head_name=head.name,
            phone=head.phone, poverty_status=status, lifted_year=lifted, monitor_type=monitor, risk_removed=removed,
            poverty_causes=sorted(set(causes), key=POVERTY_CAUSES.index), members=members, transition=transition))
    return households


def _poverty(rng: random.Random, poor: bool, before_2021: bool, start: date
             ) -> tuple[str, int | None, str | None, bool | None, tuple[date, dict[str, object]] | None]:
    """Status at the start of the history, and the change of era on 2021-03-01 if the history spans it."""
    lifted_years = {2016: 8, 2017: 12, 2018: 22, 2019: 30, 2020: 28}
    if poor:
        after = rng.random()
        if after < 0.86:
            new: dict[str, object] = {"poverty_status": "lifted", "lifted_year": int(pick(rng, {str(k): v for k, v in lifted_years.items()}))}
        elif after < 0.96:
            new = {"poverty_status": "monitored", "monitor_type": "unstable", "risk_removed": rng.random() < 0.55}
        else:
            new = {}  # an old 建档立卡 record nobody has updated: both eras stay in the data
        if before_2021:
            return "registered_poor", None, None, None, ((date(2021, 3, 1), new) if new else None)
        if not new:
            return "registered_poor", None, None, None, None
        return (str(new["poverty_status"]), new.get("lifted_year"), new.get("monitor_type"),  # type: ignore[return-value]
                new.get("risk_removed"), None)
    if rng.random() < 0.05:  # ordinary households that fell into risk after 2021
        kind = "marginal" if rng.random() < 0.7 else "sudden_hardship"
        removed = rng.random() < 0.4
        if before_2021:
            return "ordinary", None, None, None, (date(2021, 3, 1), {"poverty_status": "monitored", "monitor_type": kind,
                                                                       "risk_removed": removed})
        return "monitored", None, kind, removed, None
    return "ordinary", None, None, None, None


# ------------------------------------------------------------------ surveys


SLACK_MONTHS = [1, 2, 3, 11, 12]


def wished_trades(rng: random.Random, person: PersonPlan, day: date, offered: dict[str, str],
                  lianghousheng: bool) -> tuple[list[str], str]:
    """Up to three trades in order of wish, and the kind of training wanted."""
    age = person.age_on(day)
    rank = EDUCATION_RANK.get(person.education_on(day), 20)
    codes = list(offered)
    weights = [taste(offered[c], person.sex, age, rank) for c in codes]
    chosen: list[str] = []
    for _ in range(rng.choices([1, 2, 3], [25, 40, 35])[0]):
        code = rng.choices(codes, weights)[0]
        if code not in chosen:
            chosen.append(code)
    entrepreneur = 25 <= age <= 50 and rank >= 30 and rng.random() < 0.08
    if lianghousheng:
        kind = rng.choices(["long", "short"], [65, 35])[0]
    elif entrepreneur:
        kind = "entrepreneurship"
        chosen = [c for c in chosen if offered[c] in ("农业种植", "养殖", "农产品加工", "电子商务")] or \
            [rng.choice([c for c in codes if offered[c] in ("农业种植", "养殖", "农产品加工", "电子商务")])]
    elif age >= 45:
        kind = rng.choices(["practical", "short"], [70, 30])[0]
    else:
        kind = rng.choices(["short", "practical", "long"], [72, 24, 4])[0] if age < 23 else \
            rng.choices(["short", "practical"], [65, 35])[0]
    return chosen, kind


def free_months(rng: random.Random, work: str) -> list[int]:
    if rng.random() < 0.2:
        return []  # any month
    if work == "migrant":
        return sorted(rng.sample([12, 1, 2], rng.randint(1, 3)))
    if work == "local_work":
        return sorted(rng.sample(range(1, 13), rng.randint(2, 5)))
    months = set(rng.sample(SLACK_MONTHS, rng.randint(2, 5)))
    months |= set(rng.sample([4, 7, 8], rng.randint(0, 2)))
    return sorted(months)


def is_lianghousheng(person: PersonPlan, poor: bool, day: date, years: int, working_age: dict[str, tuple[int, int]]
                     ) -> bool:
    """The 两后生 rule (mirrors the database's lianghousheng())."""
    left = person.left_year_on(day)
    low, high = working_age[person.sex]
    return (poor and person.education_on(day) in ("71", "73", "61", "62", "63") and not person.in_school_on(day)
            and left is not None and 0 <= day.year - left <= years and low <= person.age_on(day) <= high)


def make_surveys(seed: int, households: list[HouseholdPlan], offered: dict[str, str], start: date, today: date,
                 years: int, working_age: dict[str, tuple[int, int]]) -> list[SurveyPlan]:
    """The door-to-door survey each spring (Feb-Apr), first of every working-age person (72% reached),
    then again in later years (55%), wishes changing sometimes; a school leaver is surveyed the autumn
    after leaving."""
    rng = stream(seed, "surveys")
    out: list[SurveyPlan] = []
    for household in households:
        poor = household.poverty_status != "ordinary" or household.transition is not None
        for person in household.members:
            last: SurveyPlan | None = None
            for year in range(start.year, today.year + 1):
                days = [date(year, 2, 10) + timedelta(days=rng.randrange(75))]
                if person.leaves is not None and person.leaves[0].year == year:
                    days.append(date(year, 9, 1) + timedelta(days=rng.randrange(50)))
                for day in days:
                    if day > today or day < start:
                        continue
                    low, high = working_age[person.sex]
                    if person.in_school_on(day) or not low <= person.age_on(day) <= high or \
                            person.labour in ("lost", "none"):
                        continue
                    if rng.random() > (0.72 if last is None else 0.55):
                        continue
                    lhs = is_lianghousheng(person, poor, day, years, working_age)
                    if last is not None and rng.random() < 0.6:
                        trades, kind = list(last.trades), last.kind  # same wishes as last time
                        if len(trades) > 1 and rng.random() < 0.3:
                            trades[0], trades[1] = trades[1], trades[0]
                    else:
                        trades, kind = wished_trades(rng, person, day, offered, lhs)
                    work = person.work_on(day)
                    young = person.age_on(day) < 30
                    last = SurveyPlan(person=person.key, day=day, trades=trades, kind=kind,
                                      months=free_months(rng, work), can_board=rng.random() < (0.7 if young else 0.3))
                    out.append(last)
    out.sort(key=lambda s: (s.day, s.person))
    return out


# ------------------------------------------------------------------ sessions

# Share of a year's sessions starting in each month: the slack farming months and the Spring Festival,
# when migrants are home (春风行动), are busiest; planting and harvest are quiet.
MONTH_WEIGHTS = {1: 9, 2: 11, 3: 12, 4: 8, 5: 5, 6: 5, 7: 8, 8: 8, 9: 6, 10: 6, 11: 11, 12: 11}
CAPACITY = {"short": [25, 30, 30, 35, 40], "practical": [30, 40, 40, 50], "entrepreneurship": [25, 30], "long": [40, 45]}
HORIZON_DAYS = 120  # sessions are planned up to this far ahead of today (published if their day has come)


def session_days(kind: str, hours: int) -> int:
    return max(2, math.ceil(hours / 8)) if kind != "long" else 0


def make_sessions(seed: int, courses: list[CourseSpec], villages: list[Village], home: dict[int, Village],
                  start: date, today: date, per_year: int) -> list[SessionPlan]:
    rng = stream(seed, "sessions")
    weights_by_village = [2.0 if v.key_poverty else 1.0 for v in villages]
    plans: list[tuple[date, CourseSpec, Village, date, int]] = []
    horizon = today + timedelta(days=HORIZON_DAYS)
    short = [c for c in courses if c.kind != "long"]
    for year in range(start.year, horizon.year + 1):
        for course in (c for c in courses if c.kind == "long"):
            starts = date(year, 9, 1)
            plans.append((starts, course, home[course.school], date(year + 1, 7, 10), rng.choice(CAPACITY["long"])))
        for _ in range(per_year):
            month = int(pick(rng, {str(m): w for m, w in MONTH_WEIGHTS.items()}))
            starts = date(year, month, 1) + timedelta(days=rng.randrange(28))
            # Farming courses run in the slack season; skills courses all year round.
            course = rng.choices(short, [1.6 if c.kind == "practical" and month in SLACK_MONTHS else
                                         0.5 if c.kind == "practical" else 1.0 for c in short])[0]
            village = home[course.school] if rng.random() < 0.4 else rng.choices(villages, weights_by_village)[0]
            ends = starts + timedelta(days=session_days(course.kind, course.hours) - 1)
            plans.append((starts, course, village, ends, rng.choice(CAPACITY[course.kind])))
    sessions: list[SessionPlan] = []
    for starts, course, village, ends, capacity in sorted(plans, key=lambda p: (p[0], p[1].index, p[2].code)):
        # The winter programme (冬春农闲培训, Nov-Mar) is published as a timetable in the autumn; other
        # sessions three to six weeks ahead.
        lead = rng.randint(30, 110) if starts.month in (11, 12, 1, 2, 3) else rng.randint(20, 45)
        publish = starts - timedelta(days=lead)
        if starts < start or publish > today:
            continue
        if course.kind == "long":
            days = [starts + timedelta(days=7 * k) for k in range((ends - starts).days // 7 + 1)]
        else:
            days = [starts + timedelta(days=k) for k in range((ends - starts).days + 1)]
        sessions.append(SessionPlan(index=len(sessions), course=course, village=village, starts=starts, ends=ends,
                                    capacity=capacity, publish_day=publish, class_days=days))
    return sessions


# ------------------------------------------------------------------ who signs up, and how it ends

REASONS_WITHDRAW = {"migrant": "外出务工，无法参训", "clash": "农忙，时间冲突", "other": "家中有事，不能参加"}
REASONS_DROP = ["连续缺勤 3 天以上", "外出务工，中途离开", "身体原因不能继续", "家中有事，中途退出"]
EMPLOYERS_LOCAL = ["甘洛县城区餐馆", "新市坝镇家政服务公司", "甘洛县建筑工程队", "本县种养殖合作社", "甘洛县电商产业园",
                   "本村农家乐", "甘洛县物业公司", "自主创业"]
EMPLOYERS_MIGRANT = ["广东东莞电子厂", "浙江宁波机械厂", "成都家政服务公司", "福建晋江制鞋厂", "江苏苏州电子厂",
                     "成都餐饮公司", "深圳物业公司", "新疆采棉基地"]
EMPLOYMENT_RATE = {"long": 0.75, "short": 0.6, "entrepreneurship": 0.45, "practical": 0.12}


@dataclass
class Pair:
    """What a person and a session share: the features the outcome follows."""

    wish_rank: int | None  # 1-3, or None when the trade is not among the wishes
    surveyed: bool
    same_village: bool
    same_township: bool
    can_board: bool
    month_fit: bool
    kind_match: bool
    lianghousheng: bool
    taste: float


def attraction(pair: Pair, person: PersonPlan, session: SessionPlan, poor: bool, work: str) -> float:
    """How strongly a person is drawn to sign up (before noise)."""
    score = {1: 2.2, 2: 1.5, 3: 1.0}.get(pair.wish_rank or 0, 0.0) - (0.0 if pair.surveyed else 0.5)
    score += 0.6 * pair.kind_match + 0.5 * math.log(pair.taste)
    if pair.same_village:
        score += 1.2
    elif pair.same_township:
        score += 0.6
    else:
        score -= 0.3 if pair.can_board else 0.8
    score += 0.4 if pair.month_fit else -0.4
    score += 0.4 * poor
    if session.course.kind == "long":
        score += 2.0 if pair.lianghousheng else -1.5
    score -= {"migrant": 0.9, "local_work": 0.3}.get(work, 0.0)
    return score


def completion_logit(pair: Pair, person: PersonPlan, session: SessionPlan, work: str) -> float:
    """The log-odds that a person who takes their seat finishes and passes (before noise); the numbers
    are the table in docs/simulation.md."""
    x = 0.9
    x += {1: 1.3, 2: 0.7, 3: 0.3}.get(pair.wish_rank or 0, -0.3) - (0.0 if pair.surveyed else 0.2)
    if pair.same_village:
        x += 0.7
    elif pair.same_township:
        x += 0.35
    else:
        x -= 0.2 if pair.can_board else 0.8
    x += 0.5 if pair.month_fit else -1.0
    x += 0.3 * pair.kind_match
    x -= 0.8 if person.disability else 0.0
    x -= 0.5 if person.labour == "weak" else 0.0
    x -= {"migrant": 1.0, "local_work": 0.4}.get(work, 0.0)
    if session.course.kind == "long" and pair.lianghousheng:
        x += 0.8
    x += 0.4 * math.log(pair.taste)
    age = person.age_on(session.starts)
    if age <= 22 and session.course.kind != "long":
        x -= 0.3
    if age >= 50 and session.course.kind == "practical":
        x += 0.3
    return x


class Surveys:
    """Each person's surveys in order of date: the one that counts on a day is the latest before it."""

    def __init__(self, surveys: list[SurveyPlan]) -> None:
        self.by_person: dict[int, list[SurveyPlan]] = {}
        for s in surveys:
            self.by_person.setdefault(s.person, []).append(s)

    def latest(self, person: int, day: date) -> SurveyPlan | None:
        found = None
        for s in self.by_person.get(person, []):
            if s.day > day:
                break
            found = s
        return found


def plan_signups(seed: int, world: World, years: int, working_age: dict[str, tuple[int, int]],
                 categories: dict[str, str]) -> None:
    """Fill every session with sign-ups and draw how each ends (in place)."""
    surveys = Surveys(world.surveys)
    poor_household = {h.index: (h.poverty_status != "ordinary" or h.transition is not None) for h in world.households}
    village_of = {h.index: h.village for h in world.households}
    busy: dict[int, list[tuple[date, date]]] = {}
    trained: set[tuple[int, str]] = set()
    wishers: dict[str, set[int]] = {}
    for s in world.surveys:
        for code in s.trades:
            wishers.setdefault(code, set()).add(s.person)
    by_township: dict[str, list[int]] = {}
    for p in world.people:
        by_township.setdefault(village_of[p.household].township, []).append(p.key)
    everyone = [p.key for p in world.people]
    for session in world.sessions:
        rng = stream(seed, "session", session.index)
        course = session.course
        # Word of a session reaches its township and, further away, some of those who wished for it.
        wished = sorted(wishers.get(course.trade, ()))
        local = by_township.get(session.village.township, [])
        pool = set(rng.sample(wished, min(500, len(wished)))) | set(rng.sample(local, min(600, len(local))))
        pool |= set(rng.sample(everyone, min(200, len(everyone))))
        # One session in eight is sought after (a good teacher, a job promised): more sign up than there
        # are seats, and the rest wait.
        popular = rng.random() < 0.125
        threshold = 0.8 if popular else 1.6
        scored: list[tuple[float, int, Pair]] = []
        for key in sorted(pool):
            person = world.people[key]
            if not _eligible(person, session, working_age, busy.get(key, []), (key, course.trade) in trained):
                continue
            pair = _pair(person, session, surveys.latest(key, session.publish_day), village_of[person.household],
                         poor_household[person.household], years, working_age, categories)
            work = person.work_on(session.starts)
            score = attraction(pair, person, session, poor_household[person.household], work)
            score += -math.log(-math.log(rng.random() or 1e-12))  # Gumbel noise: who hears of it, who has time
            if score > threshold:
                scored.append((score, key, pair))
        scored.sort(key=lambda t: (-t[0], t[1]))
        wanted = round(session.capacity * (rng.uniform(1.15, 1.5) if popular else rng.uniform(0.45, 1.2)))
        chosen = scored[:wanted]
        window = max(1, (session.starts - session.publish_day).days - 1)
        for _, key, pair in sorted(chosen,
                                       key=lambda t: (t[1] * 7919 + session.index) % 104729):
            # Places in a sought-after session go in its first weeks.
            day = session.publish_day + timedelta(days=1 + rng.randrange(max(1, window // 3) if popular else window))
            if day > world.today:
                continue  # not signed up yet
            person = world.people[key]
            signup = _outcome(rng, world, session, person, pair, day, categories)
            session.signups.append(signup)
            busy.setdefault(key, []).append((session.starts, session.ends))
            if signup.outcome == "passed":
                trained.add((key, course.trade))
        session.signups.sort(key=lambda s: (s.day, s.person))
    _certificates(world)


def _eligible(person: PersonPlan, session: SessionPlan, working_age: dict[str, tuple[int, int]],
              busy: list[tuple[date, date]], done: bool) -> bool:
    """The enrolment service's rules, checked before asking it (it would refuse otherwise)."""
    course = session.course
    age = person.age_on(session.starts)
    low, high = working_age[person.sex]
    if done or not low <= age <= high or (person.labour in ("lost", "none") and person.leaves is None):
        return False
    if (course.min_age is not None and age < course.min_age) or (course.max_age is not None and age > course.max_age):
        return False
    if course.min_education_rank is not None and \
            EDUCATION_RANK.get(person.education_on(session.publish_day), 0) < course.min_education_rank:
        return False
    if person.in_school_on(session.publish_day) or person.in_school_on(session.starts):
        return False
    return all(session.ends < a or session.starts > b for a, b in busy)


def _pair(person: PersonPlan, session: SessionPlan, survey: SurveyPlan | None, home: Village, poor: bool, years: int,
          working_age: dict[str, tuple[int, int]], categories: dict[str, str]) -> Pair:
    rank = survey.trades.index(session.course.trade) + 1 if survey and session.course.trade in survey.trades else None
    months = survey.months if survey else []
    return Pair(
        wish_rank=rank, surveyed=survey is not None, same_village=home.code == session.village.code,
        same_township=home.township == session.village.township,
        can_board=bool(survey and survey.can_board), month_fit=not months or session.starts.month in months,
        kind_match=bool(survey and survey.kind == session.course.kind),
        lianghousheng=is_lianghousheng(person, poor, session.publish_day, years, working_age),
        taste=taste(categories.get(session.course.trade, ""), person.sex, person.age_on(session.starts),
                    EDUCATION_RANK.get(person.education_on(session.starts), 0)))


def _outcome(rng: random.Random, world: World, session: SessionPlan, person: PersonPlan, pair: Pair, day: date,
             categories: dict[str, str]) -> SignUp:
    work = person.work_on(session.starts)
    p = sigmoid(completion_logit(pair, person, session, work) + person.grit + rng.gauss(0.0, 0.4))
    source = rng.choices(["surveyor", "school", "self"], [60, 30, 10])[0]
    signup = SignUp(person=person.key, day=day, source=source, outcome="passed", p_complete=p)
    if rng.random() < p:
        if rng.random() < 0.92:
            signup.attendance = rng.uniform(0.88, 1.0)
        else:
            signup.outcome, signup.attendance = "failed", rng.uniform(0.82, 1.0)
    elif rng.random() < (0.55 if (work == "migrant" or not pair.month_fit) else 0.35):
        signup.outcome = "withdrawn"
        gap = (session.starts - day).days
        signup.leave_day = day + timedelta(days=rng.randrange(max(1, gap)))
        signup.reason = REASONS_WITHDRAW["migrant" if work == "migrant" else "clash" if not pair.month_fit else "other"]
    else:
        signup.outcome, signup.attendance = "dropped", rng.uniform(0.4, 0.8)
        length = max(1, len(session.class_days) - 1)
        signup.leave_day = session.class_days[min(len(session.class_days) - 1, 1 + rng.randrange(length))]
        signup.reason = rng.choice(REASONS_DROP)
    if signup.outcome == "passed" and rng.random() < EMPLOYMENT_RATE[session.course.kind]:
        employed_on = session.ends + timedelta(days=rng.randint(7, 120))
        migrant = work == "migrant" or (person.age_on(session.starts) < 40 and rng.random() < 0.45)
        place = "migrant" if migrant and session.course.kind != "practical" else "local"
        employer = rng.choice(EMPLOYERS_MIGRANT if place == "migrant" else EMPLOYERS_LOCAL)
        income = (rng.randint(35, 70) if place == "migrant" else rng.randint(22, 45)) * 100
        signup.employment = (employed_on, place, employer, income)
    return signup


def _certificates(world: World) -> None:
    """Certificate numbers for the passed places of certificate courses (9 in 10 sit and get it):
    one letter and 21 digits, unique in the county."""
    rng = stream(0, "certificates", world.county)
    for session in world.sessions:
        if not session.course.certificate:
            continue
        for n, signup in enumerate(session.signups):
            if signup.outcome == "passed" and rng.random() < 0.9:
                signup.certificate_no = f"S{world.county}{session.ends.year:04d}{session.index:05d}{n:06d}"
