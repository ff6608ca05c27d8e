"""The classifier's features, built with numpy for many (person, session) pairs at once.

People and sessions are turned into column arrays once (`People`, `Sessions`). Every feature is a
`Column` of one of four kinds, and every kind is evaluated by broadcasting, so the same definition
serves training (1-D index arrays of example pairs) and scoring (`pi` of shape (P, 1) against `sj` of
shape (1, S), giving a (P, S) matrix without a Python loop over pairs):

- person: a function of the person alone (age, sex, education, poverty status, 两后生, ...);
- session: a function of the session alone (trade, category, kind, hours, level, month, place);
- pair: small codes from both sides (rank of the trade in the person's wishes, distance, month fit,
  boarding, travel reach, already holds the skill, kind and certificate wanted);
- cross: a session code times a small person code (trade x sex, category x age band, category x
  schooling): tastes differ by who the person is.

Categorical codes are plain integers that mean the same in every process (a trade code's digits, a
category's CRC-32), so a model trained in one place scores in another without a vocabulary file.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal
from uuid import UUID

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]

SEX = {"male": 0, "female": 1}
LABOUR = {"full": 0, "weak": 1, "lost": 2, "none": 3}
WORK = {"farming": 0, "local_work": 1, "migrant": 2, "unemployed": 3, "student": 4}
WORK_LABELS = ["务农", "本地务工", "外出务工", "无业", "在校学生"]
POVERTY = {"registered_poor": 0, "lifted": 1, "monitored": 2, "ordinary": 3}
POVERTY_PHRASES = ["建档立卡贫困户优先", "脱贫户优先", "监测户优先", None]
KIND = {"long": 1, "short": 2, "entrepreneurship": 3, "practical": 4}
KIND_LABELS = {1: "长期培训", 2: "短期技能培训", 3: "创业培训", 4: "农业实用技术培训"}
LEVEL = {"junior": 1, "intermediate": 2, "senior": 3, "technician": 4, "senior_technician": 5}
LEVEL_LABELS = {1: "初级工", 2: "中级工", 3: "高级工", 4: "技师", 5: "高级技师"}
EDUCATION_LABELS = ["未上学", "小学", "初中", "高中或中职", "大专及以上"]
AGE_BANDS = ["20岁以下", "20-29岁", "30-39岁", "40-49岁", "50岁以上"]
DISTANCE_PHRASES = ["本村开班", "本乡镇开班", "本县开班", None]
ORDINALS = {1: "第一位", 2: "第二位", 3: "第三位"}
NO_TRADE = -1


@functools.lru_cache(maxsize=4096)  # a county has a few dozen trades, scored hundreds of sessions at a time
def trade_key(code: str) -> int:
    """A trade code 6-31-01-03 as the integer 6310103: stable everywhere."""
    return int(code.replace("-", ""))


@functools.lru_cache(maxsize=4096)
def category_key(category: str) -> int:
    return zlib.crc32(category.encode("utf-8"))


def education_band(rank: int) -> int:
    """GB/T 4658 rank (education_levels.rank) to five bands: none, primary, junior, senior, college."""
    if rank <= 0:
        return 0
    if rank <= 20:
        return 1
    if rank <= 30:
        return 2
    if rank <= 40:
        return 3
    return 4


def ethnicity_group(ethnicity: str | None) -> int:
    """Han, Yi (the demo county is a Yi autonomous prefecture's), another minority, unknown."""
    if not ethnicity:
        return 3
    if ethnicity.startswith("汉"):
        return 0
    if ethnicity.startswith("彝"):
        return 1
    return 2


def travel_band(km: int | None) -> int:
    if km is None:
        return 0
    return 1 if km <= 5 else 2 if km <= 20 else 3 if km <= 50 else 4


def skill_matches(skill: str, code: str, name: str, aliases: Sequence[str]) -> bool:
    """Whether a skill typed in the registry ("电工证", "低压电工", "6-31-01-03") is this trade."""
    skill = skill.strip()
    if not skill:
        return False
    if skill == code:
        return True
    for word in (name, *aliases):
        if word and (word in skill or (len(skill) >= 2 and skill in word)):
            return True
    return False


@dataclass
class People:
    """Column arrays of people, judged as of one day (age, 两后生, the latest survey by then)."""

    ids: list[UUID]
    as_of: date
    village: Array
    township: Array
    county: Array
    age: Array
    sex: Array
    ethnicity: Array
    education: Array
    labour: Array
    disability: Array
    work: Array
    poverty: Array
    lianghousheng: Array
    skills: list[list[str]]
    surveyed: Array
    wishes: Array  # (P, 3) trade keys, NO_TRADE where none
    kind: Array
    months: Array  # bit m set: free in month m; 0: any month
    travel: Array
    board: Array  # 0 no, 1 yes, 2 unknown
    certificate: Array  # 0 no, 1 yes, 2 unknown
    skill_count: Array
    free_month_count: Array
    # Trades a person completed after `as_of` (training only): a skill learnt later is not known yet.
    learnt_later: Mapping[int, set[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def age_band(self) -> Array:
        return np.asarray(np.clip((self.age - 10) // 10, 0, 4), dtype=np.int64)

    @classmethod
    def from_rows(cls, rows: Sequence[Any], as_of: date,
                  learnt_later: Mapping[UUID, set[str]] | None = None) -> People:
        n = len(rows)
        ids = [r["id"] for r in rows]
        village = np.array([int(r["village_code"]) for r in rows], dtype=np.int64)
        wishes = np.full((n, 3), NO_TRADE, dtype=np.int64)
        months = np.zeros(n, dtype=np.int64)
        for i, r in enumerate(rows):
            for k, code in enumerate((r["desired_trades"] or [])[:3]):
                wishes[i, k] = trade_key(code)
            for m in r["available_months"] or []:
                if 1 <= m <= 12:
                    months[i] |= 1 << m
        born = np.array([r["birth_date"].toordinal() for r in rows], dtype=np.int64)
        later = learnt_later or {}

        def codes(values: list[int]) -> Array:
            return np.array(values, dtype=np.int64)

        def tri(value: bool | None) -> int:
            return 2 if value is None else int(value)

        return cls(
            ids=ids, as_of=as_of, village=village, township=village // 1000, county=village // 1_000_000,
            age=((as_of.toordinal() - born) / 365.25).astype(np.int64) if n else np.zeros(0, np.int64),
            sex=codes([SEX[r["sex"]] for r in rows]),
            ethnicity=codes([ethnicity_group(r["ethnicity"]) for r in rows]),
            education=codes([education_band(r["education_rank"]) for r in rows]),
            labour=codes([LABOUR[r["labour_capacity"]] for r in rows]),
            disability=codes([int(bool(r["disability"]) and r["disability"] not in ("无", "否", "健康"))
                              for r in rows]),
            work=codes([WORK[r["work_status"]] for r in rows]),
            poverty=codes([POVERTY[r["poverty_status"]] for r in rows]),
            lianghousheng=codes([int(bool(r["lianghousheng"])) for r in rows]),
            skills=[list(r["skills"] or []) for r in rows],
            surveyed=codes([int(r["surveyed_on"] is not None) for r in rows]),
            wishes=wishes,
            kind=codes([KIND.get(r["training_kind"] or "", 0) for r in rows]),
            months=months,
            travel=codes([travel_band(r["max_travel_km"]) for r in rows]),
            board=codes([tri(r["can_board"]) for r in rows]),
            certificate=codes([tri(r["wants_certificate"]) for r in rows]),
            skill_count=np.array([min(len(r["skills"] or []), 5) for r in rows], dtype=np.float64),
            free_month_count=np.array([bin(m).count("1") if m else 12 for m in months.tolist()], dtype=np.float64),
            learnt_later={i: later[pid] for i, pid in enumerate(ids) if pid in later},
        )


@dataclass
class Sessions:
    ids: list[UUID]
    trade_codes: list[str]
    trade_names: list[str]
    categories: list[str]
    aliases: list[list[str]]
    trade: Array
    category: Array
    kind: Array
    hours: Array
    level: Array
    certificate: Array
    month: Array
    key_village: Array
    village: Array
    township: Array
    county: Array
    # The distinct trades of these sessions, and each session's index into them (for "holds the skill").
    distinct_trades: list[int] = field(default_factory=list)
    trade_index: Array = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_rows(cls, rows: Sequence[Any]) -> Sessions:
        village = np.array([int(r["village_code"]) for r in rows], dtype=np.int64)
        trade = np.array([trade_key(r["trade_code"]) for r in rows], dtype=np.int64)
        distinct = sorted(set(trade.tolist()))
        where = {t: k for k, t in enumerate(distinct)}
        return cls(
            ids=[r["id"] for r in rows], trade_codes=[r["trade_code"] for r in rows],
            trade_names=[r["trade_name"] for r in rows], categories=[r["category"] for r in rows],
            aliases=[list(r["aliases"] or []) for r in rows], trade=trade,
            category=np.array([category_key(r["category"]) for r in rows], dtype=np.int64),
            kind=np.array([KIND[r["kind"]] for r in rows], dtype=np.int64),
            hours=np.array([float(r["hours"]) for r in rows], dtype=np.float64),
            level=np.array([LEVEL.get(r["skill_level"] or "", 0) for r in rows], dtype=np.int64),
            certificate=np.array([int(r["certificate"]) for r in rows], dtype=np.int64),
            month=np.array([r["starts_on"].month for r in rows], dtype=np.int64),
            key_village=np.array([int(bool(r["key_poverty"])) for r in rows], dtype=np.int64),
            village=village, township=village // 1000, county=village // 1_000_000,
            distinct_trades=distinct, trade_index=np.array([where[t] for t in trade.tolist()], dtype=np.int64),
        )


def holds_matrix(people: People, sessions: Sessions) -> Array:
    """(P, T) booleans: person already holds the skill of each distinct session trade. Only people
    with skills are looked at, so this is cheap for a county where few list any."""
    matrix = np.zeros((len(people), len(sessions.distinct_trades)), dtype=bool)
    first: dict[int, int] = {}
    for j, t in enumerate(sessions.trade.tolist()):
        first.setdefault(t, j)
    described = [(k, sessions.trade_codes[first[t]], sessions.trade_names[first[t]], sessions.aliases[first[t]])
                 for k, t in enumerate(sessions.distinct_trades)]
    for i, skills in enumerate(people.skills):
        if not skills:
            continue
        later = people.learnt_later.get(i, set())
        for k, code, name, aliases in described:
            if code not in later and any(skill_matches(s, code, name, aliases) for s in skills):
                matrix[i, k] = True
    return matrix


@dataclass
class Pairs:
    """People and sessions with what pair features need precomputed once."""

    people: People
    sessions: Sessions
    holds: Array

    @classmethod
    def of(cls, people: People, sessions: Sessions) -> Pairs:
        return cls(people, sessions, holds_matrix(people, sessions))


# ------------------------------------------------------------------ pair features


# Pair features are computed for (people block x sessions) at once, so they use small integer types and
# arithmetic on booleans instead of nested np.where: the codes are the same, the matrices far cheaper.


def wish_rank(x: Pairs, pi: Array, sj: Array) -> Array:
    """0 not surveyed, 1-3 the trade's place in the wishes, 4 surveyed but not wished."""
    trade = x.sessions.trade[sj]
    w = x.people.wishes
    # The wishes are distinct, so at most one comparison holds: 4 - 3, 4 - 2, 4 - 1 or 4.
    rank = 4 - 3 * (trade == w[pi, 0]).astype(np.int8) - 2 * (trade == w[pi, 1]) - (trade == w[pi, 2])
    return np.asarray(rank * x.people.surveyed[pi].astype(np.int8), dtype=np.int8)


def distance(x: Pairs, pi: Array, sj: Array) -> Array:
    """0 same village, 1 same township, 2 same county, 3 farther (each level implies the ones above)."""
    p, s = x.people, x.sessions
    return np.asarray(3 - (p.county[pi] == s.county[sj]).astype(np.int8) - (p.township[pi] == s.township[sj])
                      - (p.village[pi] == s.village[sj]), dtype=np.int8)


def month_fit(x: Pairs, pi: Array, sj: Array) -> Array:
    """0 any month (or not surveyed), 1 free in the start month, 2 not free then."""
    months = x.people.months.astype(np.int32)[pi]
    free = ((months >> x.sessions.month.astype(np.int32)[sj]) & 1).astype(np.int8)
    return np.asarray((2 - free) * (months != 0), dtype=np.int8)


BOARD_CODE = np.array([2, 1, 3], dtype=np.int8)  # can_board no / yes / unknown -> boarding code


def boarding(x: Pairs, pi: Array, sj: Array) -> Array:
    """0 within the township (goes home at night), else 1 can board, 2 cannot, 3 unknown."""
    away = (x.people.township[pi] != x.sessions.township[sj]).astype(np.int8)
    return np.asarray(away * BOARD_CODE[x.people.board[pi]], dtype=np.int8)


def travel_reach(x: Pairs, pi: Array, sj: Array) -> Array:
    return np.asarray(x.people.travel.astype(np.int8)[pi] * 4 + distance(x, pi, sj), dtype=np.int8)


def holds_skill(x: Pairs, pi: Array, sj: Array) -> Array:
    if x.holds.shape[1] == 0:
        return np.zeros(np.broadcast_shapes(np.shape(pi), np.shape(sj)), dtype=np.int64)
    return x.holds[pi, x.sessions.trade_index[sj]].astype(np.int8)


def kind_fit(x: Pairs, pi: Array, sj: Array) -> Array:
    """0 no kind wanted, 1 the kind wanted, 2 another kind."""
    wanted = x.people.kind.astype(np.int8)[pi]
    return np.asarray((2 - (wanted == x.sessions.kind.astype(np.int8)[sj])) * (wanted != 0), dtype=np.int8)


def certificate_fit(x: Pairs, pi: Array, sj: Array) -> Array:
    return np.asarray(x.people.certificate.astype(np.int8)[pi] * 2 + x.sessions.certificate.astype(np.int8)[sj],
                      dtype=np.int8)


# ------------------------------------------------------------------ the feature list

Kind = Literal["person", "session", "pair", "cross"]
Phrase = Callable[[Pairs, int, int, int], "str | None"]  # (pairs, i, j, value) -> a reason or None


def _none(x: Pairs, i: int, j: int, v: int) -> str | None:
    return None


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    numeric: bool = False
    person: Callable[[People], Array] | None = None
    session: Callable[[Sessions], Array] | None = None
    pair: Callable[[Pairs, Array, Array], Array] | None = None
    k: int = 0  # cross: the person code lies in [0, k)
    domain: int = 0  # pair: codes lie in [0, domain)
    phrase: Phrase = _none


def _wish_phrase(x: Pairs, i: int, j: int, v: int) -> str | None:
    return f"意向工种{ORDINALS[v]}：{x.sessions.trade_names[j]}" if v in ORDINALS else None


def _month_phrase(x: Pairs, i: int, j: int, v: int) -> str | None:
    if v == 1:
        return f"{x.sessions.month[j]}月有空"
    return "全年都有空" if x.people.surveyed[i] else None


def _female(x: Pairs, i: int) -> str:
    return "女性" if x.people.sex[i] == 1 else "男性"


COLUMNS: list[Column] = [
    # the person
    Column("age", "person", numeric=True, person=lambda p: p.age.astype(np.float64),
           phrase=lambda x, i, j, v: f"年龄{x.people.age[i]}岁"),
    Column("age_band", "person", person=lambda p: p.age_band),
    Column("sex", "person", person=lambda p: p.sex),
    Column("ethnicity", "person", person=lambda p: p.ethnicity),
    Column("education", "person", person=lambda p: p.education,
           phrase=lambda x, i, j, v: f"文化程度：{EDUCATION_LABELS[v]}"),
    Column("labour_capacity", "person", person=lambda p: p.labour,
           phrase=lambda x, i, j, v: "身体好、是主要劳动力" if v == 0 else None),
    Column("disability", "person", person=lambda p: p.disability),
    Column("work_status", "person", person=lambda p: p.work,
           phrase=lambda x, i, j, v: f"目前{WORK_LABELS[v]}"),
    Column("poverty_status", "person", person=lambda p: p.poverty,
           phrase=lambda x, i, j, v: POVERTY_PHRASES[v]),
    Column("lianghousheng", "person", person=lambda p: p.lianghousheng,
           phrase=lambda x, i, j, v: "两后生优先" if v else None),
    Column("skills_held", "person", numeric=True, person=lambda p: p.skill_count),
    Column("surveyed", "person", person=lambda p: p.surveyed,
           phrase=lambda x, i, j, v: "做过培训需求调查" if v else None),
    Column("wanted_kind", "person", person=lambda p: p.kind),
    Column("free_months", "person", numeric=True, person=lambda p: p.free_month_count),
    Column("travel_limit", "person", person=lambda p: p.travel),
    Column("can_board", "person", person=lambda p: p.board),
    Column("wants_certificate", "person", person=lambda p: p.certificate),
    # the session
    Column("trade", "session", session=lambda s: s.trade,
           phrase=lambda x, i, j, v: f"{x.sessions.trade_names[j]}结业率高"),
    Column("category", "session", session=lambda s: s.category,
           phrase=lambda x, i, j, v: f"{x.sessions.categories[j]}类培训结业率高"),
    Column("kind", "session", session=lambda s: s.kind, phrase=lambda x, i, j, v: KIND_LABELS.get(v)),
    Column("hours", "session", numeric=True, session=lambda s: np.log1p(s.hours),
           phrase=lambda x, i, j, v: f"{int(x.sessions.hours[j])}学时"),
    Column("level", "session", session=lambda s: s.level, phrase=lambda x, i, j, v: LEVEL_LABELS.get(v)),
    Column("certificate", "session", session=lambda s: s.certificate,
           phrase=lambda x, i, j, v: "结业可取证" if v else None),
    Column("start_month", "session", session=lambda s: s.month, phrase=lambda x, i, j, v: f"{v}月开班"),
    Column("key_village", "session", session=lambda s: s.key_village,
           phrase=lambda x, i, j, v: "在重点村开班" if v else None),
    # the pair
    Column("wish_rank", "pair", pair=wish_rank, domain=5, phrase=_wish_phrase),
    Column("distance", "pair", pair=distance, domain=4, phrase=lambda x, i, j, v: DISTANCE_PHRASES[v]),
    Column("month_fit", "pair", pair=month_fit, domain=3, phrase=_month_phrase),
    Column("boarding", "pair", pair=boarding, domain=4,
           phrase=lambda x, i, j, v: "愿意住校" if v == 1 else "不用住校" if v == 0 else None),
    Column("travel_reach", "pair", pair=travel_reach, domain=20,
           phrase=lambda x, i, j, v: "愿意到外乡镇培训" if v // 4 >= 3 and v % 4 >= 2 else None),
    Column("holds_skill", "pair", pair=holds_skill, domain=2,
           phrase=lambda x, i, j, v: f"已有该技能（{x.sessions.trade_names[j]}）" if v else None),
    Column("kind_fit", "pair", pair=kind_fit, domain=3,
           phrase=lambda x, i, j, v: f"想参加{KIND_LABELS[int(x.people.kind[i])]}" if v == 1 else None),
    Column("certificate_fit", "pair", pair=certificate_fit, domain=6,
           phrase=lambda x, i, j, v: "想取证，本班可取证" if v == 3 else None),
    # who the person is, against the trade
    Column("trade_x_sex", "cross", session=lambda s: s.trade, person=lambda p: p.sex, k=2,
           phrase=lambda x, i, j, v: f"{_female(x, i)}学{x.sessions.trade_names[j]}结业率高"),
    Column("category_x_age", "cross", session=lambda s: s.category, person=lambda p: p.age_band, k=5,
           phrase=lambda x, i, j, v: f"{AGE_BANDS[v % 5]}学{x.sessions.categories[j]}结业率高"),
    Column("category_x_education", "cross", session=lambda s: s.category, person=lambda p: p.education, k=5,
           phrase=lambda x, i, j, v: f"{EDUCATION_LABELS[v % 5]}文化学{x.sessions.categories[j]}结业率高"),
]
FEATURE_NAMES = [c.name for c in COLUMNS]
CATEGORICAL = [k for k, c in enumerate(COLUMNS) if not c.numeric]
NUMERIC = [k for k, c in enumerate(COLUMNS) if c.numeric]


def column_values(column: Column, x: Pairs, pi: Array, sj: Array) -> Array:
    """One column's values for index arrays that broadcast together."""
    if column.kind == "person":
        assert column.person is not None
        return column.person(x.people)[pi]
    if column.kind == "session":
        assert column.session is not None
        return column.session(x.sessions)[sj]
    if column.kind == "pair":
        assert column.pair is not None
        return column.pair(x, pi, sj)
    assert column.person is not None and column.session is not None
    return column.session(x.sessions)[sj] * column.k + column.person(x.people)[pi]


def example_matrix(x: Pairs, pi: Array, sj: Array) -> Array:
    """(N, columns) float64 for N example pairs (person index pi[n], session index sj[n])."""
    out = np.empty((len(pi), len(COLUMNS)), dtype=np.float64)
    for k, column in enumerate(COLUMNS):
        out[:, k] = column_values(column, x, pi, sj)
    return out
