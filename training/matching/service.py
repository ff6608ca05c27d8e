"""Matching: score (person, session) pairs with the active classifier and say why; train, evaluate,
store and switch models; log the recommendations shown and their uptake.

The public face other slices use: `score` -> `Scores` (probability matrix and reasons per pair),
`record_shown`, `uptake`. Models are global artifacts; each county uses one active model (its own
choice, else the system-wide one). Every scoring call asks the database which version is active (one
indexed row), and each process keeps the few versions it has loaded, so a switch reaches every running
process on its next call, without a restart.

Labels for training: an enrolment that completed (and did not fail the assessment) is a positive; one
withdrawn, dropped, or completed with `passed = false` is a negative; an enrolment still open is not
used. A recommendation shown whose session has started without the person signing up for it is a weak
negative (weight WEAK_WEIGHT): not taking an offer says less than dropping out.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import logging
import platform
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
import numpy as np
import scipy
import sklearn
import skops

from training.catalogue import service as catalogue
from training.core import audit
from training.core.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound, Problem
from training.core.rules import Rule
from training.core.security import Principal, region_prefix
from training.core.text import quoted
from training.enrolment import service as enrolment
from training.matching import evaluation as ev
from training.matching import repository as repo
from training.matching.features import COLUMNS, FEATURE_NAMES, Array, Pairs, People, Sessions, example_matrix
from training.matching.pipeline import Matcher, UntrustedArtifact, describe, dump, fit, load, sigmoid
from training.matching.schemas import Activation, ModelInfo, Shown, UptakeRow
from training.registry import service as registry

log = logging.getLogger("training.matching")
Conn = repo.Conn
GLOBAL = repo.GLOBAL
WEAK_WEIGHT = 0.3
HOLDOUT_SHARE = 0.2
BLOCK_ROWS = 2048  # people per scoring block: a (2048, 500) float64 block is 8 MB
THREAD_PAIRS = 20_000  # bigger matrices are built and scored off the event loop
DEFAULT_RULE = Rule(as_of=date(2000, 1, 1), years=3, male=(16, 60), female=(16, 55))
Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


class NoModel(Problem):
    status = 503
    title = "推荐模型不可用"


# ------------------------------------------------------------------ the loaded models of this process


@dataclass
class LoadedModel:
    version: str
    matcher: Matcher


class ModelCache:
    """Versions this process has loaded (a few; versions never change content, so no expiry)."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self.loaded: OrderedDict[str, LoadedModel] = OrderedDict()

    async def active(self, conn: Conn, county_code: str) -> LoadedModel:
        version = await repo.active_version(conn, county_code)
        if version is None:
            raise NoModel("还没有可用的推荐模型：请运行 training train 训练，或由管理员启用一个模型")
        return await self.get(conn, version)

    async def get(self, conn: Conn, version: str) -> LoadedModel:
        if version in self.loaded:
            self.loaded.move_to_end(version)
            return self.loaded[version]
        artifact = await repo.artifact(conn, version)
        if artifact is None:
            raise NotFound(f"没有版本为 {quoted(version)} 的模型")
        model = self.keep(LoadedModel(version, await asyncio.to_thread(matcher_from_artifact, artifact)))
        log.info("loaded model %s", version)
        return model

    def keep(self, model: LoadedModel) -> LoadedModel:
        """Cache a loaded model, evicting the least recently used past `size`. A loaded model lives long
        (like what start-up built, see app.py), so it is frozen out of the cyclic collector's full passes,
        which otherwise walk it again and again and pause requests. Before freezing, the moment's garbage
        is collected, and an eviction first gives every frozen object back to the collector, so that an
        evicted model is reclaimed (a pause at a model switch, which is rare, not one per request)."""
        self.loaded[model.version] = model
        evicted = False
        while len(self.loaded) > self.size:
            self.loaded.popitem(last=False)
            evicted = True
        if evicted:
            gc.unfreeze()
        gc.collect()
        gc.freeze()
        return model


def matcher_from_artifact(artifact: bytes) -> Matcher:
    try:
        return load(artifact)
    except UntrustedArtifact as exc:
        raise Problem(str(exc)) from None


MODELS = ModelCache()


# ------------------------------------------------------------------ scoring


