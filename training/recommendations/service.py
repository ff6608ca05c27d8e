"""Serving the classifier: which open sessions to offer a person, which people to offer a session, and a
whole batch (分批次) for a village or township under the seats there are.

Hard rules come first and are the enrolment slice's own: a pair the sign-up would refuse is never
scored. What is left is scored by the matching slice's active model, and everything shown is logged
there (uptake). Scope is the same as reading the person (recommendations), the session (candidates) or
the region (batches); officials read but never sign anyone up.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
import numpy as np
import numpy.typing as npt

from training.auth.policy import scope_for
from training.catalogue import service as catalogue
from training.catalogue.schemas import SeatFigures
from training.core import audit
from training.core.errors import FieldError, Forbidden, InvalidInput, NotFound, Problem
from training.core.rules import Rule
from training.core.security import Principal
from training.enrolment import service as enrolment
from training.enrolment.schemas import EnrolmentCreate
from training.matching import service as matching
from training.matching.schemas import Shown, UptakeRow
from training.recommendations import allocation as solver
from training.recommendations import repository as repo
from training.recommendations.schemas import (
    OUTCOME_LABELS,
    Allocation,
    AllocationCreate,
    AllocationItem,
    AllocationSession,
    Candidate,
    Candidates,
    Recommendation,
    Recommendations,
    RuleCount,
    TopSession,
    TopSessions,
)
from training.registry import service as registry

Conn = repo.Conn
WAITLIST_LIMIT = 5  # a full session is still offered while its waitlist is shorter than this
POOR = ("registered_poor", "lifted", "monitored")
ACTIVE = ("enrolled", "waitlisted")
RULE_MESSAGES = {
    "signed_up": "已报名该培训班", "clash": "与已报名的培训班日期重叠", "full": f"名额已满且候补已达 {WAITLIST_LIMIT} 人",
}


async def seat_figures(conn: Conn, county: str, sessions: Sequence[asyncpg.Record]) -> dict[UUID, SeatFigures]:
    """Seats left and waitlist per session, from the enrolment slice's one seat count."""
    return await enrolment.seat_counts(conn, [(county, s["id"]) for s in sessions])


SESSION_RULE_COLUMNS = ("starts_on", "min_age", "max_age", "min_education_rank", "min_education_name", "target_group")
PERSON_RULE_COLUMNS = ("birth_date", "sex", "education_rank", "labour_capacity", "poverty_status", "lianghousheng")


def eligibility(rule: Rule) -> Callable[[asyncpg.Record, asyncpg.Record], list[dict[str, str]]]:
    """The enrolment slice's eligibility rule, remembered per kind of course and kind of person: a
    township has thousands of people but few distinct (birth date, sex, schooling, ...) profiles, so a
    batch judges each profile against each course once, with the one rule the sign-up uses."""
    cache: dict[tuple[Any, ...], list[dict[str, str]]] = {}

    def failures(session: asyncpg.Record, person: asyncpg.Record) -> list[dict[str, str]]:
        key = tuple(session[c] for c in SESSION_RULE_COLUMNS) + tuple(person[c] for c in PERSON_RULE_COLUMNS)
        found = cache.get(key)
        if found is None:
            found = cache[key] = enrolment.eligibility_failures(session, person, rule)
        return found

    return failures


def eligible_matrix(rule: Rule, people: Sequence[asyncpg.Record],
                    sessions: Sequence[asyncpg.Record]) -> npt.NDArray[np.bool_]:
    """eligible[i, j]: the sign-up would accept person i for session j (by eligibility_failures). Judged
    once per distinct person profile and course profile, then spread to every pair."""
    def profiles(rows: Sequence[asyncpg.Record], columns: tuple[str, ...]) -> tuple[list[int], list[int]]:
        index: dict[tuple[Any, ...], int] = {}
        first: list[int] = []
        of_row = []
        for n, r in enumerate(rows):
            key = tuple(r[c] for c in columns)
            if key not in index:
                index[key] = len(first)
                first.append(n)
            of_row.append(index[key])
        return of_row, first

    person_kind, person_first = profiles(people, PERSON_RULE_COLUMNS)
    session_kind, session_first = profiles(sessions, SESSION_RULE_COLUMNS)
    kinds = np.array([[not enrolment.eligibility_failures(sessions[s], people[p], rule) for s in session_first]
                      for p in person_first], dtype=bool).reshape(len(person_first), len(session_first))
    return kinds[np.ix_(np.array(person_kind, dtype=np.intp), np.array(session_kind, dtype=np.intp))]


