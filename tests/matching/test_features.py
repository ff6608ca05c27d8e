"""Pair features on hand-built people and sessions, the fast linear scoring against the pipeline itself,
and reasons that name what drove a pair's score."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

import numpy as np

from tests.seed import COOK, ELECTRICIAN, HOUSEKEEPER
from training.matching.features import (
    COLUMNS,
    FEATURE_NAMES,
    Pairs,
    People,
    Sessions,
    category_key,
    example_matrix,
    trade_key,
)
from training.matching.pipeline import Linear, Matcher, fit, sigmoid

AS_OF = date(2026, 3, 1)
HOME = "513435103201"  # 拉莫村, 吉米镇
SAME_TOWNSHIP = "513435103202"  # 瓦姑村, 吉米镇
OTHER_TOWNSHIP = "513435100200"  # 新民村, 新市坝镇
OTHER_COUNTY = "513436100200"

TRADES = {ELECTRICIAN: ("电工", "电子电工", ["维修电工", "低压电工"]), COOK: ("中式烹调师", "餐饮", ["厨师"]),
          HOUSEKEEPER: ("家政服务员", "家政", ["保姆"])}


def person(**overrides: Any) -> dict[str, Any]:
    row = {"id": uuid4(), "village_code": HOME, "birth_date": date(2000, 6, 1), "sex": "male", "ethnicity": "彝族",
           "education": "71", "education_rank": 30, "in_school": False, "labour_capacity": "full",
           "disability": None, "work_status": "farming", "poverty_status": "lifted", "skills": [],
           "lianghousheng": False, "surveyed_on": date(2025, 10, 1), "desired_trades": [COOK, ELECTRICIAN],
           "training_kind": "short", "available_months": [3, 4], "max_travel_km": 30, "can_board": False,
           "wants_certificate": True}
    row.update(overrides)
    return row


def session(trade: str = ELECTRICIAN, village: str = HOME, starts_on: date = date(2026, 3, 10),
            **overrides: Any) -> dict[str, Any]:
    name, category, aliases = TRADES[trade]
    row = {"id": uuid4(), "trade_code": trade, "trade_name": name, "category": category, "aliases": aliases,
           "kind": "short", "hours": 80, "skill_level": "junior", "certificate": True, "starts_on": starts_on,
           "village_code": village, "key_poverty": True}
    row.update(overrides)
    return row


def values(people: list[dict[str, Any]], sessions: list[dict[str, Any]], name: str,
           learnt_later: dict[Any, set[str]] | None = None) -> np.ndarray:
    """The (P, S) matrix of one feature, evaluated the way scoring does (broadcast)."""
    pairs = Pairs.of(People.from_rows(people, AS_OF, learnt_later), Sessions.from_rows(sessions))
    column = COLUMNS[FEATURE_NAMES.index(name)]
    pi, sj = np.arange(len(people))[:, None], np.arange(len(sessions))[None, :]
    from training.matching.features import column_values

    out = np.broadcast_to(column_values(column, pairs, pi, sj), (len(people), len(sessions)))
    # The training path (1-D example pairs) must say the same for every pair.
    flat_pi, flat_sj = np.repeat(np.arange(len(people)), len(sessions)), np.tile(np.arange(len(sessions)), len(people))
    assert (example_matrix(pairs, flat_pi, flat_sj)[:, FEATURE_NAMES.index(name)].reshape(out.shape) == out).all()
    return out


def test_the_rank_of_the_sessions_trade_in_the_persons_wishes() -> None:
    sessions = [session(COOK), session(ELECTRICIAN), session(HOUSEKEEPER)]
    wished = person(desired_trades=[COOK, ELECTRICIAN])
    third = person(desired_trades=[HOUSEKEEPER, COOK, ELECTRICIAN])
    never_surveyed = person(surveyed_on=None, desired_trades=None, available_months=None)
    assert values([wished, third, never_surveyed], sessions, "wish_rank").tolist() == [
        [1, 2, 4],  # first, second, surveyed but not wished
        [2, 3, 1],
        [0, 0, 0],  # no survey says nothing
    ]


def test_distance_is_same_village_township_county_or_farther() -> None:
    sessions = [session(village=HOME), session(village=SAME_TOWNSHIP), session(village=OTHER_TOWNSHIP),
                session(village=OTHER_COUNTY)]
    assert values([person()], sessions, "distance").tolist() == [[0, 1, 2, 3]]
    # Boarding matters only outside the township; the person cannot board.
    assert values([person()], sessions, "boarding").tolist() == [[0, 0, 2, 2]]
    assert values([person(can_board=True), person(can_board=None)], sessions[2:], "boarding").tolist() == [
        [1, 1], [3, 3]]


def test_month_fit_against_the_free_months() -> None:
    sessions = [session(starts_on=date(2026, 3, 10)), session(starts_on=date(2026, 7, 1))]
    free_in_march = person(available_months=[3, 4])
    any_month = person(available_months=[])
    assert values([free_in_march, any_month], sessions, "month_fit").tolist() == [[1, 2], [0, 0]]


def test_already_holding_the_skill_by_name_alias_or_code_but_not_one_learnt_later() -> None:
    sessions = [session(ELECTRICIAN), session(COOK)]
    people = [person(skills=["低压电工证"]), person(skills=[COOK]), person(skills=["养猪"]), person(skills=["电工"])]
    later = {people[3]["id"]: {ELECTRICIAN}}  # the electrician skill came from a training after AS_OF
    assert values(people, sessions, "holds_skill", later).tolist() == [[1, 0], [0, 1], [0, 0], [0, 0]]


def test_trade_interactions_with_sex_age_band_and_schooling() -> None:
    sessions = [session(ELECTRICIAN), session(HOUSEKEEPER)]
    woman_50 = person(sex="female", birth_date=date(1975, 1, 1), education_rank=20)
    man_25 = person(sex="male", birth_date=date(2000, 1, 1), education_rank=40)
    sex = values([woman_50, man_25], sessions, "trade_x_sex")
    assert sex.tolist() == [[trade_key(ELECTRICIAN) * 2 + 1, trade_key(HOUSEKEEPER) * 2 + 1],
                            [trade_key(ELECTRICIAN) * 2, trade_key(HOUSEKEEPER) * 2]]
    age = values([woman_50, man_25], sessions, "category_x_age")
    assert age[0, 1] == category_key("家政") * 5 + 4 and age[1, 0] == category_key("电子电工") * 5 + 1
    schooling = values([woman_50, man_25], sessions, "category_x_education")
    assert schooling[0, 0] == category_key("电子电工") * 5 + 1 and schooling[1, 1] == category_key("家政") * 5 + 3


def synthetic(n: int = 3000, seed: int = 1) -> tuple[Pairs, np.ndarray, np.ndarray, np.ndarray]:
    """Random people and sessions where completing depends on the first wish and women in housekeeping."""
    rng = np.random.default_rng(seed)
    trades = list(TRADES)
    villages = [HOME, SAME_TOWNSHIP, OTHER_TOWNSHIP]
    people = [person(sex=["male", "female"][int(rng.integers(2))], village_code=villages[int(rng.integers(3))],
                     desired_trades=[str(t) for t in rng.permutation(trades)[:2]],
                     birth_date=date(int(rng.integers(1970, 2006)), 5, 5),
                     available_months=sorted({int(m) for m in rng.integers(1, 13, 4)}),
                     skills=["电工"] if rng.random() < 0.1 else []) for _ in range(400)]
    sessions = [session(trades[k % 3], villages[k % 3], date(2026, 1 + k % 12, 5)) for k in range(24)]
    pairs = Pairs.of(People.from_rows(people, AS_OF), Sessions.from_rows(sessions))
    pi, sj = rng.integers(0, len(people), n), rng.integers(0, len(sessions), n)
    matrix = example_matrix(pairs, pi, sj)
    rank = matrix[:, FEATURE_NAMES.index("wish_rank")]
    female_housekeeping = (matrix[:, FEATURE_NAMES.index("sex")] == 1) & (
        matrix[:, FEATURE_NAMES.index("trade")] == trade_key(HOUSEKEEPER))
    z = -0.5 + 2.0 * (rank == 1) + 1.5 * female_housekeeping
    labels = (rng.random(n) < sigmoid(z)).astype(np.int64)
    return pairs, matrix, labels, np.ones(n)


def test_the_fast_linear_scores_equal_the_pipelines_probabilities() -> None:
    pairs, matrix, labels, weights = synthetic()
    pipeline, reference = fit(matrix, labels, weights)
    linear = Linear(pipeline, reference)
    assert np.allclose(linear.example_logits(matrix), pipeline.decision_function(matrix))
    every = example_matrix(pairs, np.repeat(np.arange(len(pairs.people)), len(pairs.sessions)),
                           np.tile(np.arange(len(pairs.sessions)), len(pairs.people)))
    expected = pipeline.predict_proba(every)[:, 1].reshape(len(pairs.people), len(pairs.sessions))
    assert np.allclose(sigmoid(linear.logits(pairs)), expected)
    assert np.allclose(sigmoid(linear.logits(pairs, slice(10, 20))), expected[10:20])


def test_the_fast_linear_scores_are_exactly_the_sum_of_each_columns_own_weight() -> None:
    """Bit for bit, not nearly: the (P, S) scoring path (dense pair tables, one look-up per cross column)
    adds the same numbers in the same order as looking up every pair's every column on its own, so a
    faster path can never reorder two sessions or move a rounded score."""
    pairs, matrix, labels, weights = synthetic()
    for linear in (Linear(*fit(matrix, labels, weights)), Linear(*fit(matrix, 1 - labels, weights, c=0.05))):
        n_people, n_sessions = len(pairs.people), len(pairs.sessions)
        every = example_matrix(pairs, np.repeat(np.arange(n_people), n_sessions),
                               np.tile(np.arange(n_sessions), n_people))
        one_by_one = np.stack([linear.contribution(k, every[:, k]) for k in range(len(COLUMNS))], axis=1)
        assert np.array_equal(linear.contributions_of(every), one_by_one)  # what the reasons are made of
        # codes no training pair had (negative, huge, not whole, just past a column's own) weigh nothing, as before
        odd = every[:40] + np.array([-1.0, 2.0**40, 0.5, 1.0, 7.0])[np.arange(40) % 5][:, None]
        assert np.array_equal(linear.contributions_of(odd),
                              np.stack([linear.contribution(k, odd[:, k]) for k in range(len(COLUMNS))], axis=1))
        each = one_by_one.reshape(n_people, n_sessions, len(COLUMNS))
        person = session = pairwise = None
        for k, column in enumerate(COLUMNS):
            if column.kind == "person":
                person = each[:, 0, k] if person is None else person + each[:, 0, k]
            elif column.kind == "session":
                session = each[0, :, k] if session is None else session + each[0, :, k]
            else:
                pairwise = each[:, :, k].copy() if pairwise is None else pairwise + each[:, :, k]
        assert person is not None and session is not None and pairwise is not None
        expected = pairwise + ((person + linear.intercept)[:, None] + session[None, :])
        assert np.array_equal(linear.logits(pairs), expected)
        assert np.array_equal(linear.logits(pairs, slice(7, 31)), expected[7:31])


def test_reasons_name_the_features_that_drove_this_pairs_score() -> None:
    pairs, matrix, labels, weights = synthetic()
    linear = Linear(*fit(matrix, labels, weights))
    people, sessions = pairs.people, pairs.sessions
    housekeeping = [j for j in range(len(sessions)) if sessions.trade_codes[j] == HOUSEKEEPER]
    # A woman whose first wish is housekeeping: both drivers are named, first-wish with the trade's name.
    i = next(i for i in range(len(people)) if people.sex[i] == 1 and people.wishes[i, 0] == trade_key(HOUSEKEEPER))
    reasons = linear.reasons(pairs, i, housekeeping[0])
    assert "意向工种第一位：家政服务员" in reasons
    assert any(r.startswith("女性") and "家政" in r for r in reasons), reasons
    # A man not wishing for it gets neither phrase: reasons are about this pair, not a fixed sentence.
    k = next(k for k in range(len(people)) if people.sex[k] == 0 and trade_key(HOUSEKEEPER) not in people.wishes[k])
    other = linear.reasons(pairs, k, housekeeping[0])
    assert not any(r.startswith(("意向工种", "女性")) for r in other), other
    assert len(reasons) <= 3 and len(linear.reasons(pairs, i, housekeeping[0], limit=1)) == 1


def test_reasons_for_many_pairs_at_once_are_the_reasons_of_each_pair() -> None:
    pairs, matrix, labels, weights = synthetic()
    matcher = Matcher(Linear(*fit(matrix, labels, weights)), Linear(*fit(matrix, labels, weights, c=0.1)))
    chosen = [(i, j) for i in range(0, len(pairs.people), 7) for j in range(len(pairs.sessions))]
    assert matcher.reasons_of(pairs, chosen) == [matcher.reasons(pairs, i, j) for i, j in chosen]
    assert matcher.reasons_of(pairs, chosen, limit=1) == [matcher.reasons(pairs, i, j, 1) for i, j in chosen]
    assert any(matcher.reasons_of(pairs, chosen)) and matcher.reasons_of(pairs, []) == []
