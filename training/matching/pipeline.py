"""The scikit-learn pipeline, its artifact, and its fast linear form.

The model is `one-hot(categorical codes) + standardised numbers -> L2-regularised logistic
regression`: calibrated by construction (it minimises log-loss), small, and explainable. Because it is
linear in one-hot columns, its log-odds is a sum of one weight per feature value. `Linear` reads those
weights out of the fitted pipeline and scores a (P, S) matrix by table look-ups on numpy arrays:
person and session terms once per row and column, pair terms by broadcasting. The same weights give
each pair's reasons: the features whose contribution is most above the average pair's.

Artifacts are skops files, never pickle. Loading names its trusted types explicitly and refuses a file
that holds any other type before anything in it is built.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import skops.io as sio
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from training.matching.features import (
    CATEGORICAL,
    COLUMNS,
    FEATURE_NAMES,
    NUMERIC,
    Array,
    Column,
    Pairs,
    column_values,
    example_matrix,
)

# Every type an artifact of ours contains; anything else in a file is refused.
TRUSTED = [
    "builtins.dict", "builtins.list", "builtins.str", "builtins.float", "builtins.int", "builtins.tuple",
    "builtins.slice", "builtins.type", "numpy.ndarray", "numpy.dtype", "numpy.float64", "numpy.int64",
    "sklearn.pipeline.Pipeline", "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.preprocessing._encoders.OneHotEncoder", "sklearn.preprocessing._data.StandardScaler",
    "sklearn.linear_model._logistic.LogisticRegression",
]
ARTIFACT_FORMAT = 2
# A reason must lift the log-odds at least this much above the average pair's: smaller lifts are noise.
REASON_MIN_LIFT = 0.1
# Every categorical code of ours is a whole number in [0, SPAN) (trade keys < 10^8, CRC-32 x 5 + 4 < 2^35),
# so column k's codes can be searched as k * SPAN + code in one table of all the columns (exact: < 2^53).
SPAN = float(2**36)


class UntrustedArtifact(ValueError):
    """The artifact holds a type we did not list, or is not one of our artifacts."""


def new_pipeline(c: float = 0.5) -> Pipeline:
    encode = ColumnTransformer([
        ("categories", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
        ("numbers", StandardScaler(), NUMERIC),
    ])
    return Pipeline([("encode", encode), ("classify", LogisticRegression(C=c, max_iter=3000))])


def dump(completion: Pipeline, completion_reference: Array, uptake: Pipeline, uptake_reference: Array) -> bytes:
    """The artifact: both fitted pipelines (see `Matcher`), the feature names they were fitted on and each
    feature's average contribution on the training pairs (what "above average" means for reasons)."""
    return bytes(sio.dumps({
        "format": ARTIFACT_FORMAT, "features": list(FEATURE_NAMES),
        "completion": completion, "completion_reference": np.asarray(completion_reference, dtype=np.float64),
        "uptake": uptake, "uptake_reference": np.asarray(uptake_reference, dtype=np.float64)}))


def load(artifact: bytes) -> Matcher:
    try:
        untrusted = sorted(set(sio.get_untrusted_types(data=artifact)) - set(TRUSTED))
    except Exception as exc:
        raise UntrustedArtifact(f"不是有效的模型文件（skops）：{type(exc).__name__}") from exc
    if untrusted:
        raise UntrustedArtifact("模型文件包含不受信任的类型，拒绝加载：" + "、".join(untrusted))
    content = sio.load(io.BytesIO(artifact), trusted=TRUSTED)
    if not isinstance(content, dict) or content.get("format") != ARTIFACT_FORMAT:
        raise UntrustedArtifact("模型文件格式不对：不是本系统训练的匹配模型")
    if content.get("features") != FEATURE_NAMES:
        raise UntrustedArtifact("模型的特征与本版本代码不一致，请用本版本重新训练")
    parts = [content.get(k) for k in ("completion", "uptake")]
    if not all(isinstance(p, Pipeline) for p in parts):
        raise UntrustedArtifact("模型文件格式不对：缺少 scikit-learn Pipeline")
    return Matcher(Linear(content["completion"], np.asarray(content["completion_reference"], dtype=np.float64)),
                   Linear(content["uptake"], np.asarray(content["uptake_reference"], dtype=np.float64)))


