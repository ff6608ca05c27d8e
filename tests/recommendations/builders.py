"""People with needs surveys and sessions for the recommendation tests, made through the API."""

from __future__ import annotations

import itertools
import uuid
from datetime import date, timedelta
from typing import Any

from tests.conftest import Api
from tests.helpers import published_session, today
from tests.registry.test_households import create, id_number, member, years_ago
from tests.seed import ELECTRICIAN, KEY_VILLAGE

_counter = itertools.count()


async def person(api: Api, name: str = "阿木", *, village: str = KEY_VILLAGE, wants: list[str] | None = None,
                 poverty: str = "ordinary", age: int = 30, as_: str = "surveyor_a", **overrides: Any) -> str:
    """One working-age person in a household of their own, with a needs survey when `wants` is given."""
    n = next(_counter)
    number = id_number(years_ago(age) - timedelta(days=n // 80), 10 + n % 80)
    h = await create(api, as_=as_, village_code=village, household_no=f"R-{uuid.uuid4().hex[:8]}",
                     poverty_status=poverty, lifted_year=2019 if poverty == "lifted" else None, head_name=name,
                     members=[member(name, number, relation="户主", **overrides)])
    person_id: str = h["members"][0]["id"]
    if wants is not None:
        response = await api.post(f"/api/people/{person_id}/surveys", as_, json={
            "surveyed_on": today().isoformat(), "desired_trades": wants})
        assert response.status_code == 201, response.text
    return person_id


async def lianghousheng(api: Api, name: str, *, wants: list[str] | None = None) -> str:
    """A 两后生: a lifted household's child who left 初中 last year."""
    return await person(api, name, wants=wants, poverty="lifted", age=17, left_school_year=today().year - 1)


async def session(api: Api, **kwargs: Any) -> dict[str, Any]:
    return await published_session(api, **kwargs)


def born(age: int) -> date:
    return years_ago(age)


__all__ = ["ELECTRICIAN", "born", "lianghousheng", "person", "session"]