class Scores:
    """P(completes | offered) for people (rows) x sessions (columns), from one model version."""

    def __init__(self, model_version: str, person_ids: list[UUID], session_ids: list[UUID],
                 probability: Array, pairs: Pairs, matcher: Matcher) -> None:
        self.model_version = model_version
        self.person_ids = person_ids
        self.session_ids = session_ids
        self.probability = probability
        self._pairs = pairs
        self._matcher = matcher

    def reasons(self, i: int, j: int, limit: int = 3) -> list[str]:
        """Short Chinese phrases for the features that raised this pair's score most above the average
        pair's (e.g. "意向工种第一位：电工", "本乡镇开班", "3月有空", "两后生优先")."""
        return self._matcher.reasons(self._pairs, i, j, limit)

    def reasons_of(self, chosen: Sequence[tuple[int, int]], limit: int = 3) -> list[list[str]]:
        """`reasons` for several pairs (row, column) at once, in their order: one pass over the
        features for all of them (a request's top items)."""
        return self._matcher.reasons_of(self._pairs, chosen, limit)

    def contributions(self, i: int, j: int) -> dict[str, float]:
        """Each feature's contribution to this pair's log-odds, above the average pair's."""
        _, lifts = self._matcher.lifts(self._pairs, i, j)
        return {c.name: round(float(v), 4) for c, v in zip(COLUMNS, lifts, strict=True)}


def _ordered(rows: Sequence[asyncpg.Record], ids: Sequence[UUID], what: str) -> list[asyncpg.Record]:
    by_id = {r["id"]: r for r in rows}
    missing = [i for i, key in enumerate(ids) if key not in by_id]
    if missing:
        raise InvalidInput([FieldError(f"{what}[{i}]", "本县没有这个" + ("人员" if what == "person_ids" else "培训班"))
                            for i in missing[:20]])
    return [by_id[key] for key in ids]


def probability_matrix(matcher: Matcher, pairs: Pairs) -> Array:
    """Score every person against every session, a block of people at a time."""
    out = np.empty((len(pairs.people), len(pairs.sessions)), dtype=np.float64)
    for start in range(0, len(pairs.people), BLOCK_ROWS):
        block = slice(start, min(start + BLOCK_ROWS, len(pairs.people)))
        out[block] = matcher.probability(pairs, block)
    return out


def person_rule(rule: Rule | None, as_of: date) -> Rule:
    """The rule people are judged by when scored as of a day (the defaults when None)."""
    return msgspec.structs.replace(rule or DEFAULT_RULE, as_of=as_of)


async def score(conn: Conn, county_code: str, person_ids: Sequence[UUID], session_ids: Sequence[UUID], *,
                as_of: date, rule: Rule | None = None, models: ModelCache | None = None,
                session_rows: Sequence[Any] | None = None, person_rows: Sequence[Any] | None = None) -> Scores:
    """Load these people and sessions, build the pair features, score with the county's active model.
    `rule` carries the 两后生 and working-age settings (the defaults when None). `session_rows`: the
    sessions already read by the caller in the same request, with every column of catalogue's
    session_facts, in the order of `session_ids` (saves reading hundreds of rows twice); `person_rows`
    likewise: registry's person_facts of `person_ids` judged as of `as_of`, in their order."""
    model = await (models or MODELS).active(conn, county_code)
    if person_rows is None:
        judged = person_rule(rule, as_of)
        person_rows = _ordered(await registry.person_facts(conn, county_code, judged, list(person_ids)), person_ids,
                               "person_ids")
    elif [r["id"] for r in person_rows] != list(person_ids):
        raise ValueError("person_rows must be the rows of person_ids, in order")
    if session_rows is None:
        session_rows = _ordered(await catalogue.session_facts(conn, county_code, list(session_ids)), session_ids,
                                "session_ids")
    elif [r["id"] for r in session_rows] != list(session_ids):
        raise ValueError("session_rows must be the rows of session_ids, in order")

    def build() -> tuple[Pairs, Array]:
        pairs = Pairs.of(People.from_rows(person_rows, as_of), Sessions.from_rows(session_rows))
        return pairs, probability_matrix(model.matcher, pairs)

    if len(person_rows) * len(session_rows) > THREAD_PAIRS:
        pairs, probability = await asyncio.to_thread(build)
    else:
        pairs, probability = build()
    return Scores(model.version, list(person_ids), list(session_ids), probability, pairs, model.matcher)


