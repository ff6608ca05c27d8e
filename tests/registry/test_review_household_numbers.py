"""Review: automatic 户编号 against what clerks may type in the same pattern."""

from __future__ import annotations

import pytest

from tests.conftest import Api
from tests.registry.test_household_numbers import household
from tests.seed import KEY_VILLAGE


@pytest.mark.parametrize("digits", [9, 18, 27])
async def test_a_typed_number_in_the_assigned_pattern_never_blocks_the_villages_next_numbers(
        api: Api, digits: int) -> None:
    """Regression: the next number was the largest 4-9 digit sequence + 1. A typed (or imported)
    513435103201-999999999 made the next one a 10-digit sequence, which the next look-up did not see:
    from then on every registration without a typed number in that village was refused with 409."""
    typed = f"{KEY_VILLAGE}-{'9' * digits}"
    first = await api.post("/api/households", "surveyor_a", json=household(KEY_VILLAGE, 1, typed))
    assert first.status_code == 201, first.text
    assigned = []
    for serial in (2, 3, 4):
        response = await api.post("/api/households", "surveyor_a", json=household(KEY_VILLAGE, serial))
        assert response.status_code == 201, response.text
        assigned.append(response.json()["household_no"])
    assert len(set(assigned) | {typed}) == 4
