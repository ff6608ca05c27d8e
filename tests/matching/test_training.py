"""Training on a county's history: the model beats both baselines on the hold-out months, is written as a
skops artifact with a model card, stored, activated, and then scores with reasons."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import msgspec
import numpy as np
import pytest

from tests.helpers import today
from tests.matching.history import History, make_history, rule
from tests.seed import COUNTY_A
from training.core.config import Settings
from training.core.crypto import Vault
from training.core.errors import Conflict
from training.matching import service
from training.matching.schemas import Shown


async def test_a_model_trained_on_the_history_beats_both_baselines_and_becomes_active(
        hconn: asyncpg.Connection, history: History, tmp_path: Path) -> None:
    conn = hconn
    trained = await service.train(conn, rule(today()), counties=[COUNTY_A], name="test", activate_if_better=True,
                                  output_dir=tmp_path)
    metrics = trained.card["metrics"]
    model, popular, first_wish = metrics["model"], metrics["popular_trade"], metrics["first_wish"]
    assert model["ndcg"] > popular["ndcg"] and model["ndcg"] > first_wish["ndcg"], metrics
    assert model["brier"] < popular["brier"] and model["brier"] < first_wish["brier"], metrics
    assert model["hit@3"] >= first_wish["hit@3"], metrics
    assert metrics["beats_baselines"] is True
    assert metrics["holdout"]["examples"] > 0 and metrics["train"]["examples"] > metrics["holdout"]["examples"]
    assert set(model["gaps_hit@3"]) == {"sex", "ethnicity", "disability"}

    # The artifact and its card are written side by side, and the card says what it was built from.
    assert trained.artifact_path == tmp_path / f"test-{trained.version}.skops"
    card = msgspec.json.decode(trained.card_path.read_bytes())
    assert {"python", "scikit-learn", "numpy"} <= set(card["versions"])
    assert card["training_data"]["examples"] == history.enrolments
    assert len(card["training_data"]["sha256"]) == 64
    assert [f["name"] for f in card["features"]][:3] == ["age", "age_band", "sex"]
    assert card["metrics"] == metrics

    # Stored and active for the county: scoring uses it.
    assert trained.activated_for == COUNTY_A
    assert await conn.fetchval("SELECT version FROM active_models WHERE county_code = $1", COUNTY_A) == trained.version
    people = [p.id for p in history.people[:40]]
    sessions = [s["id"] for s in history.sessions[-6:]]
    scores = await service.score(conn, COUNTY_A, people, sessions, as_of=today())
    assert scores.model_version == trained.version
    assert scores.probability.shape == (40, 6) and scores.probability.dtype == np.float64
    assert ((scores.probability > 0) & (scores.probability < 1)).all()
    reasons = [scores.reasons(i, j) for i in range(40) for j in range(6)]
    assert any(reasons) and all(len(r) <= 3 and all(r) for r in reasons)
    # Each pair's reasons are its own: the most common list is far from the only one.
    assert len({tuple(r) for r in reasons}) > 20
    wish_first = [r for r in reasons if any(x.startswith("意向工种第一位：") for x in r)]
    assert wish_first, reasons[:10]

    # The same figures come back from `evaluate` on the active model.
    version, again = await service.evaluate_active(conn, rule(today()), COUNTY_A)
    assert version == trained.version and again["model"] == metrics["model"]


async def test_the_same_history_gives_the_same_training_data_hash(hconn: asyncpg.Connection, history: History) -> None:
    conn = hconn
    first = await service.build_dataset(conn, [COUNTY_A], rule(today()))
    second = await service.build_dataset(conn, [COUNTY_A], rule(today()))
    assert first.digest == second.digest
    assert len(first.labels) == history.enrolments and int(first.labels.sum()) == history.completed


async def test_shown_recommendations_not_taken_become_weak_negatives_and_uptake_follows_enrolments(
        hconn: asyncpg.Connection, history: History, tmp_path: Path) -> None:
    conn = hconn
    trained = await service.train(conn, rule(today()), counties=[COUNTY_A], name="test", activate_if_better=False,
                                  output_dir=tmp_path)
    assert trained.activated_for is None
    person = history.people[0]
    past = history.sessions[-3:]
    ids = await service.record_shown(conn, COUNTY_A, [
        Shown(person_id=person.id, session_id=s["id"], model_version=trained.version, score=0.5, rank=k + 1,
                      reasons=["本乡镇开班"], context="person", shown_by=None) for k, s in enumerate(past)])
    assert len(ids) == 3 and len(set(ids)) == 3
    stored = await conn.fetch("SELECT id, rank FROM recommendations WHERE county_code = $1 ORDER BY rank", COUNTY_A)
    assert [r["id"] for r in stored] == ids

    enrolled = await conn.fetchrow(
        "SELECT id, session_id, status FROM enrolments WHERE county_code = $1 AND person_id = $2 LIMIT 1",
        COUNTY_A, person.id)
    taken = {(person.id, s["id"]) for s in past}
    data = await service.build_dataset(conn, [COUNTY_A], rule(today()))
    weak = int(data.weak.sum())
    # Every shown pair whose session has started and was not signed up for is a weak negative.
    started = [s for s in past if s["starts_on"] < today()]
    assert weak == len([s for s in started if enrolled is None or s["id"] != enrolled["session_id"]])
    assert np.allclose(data.weights[data.weak], service.WEAK_WEIGHT)
    assert taken

    # An enrolment made from a recommendation counts as its uptake. It can only carry a recommendation of
    # its own person and session (migration 0011 says so).
    assert enrolled is not None, "the history signs this person up somewhere"
    taken_up = next((rid for rid, s in zip(ids, past, strict=True)
                     if enrolled is not None and s["id"] == enrolled["session_id"]), None)
    if taken_up is not None:
        await conn.execute("UPDATE enrolments SET recommendation_id = $1 WHERE county_code = $2 AND id = $3",
                           taken_up, COUNTY_A, enrolled["id"])
    rows = await service.uptake(conn, [COUNTY_A], None, trained.version)
    assert len(rows) == 1 and rows[0].shown == 3 and rows[0].pairs == 3
    assert rows[0].enrolled == (1 if taken_up is not None else 0)
    assert rows[0].completed == (1 if taken_up is not None and enrolled["status"] == "completed" else 0)
    assert await service.uptake(conn, [COUNTY_A], "513435108000000"[:12], None) == []


async def test_history_too_short_to_hold_out_is_refused(conn: asyncpg.Connection, settings: Settings) -> None:
    await make_history(conn, Vault.from_data_dir(settings.data_dir), households=20, months=1, offer_rate=0.5)
    with pytest.raises(Conflict, match="一个开班月份"):
        await service.train(conn, rule(today()), counties=[COUNTY_A], name="x", activate_if_better=True,
                            output_dir=Path("/nonexistent"))