def _counts(excluded: Counter[tuple[str, str]]) -> list[RuleCount]:
    return [RuleCount(rule=r, message=m, count=n) for (r, m), n in excluded.most_common()]


async def _score(conn: Conn, county: str, person_ids: list[UUID], session_ids: list[UUID], today: date,
                 rule: Rule, session_rows: Sequence[asyncpg.Record] | None = None,
                 person_rows: Sequence[asyncpg.Record] | None = None) -> matching.Scores:
    return await matching.score(conn, county, person_ids, session_ids, as_of=today, rule=rule,
                                session_rows=session_rows, person_rows=person_rows)


async def _reasons(conn: Conn, county: str, scores: matching.Scores, pairs: Sequence[tuple[int, int]], today: date,
                   rule: Rule) -> list[list[str]]:
    """Reasons for the chosen pairs (row, column) of a large score matrix. Explaining a pair costs in
    proportion to the people and sessions scored together, so the chosen people are scored again per
    session, a few at a time, and explained there; same model version, same features, same phrases."""
    by_session: dict[int, list[int]] = {}
    for n, (_, j) in enumerate(pairs):
        by_session.setdefault(j, []).append(n)
    out: list[list[str]] = [[] for _ in pairs]
    for j, members in by_session.items():
        people = [scores.person_ids[pairs[n][0]] for n in members]
        detail = await _score(conn, county, people, [scores.session_ids[j]], today, rule)
        same = detail.model_version == scores.model_version
        found = (detail.reasons_of([(k, 0) for k in range(len(members))]) if same
                 else scores.reasons_of([(pairs[n][0], j) for n in members]))
        for n, reasons in zip(members, found, strict=True):
            out[n] = reasons
    return out


# ------------------------------------------------------------------ one person


async def for_person(conn: Conn, principal: Principal, rule: Rule, person_id: UUID, limit: int,
                     today: date) -> Recommendations:
    person = await registry.get_person(conn, principal, rule, person_id)  # 404 outside the caller's scope
    county = person.county_code
    # What the classifier knows of the person holds every column the eligibility rule reads, judged the
    # same day: one read serves both (and scoring is handed the row instead of reading it again).
    facts = await registry.person_facts(conn, county, matching.person_rule(rule, today), [person_id])
    if not facts:  # removed since it was read just above
        raise NotFound("人员不存在或不在您的权限范围内")
    me = facts[0]
    sessions = await repo.open_sessions(conn, county, today)
    if not sessions:
        return Recommendations(person_id=person_id, model_version=None, items=[],
                               empty_reason="本县目前没有已发布、尚未开班的培训班")
    seats = await seat_figures(conn, county, sessions)
    mine = await repo.enrolments_of_person(conn, county, person_id)
    signed = {e["session_id"] for e in mine}
    active = [(e["starts_on"], e["ends_on"]) for e in mine if e["status"] in ACTIVE]
    excluded: Counter[tuple[str, str]] = Counter()
    open_: list[asyncpg.Record] = []
    for s in sessions:  # hundreds of sessions per request: the common case (no places yet) skips the clash test
        figures = seats[s["id"]]
        if s["id"] in signed:
            excluded["signed_up", RULE_MESSAGES["signed_up"]] += 1
        elif active and any(start <= s["ends_on"] and s["starts_on"] <= end for start, end in active):
            excluded["clash", RULE_MESSAGES["clash"]] += 1
        elif figures.seats_left == 0 and figures.waitlisted >= WAITLIST_LIMIT:
            excluded["full", RULE_MESSAGES["full"]] += 1
        elif found := enrolment.eligibility_failures(s, me, rule):
            for f in found:
                excluded[f["rule"], f["message"]] += 1
        else:
            open_.append(s)
    if not open_:
        reasons = "；".join(f"{c.message}（{c.count} 个班）" for c in _counts(excluded))
        return Recommendations(person_id=person_id, model_version=None, items=[], excluded=_counts(excluded),
                               empty_reason=f"本县 {len(sessions)} 个可报名的培训班都不适合{person.name}：{reasons}")
    scores = await _score(conn, county, [person_id], [s["id"] for s in open_], today, rule, session_rows=open_,
                          person_rows=facts)
    order = np.argsort(-scores.probability[0], kind="stable")[:limit]
    why = scores.reasons_of([(0, int(j)) for j in order])  # only the items shown are explained
    shown = [Shown(person_id=person_id, session_id=open_[j]["id"], model_version=scores.model_version,
                   score=float(scores.probability[0, j]), rank=rank + 1, reasons=reasons, context="person",
                   shown_by=principal.id)
             for rank, (j, reasons) in enumerate(zip(order, why, strict=True))]
    ids = await matching.record_shown(conn, county, shown)
    items = [Recommendation(recommendation_id=rid, session_id=s.session_id, course_title=row["course_title"],
                            trade_code=row["trade_code"], trade_name=row["trade_name"],
                            school_name=row["school_name"], starts_on=row["starts_on"], ends_on=row["ends_on"],
                            village_code=row["village_code"], village_name=row["village_name"],
                            seats_left=seats[row["id"]].seats_left, waitlist_length=seats[row["id"]].waitlisted,
                            score=round(s.score, 4), reasons=s.reasons)
             for rid, s, row in zip(ids, shown, (open_[j] for j in order), strict=True)]
    return Recommendations(person_id=person_id, model_version=scores.model_version, items=items,
                           excluded=_counts(excluded))


