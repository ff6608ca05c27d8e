"""The drawn county follows the assumptions of docs/simulation.md within tolerance. These check the
plan itself (no database: a large county is drawn in seconds); test_simulate checks that the replay
writes what was planned."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from pathlib import Path
from statistics import mean, pstdev

import pytest

from training.core.config import Settings
from training.demo.loader import REGIONS_CSV
from training.reference.loader import read_trades
from training.simulate import world as w
from training.simulate.service import plan

TODAY = date(2026, 11, 30)
RANKS = {"90": 0, "83": 10, "81": 20, "73": 20, "71": 30, "63": 30, "62": 38, "61": 40, "41": 40, "44": 40,
         "47": 40, "31": 50, "21": 60}


def villages() -> list[w.Village]:
    with Path(REGIONS_CSV).open(encoding="utf-8") as handle:
        return [w.Village(code=r["code"], name=r["name"], township=r["parent_code"], lat=0.0, lon=0.0,
                          key_poverty=r["key_poverty"] == "true")
                for r in csv.DictReader(handle) if r["level"] == "village"]


CATEGORIES = {str(t["code"]): str(t["category"]) for t in read_trades()}


@pytest.fixture(scope="module")
def county(settings: Settings) -> w.World:
    return plan(11, "513435", villages(), 2500, 3, TODAY, settings, CATEGORIES, RANKS)


def poor(world: w.World, household: w.HouseholdPlan) -> bool:
    return household.poverty_status != "ordinary" or household.transition is not None


def ended(world: w.World) -> list[tuple[w.SessionPlan, w.SignUp]]:
    return [(s, u) for s in world.sessions for u in s.signups if s.ends < TODAY]


def pass_rate(places: list[tuple[w.SessionPlan, w.SignUp]]) -> float:
    return mean(u.outcome == "passed" for _, u in places)


def test_the_same_seed_draws_the_same_world(settings: Settings) -> None:
    one = plan(5, "513435", villages(), 200, 2, TODAY, settings, CATEGORIES, RANKS)
    two = plan(5, "513435", villages(), 200, 2, TODAY, settings, CATEGORIES, RANKS)
    other = plan(6, "513435", villages(), 200, 2, TODAY, settings, CATEGORIES, RANKS)

    assert [p.id_number for p in one.people] == [p.id_number for p in two.people]
    assert [(s.person, s.outcome) for x in one.sessions for s in x.signups] == \
        [(s.person, s.outcome) for x in two.sessions for s in x.signups]
    assert [p.id_number for p in one.people] != [p.id_number for p in other.people]


def test_households_are_those_of_a_poor_yi_county(county: w.World) -> None:
    people = county.people
    ethnicity = Counter(p.ethnicity for p in people)

    assert 0.38 <= mean(poor(county, h) for h in county.households) <= 0.55
    assert 3.6 <= len(people) / len(county.households) <= 4.8
    assert 0.65 <= ethnicity["彝族"] / len(people) <= 0.85
    assert 0.01 <= ethnicity["藏族"] / len(people) <= 0.06
    status = Counter(h.poverty_status for h in county.households)
    assert status["lifted"] > status["monitored"] > status["registered_poor"] > 0
    assert all(h.lifted_year for h in county.households if h.poverty_status == "lifted")
    adults = [p for p in people if p.age_on(TODAY) >= 18]
    assert 0.02 <= mean(p.disability is not None for p in adults) <= 0.09
    working = [p for p in adults if p.age_on(TODAY) < 46 and p.labour == "full"]
    assert 0.2 <= mean(p.work == "migrant" for p in working) <= 0.4


def test_a_history_before_2021_changes_era(settings: Settings) -> None:
    old = plan(3, "513435", villages(), 300, 8, TODAY, settings, CATEGORIES, RANKS)

    assert {h.poverty_status for h in old.households} == {"registered_poor", "ordinary"}
    changes = Counter(str(h.transition[1]["poverty_status"]) for h in old.households if h.transition)
    assert changes["lifted"] > changes["monitored"] > 0


def test_lianghousheng_are_a_few_percent_and_prefer_long_courses(county: w.World, settings: Settings) -> None:
    household = {h.index: h for h in county.households}
    working_age = {"male": settings.working_age_male, "female": settings.working_age_female}
    lhs = [p for p in county.people
           if w.is_lianghousheng(p, poor(county, household[p.household]), TODAY, 3, working_age)]
    long_places = [u for s in county.sessions if s.course.kind == "long" for u in s.signups]
    lhs_keys = {p.key for p in county.people if w.is_lianghousheng(
        p, poor(county, household[p.household]), date(TODAY.year - 1, 8, 1), 3, working_age)}

    assert 0.01 <= len(lhs) / len(county.people) <= 0.05
    assert long_places and mean(u.person in lhs_keys for u in long_places) >= 0.4


def test_tastes_differ_by_sex_and_age(county: w.World) -> None:
    person = {p.key: p for p in county.people}

    def share(who: list[w.SurveyPlan], categories: set[str]) -> float:
        return mean(CATEGORIES[s.trades[0]] in categories for s in who)

    women = [s for s in county.surveys if person[s.person].sex == "female"]
    men = [s for s in county.surveys if person[s.person].sex == "male"]
    older = [s for s in county.surveys if person[s.person].age_on(s.day) >= 45]
    younger = [s for s in county.surveys if person[s.person].age_on(s.day) < 30]

    assert share(women, {"家政", "餐饮"}) > 2 * share(men, {"家政", "餐饮"})
    assert share(men, {"电子电工", "机电", "数控"}) > 3 * share(women, {"电子电工", "机电", "数控"})
    assert share(older, {"农业种植", "养殖"}) > 2 * share(younger, {"农业种植", "养殖"})


def test_outcomes_follow_the_documented_model(county: w.World) -> None:
    places = ended(county)
    outcome = Counter(u.outcome for _, u in places)
    surveys = w.Surveys(county.surveys)

    def first_wish(s: w.SessionPlan, u: w.SignUp) -> bool:
        latest = surveys.latest(u.person, s.publish_day)
        return bool(latest and latest.trades[0] == s.course.trade)

    def month_clash(s: w.SessionPlan, u: w.SignUp) -> bool:
        latest = surveys.latest(u.person, s.publish_day)
        return bool(latest and latest.months and s.starts.month not in latest.months)

    person = {p.key: p for p in county.people}
    assert len(places) > 3000
    assert 0.55 <= outcome["passed"] / len(places) <= 0.75
    assert 0.03 <= outcome["failed"] / len(places) <= 0.1
    assert outcome["withdrawn"] > 0.08 * len(places) and outcome["dropped"] > 0.08 * len(places)
    # First wish raises completion; a month clash, disability and migrant work lower it.
    assert pass_rate([x for x in places if first_wish(*x)]) - pass_rate([x for x in places if not first_wish(*x)]) >= 0.08
    assert pass_rate([x for x in places if not month_clash(*x)]) - pass_rate([x for x in places if month_clash(*x)]) >= 0.1
    assert pass_rate([x for x in places if person[x[1].person].disability is None]) - \
        pass_rate([x for x in places if person[x[1].person].disability is not None]) >= 0.05
    assert pass_rate([x for x in places if person[x[1].person].work != "migrant"]) - \
        pass_rate([x for x in places if person[x[1].person].work == "migrant"]) >= 0.1


def test_wish_and_distance_alone_do_not_decide_it(county: w.World) -> None:
    """What a clerk sees (first wish, nearby) leaves much to learn: among such places the chance
    still spreads widely and a month clash still matters."""
    surveys = w.Surveys(county.surveys)
    household = {h.index: h for h in county.households}
    obvious = []
    for s, u in ended(county):
        latest = surveys.latest(u.person, s.publish_day)
        home = household[county.people[u.person].household].village
        if latest and latest.trades[0] == s.course.trade and home.township == s.village.township:
            obvious.append((s, u, bool(latest.months) and s.starts.month not in latest.months))

    assert len(obvious) > 100
    assert pstdev(u.p_complete for _, u, _ in obvious) > 0.1
    fit = [u.p_complete for _, u, clash in obvious if not clash]
    clash = [u.p_complete for _, u, clash in obvious if clash]
    assert clash and mean(fit) - mean(clash) > 0.1