# ------------------------------------------------------------------ shown recommendations and uptake


async def record_shown(conn: Conn, county_code: str, shown: Sequence[Shown]) -> list[UUID]:
    """Log recommendations as shown; returns their ids in the same order."""
    errors = [FieldError(f"shown[{i}].score", "分数应在 0 到 1 之间") for i, s in enumerate(shown)
              if not 0.0 <= s.score <= 1.0]
    errors += [FieldError(f"shown[{i}].rank", "名次从 1 开始") for i, s in enumerate(shown) if s.rank < 1]
    if errors:
        raise InvalidInput(errors)
    ids = [uuid.uuid4() for _ in shown]
    rows = [(rid, s.person_id, s.session_id, s.model_version, float(s.score), s.rank, list(s.reasons), s.context,
             s.shown_by) for rid, s in zip(ids, shown, strict=True)]
    try:
        if conn.is_in_transaction():  # a savepoint, so that a refusal leaves the caller's transaction usable
            async with conn.transaction():
                await repo.insert_shown(conn, county_code, rows)
        else:  # executemany is all-or-nothing by itself: no BEGIN and COMMIT round trips on every request
            await repo.insert_shown(conn, county_code, rows)
    except asyncpg.ForeignKeyViolationError:
        raise InvalidInput([FieldError("shown", "人员、培训班或模型版本不存在于本县")]) from None
    return ids


async def uptake(conn: Conn, counties: list[str] | None, region_code: str | None,
                 model_version: str | None) -> list[UptakeRow]:
    rows = await repo.uptake(conn, counties, region_prefix(region_code) if region_code else None, model_version)
    return [UptakeRow(model_version=r["model_version"], shown=r["shown"], pairs=r["pairs"], people=r["people"],
                      enrolled=r["enrolled"], completed=r["completed"],
                      enrolment_rate=round(r["enrolled"] / r["pairs"], 4) if r["pairs"] else 0.0,
                      completion_rate=round(r["completed"] / r["enrolled"], 4) if r["enrolled"] else 0.0,
                      first_shown=r["first_shown"], last_shown=r["last_shown"]) for r in rows]


# ------------------------------------------------------------------ models: list, activate, install


def _info(row: asyncpg.Record, current: str | None) -> ModelInfo:
    return ModelInfo(version=row["version"], name=row["name"], created_at=row["created_at"],
                     beats_baselines=row["beats_baselines"], trained_on=list(row["trained_on"]),
                     active=row["version"] == current, active_in=list(row["active_in"]),
                     metrics=row["metrics"])


def _home_county(principal: Principal) -> str:
    return principal.county_code or GLOBAL


async def list_models(conn: Conn, principal: Principal) -> list[ModelInfo]:
    if principal.role not in ("admin", "official"):
        raise Forbidden("只有管理员和官员可以查看模型")
    current = await repo.active_version(conn, _home_county(principal))
    return [_info(r, current) for r in await repo.models(conn)]


async def activate(conn: Conn, principal: Principal, version: str, data: Activation | None = None) -> ModelInfo:
    """Make a model the one a county uses: a county admin's own county, a system admin's named county
    or (by default) the system-wide default. Audited with the version it replaced."""
    if principal.role != "admin":
        raise Forbidden("只有管理员可以切换模型")
    county = (data.county_code if data else None) or _home_county(principal)
    if county != GLOBAL and not principal.sees_county(county):
        raise Forbidden("只能为本县切换模型")
    if county == GLOBAL and principal.counties is not None:
        raise Forbidden("只有系统管理员可以切换全系统默认模型")
    artifact = await repo.artifact(conn, version)
    if artifact is None:
        raise NotFound(f"没有版本为 {quoted(version)} 的模型")
    await asyncio.to_thread(matcher_from_artifact, artifact)  # a model that cannot load is never activated
    async with conn.transaction():
        await repo.lock_activations(conn)
        before = await repo.active_version(conn, county)
        await repo.activate(conn, county, version, principal.id)
        await audit.record(conn, principal, "activate", "model", version, county,
                           {"county_code": county, "from": before, "to": version})
    rows = await repo.models(conn, version)
    return _info(rows[0], version)


