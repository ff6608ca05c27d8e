"""Model artifacts are skops files loaded with an explicit list of trusted types: a round trip gives the
same scores, and a file holding any other type is refused before anything in it is built."""

from __future__ import annotations

import os

import numpy as np
import pytest
import skops.io as sio
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from tests.matching.test_features import synthetic
from training.matching.features import FEATURE_NAMES
from training.matching.pipeline import TRUSTED, Linear, Matcher, UntrustedArtifact, dump, fit, load, sigmoid


def test_an_artifact_round_trip_scores_exactly_the_same() -> None:
    pairs, matrix, labels, weights = synthetic(n=800)
    completion, completion_reference = fit(matrix, labels, weights)
    uptake, uptake_reference = fit(matrix, 1 - labels, weights)
    artifact = dump(completion, completion_reference, uptake, uptake_reference)
    assert artifact.startswith(b"PK")  # a zip (skops), not a pickle stream
    loaded = load(artifact)
    assert np.array_equal(loaded.completion.pipeline.predict_proba(matrix), completion.predict_proba(matrix))
    assert np.allclose(loaded.completion.example_logits(matrix), completion.decision_function(matrix))
    assert np.allclose(loaded.uptake.example_logits(matrix), uptake.decision_function(matrix))
    assert np.array_equal(loaded.completion.reference, completion_reference)
    expected = Matcher(Linear(completion, completion_reference), Linear(uptake, uptake_reference))
    assert np.array_equal(loaded.probability(pairs), expected.probability(pairs))
    # P(completes | offered) = P(signs up) x P(completes | signed up)
    assert np.allclose(loaded.probability(pairs),
                       sigmoid(loaded.completion.logits(pairs)) * sigmoid(loaded.uptake.logits(pairs)))


def test_an_artifact_holding_an_untrusted_type_is_refused_by_name() -> None:
    _, matrix, labels, weights = synthetic(n=800)
    pipeline, reference = fit(matrix, labels, weights)
    # A crafted file: our pipeline with a step that would call os.system on the data when scoring.
    crafted = Pipeline([("shell", FunctionTransformer(os.system)), *pipeline.steps])
    artifact = sio.dumps({"format": 2, "features": FEATURE_NAMES, "completion": crafted,
                          "completion_reference": reference, "uptake": pipeline, "uptake_reference": reference})
    with pytest.raises(UntrustedArtifact, match="不受信任的类型") as refused:
        load(artifact)
    assert "system" in str(refused.value)
    assert not any("system" in t for t in TRUSTED)


def test_a_file_that_is_not_our_artifact_is_refused() -> None:
    with pytest.raises(UntrustedArtifact, match="不是有效的模型文件"):
        load(b"\x80\x04not a skops file")
    _, matrix, labels, weights = synthetic(n=800)
    pipeline, _ = fit(matrix, labels, weights)
    other_features = sio.dumps({"format": 2, "features": ["age"], "completion": pipeline, "uptake": pipeline})
    with pytest.raises(UntrustedArtifact, match="特征与本版本代码不一致"):
        load(other_features)
    with pytest.raises(UntrustedArtifact, match="格式不对"):
        load(sio.dumps([1, 2, 3]))