# ------------------------------------------------------------------ many people at once (the worklist)


@dataclass(frozen=True)
class Offer:
    """The county's open sessions that may still take someone (a seat left or a short waitlist), read
    once for a whole worklist, however many pages of people are scored against them."""

    county_code: str
    sessions: list[asyncpg.Record]


async def open_offer(conn: Conn, county_code: str, today: date) -> Offer:
    sessions = await repo.open_sessions(conn, county_code, today)
    seats = await seat_figures(conn, county_code, sessions) if sessions else {}
    return Offer(county_code, [s for s in sessions
                               if seats[s["id"]].seats_left > 0 or seats[s["id"]].waitlisted < WAITLIST_LIMIT])


async def top_sessions(conn: Conn, rule: Rule, offer: Offer, person_ids: Sequence[UUID], today: date,
                       limit: int = 3) -> TopSessions:
    """Each person's best `limit` sessions of the offer under the same hard rules as a person's own
    recommendations (eligibility, not signed up yet, no clash with an active place), scored in one
    matrix for all of them: three queries and one scoring pass per call, whatever the number of people.
    Not logged as shown: a worklist lists names for a visit, the person's own page is where one signs up."""
    ids = list(dict.fromkeys(person_ids))
    if not ids:
        return TopSessions(model_version=None, by_person={})
    if not offer.sessions:
        return TopSessions(model_version=None, by_person={i: [] for i in ids},
                           note="本县目前没有可报名（已发布、尚未开班、仍有名额或候补未满）的培训班")
    county, sessions = offer.county_code, offer.sessions
    people = await repo.people(conn, county, rule, person_ids=ids)
    allowed = eligible_matrix(rule, people, sessions)
    column = {s["id"]: j for j, s in enumerate(sessions)}
    row = {p["id"]: i for i, p in enumerate(people)}
    starts = np.array([s["starts_on"].toordinal() for s in sessions])
    ends = np.array([s["ends_on"].toordinal() for s in sessions])
    for e in await repo.enrolments_of_people(conn, county, [p["id"] for p in people]):
        i = row[e["person_id"]]
        if e["session_id"] in column:
            allowed[i, column[e["session_id"]]] = False
        if e["status"] in ACTIVE:  # dates overlapping an active place
            allowed[i] &= ~((starts <= e["ends_on"].toordinal()) & (e["starts_on"].toordinal() <= ends))
    rows = np.nonzero(allowed.any(axis=1))[0]
    columns = np.nonzero(allowed.any(axis=0))[0]
    out: dict[UUID, list[TopSession]] = {i: [] for i in ids}
    if not len(rows):
        return TopSessions(model_version=None, by_person=out)
    try:
        scores = await _score(conn, county, [people[int(i)]["id"] for i in rows],
                              [sessions[int(j)]["id"] for j in columns], today, rule,
                              session_rows=[sessions[int(j)] for j in columns])
    except matching.NoModel as exc:
        return TopSessions(model_version=None, by_person=out, note=exc.detail)
    probability = np.where(allowed[np.ix_(rows, columns)], scores.probability, -1.0)
    for k, person in enumerate(rows):
        order = np.argsort(-probability[k], kind="stable")[:limit]
        out[people[int(person)]["id"]] = [
            TopSession(session_id=s["id"], course_title=s["course_title"], trade_name=s["trade_name"],
                       school_name=s["school_name"], village_name=s["village_name"], starts_on=s["starts_on"],
                       score=round(float(probability[k, j]), 4))
            for j in order if probability[k, j] >= 0 for s in [sessions[int(columns[j])]]]
    return TopSessions(model_version=scores.model_version, by_person=out)


