"""Hold-out figures: how well a ranking puts the sessions people completed on top, against two baselines.

For every person who completed a session in the hold-out months, all sessions starting in those
months are ranked; the completed ones are the relevant items. Hit rate at k is the share of people
with a completed session among the first k; NDCG weighs where in the list it sits. Brier score is
the mean squared error of the probability on every hold-out example (completed or not).

Baselines on the same split:
- popular trade: the trade most enrolled in the training months first, nearest session first within
  a trade (what a county does without a survey);
- first wish: the person's first wanted trade, then the second and third, nearest session first
  (what a clerk does by hand), other trades by popularity.
Their probabilities for Brier are the training completion rate of the trade, and of the wish rank.
"""

from __future__ import annotations

import numpy as np

from training.matching.features import Array, Pairs, distance, wish_rank

KS = (1, 3, 5)


def per_person(scores: Array, relevant: Array) -> dict[str, Array]:
    """Hit at 1/3/5 and NDCG for each person (row), given scores and the completed sessions."""
    order = np.argsort(-scores, axis=1, kind="stable")
    hits = np.take_along_axis(relevant, order, axis=1)
    discounts = 1.0 / np.log2(np.arange(2, scores.shape[1] + 2))
    dcg = (hits * discounts).sum(axis=1)
    ideal = np.cumsum(discounts)[np.maximum(relevant.sum(axis=1) - 1, 0)]
    out: dict[str, Array] = {f"hit@{k}": np.asarray(hits[:, :k].any(axis=1), dtype=np.float64) for k in KS}
    out["ndcg"] = np.asarray(dcg / ideal, dtype=np.float64)
    return out


def summary(rows: list[dict[str, Array]]) -> dict[str, float]:
    """Means over every person of every county ranked."""
    keys = [f"hit@{k}" for k in KS] + ["ndcg"]
    return {key: round(float(np.concatenate([r[key] for r in rows]).mean()), 4) if rows else 0.0 for key in keys}


def popular_order(popularity: dict[int, int], trades: Array) -> Array:
    """0 for the most enrolled trade, 1 for the next, ...; unseen trades last."""
    ranked = sorted(popularity, key=lambda t: (-popularity[t], t))
    place = {t: k for k, t in enumerate(ranked)}
    return np.array([place.get(t, len(place)) for t in trades.tolist()], dtype=np.int64)


def baseline_scores(pairs: Pairs, popularity: dict[int, int]) -> tuple[Array, Array]:
    """Scores (higher is better) of the two baselines for every (person, session)."""
    pi = np.arange(len(pairs.people))[:, None]
    sj = np.arange(len(pairs.sessions))[None, :]
    near = distance(pairs, pi, sj).astype(np.int64)  # small codes: widen before arithmetic
    popular = popular_order(popularity, pairs.sessions.trade)[None, :]
    n_sessions = len(pairs.sessions) + 1
    by_popularity = -(popular * 4 + near).astype(np.float64)
    wish = wish_rank(pairs, pi, sj).astype(np.int64)
    wish = np.where((wish == 0) | (wish == 4), 4, wish)  # not surveyed or not wished: after the wishes
    by_wish = -((wish * 4 + near) * n_sessions + popular).astype(np.float64)
    return by_popularity, by_wish


def brier(probability: Array, labels: Array) -> float:
    return float(np.mean((probability - labels) ** 2)) if len(labels) else 0.0


def rate_table(keys: Array, labels: Array, prior: float, strength: float = 5.0) -> dict[int, float]:
    """Completion rate per key, shrunk towards the overall rate for rare keys."""
    out: dict[int, float] = {}
    for key in np.unique(keys).tolist():
        mask = keys == key
        out[int(key)] = float((labels[mask].sum() + prior * strength) / (mask.sum() + strength))
    return out


def lookup(table: dict[int, float], keys: Array, default: float) -> Array:
    return np.array([table.get(int(k), default) for k in keys.tolist()], dtype=np.float64)


def group_gaps(hit3: Array, sex: Array, ethnicity: Array, disability: Array) -> dict[str, dict[str, float | int | None]]:
    """Hit rate at 3 for men/women, Han/minority, without/with disability, and the gap between them."""

    def pair(a_mask: Array, b_mask: Array, a: str, b: str) -> dict[str, float | int | None]:
        ra = round(float(hit3[a_mask].mean()), 4) if a_mask.any() else None
        rb = round(float(hit3[b_mask].mean()), 4) if b_mask.any() else None
        return {a: ra, b: rb, "gap": None if ra is None or rb is None else round(ra - rb, 4),
                f"{a}_people": int(a_mask.sum()), f"{b}_people": int(b_mask.sum())}

    return {
        "sex": pair(sex == 0, sex == 1, "men", "women"),
        "ethnicity": pair(ethnicity == 0, (ethnicity == 1) | (ethnicity == 2), "han", "minority"),
        "disability": pair(disability == 0, disability == 1, "without", "with"),
    }
