"""The service's "today" is the day in its configured zone, whatever the machine's zone is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import make_settings
from tests.registry.test_households import id_number
from training.core.idcard import IdCardError, parse_id_number


@pytest.mark.parametrize(("zone", "hours"), [("Pacific/Kiritimati", 14), ("Pacific/Pago_Pago", -11), ("Asia/Shanghai", 8)])
def test_today_is_the_day_in_the_configured_zone(tmp_path: Path, zone: str, hours: int) -> None:
    before = (datetime.now(UTC) + timedelta(hours=hours)).date()
    today = make_settings(tmp_path, timezone=zone).today()
    after = (datetime.now(UTC) + timedelta(hours=hours)).date()
    assert today in (before, after)


def test_an_id_number_born_after_the_countys_today_is_refused() -> None:
    today = make_settings(Path("/nonexistent")).today()
    assert parse_id_number(id_number(today), today).birth_date == today
    with pytest.raises(IdCardError, match="在今天之后"):
        parse_id_number(id_number(today + timedelta(days=1)), today)
    # Without the county's day only a date in the future everywhere on Earth is refused.
    with pytest.raises(IdCardError, match="在今天之后"):
        parse_id_number(id_number(today + timedelta(days=2)))