async def activate_system(conn: Conn, county_code: str, version: str) -> None:
    """Activation by the command line or on install (no account): audited as "system"."""
    async with conn.transaction():
        await repo.lock_activations(conn)
        before = await repo.active_version(conn, county_code)
        await repo.activate(conn, county_code, version, None)
        await audit.record(conn, None, "activate", "model", version, county_code,
                           {"county_code": county_code, "from": before, "to": version})


async def store_model(conn: Conn, artifact: bytes, card: dict[str, Any]) -> None:
    await repo.insert_model(conn, {
        "version": card["version"], "name": card["name"], "artifact": artifact, "card": card,
        "metrics": card["metrics"], "beats_baselines": bool(card["metrics"].get("beats_baselines")),
        "trained_on": card["training_data"]["counties"],
        "created_at": datetime.fromisoformat(card["created_at"])})


def shipped_models(directory: Path) -> list[tuple[str, bytes, bytes]]:
    """(file name, artifact, card) of every model with a card in `directory`, newest name first."""
    found = []
    for path in sorted(directory.glob("*.skops"), key=lambda p: p.name, reverse=True):
        card_path = path.with_suffix(".json")
        if card_path.exists():
            found.append((path.name, path.read_bytes(), card_path.read_bytes()))
    return found


def write_model_files(output_dir: Path, stem: str, artifact: bytes, card: dict[str, Any]) -> tuple[Path, Path]:
    output_dir.mkdir(parents=True, exist_ok=True)
    artifact_path, card_path = output_dir / f"{stem}.skops", output_dir / f"{stem}.json"
    artifact_path.write_bytes(artifact)
    card_path.write_bytes(msgspec.json.format(msgspec.json.encode(card), indent=2) + b"\n")
    return artifact_path, card_path


async def install_default_model(conn: Conn, directory: Path) -> str | None:
    """On a database without any model, store the newest shipped model (models/*.skops with its card)
    and make it the system-wide default, so a fresh install recommends at once."""
    if await repo.model_count(conn) > 0:
        return None
    for file_name, artifact, card_bytes in await asyncio.to_thread(shipped_models, directory):
        try:
            await asyncio.to_thread(matcher_from_artifact, artifact)
        except Problem as exc:
            log.warning("shipped model %s not installed: %s", file_name, exc.detail)
            continue
        card = msgspec.json.decode(card_bytes)
        await store_model(conn, artifact, card)
        await activate_system(conn, GLOBAL, card["version"])
        log.info("installed the shipped model %s", card["version"])
        return str(card["version"])
    return None


# ------------------------------------------------------------------ training data


@dataclass
class Dataset:
    """Example pairs with their features, labels, weights and dates, and what ranking needs."""

    matrix: Array
    labels: Array
    weights: Array
    starts: Array  # session start (ordinal day) of each example
    weak: Array  # booleans: a shown-but-not-taken recommendation
    county: list[str]
    person_ids: list[UUID]
    session_ids: list[UUID]
    sessions: dict[str, list[asyncpg.Record]]  # every session of each county
    digest: str

    def subset(self, mask: Array) -> Dataset:
        idx = np.flatnonzero(mask)
        return Dataset(self.matrix[idx], self.labels[idx], self.weights[idx], self.starts[idx], self.weak[idx],
                       [self.county[i] for i in idx], [self.person_ids[i] for i in idx],
                       [self.session_ids[i] for i in idx], self.sessions, self.digest)


def _positive(row: asyncpg.Record) -> bool:
    return row["status"] == "completed" and row["passed"] is not False


Example = tuple[UUID, UUID, int, float, bool]  # person, session, label, weight, weak
Part = tuple[Array, Array, Array, Array, Array, list[str], list[UUID], list[UUID]]


@dataclass
class History:
    """Both training sets of the counties' history: outcomes of enrolments (completion) and what people
    signed up for among the sessions on offer to them (uptake)."""

    completion: Dataset
    uptake: Dataset


