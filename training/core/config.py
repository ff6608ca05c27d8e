"""Settings, read once from the environment and checked before anything starts.

Every setting has a default that works on a fresh machine: no DATABASE_URL means the embedded
PostgreSQL server under TRAINING_DATA_DIR. A value that cannot be used (an unknown time zone, an
attendance threshold of 80 meant as 80 %) stops the start with a message naming the variable and
what it accepts, instead of failing later in the middle of a request.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import secrets
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
import platformdirs

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Six calendar months are at most 184 days (1 July to 1 January); the database refuses to delete
# younger audit rows whatever the setting says.
AUDIT_RETENTION_MIN_DAYS = 184
DEFAULT_TIMEZONE = "Asia/Shanghai"
T = TypeVar("T")


def today_in(timezone: str | ZoneInfo) -> date:
    """The calendar day in `timezone`: the one source of "today" for business dates (service and tests)."""
    return datetime.now(timezone if isinstance(timezone, ZoneInfo) else ZoneInfo(timezone)).date()


def latest_today() -> date:
    """The latest calendar day anywhere (UTC+14): a bound for checks that have no county to ask."""
    return today_in("Pacific/Kiritimati")


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
    idempotency_ttl_hours: int = 24
    allocation_priority_weight: float = 0.0  # a batch counts a poor household member's or 两后生's completion 1+w times
    # `training serve` against slow clients (training.core.serving): seconds to send the headers, the
    # body, an idle kept-alive connection's life, and open connections at once.
    header_timeout_seconds: int = 10
    body_timeout_seconds: int = 120
    keep_alive_seconds: int = 5
    max_connections: int = 1000
    # The server cancels a statement after db_statement_timeout; the client gives up on any database call
    # (a query, a connection, waiting for a pooled connection) after db_command_timeout, which is longer,
    # so a slow query is the server's clean cancel and only a frozen or unreachable server hits the client's.
    db_statement_timeout: float = 15.0
    db_command_timeout: float = 20.0
    audit_retention_days: int = 1096  # never less than AUDIT_RETENTION_MIN_DAYS
    # Reverse proxies (addresses or networks) whose X-Forwarded-For is believed; nobody else's is.
    trusted_proxies: tuple[str, ...] = ()
    # Wrong passwords in a row from one client address that lock that address out of the name...
    login_lockout_failures: int = 5
    login_lockout_minutes: int = 15  # ...for this long (also how long the name's slowdown remembers failures)
    # Failures of a name from all addresses after which each attempt waits 1, 2, 4, ... seconds, up to the cap.
    login_slowdown_failures: int = 10
    login_slowdown_max_seconds: int = 60

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def today(self) -> date:
        """Today in the county's time zone: what "not started" and "not past" mean to a clerk."""
        return today_in(self.tz)


class SettingsError(ValueError):
    """Settings that cannot be used; `problems` names every bad variable and what it accepts."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("配置有误 (invalid settings):\n" + "\n".join(f"  - {p}" for p in problems))


class _Bad(ValueError):
    """One variable's value is unusable; the message says what is allowed."""


def _integer(low: int, high: int, unit: str) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise _Bad(f"应为 {low} 到 {high} 之间的整数{unit} (an integer from {low} to {high})") from None
        if not low <= value <= high:
            raise _Bad(f"应为 {low} 到 {high} 之间的整数{unit} (an integer from {low} to {high})")
        return value

    return parse


def _weight(raw: str) -> float:
    """How much more a priority person's expected completion counts in a batch: 0 (none) up to 10."""
    try:
        value = float(raw.strip())
    except ValueError:
        value = float("nan")
    if not 0 <= value <= 10:  # also refuses nan and inf
        raise _Bad("应为 0 到 10 之间的数，如 0.5 (a number from 0 to 10, e.g. 0.5)")
    return value


def _seconds(low: float, high: float) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            value = float("nan")
        if not low <= value <= high:  # also refuses nan and inf
            raise _Bad(f"应为 {low:g} 到 {high:g} 之间的秒数，如 15 (seconds, from {low:g} to {high:g})")
        return value

    return parse


def _fraction(raw: str) -> float:
    """A share such as 0.8, or a percentage written with its sign (80%); a bare 80 is refused, since
    it would silently demand 8000 % attendance."""
    text = raw.strip()
    percent = text.endswith(("%", "％"))
    try:
        value = float(text[:-1].strip() if percent else text)
    except ValueError:
        value = float("nan")
    if percent:
        value /= 100
    if not 0 < value <= 1:  # also refuses nan and inf
        raise _Bad("应为 0 到 1 之间的小数，如 0.8（或写成百分数 80%） (a fraction in (0, 1], e.g. 0.8, or 80%)")
    return value


def _age_range(raw: str) -> tuple[int, int]:
    low, dash, high = raw.strip().partition("-")
    try:
        ages = int(low), int(high)
    except ValueError:
        ages = (-1, -1)
    if not dash or not 0 <= ages[0] < ages[1] <= 100:
        raise _Bad("应为“起始年龄-截止年龄”，如 16-60，0 ≤ 起始 < 截止 ≤ 100 (a range like 16-60)")
    return ages


