"""The two baselines rank as a clerk would, whatever the number of sessions."""

from __future__ import annotations

from datetime import date

import numpy as np

from tests.matching.test_features import AS_OF, HOME, OTHER_TOWNSHIP, SAME_TOWNSHIP, person, session
from tests.seed import COOK, ELECTRICIAN, HOUSEKEEPER
from training.matching.evaluation import baseline_scores, per_person
from training.matching.features import Pairs, People, Sessions, trade_key


def test_first_wish_nearest_session_then_popular_trade_nearest_session_with_many_sessions() -> None:
    # 60 sessions: enough that a small integer type would overflow the combined sort key.
    sessions = [session(trade, village, date(2026, 3, 10))
                for trade in (ELECTRICIAN, COOK, HOUSEKEEPER) for village in (OTHER_TOWNSHIP, SAME_TOWNSHIP, HOME)
                for _ in range(7)][:60]
    pairs = Pairs.of(People.from_rows([person(desired_trades=[COOK, ELECTRICIAN])], AS_OF), Sessions.from_rows(sessions))
    popular, first_wish = baseline_scores(pairs, {trade_key(HOUSEKEEPER): 50, trade_key(ELECTRICIAN): 10})
    best = int(np.argmax(first_wish[0]))
    assert sessions[best]["trade_code"] == COOK and sessions[best]["village_code"] == HOME
    order = np.argsort(-first_wish[0], kind="stable")
    # All cook sessions (nearest first) come before the second wish, which comes before the rest.
    trades = [sessions[j]["trade_code"] for j in order]
    assert trades[:21] == [COOK] * 21 and trades[21:42] == [ELECTRICIAN] * 21
    assert [sessions[j]["village_code"] for j in order[:21]] == [HOME] * 7 + [SAME_TOWNSHIP] * 7 + [OTHER_TOWNSHIP] * 7
    top = int(np.argmax(popular[0]))
    assert sessions[top]["trade_code"] == HOUSEKEEPER and sessions[top]["village_code"] == HOME

    relevant = np.zeros_like(first_wish, dtype=bool)
    relevant[0, best] = True
    assert per_person(first_wish, relevant)["hit@1"][0] == 1.0 and per_person(popular, relevant)["ndcg"][0] < 1.0