async def _features(conn: Conn, county: str, rule: Rule, examples: list[Example],
                    by_session: dict[UUID, asyncpg.Record], completions: dict[UUID, list[tuple[date, str]]]) -> list[Part]:
    """Feature rows of examples, judged as of the month each session started (the latest survey by then,
    两后生 then, skills learnt in a later training hidden); one database read per month."""
    groups: dict[date, list[int]] = defaultdict(list)
    for n, example in enumerate(examples):
        groups[by_session[example[1]]["starts_on"].replace(day=1)].append(n)
    parts: list[Part] = []
    for month, members in sorted(groups.items()):
        person_ids = sorted({examples[n][0] for n in members})
        rows = await registry.person_facts(conn, county, msgspec.structs.replace(rule, as_of=month), person_ids)
        later = {p: {t for when, t in completions.get(p, []) if when >= month} for p in person_ids}
        people = People.from_rows(rows, month, later)
        where_p = {pid: i for i, pid in enumerate(people.ids)}
        session_ids = sorted({examples[n][1] for n in members})
        sessions = Sessions.from_rows([by_session[s] for s in session_ids])
        where_s = {sid: j for j, sid in enumerate(sessions.ids)}
        pi = np.array([where_p[examples[n][0]] for n in members], dtype=np.int64)
        sj = np.array([where_s[examples[n][1]] for n in members], dtype=np.int64)
        parts.append((
            example_matrix(Pairs.of(people, sessions), pi, sj),
            np.array([examples[n][2] for n in members], dtype=np.int64),
            np.array([examples[n][3] for n in members], dtype=np.float64),
            np.array([by_session[examples[n][1]]["starts_on"].toordinal() for n in members], dtype=np.int64),
            np.array([examples[n][4] for n in members], dtype=bool),
            [county] * len(members), [examples[n][0] for n in members], [examples[n][1] for n in members]))
    return parts


def _dataset(parts: list[Part], sessions_of: dict[str, list[asyncpg.Record]], digest: str) -> Dataset:
    return Dataset(
        np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]), np.concatenate([p[3] for p in parts]),
        np.concatenate([p[4] for p in parts]), [c for p in parts for c in p[5]],
        [x for p in parts for x in p[6]], [x for p in parts for x in p[7]], sessions_of, digest)


async def build_history(conn: Conn, counties: Sequence[str], rule: Rule, progress: Progress = _quiet) -> History:
    """Training examples from the counties' history.

    Completion: every enrolment with an outcome (label: completed and not failed), and recommendations
    shown whose session has started without a sign-up as weak negatives (weight WEAK_WEIGHT).
    Uptake: for every person and month with a sign-up, each session on offer that month (published in
    the county, starting that month) labelled by whether they signed up for it; recommendations shown and
    not taken are uptake negatives too."""
    completion_parts: list[Part] = []
    uptake_parts: list[Part] = []
    sessions_of: dict[str, list[asyncpg.Record]] = {}
    lines: list[str] = []
    now = datetime.now(UTC)
    for county in counties:
        history = await enrolment.history(conn, county)
        session_rows = await catalogue.session_facts(conn, county, None)
        sessions_of[county] = session_rows
        by_session = {r["id"]: r for r in session_rows}
        outcomes: list[Example] = [(h["person_id"], h["session_id"], int(_positive(h)), 1.0, False)
                                   for h in history if h["status"] in ("withdrawn", "dropped", "completed")]
        enrolled_pairs = {(h["person_id"], h["session_id"]) for h in history}
        not_taken: list[Example] = []
        for shown in await repo.shown_pairs(conn, county, now):
            session = by_session.get(shown["session_id"])
            if (session is not None and session["starts_on"] < now.date()
                    and (shown["person_id"], shown["session_id"]) not in enrolled_pairs):
                not_taken.append((shown["person_id"], shown["session_id"], 0, WEAK_WEIGHT, True))
        on_offer: dict[date, list[UUID]] = defaultdict(list)
        for r in session_rows:
            if r["status"] != "draft":
                on_offer[r["starts_on"].replace(day=1)].append(r["id"])
        months_of: dict[tuple[UUID, date], set[UUID]] = defaultdict(set)
        for h in history:
            months_of[(h["person_id"], by_session[h["session_id"]]["starts_on"].replace(day=1))].add(h["session_id"])
        choices: list[Example] = [(person, session, int(session in taken), 1.0, False)
                                  for (person, month), taken in sorted(months_of.items())
                                  for session in on_offer[month]]
        choices += [(p, s, 0, 1.0, True) for p, s, *_ in not_taken]
        completions: dict[UUID, list[tuple[date, str]]] = defaultdict(list)
        for h in history:
            if h["status"] == "completed" and h["completed_on"] is not None:
                completions[h["person_id"]].append((h["completed_on"], by_session[h["session_id"]]["trade_code"]))
        progress(f"{county}：{len(outcomes)} 条报名结果，{len(not_taken)} 条推荐未报名，{len(choices)} 条报名选择样本")
        completion_parts += await _features(conn, county, rule, outcomes + not_taken, by_session, completions)
        uptake_parts += await _features(conn, county, rule, choices, by_session, completions)
        lines += sorted(f"{county},{p},{s},{y},{w}" for p, s, y, w, _ in outcomes + not_taken)
    if not completion_parts:
        raise Conflict("没有可用于训练的培训记录（需要已结业、退出或除名的报名）")
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return History(_dataset(completion_parts, sessions_of, digest), _dataset(uptake_parts, sessions_of, digest))


