"""GET /api/models and POST /api/models/{version}/activate: who may read and switch, per-county activation
audited, and every running app instance scoring with the newly active model within seconds."""

from __future__ import annotations

import time
from datetime import date
from uuid import UUID

import asyncpg
import pytest

from tests.conftest import Api, serving
from tests.helpers import assert_problem, published_session, today
from tests.matching.quick import store_quick_model
from tests.registry.test_households import id_number
from tests.seed import COUNTY_A, COUNTY_C, KEY_VILLAGE, SEED
from training.core.config import Settings
from training.core.crypto import Vault
from training.core.rules import Rule
from training.core.security import Principal
from training.matching import service
from training.registry import service as registry
from training.registry.schemas import HouseholdCreate, MemberCreate


async def active(api: Api, as_: str) -> str | None:
    response = await api.get("/api/models", as_)
    assert response.status_code == 200, response.text
    chosen = [m["version"] for m in response.json() if m["active"]]
    return chosen[0] if chosen else None


@pytest.mark.parametrize("who", ["school_a", "surveyor_a"])
async def test_schools_and_surveyors_may_not_see_or_switch_models(api: Api, conn: asyncpg.Connection, who: str) -> None:
    version = await store_quick_model(conn, 1)
    assert_problem(await api.get("/api/models", who), 403)
    assert_problem(await api.post(f"/api/models/{version}/activate", who), 403)


async def test_officials_read_models_with_their_figures_but_may_not_switch(api: Api, conn: asyncpg.Connection) -> None:
    v1, v2 = await store_quick_model(conn, 1), await store_quick_model(conn, 2)
    response = await api.get("/api/models", "official_a")
    assert response.status_code == 200
    listed = {m["version"]: m for m in response.json()}
    assert {v1, v2} <= set(listed)
    assert listed[v2]["metrics"]["model"]["ndcg"] == 0.52 and listed[v2]["trained_on"] == [COUNTY_A]
    assert "artifact" not in listed[v2]
    assert_problem(await api.post(f"/api/models/{v1}/activate", "official_a"), 403)


async def test_a_county_admin_switches_its_own_county_back_and_forth_and_each_switch_is_audited(
        api: Api, conn: asyncpg.Connection) -> None:
    v1, v2 = await store_quick_model(conn, 1), await store_quick_model(conn, 2)
    shipped = await active(api, "official_c")  # the system-wide default (the shipped model, if any)
    for version in (v1, v2, v1):
        response = await api.post(f"/api/models/{version}/activate", "admin_a")
        assert response.status_code == 200, response.text
        assert response.json()["active"] is True and COUNTY_A in response.json()["active_in"]
        assert await active(api, "official_a") == version
    # The other county keeps what it had.
    assert await active(api, "official_c") == shipped
    audit = await conn.fetch("""SELECT changes FROM audit_log WHERE county_code = $1 AND object_type = 'model'
                                ORDER BY id""", COUNTY_A)
    assert [(a["changes"]["from"], a["changes"]["to"]) for a in audit] == [(shipped, v1), (v1, v2), (v2, v1)]

    # Not another county's, not the system-wide default; an unknown version is a 404.
    assert_problem(await api.post(f"/api/models/{v2}/activate", "admin_a", json={"county_code": COUNTY_C}), 403)
    assert_problem(await api.post(f"/api/models/{v2}/activate", "admin_a", json={"county_code": "000000"}), 403)
    assert_problem(await api.post("/api/models/no-such-model/activate", "admin_a"), 404)
    assert await active(api, "official_c") == shipped

    # A system admin switches the system-wide default, which counties without a choice follow.
    response = await api.post(f"/api/models/{v2}/activate", "sysadmin")
    assert response.status_code == 200 and "000000" in response.json()["active_in"]
    assert await active(api, "official_c") == v2 and await active(api, "official_a") == v1


async def test_a_model_whose_artifact_holds_an_untrusted_type_is_never_activated(
        api: Api, conn: asyncpg.Connection) -> None:
    import os

    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    await conn.execute(
        """INSERT INTO models (version, name, artifact, card, metrics, beats_baselines)
           VALUES ('crafted-1', 'crafted', $1, '{}', '{}', true)""",
        sio.dumps({"format": 2, "completion": FunctionTransformer(os.system)}))
    body = assert_problem(await api.post("/api/models/crafted-1/activate", "admin_a"), 400)
    assert "不受信任的类型" in body["detail"]
    assert await conn.fetchval("SELECT count(*) FROM active_models WHERE version = 'crafted-1'") == 0


async def test_every_running_instance_scores_with_the_newly_active_model_within_seconds(
        database: str, settings: Settings, conn: asyncpg.Connection) -> None:
    v1, v2 = await store_quick_model(conn, 1), await store_quick_model(conn, 2)
    admin = Principal(id=SEED.users["admin_a"], username="admin_a", role="admin", county_code=COUNTY_A,
                      school_id=None, region_codes=(COUNTY_A + "000000",))
    rule = Rule(as_of=today(), years=3, male=(16, 60), female=(16, 55))
    household = await registry.create_household(conn, admin, Vault.from_data_dir(settings.data_dir), rule,
                                                HouseholdCreate(village_code=KEY_VILLAGE, head_name="吉克",
                                                                poverty_status="lifted", members=[MemberCreate(
                                                                    name="吉克", id_number=id_number(date(1990, 4, 1), 71),
                                                                    relation="户主", education="71", in_school=False,
                                                                    labour_capacity="full", work_status="farming")]))
    person = household.members[0].id
    async with serving(database, settings) as first, serving(database, settings) as second:
        session = await published_session(first)
        # Two processes: each instance keeps its own loaded models.
        caches = {id(first): service.ModelCache(), id(second): service.ModelCache()}

        async def version_seen_by(api: Api) -> str:
            async with api.app.state.pool.acquire() as pooled:
                scores = await service.score(pooled, COUNTY_A, [person], [UUID(session["id"])], as_of=today(),
                                             models=caches[id(api)])
            assert scores.probability.shape == (1, 1)
            return scores.model_version

        assert (await first.post(f"/api/models/{v1}/activate", "admin_a")).status_code == 200
        assert await version_seen_by(first) == v1 and await version_seen_by(second) == v1

        assert (await first.post(f"/api/models/{v2}/activate", "admin_a")).status_code == 200
        started = time.monotonic()
        while await version_seen_by(second) != v2:
            assert time.monotonic() - started < 5, "the second instance still scores with the old model"
        assert await version_seen_by(first) == v2

        # And back.
        assert (await second.post(f"/api/models/{v1}/activate", "admin_a")).status_code == 200
        assert await version_seen_by(first) == v1
