"""Settings, read once from the environment.

Every setting has a default that works on a fresh machine: no DATABASE_URL means the embedded
PostgreSQL server under TRAINING_DATA_DIR.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec
import platformdirs

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str | None
    data_dir: Path
    secret_key: str
    token_ttl_seconds: int
    timezone: str
    login_rate_per_minute: int
    migrations_dir: Path
    working_age_male: tuple[int, int]
    working_age_female: tuple[int, int]
    lianghousheng_years: int = 3
    attendance_threshold: float = 0.8
    allocation_priority_weight: float = 0.0  # a batch counts a poor household member's or 两后生's completion 1+w times

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _age_range(raw: str | None, default: tuple[int, int]) -> tuple[int, int]:
    if not raw:
        return default
    low, _, high = raw.partition("-")
    return int(low), int(high)


def _secret_key(data_dir: Path) -> str:
    """The JWT signing key: from the environment, else generated once and kept under the data dir."""
    if key := os.environ.get("TRAINING_SECRET_KEY"):
        return key
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Created with owner-only permissions before the key is written.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def load_settings() -> Settings:
    data_dir = Path(os.environ.get("TRAINING_DATA_DIR") or platformdirs.user_data_dir("training")).expanduser()
    return Settings(
        database_url=os.environ.get("DATABASE_URL") or None,
        data_dir=data_dir,
        secret_key=_secret_key(data_dir),
        token_ttl_seconds=int(os.environ.get("TRAINING_TOKEN_TTL", "28800")),
        timezone=os.environ.get("TRAINING_TIMEZONE", "Asia/Shanghai"),
        login_rate_per_minute=int(os.environ.get("TRAINING_LOGIN_RATE", "30")),
        migrations_dir=Path(os.environ.get("TRAINING_MIGRATIONS_DIR") or PROJECT_ROOT / "migrations"),
        working_age_male=_age_range(os.environ.get("TRAINING_WORKING_AGE_MALE"), (16, 60)),
        working_age_female=_age_range(os.environ.get("TRAINING_WORKING_AGE_FEMALE"), (16, 55)),
        lianghousheng_years=int(os.environ.get("TRAINING_LIANGHOUSHENG_YEARS", "3")),
        attendance_threshold=float(os.environ.get("TRAINING_ATTENDANCE_THRESHOLD", "0.8")),
        allocation_priority_weight=float(os.environ.get("TRAINING_ALLOCATION_PRIORITY_WEIGHT", "0")),
    )