async def build_dataset(conn: Conn, counties: Sequence[str], rule: Rule, progress: Progress = _quiet) -> Dataset:
    """The completion examples alone (see build_history)."""
    return (await build_history(conn, counties, rule, progress)).completion


def holdout_start(data: Dataset) -> date:
    """The first day of the latest months that together hold about HOLDOUT_SHARE of the real outcomes."""
    real = data.starts[~data.weak]
    months = sorted({date.fromordinal(int(d)).replace(day=1) for d in real.tolist()})
    if len(months) < 2:
        raise Conflict("培训记录只覆盖一个开班月份，无法按时间留出检验集：需要更长的历史")
    cutoff = months[-1]
    for month in reversed(months[1:]):
        cutoff = month
        if (real >= month.toordinal()).mean() >= HOLDOUT_SHARE:
            break
    return cutoff


# ------------------------------------------------------------------ evaluation on the hold-out


async def evaluate_holdout(conn: Conn, matcher: Matcher, data: Dataset, cutoff: date, rule: Rule,
                           progress: Progress = _quiet) -> dict[str, Any]:
    """The model and both baselines on the hold-out months (see evaluation.py for the definitions)."""
    train = data.subset((data.starts < cutoff.toordinal()) & ~data.weak)
    test = data.subset((data.starts >= cutoff.toordinal()) & ~data.weak)
    trade_column = FEATURE_NAMES.index("trade")
    wish_column = FEATURE_NAMES.index("wish_rank")
    popularity: dict[int, int] = defaultdict(int)
    for t in train.matrix[:, trade_column].astype(np.int64).tolist():
        popularity[t] += 1
    prior = float(train.labels.mean()) if len(train.labels) else 0.5
    by_trade = ev.rate_table(train.matrix[:, trade_column].astype(np.int64), train.labels, prior)
    by_wish = ev.rate_table(train.matrix[:, wish_column].astype(np.int64), train.labels, prior)
    brier = {
        "model": ev.brier(sigmoid(matcher.completion.example_logits(test.matrix)), test.labels),
        "popular_trade": ev.brier(ev.lookup(by_trade, test.matrix[:, trade_column].astype(np.int64), prior),
                                  test.labels),
        "first_wish": ev.brier(ev.lookup(by_wish, test.matrix[:, wish_column].astype(np.int64), prior), test.labels),
    }
    rows: dict[str, list[dict[str, Array]]] = {"model": [], "popular_trade": [], "first_wish": []}
    groups: list[Array] = [np.zeros(0, np.int64)] * 3
    ranked_people = ranked_sessions = 0
    end = int(test.starts.max()) if len(test.starts) else cutoff.toordinal()
    for county in sorted(set(test.county)):
        done = {(p, s) for c, p, s, y in zip(test.county, test.person_ids, test.session_ids, test.labels, strict=True)
                if c == county and y == 1}
        if not done:
            continue
        window = [r for r in data.sessions[county]
                  if cutoff.toordinal() <= r["starts_on"].toordinal() <= end and r["status"] != "draft"]
        people_ids = sorted({p for p, _ in done})
        person_rows = await registry.person_facts(conn, county, msgspec.structs.replace(rule, as_of=cutoff), people_ids)
        pairs = Pairs.of(People.from_rows(person_rows, cutoff), Sessions.from_rows(window))
        where_p = {p: i for i, p in enumerate(pairs.people.ids)}
        where_s = {s: j for j, s in enumerate(pairs.sessions.ids)}
        relevant = np.zeros((len(pairs.people), len(pairs.sessions)), dtype=bool)
        for p, s in done:
            relevant[where_p[p], where_s[s]] = True
        popular, first_wish = ev.baseline_scores(pairs, popularity)
        rows["model"].append(ev.per_person(matcher.log_probability(pairs), relevant))
        rows["popular_trade"].append(ev.per_person(popular, relevant))
        rows["first_wish"].append(ev.per_person(first_wish, relevant))
        groups = [np.concatenate([groups[0], pairs.people.sex]), np.concatenate([groups[1], pairs.people.ethnicity]),
                  np.concatenate([groups[2], pairs.people.disability])]
        ranked_people += len(pairs.people)
        ranked_sessions += len(pairs.sessions)
        progress(f"{county}：检验集 {len(pairs.people)} 人 × {len(pairs.sessions)} 个培训班")
    metrics: dict[str, Any] = {
        "holdout": {"from": cutoff.isoformat(), "to": date.fromordinal(end).isoformat(),
                    "examples": len(test.labels), "completed": int(test.labels.sum()),
                    "people_ranked": ranked_people, "sessions_ranked": ranked_sessions},
        "train": {"examples": len(train.labels), "completed": int(train.labels.sum()),
                  "weak_negatives": int(data.subset((data.starts < cutoff.toordinal()) & data.weak).labels.size)},
    }
    for name, parts in rows.items():
        metrics[name] = {**ev.summary(parts), "brier": round(brier[name], 4)}
    for name, parts in rows.items():
        hit3 = np.concatenate([p["hit@3"] for p in parts]) if parts else np.zeros(0)
        metrics[name]["gaps_hit@3"] = ev.group_gaps(hit3, *groups)
    model = metrics["model"]
    metrics["beats_baselines"] = bool(ranked_people > 0 and all(
        model["ndcg"] > metrics[b]["ndcg"] and model["brier"] < metrics[b]["brier"]
        for b in ("popular_trade", "first_wish")))
    return metrics