# ------------------------------------------------------------------ one session


async def candidates(conn: Conn, principal: Principal, rule: Rule, session_id: UUID, limit: int, today: date, *,
                     village_code: str | None, lianghousheng: bool | None,
                     poverty_status: str | None) -> Candidates:
    """Eligible people of the session's county in the caller's reach, best first: for a school filling
    its own class, a surveyor looking at their villages, an admin or official."""
    visible = await catalogue.get_session(conn, principal, session_id, seats=enrolment.seat_counts)  # 404 outside the caller's scope
    if principal.role == "school" and principal.school_id != visible.school_id:
        raise Forbidden("学校只能查看本校培训班的推荐学员")
    county = visible.county_code
    session = await repo.session(conn, county, session_id)
    assert session is not None
    if session["status"] != "published" or session["starts_on"] <= today:
        return Candidates(session_id=session_id, model_version=None, items=[],
                          empty_reason="培训班未发布、已开班或已取消，不再推荐学员")
    scope = scope_for(principal)
    people = await repo.people(conn, county, rule, village_patterns=scope.village_patterns,
                               village_code=village_code, lianghousheng=lianghousheng,
                               poverty_status=poverty_status)
    touching = await repo.enrolments_touching(conn, county, session_id, session["starts_on"], session["ends_on"])
    signed = {e["person_id"] for e in touching if e["session_id"] == session_id}
    clash = {e["person_id"] for e in touching if e["session_id"] != session_id}
    failures = eligibility(rule)
    excluded: Counter[tuple[str, str]] = Counter()
    pool: list[asyncpg.Record] = []
    for p in people:
        if p["id"] in signed:
            excluded["signed_up", RULE_MESSAGES["signed_up"]] += 1
        elif p["id"] in clash:
            excluded["clash", RULE_MESSAGES["clash"]] += 1
        elif found := failures(session, p):
            for f in found:
                excluded[f["rule"], f["message"]] += 1
        else:
            pool.append(p)
    if not pool:
        return Candidates(session_id=session_id, model_version=None, items=[], excluded=_counts(excluded),
                          empty_reason="没有符合报名条件的人员" if people else "您的范围内没有符合筛选条件的人员")
    scores = await _score(conn, county, [p["id"] for p in pool], [session_id], today, rule)
    column = scores.probability[:, 0]
    order = np.argsort(-column, kind="stable")[:limit]
    why = await _reasons(conn, county, scores, [(int(i), 0) for i in order], today, rule)
    shown = [Shown(person_id=pool[i]["id"], session_id=session_id, model_version=scores.model_version,
                   score=float(column[i]), rank=rank + 1, reasons=why[rank], context="candidates",
                   shown_by=principal.id)
             for rank, i in enumerate(order)]
    ids = await matching.record_shown(conn, county, shown)
    items = [Candidate(recommendation_id=rid, person_id=p["id"], name=p["name"], id_number=p["id_masked"],
                       sex=p["sex"], age=p["age_now"], village_code=p["village_code"], village_name=p["village_name"],
                       poverty_status=p["poverty_status"], lianghousheng=p["lianghousheng"],
                       score=round(s.score, 4), reasons=s.reasons)
             for rid, s, p in zip(ids, shown, (pool[i] for i in order), strict=True)]
    return Candidates(session_id=session_id, model_version=scores.model_version, items=items,
                      excluded=_counts(excluded))


# ------------------------------------------------------------------ batches