@dataclass
class Table:
    """One categorical column's weights: `categories` (sorted codes) -> `weights`; unseen codes weigh 0,
    as the encoder's handle_unknown="ignore" does."""

    categories: Array
    weights: Array

    def lookup(self, codes: Array) -> Array:
        codes = np.asarray(codes, dtype=np.float64)
        if len(self.categories) == 0:
            return np.zeros(codes.shape)
        # searchsorted answers 0..n: only the top needs bringing in (np.clip costs more than the search)
        at = np.minimum(np.searchsorted(self.categories, codes), len(self.categories) - 1)
        return np.where(self.categories[at] == codes, self.weights[at], 0.0)

    def dense(self, domain: int) -> Array:
        """Weights indexed directly by code, for small pair codes in [0, domain)."""
        out = np.zeros(domain, dtype=np.float64)
        inside = (self.categories >= 0) & (self.categories < domain)
        out[self.categories[inside].astype(np.int64)] = self.weights[inside]
        return out


class Linear:
    """The fitted pipeline as sums of looked-up weights: the same log-odds, at numpy speed."""

    def __init__(self, pipeline: Pipeline, reference: Array) -> None:
        encode: ColumnTransformer = pipeline.named_steps["encode"]
        classify: LogisticRegression = pipeline.named_steps["classify"]
        coef = classify.coef_[0]
        self.pipeline = pipeline
        self.intercept = float(classify.intercept_[0])
        self.reference = reference
        self.tables: dict[int, Table] = {}
        self.numbers: dict[int, tuple[float, float]] = {}  # column -> (slope, offset) on the raw value
        encoder: OneHotEncoder = encode.named_transformers_["categories"]
        scaler: StandardScaler = encode.named_transformers_["numbers"]
        at = 0
        for column, categories in zip(CATEGORICAL, encoder.categories_, strict=True):
            self.tables[column] = Table(np.asarray(categories, dtype=np.float64), coef[at:at + len(categories)])
            at += len(categories)
        for n, column in enumerate(NUMERIC):
            slope = float(coef[at + n] / scaler.scale_[n])
            self.numbers[column] = (slope, -slope * float(scaler.mean_[n]))
        # Made once per loaded model, not per request: pair codes are small, so their weights are indexed by
        # code; and every column's table in one, to look up many columns' codes with one search.
        self.dense = {k: self.tables[k].dense(c.domain) for k, c in enumerate(COLUMNS) if c.kind == "pair"}
        self.cross_codes = {k: np.arange(c.k)[None, :] for k, c in enumerate(COLUMNS) if c.kind == "cross"}
        self.offsets = np.arange(len(COLUMNS), dtype=np.float64) * SPAN
        ours = all(np.all((t.categories >= 0) & (t.categories < SPAN) & (t.categories == np.floor(t.categories)))
                   for t in self.tables.values())
        self.combined = Table(np.concatenate([t.categories + self.offsets[k] for k, t in sorted(self.tables.items())]),
                              np.concatenate([t.weights for _, t in sorted(self.tables.items())])) if ours else None
        self.person_columns = [k for k, c in enumerate(COLUMNS) if c.kind == "person"]
        self.session_columns = [k for k, c in enumerate(COLUMNS) if c.kind == "session"]

    def contribution(self, k: int, values: Array) -> Array:
        """Column k's contribution to the log-odds for these raw values."""
        if k in self.numbers:
            slope, offset = self.numbers[k]
            return np.asarray(values, dtype=np.float64) * slope + offset
        return self.tables[k].lookup(values)

    def contributions(self, columns: Sequence[int], values: Array) -> Array:
        """(N, len(columns)) contributions for the (N, len(columns)) raw values of these columns: the
        same numbers as `contribution` column by column, with one search for all the categorical ones."""
        values = np.asarray(values, dtype=np.float64)
        out = np.empty(values.shape, dtype=np.float64)
        categorical = []
        for n, k in enumerate(columns):
            if k in self.numbers or self.combined is None:
                out[:, n] = self.contribution(k, values[:, n])
            else:
                categorical.append(n)
        if categorical:
            assert self.combined is not None
            codes = values[:, categorical]
            # a code outside [0, SPAN) or not whole is no category of this column (nor may reach another's)
            ours = (codes >= 0) & (codes < SPAN) & (codes == np.floor(codes))
            found = self.combined.lookup(codes + self.offsets[[columns[n] for n in categorical]])
            out[:, categorical] = np.where(ours, found, 0.0)
        return out

    def example_logits(self, matrix: Array) -> Array:
        out = np.full(len(matrix), self.intercept)
        for k in range(len(COLUMNS)):
            out += self.contribution(k, matrix[:, k])
        return out

    def logits(self, x: Pairs, rows: slice | None = None) -> Array:
        """(P, S) log-odds for every person (or a block of them) against every session."""
        return self.logits_of(block_codes(x, rows))

    def logits_of(self, codes: list[tuple[Array, ...]]) -> Array:
        """Log-odds from a block's feature codes (`block_codes`), shared by both models of a Matcher."""
        person = self.contributions(self.person_columns, np.stack([codes[k][0] for k in self.person_columns], axis=1))
        session = self.contributions(self.session_columns,
                                     np.stack([codes[k][0] for k in self.session_columns], axis=1))
        # Summed column by column in the feature order, as one look-up per column would: the same floats.
        person_part: Array = person[:, 0]
        for n in range(1, person.shape[1]):
            person_part = person_part + person[:, n]
        session_part: Array = session[:, 0]
        for n in range(1, session.shape[1]):
            session_part = session_part + session[:, n]
        out: Array | None = None
        for k, column in enumerate(COLUMNS):
            if column.kind in ("pair", "cross"):
                term = self._pair_term(k, column, codes[k])
                if out is None:
                    out = term.astype(np.float64, copy=True)
                else:
                    out += term
        total = (person_part + self.intercept)[:, None] + session_part[None, :]
        if out is None:
            return total
        out += total
        return out

    def _pair_term(self, k: int, column: Column, codes: tuple[Array, ...]) -> Array:
        if column.kind == "pair":
            return self.dense[k][codes[0]]
        # cross: a (S, k) table of the session's weight for each person code (one look-up), then one gather.
        session_codes, person_codes = codes
        table = self.tables[k].lookup(session_codes[:, None] * column.k + self.cross_codes[k])
        return table[np.arange(len(session_codes))[None, :], person_codes[:, None]]

    def pair_contributions(self, x: Pairs, i: int, j: int) -> tuple[Array, Array]:
        """Each column's value and contribution for one pair."""
        pi, sj = np.array([i]), np.array([j])
        values = np.array([column_values(c, x, pi, sj)[0] for c in COLUMNS], dtype=np.float64)
        contributions = np.array([self.contribution(k, values[k:k + 1])[0] for k in range(len(COLUMNS))])
        return values, contributions

    def lifts(self, x: Pairs, i: int, j: int) -> tuple[Array, Array]:
        """Each column's value for one pair and how far its contribution is above the average pair's."""
        values, contributions = self.pair_contributions(x, i, j)
        return values, contributions - self.reference

    def reasons(self, x: Pairs, i: int, j: int, limit: int = 3) -> list[str]:
        """Short phrases for the features that raise this pair's score most above the average pair's."""
        return phrases(x, i, j, *self.lifts(x, i, j), limit)

    def contributions_of(self, values: Array) -> Array:
        """(N, columns) contributions for the (N, columns) values of N pairs (`example_matrix`): one
        lookup per column for all of them, the same figures `pair_contributions` gives one by one."""
        return self.contributions(range(len(COLUMNS)), values)