# ------------------------------------------------------------------ train and evaluate


@dataclass
class Trained:
    version: str
    name: str
    card: dict[str, Any]
    artifact_path: Path
    card_path: Path
    activated_for: str | None


async def train(conn: Conn, rule: Rule, *, counties: Sequence[str] | None, name: str, activate_if_better: bool,
                output_dir: Path, progress: Progress = _quiet) -> Trained:
    """Fit on the history before the hold-out months, evaluate on them against both baselines, write the
    artifact and its card, store the model, and make it active when it beats both baselines."""
    chosen = list(counties) if counties else await enrolment.counties_with_history(conn)
    progress("读取培训历史并构建特征…")
    history = await build_history(conn, chosen, rule, progress)
    data = history.completion
    cutoff = holdout_start(data)
    fitting = data.subset(data.starts < cutoff.toordinal())
    choosing = history.uptake.subset(history.uptake.starts < cutoff.toordinal())
    if len(set(fitting.labels.tolist())) < 2 or len(set(choosing.labels.tolist())) < 2:
        raise Conflict("留出检验集之前的历史里只有一种结果（全部结业或全部未结业），无法训练")
    progress(f"训练：{len(fitting.labels)} 条报名结果、{len(choosing.labels)} 条报名选择（{cutoff} 之前），"
             f"检验集从 {cutoff} 起…")
    completion, completion_reference = await asyncio.to_thread(fit, fitting.matrix, fitting.labels, fitting.weights)
    uptake, uptake_reference = await asyncio.to_thread(fit, choosing.matrix, choosing.labels, choosing.weights)
    artifact = dump(completion, completion_reference, uptake, uptake_reference)
    matcher = load(artifact)
    progress("在检验集上评估模型与两个基线…")
    metrics = await evaluate_holdout(conn, matcher, data, cutoff, rule, progress)
    created = datetime.now(UTC).replace(microsecond=0)
    version = f"{created:%Y%m%d%H%M%S}-{hashlib.sha256(artifact).hexdigest()[:8]}"
    card = model_card(name, version, created, chosen, history, completion, metrics)
    artifact_path, card_path = await asyncio.to_thread(write_model_files, output_dir, f"{name}-{version}", artifact,
                                                       card)
    await store_model(conn, artifact, card)
    target = chosen[0] if counties and len(chosen) == 1 else GLOBAL
    activated = None
    if activate_if_better and metrics["beats_baselines"]:
        await activate_system(conn, target, version)
        activated = target
    return Trained(version, name, card, artifact_path, card_path, activated)