def _priority(person: asyncpg.Record) -> bool:
    return person["poverty_status"] in POOR or bool(person["lianghousheng"])


async def _region_in_reach(conn: Conn, principal: Principal, code: str) -> asyncpg.Record:
    region = await repo.region(conn, code)
    if region is None or not principal.sees_county(region["county_code"]) or not principal.sees_region(code):
        raise NotFound("地区不存在或不在您的权限范围内")
    return region


async def propose(conn: Conn, principal: Principal, rule: Rule, data: AllocationCreate, today: date,
                  default_weight: float) -> Allocation:
    """Every eligible person of the village or township who has not trained this year and holds no
    place, each to at most one session, no session over its seats, total expected completions (with
    priority people weighted) as high as possible."""
    if principal.role == "school":
        raise Forbidden("学校不能为村镇编排培训批次")
    region = await _region_in_reach(conn, principal, data.region_code)
    if region["level"] not in ("village", "township"):
        raise InvalidInput([FieldError("region_code", "请选择一个村或乡镇")])
    county = region["county_code"]
    sessions = await repo.open_sessions(conn, county, today, data.session_ids)
    if data.session_ids is not None:
        known = {s["id"] for s in sessions}
        bad = [FieldError(f"session_ids[{i}]", "不是本县已发布、尚未开班的培训班")
               for i, s in enumerate(data.session_ids) if s not in known]
        if bad:
            raise InvalidInput(bad)
    figures = await seat_figures(conn, county, sessions)
    sessions = [s for s in sessions if figures[s["id"]].seats_left > 0]
    if not sessions:
        raise InvalidInput([FieldError("session_ids" if data.session_ids else "region_code",
                                       "没有尚有空余名额的已发布培训班可以编排")])
    prefix = data.region_code[:9] if region["level"] == "township" else data.region_code
    people = await repo.untrained_people(conn, county, rule, prefix)
    allowed = eligible_matrix(rule, people, sessions)
    keep = np.nonzero(allowed.any(axis=1))[0]
    people = [people[int(i)] for i in keep]
    allowed = allowed[keep]
    weight = default_weight if data.priority_weight is None else data.priority_weight
    seats = np.array([figures[s["id"]].seats_left for s in sessions], dtype=np.int64)
    if not people:
        raise InvalidInput([FieldError("region_code", f"{region['name']}没有今年尚未参训、符合所选培训班报名条件的人员")])
    scores = await _score(conn, county, [p["id"] for p in people], [s["id"] for s in sessions], today, rule)
    probability, model_version = scores.probability, scores.model_version
    priority = np.array([_priority(p) for p in people], dtype=bool)
    value = probability * solver.priority_weights(priority, weight)[:, None]
    # The solver is CPU work of up to a few seconds: keep the event loop serving others meanwhile.
    choice = await asyncio.to_thread(solver.assign, value, allowed, seats)
    chosen = [int(i) for i in np.nonzero(choice >= 0)[0]]
    why = await _reasons(conn, county, scores, [(i, int(choice[i])) for i in chosen], today, rule)
    shown = [Shown(person_id=people[i]["id"], session_id=sessions[int(choice[i])]["id"], model_version=model_version,
                   score=float(probability[i, int(choice[i])]), rank=1, reasons=reasons, context="allocation",
                   shown_by=principal.id)
             for i, reasons in zip(chosen, why, strict=True)]
    async with conn.transaction():
        ids = await matching.record_shown(conn, county, shown) if shown else []
        expected = float(sum(s.score for s in shown))
        allocation_id = await repo.insert_allocation(conn, county, {
            "region_code": data.region_code, "model_version": model_version, "priority_weight": weight,
            "people_considered": len(people), "expected_completions": expected, "created_by": principal.id})
        await repo.insert_allocation_sessions(conn, county, allocation_id,
                                              [(s["id"], figures[s["id"]].seats_left) for s in sessions])
        await repo.insert_allocation_items(conn, county, allocation_id, [
            {"person_id": s.person_id, "session_id": s.session_id, "recommendation_id": rid, "score": s.score,
             "reasons": s.reasons, "priority": bool(priority[i])}
            for rid, s, i in zip(ids, shown, chosen, strict=True)])
        await audit.record(conn, principal, "propose", "allocation", allocation_id, county,
                           {"region_code": data.region_code, "sessions": len(sessions), "people": len(people),
                            "placed": len(shown), "priority_weight": weight})
    return await _allocation(conn, principal.counties, allocation_id)


