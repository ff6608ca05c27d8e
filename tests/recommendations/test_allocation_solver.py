"""The batch solver as a specification: seats are never exceeded, a person gets at most one session,
and the total is the best any assignment reaches (checked by hand and by brute force), not what
"best pair first" happens to give."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from training.recommendations.allocation import assign, assign_by_slots, greedy, priority_weights


def total(value: np.ndarray, choice: np.ndarray) -> float:
    placed = choice >= 0
    return float(value[np.nonzero(placed)[0], choice[placed]].sum())


def brute_force(value: np.ndarray, allowed: np.ndarray, seats: np.ndarray) -> float:
    """Every way to give each person a session or none, keeping the seats."""
    n, m = value.shape
    best = 0.0
    for choice in itertools.product(range(-1, m), repeat=n):
        c = np.array(choice)
        if any(j >= 0 and not allowed[i, j] for i, j in enumerate(choice)):
            continue
        if (np.bincount(c[c >= 0], minlength=m) > seats).any():
            continue
        best = max(best, total(value, c))
    return best


def test_three_people_two_single_seats_solved_by_hand() -> None:
    # 甲 likes both sessions; 乙 can only really use session 0. Best pair first gives 甲 session 0
    # (0.9) and leaves 0.1 for session 1: 1.0 expected completions. The optimum sends 甲 to session 1
    # and 乙 to session 0: 0.8 + 0.85 = 1.65.
    value = np.array([[0.9, 0.8], [0.85, 0.1], [0.5, 0.1]])
    allowed = np.ones_like(value, dtype=bool)
    seats = np.array([1, 1])
    assert assign(value, allowed, seats).tolist() == [1, 0, -1]
    assert total(value, assign(value, allowed, seats)) == pytest.approx(1.65)
    assert total(value, greedy(value, allowed, seats)) == pytest.approx(1.0)


def test_a_forbidden_pair_is_never_used_even_when_it_scores_best() -> None:
    value = np.array([[0.9, 0.2], [0.3, 0.3]])
    allowed = np.array([[False, True], [True, True]])
    choice = assign(value, allowed, np.array([1, 1]))
    assert choice.tolist() == [1, 0]


@pytest.mark.parametrize("seed", range(25))
def test_random_small_cases_reach_the_brute_force_optimum(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 6)), int(rng.integers(1, 4))
    value = rng.random((n, m)).round(2)
    allowed = rng.random((n, m)) < 0.75
    seats = rng.integers(0, 3, size=m)
    choice = assign(value, allowed, seats)
    assert (np.bincount(choice[choice >= 0], minlength=m) <= seats).all()
    assert all(allowed[i, j] for i, j in enumerate(choice) if j >= 0)
    assert total(value, choice) == pytest.approx(brute_force(value, allowed, seats))
    by_slots = assign_by_slots(value, allowed, seats)  # the fallback reaches the same optimum
    assert (np.bincount(by_slots[by_slots >= 0], minlength=m) <= seats).all()
    assert total(value, by_slots) == pytest.approx(total(value, choice))


def test_a_large_batch_keeps_every_seat_limit_and_beats_greedy() -> None:
    rng = np.random.default_rng(7)
    value = rng.beta(2, 5, size=(2000, 30))
    allowed = rng.random((2000, 30)) < 0.6
    seats = rng.integers(0, 40, size=30)
    choice = assign(value, allowed, seats)
    assert (np.bincount(choice[choice >= 0], minlength=30) <= seats).all()
    assert all(allowed[i, j] for i, j in enumerate(choice) if j >= 0)
    assert total(value, choice) >= total(value, greedy(value, allowed, seats)) - 1e-9
    assert total(value, choice) == pytest.approx(total(value, assign_by_slots(value, allowed, seats)))


def test_priority_people_come_first_when_the_county_weights_them() -> None:
    # One seat; the ordinary person is a little likelier to finish than the 两后生.
    value = np.array([[0.6], [0.5]])
    allowed = np.ones_like(value, dtype=bool)
    priority = np.array([False, True])
    assert assign(value, allowed, np.array([1])).tolist() == [0, -1]
    weighted = value * priority_weights(priority, 0.5)[:, None]
    assert assign(weighted, allowed, np.array([1])).tolist() == [-1, 0]


def test_nothing_to_place() -> None:
    assert assign(np.zeros((0, 2)), np.zeros((0, 2), dtype=bool), np.array([1, 1])).tolist() == []
    assert assign(np.ones((2, 1)), np.ones((2, 1), dtype=bool), np.array([0])).tolist() == [-1, -1]