def model_card(name: str, version: str, created: datetime, counties: list[str], history: History, pipeline: Any,
               metrics: dict[str, Any]) -> dict[str, Any]:
    data = history.completion
    real = ~data.weak
    return {
        "name": name, "version": version, "created_at": created.isoformat(),
        "task": "P(完成培训 | 推荐该培训班) = P(报名 | 推荐) × P(结业 | 报名)：对（人员，培训班）打分",
        "labels": {"completion": {"positive": "结业（未判定考核不合格）",
                                  "negative": "退出、除名、结业但考核不合格",
                                  "weak_negative": f"推荐过但开班前未报名（权重 {WEAK_WEIGHT}）"},
                   "uptake": {"positive": "报名了该培训班",
                              "negative": "同月开班、本人报了别的班而没报这个班；推荐过但未报名"}},
        "versions": {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
                     "numpy": np.__version__, "scipy": scipy.__version__, "skops": skops.__version__},
        "pipeline": {"completion": describe(pipeline), "uptake": "same pipeline, fitted on the uptake examples"},
        "features": [{"name": c.name, "kind": c.kind, "numeric": c.numeric} for c in COLUMNS],
        "training_data": {"counties": counties, "sha256": data.digest, "examples": len(data.labels),
                          "outcomes": int(real.sum()), "completed": int(data.labels[real].sum()),
                          "weak_negatives": int(data.weak.sum()),
                          "uptake_examples": len(history.uptake.labels),
                          "uptake_signed_up": int(history.uptake.labels.sum()),
                          "from": date.fromordinal(int(data.starts.min())).isoformat(),
                          "to": date.fromordinal(int(data.starts.max())).isoformat()},
        "metrics": metrics,
    }


async def evaluate_active(conn: Conn, rule: Rule, county_code: str | None,
                          progress: Progress = _quiet) -> tuple[str, dict[str, Any]]:
    """The county's (or the system-wide) active model on the hold-out split of the same history."""
    target = county_code or GLOBAL
    model = await MODELS.active(conn, target)
    counties = [county_code] if county_code else await enrolment.counties_with_history(conn)
    data = await build_dataset(conn, counties, rule, progress)
    cutoff = holdout_start(data)
    return model.version, await evaluate_holdout(conn, model.matcher, data, cutoff, rule, progress)


def format_report(version: str, metrics: dict[str, Any]) -> str:
    """The figures as a table for the terminal."""
    h = metrics["holdout"]
    lines = [f"模型 {version}：检验集 {h['from']} 至 {h['to']}，{h['examples']} 条报名（结业 {h['completed']}），"
             f"排序 {h['people_ranked']} 人 × {h['sessions_ranked']} 个培训班",
             f"{'':<16}{'hit@1':>8}{'hit@3':>8}{'hit@5':>8}{'NDCG':>8}{'Brier':>8}"]
    labels = {"model": "模型", "popular_trade": "基线：最热门工种", "first_wish": "基线：第一意向"}
    for key, label in labels.items():
        m = metrics[key]
        lines.append(f"{label:<12}" + "".join(f"{m[k]:>8.3f}" for k in ("hit@1", "hit@3", "hit@5", "ndcg", "brier")))
    lines.append("模型 hit@3 分组差距：")
    for group, pair in metrics["model"]["gaps_hit@3"].items():
        lines.append(f"  {group}: " + ", ".join(f"{k}={v}" for k, v in pair.items()))
    lines.append("优于两个基线" if metrics["beats_baselines"] else "未优于两个基线")
    return "\n".join(lines)