def block_codes(x: Pairs, rows: slice | None = None) -> list[tuple[Array, ...]]:
    """Each column's codes for a block of people against every session: person columns (B,), session
    columns (S,), pair columns (B, S), cross columns (session codes (S,), person codes (B,))."""
    people = np.arange(len(x.people))[rows or slice(None)]
    sessions = np.arange(len(x.sessions))
    out: list[tuple[Array, ...]] = []
    for column in COLUMNS:
        if column.kind == "person":
            out.append((column_values(column, x, people, sessions[:0]),))
        elif column.kind == "session":
            out.append((column_values(column, x, people[:0], sessions),))
        elif column.kind == "pair":
            out.append((column_values(column, x, people[:, None], sessions[None, :]),))
        else:
            assert column.session is not None and column.person is not None
            out.append((column.session(x.sessions), column.person(x.people)[people]))
    return out


def phrases(x: Pairs, i: int, j: int, values: Array, lift: Array, limit: int) -> list[str]:
    out: list[str] = []
    for k in np.argsort(-lift, kind="stable"):
        if lift[k] < REASON_MIN_LIFT or len(out) >= limit:
            break
        phrase = COLUMNS[k].phrase(x, i, j, int(values[k]))
        if phrase and phrase not in out:
            out.append(phrase)
    return out