def _networks(raw: str) -> tuple[str, ...]:
    """Addresses or networks (CIDR), separated by commas or spaces: 10.0.0.5, 172.16.0.0/12, ::1."""
    found: list[str] = []
    for number, text in enumerate(raw.replace(",", " ").split(), 1):
        try:
            found.append(str(ipaddress.ip_network(text, strict=False)))
        except ValueError:
            raise _Bad(f"第 {number} 项“{text}”不是 IP 地址或网段，应如 127.0.0.1, 10.0.0.0/8 "
                       "(IP addresses or CIDR networks, comma-separated)") from None
    return tuple(found)


def _timezone(raw: str) -> str:
    name = raw.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _Bad("不是已知的时区，应为 IANA 时区名，如 Asia/Shanghai (an IANA time zone, e.g. Asia/Shanghai)") from None
    return name


def _database_url(raw: str) -> str:
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("postgresql", "postgres"):
        raise _Bad("应为 PostgreSQL 连接串，如 postgresql://用户@主机:5432/库名 (a postgresql:// URL)")
    return raw.strip()


def _directory(must_exist: bool) -> Callable[[str], Path]:
    def parse(raw: str) -> Path:
        path = Path(raw.strip()).expanduser()
        if path.exists() and not path.is_dir():
            raise _Bad("已存在但不是目录 (exists but is not a directory)")
        if must_exist and not path.is_dir():
            raise _Bad("目录不存在 (no such directory)")
        return path

    return parse


def _migrations_dir(raw: str) -> Path:
    path = _directory(must_exist=True)(raw)
    if not any(path.glob("*.sql")):
        raise _Bad("目录里没有迁移文件 NNNN_name.sql (no NNNN_name.sql migrations in it)")
    return path


def _secret_key_value(raw: str) -> str:
    if len(raw) < 32:
        raise _Bad("应至少 32 个字符（JWT 签名密钥） (at least 32 characters)")
    return raw


