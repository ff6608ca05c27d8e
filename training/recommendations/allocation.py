"""The batch (分批次) as an assignment problem: people to sessions, at most one session each, no session
over its seats, the total value (expected completions, weighted for priority groups) as high as it
can be.

It is a transportation problem: maximise sum(v[i, j] * x[i, j]) subject to sum_j x[i, j] <= 1 for every
person, sum_i x[i, j] <= seats[j] for every session, 0 <= x <= 1. Its constraint matrix is totally
unimodular, so every vertex of the polytope is integral: HiGHS's dual simplex (through scipy) returns a
0/1 answer without branching (asking HiGHS's MIP solver instead is ~60x slower on a township's batch:
it does not know the relaxation is already integral). A greedy loop ("best pair first") is not optimal here: it gives a seat to the
person who likes it most even when that person was the only one who could use another session.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import linear_sum_assignment, linprog

FloatMatrix = npt.NDArray[np.float64]
IntVector = npt.NDArray[np.int64]


def priority_weights(priority: npt.NDArray[np.bool_], weight: float) -> npt.NDArray[np.float64]:
    """Each person's multiplier: 1 + weight for a priority person (poor household or 两后生), else 1. A
    weight of 1 counts a priority person's expected completion twice; 0 treats everyone alike."""
    return np.where(priority, 1.0 + weight, 1.0)


def assign(value: FloatMatrix, allowed: npt.NDArray[np.bool_], seats: IntVector) -> IntVector:
    """For each person (row) the session (column) chosen, or -1. Only allowed pairs with a positive value
    are used; the sum of the chosen values is the highest any assignment within the seats reaches."""
    n, m = value.shape
    choice = np.full(n, -1, dtype=np.int64)
    seats = np.maximum(np.asarray(seats, dtype=np.int64), 0)
    usable = allowed & (value > 0) & (seats > 0)[None, :]
    total_seats = int(seats.sum())
    if n == 0 or m == 0 or total_seats == 0 or not usable.any():
        return choice
    # Exact pruning: at most `total_seats` people are placed, so for session j only its `total_seats`
    # best people can matter (if a worse one held a seat of j, one of the best would be unplaced and
    # could take it for at least as much).
    if total_seats < n:
        masked = np.where(usable, value, -np.inf)
        cut = np.partition(masked, n - total_seats, axis=0)[n - total_seats]
        usable &= masked >= cut[None, :]
    rows, cols = np.nonzero(usable)
    k = rows.size
    gain = value[rows, cols]
    # Person rows first, then session rows; each pair variable appears once in each.
    a = sparse.csr_array(
        (np.ones(2 * k), (np.concatenate([rows, n + cols]), np.concatenate([np.arange(k), np.arange(k)]))),
        shape=(n + m, k))
    upper = np.concatenate([np.ones(n), seats.astype(np.float64)])
    result = linprog(-gain, A_ub=a, b_ub=upper, bounds=(0, 1), method="highs-ds")
    if result.status != 0 or np.abs(result.x - np.round(result.x)).max() > 1e-6:
        # The simplex ends on a vertex, which is integral. Should it ever not, solve the same problem as
        # a rectangular assignment: every seat a column of its own (exact, a little slower).
        return assign_by_slots(value, usable, seats)
    x = result.x
    picked = np.round(x) > 0.5
    choice[rows[picked]] = cols[picked]
    return choice


def assign_by_slots(value: FloatMatrix, allowed: npt.NDArray[np.bool_], seats: IntVector) -> IntVector:
    """The same optimum as `assign`, as a rectangular assignment (people x seats, every seat a column of
    its own) with scipy's linear_sum_assignment: the fallback, and a check on `assign` in the tests."""
    choice = np.full(value.shape[0], -1, dtype=np.int64)
    usable = allowed & (value > 0)
    # No session needs more seat columns than it has people who could take them.
    seats = np.minimum(np.maximum(np.asarray(seats, dtype=np.int64), 0), usable.sum(axis=0))
    people = np.nonzero(usable.any(axis=1))[0]
    if people.size == 0 or seats.sum() == 0:
        return choice
    slot_session = np.repeat(np.arange(value.shape[1]), seats)
    gain = np.where(usable[people][:, slot_session], value[people][:, slot_session], 0.0)
    rows, slots = linear_sum_assignment(gain, maximize=True)
    placed = gain[rows, slots] > 0
    choice[people[rows[placed]]] = slot_session[slots[placed]]
    return choice


def greedy(value: FloatMatrix, allowed: npt.NDArray[np.bool_], seats: IntVector) -> IntVector:
    """Best pair first, for comparison in tests and the benchmark only: not what the service uses."""
    n, _ = value.shape
    left = np.array(seats, dtype=np.int64).copy()
    choice = np.full(n, -1, dtype=np.int64)
    order = np.argsort(-np.where(allowed, value, -np.inf), axis=None)
    for flat in order:
        i, j = divmod(int(flat), value.shape[1])
        if not allowed[i, j] or value[i, j] <= 0:
            break
        if choice[i] < 0 and left[j] > 0:
            choice[i] = j
            left[j] -= 1
    return choice