def log_sigmoid(z: Array) -> Array:
    return np.asarray(-np.logaddexp(0.0, -z), dtype=np.float64)


class Matcher:
    """P(completes | offered) = P(signs up | offered) x P(completes | signed up): two logistic regressions
    on the same features. `completion` learns from enrolments and their outcomes; `uptake` learns which
    of the sessions on offer to a person that month (the county's menu, and recommendations shown) they
    signed up for. Completion alone would rank by how people fare once enrolled and miss that they rarely
    start what they never wanted; uptake alone would miss who finishes."""

    def __init__(self, completion: Linear, uptake: Linear) -> None:
        self.completion = completion
        self.uptake = uptake

    def log_probability(self, x: Pairs, rows: slice | None = None) -> Array:
        codes = block_codes(x, rows)  # the features once, for both models
        out = log_sigmoid(self.completion.logits_of(codes))
        out += log_sigmoid(self.uptake.logits_of(codes))
        return out

    def probability(self, x: Pairs, rows: slice | None = None) -> Array:
        return np.exp(self.log_probability(x, rows))

    def reasons(self, x: Pairs, i: int, j: int, limit: int = 3) -> list[str]:
        values, lift = self.lifts(x, i, j)
        return phrases(x, i, j, values, lift, limit)

    def lifts(self, x: Pairs, i: int, j: int) -> tuple[Array, Array]:
        values, completion = self.completion.lifts(x, i, j)
        _, uptake = self.uptake.lifts(x, i, j)
        return values, completion + uptake

    def reasons_of(self, x: Pairs, chosen: Sequence[tuple[int, int]], limit: int = 3) -> list[list[str]]:
        """`reasons` for several pairs at once: the features of all of them in one pass per column
        (a request's top items), instead of a pass per column per pair."""
        if not chosen:
            return []
        pi = np.array([i for i, _ in chosen], dtype=np.int64)
        sj = np.array([j for _, j in chosen], dtype=np.int64)
        values = example_matrix(x, pi, sj)
        lift = ((self.completion.contributions_of(values) - self.completion.reference)
                + (self.uptake.contributions_of(values) - self.uptake.reference))
        return [phrases(x, int(i), int(j), values[n], lift[n], limit) for n, (i, j) in enumerate(chosen)]


def reference_contributions(linear: Linear, matrix: Array) -> Array:
    """Each column's average contribution over the training pairs."""
    return np.array([float(np.mean(linear.contribution(k, matrix[:, k]))) for k in range(len(COLUMNS))])


def sigmoid(z: Array) -> Array:
    out: Array = 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))
    return out


def fit(matrix: Array, labels: Array, weights: Array, c: float = 0.5) -> tuple[Pipeline, Array]:
    pipeline = new_pipeline(c)
    pipeline.fit(matrix, labels, classify__sample_weight=weights)
    linear = Linear(pipeline, np.zeros(len(COLUMNS)))
    return pipeline, reference_contributions(linear, matrix)


def describe(pipeline: Pipeline) -> dict[str, Any]:
    classify: LogisticRegression = pipeline.named_steps["classify"]
    return {"estimator": "OneHotEncoder + StandardScaler -> LogisticRegression (L2)", "C": float(classify.C),
            "coefficients": int(classify.coef_.shape[1])}