async def _allocation(conn: Conn, counties: list[str] | None, allocation_id: UUID) -> Allocation:
    row = await repo.allocation(conn, counties, allocation_id)
    assert row is not None
    county = row["county_code"]
    items = [AllocationItem(outcome_label=OUTCOME_LABELS[r["outcome"]], reasons=list(r["reasons"]),
                            **{k: r[k] for k in AllocationItem.__struct_fields__ if k not in ("outcome_label", "reasons")})
             for r in await repo.allocation_items(conn, county, allocation_id)]
    sessions = [AllocationSession(**dict(r)) for r in await repo.allocation_sessions(conn, county, allocation_id)]
    return Allocation(
        id=row["id"], county_code=county, region_code=row["region_code"], region_name=row["region_name"],
        status=row["status"], status_label="已确认报名" if row["status"] == "accepted" else "待确认",
        model_version=row["model_version"], priority_weight=row["priority_weight"],
        people_considered=row["people_considered"], expected_completions=round(row["expected_completions"], 3),
        sessions=sessions, items=items, created_at=row["created_at"], accepted_at=row["accepted_at"],
        refused=sum(1 for i in items if i.outcome == "refused"))


async def _readable(conn: Conn, principal: Principal, allocation_id: UUID) -> asyncpg.Record:
    row = await repo.allocation(conn, principal.counties, allocation_id)
    if row is None or principal.role == "school" or not principal.sees_region(row["region_code"]):
        raise NotFound("培训批次不存在或不在您的权限范围内")
    return row


async def get_allocation(conn: Conn, principal: Principal, allocation_id: UUID) -> Allocation:
    await _readable(conn, principal, allocation_id)
    return await _allocation(conn, principal.counties, allocation_id)


async def accept(conn: Conn, principal: Principal, rule: Rule, allocation_id: UUID) -> Allocation:
    """Sign every proposed person up, through the enrolment service's own sign-up, in one step under the
    batch's lock: a second accept (or one racing this) finds it accepted and changes nothing. A sign-up
    the enrolment rules refuse (seat gone to a waitlist is not a refusal) is kept with its reason."""
    await _readable(conn, principal, allocation_id)
    if principal.role == "official":
        raise Forbidden("官员只能查看培训批次，不能确认报名")
    async with conn.transaction():
        row = await repo.allocation(conn, principal.counties, allocation_id, lock=True)
        assert row is not None
        county = row["county_code"]
        if row["status"] == "proposed":
            outcomes: Counter[str] = Counter()
            for item in await repo.allocation_items(conn, county, allocation_id):
                if item["outcome"] != "proposed":
                    continue
                try:
                    done = await enrolment.enrol(conn, principal, rule, item["session_id"], EnrolmentCreate(
                        person_id=item["person_id"], source="recommended",
                        recommendation_id=item["recommendation_id"]))
                except Problem as refused:
                    outcomes["refused"] += 1
                    await repo.set_outcome(conn, county, allocation_id, item["person_id"], "refused", None,
                                           refused.detail)
                else:
                    outcomes[done.status] += 1
                    await repo.set_outcome(conn, county, allocation_id, item["person_id"], done.status, done.id,
                                           None)
            await repo.mark_accepted(conn, county, allocation_id, principal.id)
            await audit.record(conn, principal, "accept", "allocation", allocation_id, county, dict(outcomes))
    return await _allocation(conn, principal.counties, allocation_id)


# ------------------------------------------------------------------ uptake


async def uptake(conn: Conn, principal: Principal, region_code: str | None,
                 model_version: str | None) -> list[UptakeRow]:
    """Shown -> enrolled -> completed per model version, for the caller's reach."""
    if principal.role == "school":
        raise Forbidden("学校不能查看推荐效果统计")
    if region_code is not None:
        await _region_in_reach(conn, principal, region_code)
    elif principal.role in ("official", "surveyor"):
        if len(principal.region_codes) != 1:
            raise InvalidInput([FieldError("region_code", "请选择要统计的地区", "query")])
        region_code = principal.region_codes[0]
    return await matching.uptake(conn, principal.counties, region_code, model_version)