def _data_key(raw: str) -> str:
    try:
        key = base64.b64decode(raw.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise _Bad("应为 32 字节密钥的 base64 编码 (base64 of 32 bytes)，可用 training keys generate 生成")
    return raw


def _old_data_keys(raw: str) -> str:
    for number, text in enumerate(raw.replace(",", " ").split(), 1):
        try:
            _data_key(text)
        except _Bad as bad:
            raise _Bad(f"第 {number} 个密钥{bad}") from None
    return raw


class _Reader:
    """Reads variables, collecting every problem so that one start names all of them."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.problems: list[str] = []

    def get(self, name: str, parse: Callable[[str], T], default: T, *, secret: bool = False) -> T:
        raw = self.environ.get(name)
        if raw is None or raw.strip() == "":  # unset and empty both mean "the default"
            return default
        try:
            return parse(raw)
        except _Bad as bad:
            # A key or a DSN (it may hold a password) is never repeated back, even when it is wrong.
            self.problems.append(f"{name}：{bad}" if secret else f"{name}={raw!r}：{bad}")
            return default


def _secret_key(data_dir: Path) -> str:
    """The JWT signing key when TRAINING_SECRET_KEY is unset: generated once and kept under the data dir."""
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


# Every variable the service reads, for the README's table and the tests that try each one's bad values.
VARIABLES = (
    "DATABASE_URL", "TRAINING_DATA_DIR", "TRAINING_SECRET_KEY", "TRAINING_DATA_KEY", "TRAINING_DATA_KEYS_OLD",
    "TRAINING_LIANGHOUSHENG_YEARS",
    "TRAINING_ATTENDANCE_THRESHOLD", "TRAINING_TOKEN_TTL", "TRAINING_TIMEZONE", "TRAINING_LOGIN_RATE",
    "TRAINING_WORKING_AGE_MALE", "TRAINING_WORKING_AGE_FEMALE", "TRAINING_MIGRATIONS_DIR",
    "TRAINING_IDEMPOTENCY_TTL_HOURS", "TRAINING_ALLOCATION_PRIORITY_WEIGHT",
    "TRAINING_HEADER_TIMEOUT", "TRAINING_BODY_TIMEOUT", "TRAINING_KEEP_ALIVE", "TRAINING_MAX_CONNECTIONS",
    "TRAINING_DB_STATEMENT_TIMEOUT", "TRAINING_DB_COMMAND_TIMEOUT", "TRAINING_AUDIT_RETENTION_DAYS",
    "TRAINING_TRUSTED_PROXIES", "TRAINING_LOGIN_LOCKOUT_FAILURES", "TRAINING_LOGIN_LOCKOUT_MINUTES",
    "TRAINING_LOGIN_SLOWDOWN_FAILURES", "TRAINING_LOGIN_SLOWDOWN_MAX_SECONDS",
)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings from the environment; SettingsError lists every variable that cannot be used."""
    env = os.environ if environ is None else environ
    read = _Reader(env)
    data_dir = read.get("TRAINING_DATA_DIR", _directory(must_exist=False),
                        Path(platformdirs.user_data_dir("training")).expanduser())
    database_url = read.get("DATABASE_URL", _database_url, None, secret=True)
    secret_key = read.get("TRAINING_SECRET_KEY", _secret_key_value, None, secret=True)
    # Checked here so a bad key stops the start with the others; training.core.crypto reads them.
    read.get("TRAINING_DATA_KEY", _data_key, None, secret=True)
    read.get("TRAINING_DATA_KEYS_OLD", _old_data_keys, None, secret=True)
    token_ttl = read.get("TRAINING_TOKEN_TTL", _integer(60, 30 * 86400, " 秒"), 28800)
    timezone = read.get("TRAINING_TIMEZONE", _timezone, DEFAULT_TIMEZONE)
    login_rate = read.get("TRAINING_LOGIN_RATE", _integer(1, 100_000, " 次/分钟"), 30)
    migrations_dir = read.get("TRAINING_MIGRATIONS_DIR", _migrations_dir, PROJECT_ROOT / "migrations")
    male = read.get("TRAINING_WORKING_AGE_MALE", _age_range, (16, 60))
    female = read.get("TRAINING_WORKING_AGE_FEMALE", _age_range, (16, 55))
    lianghousheng_years = read.get("TRAINING_LIANGHOUSHENG_YEARS", _integer(1, 20, " 年"), 3)
    threshold = read.get("TRAINING_ATTENDANCE_THRESHOLD", _fraction, 0.8)
    idempotency_ttl = read.get("TRAINING_IDEMPOTENCY_TTL_HOURS", _integer(1, 24 * 90, " 小时"), 24)
    priority_weight = read.get("TRAINING_ALLOCATION_PRIORITY_WEIGHT", _weight, 0.0)
    header_timeout = read.get("TRAINING_HEADER_TIMEOUT", _integer(1, 300, " 秒"), 10)
    body_timeout = read.get("TRAINING_BODY_TIMEOUT", _integer(1, 3600, " 秒"), 120)
    keep_alive = read.get("TRAINING_KEEP_ALIVE", _integer(1, 300, " 秒"), 5)
    max_connections = read.get("TRAINING_MAX_CONNECTIONS", _integer(1, 100_000, " 个"), 1000)
    statement_timeout = read.get("TRAINING_DB_STATEMENT_TIMEOUT", _seconds(0.1, 3600), 15.0)
    command_timeout = read.get("TRAINING_DB_COMMAND_TIMEOUT", _seconds(0.2, 3600), 20.0)
    if command_timeout <= statement_timeout and not read.problems:
        read.problems.append(
            f"TRAINING_DB_COMMAND_TIMEOUT={command_timeout:g}：应大于 TRAINING_DB_STATEMENT_TIMEOUT={statement_timeout:g}"
            "，否则服务器还在执行时客户端就放弃了 (must exceed the statement timeout)")
    retention = read.get("TRAINING_AUDIT_RETENTION_DAYS", _integer(AUDIT_RETENTION_MIN_DAYS, 36500, " 天（审计日志至少保留六个月）"),
                         1096)
    trusted_proxies: tuple[str, ...] = read.get("TRAINING_TRUSTED_PROXIES", _networks, ())
    lockout_failures = read.get("TRAINING_LOGIN_LOCKOUT_FAILURES", _integer(1, 100, " 次"), 5)
    lockout_minutes = read.get("TRAINING_LOGIN_LOCKOUT_MINUTES", _integer(1, 24 * 60, " 分钟"), 15)
    slowdown_failures = read.get("TRAINING_LOGIN_SLOWDOWN_FAILURES", _integer(1, 10_000, " 次"), 10)
    slowdown_max = read.get("TRAINING_LOGIN_SLOWDOWN_MAX_SECONDS", _integer(1, 3600, " 秒"), 60)
    if read.problems:
        raise SettingsError(read.problems)
    return Settings(
        database_url=database_url, data_dir=data_dir, secret_key=secret_key or _secret_key(data_dir),
        token_ttl_seconds=token_ttl, timezone=timezone, login_rate_per_minute=login_rate,
        migrations_dir=migrations_dir, working_age_male=male, working_age_female=female,
        lianghousheng_years=lianghousheng_years, attendance_threshold=threshold,
        idempotency_ttl_hours=idempotency_ttl, allocation_priority_weight=priority_weight,
        header_timeout_seconds=header_timeout, body_timeout_seconds=body_timeout, keep_alive_seconds=keep_alive,
        max_connections=max_connections,
        db_statement_timeout=statement_timeout, db_command_timeout=command_timeout, audit_retention_days=retention,
        trusted_proxies=trusted_proxies, login_lockout_failures=lockout_failures,
        login_lockout_minutes=lockout_minutes, login_slowdown_failures=slowdown_failures,
        login_slowdown_max_seconds=slowdown_max,
    )
