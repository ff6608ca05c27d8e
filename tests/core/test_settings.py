"""Settings are checked when they are read: a value the service cannot use stops the start with a message
naming the variable and what it accepts, instead of failing later in the middle of a request."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from training.cli import EX_CONFIG, main
from training.core.config import PROJECT_ROOT, VARIABLES, Settings, SettingsError, load_settings

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
SECRET = {"DATABASE_URL", "TRAINING_SECRET_KEY", "TRAINING_DATA_KEY", "TRAINING_DATA_KEYS_OLD"}


def settings_from(tmp_path: Path, **env: str) -> Settings:
    return load_settings({"TRAINING_DATA_DIR": str(tmp_path / "data"), **env})


def problems_of(tmp_path: Path, **env: str) -> list[str]:
    with pytest.raises(SettingsError) as raised:
        settings_from(tmp_path, **env)
    return raised.value.problems


def test_the_defaults_work_on_a_fresh_machine(tmp_path: Path) -> None:
    settings = settings_from(tmp_path)
    assert (settings.timezone, settings.attendance_threshold, settings.token_ttl_seconds) == ("Asia/Shanghai", 0.8, 28800)
    assert (settings.working_age_male, settings.working_age_female, settings.lianghousheng_years) == ((16, 60), (16, 55), 3)
    assert settings.idempotency_ttl_hours == 24 and settings.database_url is None
    assert len(settings.secret_key) >= 32


def test_good_values_are_taken(tmp_path: Path) -> None:
    migrations = tmp_path / "m"
    migrations.mkdir()
    (migrations / "0001_x.sql").write_text("SELECT 1;")
    settings = settings_from(
        tmp_path, DATABASE_URL="postgresql://u@localhost:5432/training", TRAINING_SECRET_KEY="k" * 40,
        TRAINING_DATA_KEY=base64.b64encode(b"\1" * 32).decode(), TRAINING_LIANGHOUSHENG_YEARS="5",
        TRAINING_DATA_KEYS_OLD=" , ".join(base64.b64encode(bytes([n]) * 32).decode() for n in (2, 3)),
        TRAINING_ATTENDANCE_THRESHOLD="0.75", TRAINING_TOKEN_TTL="3600", TRAINING_TIMEZONE="Asia/Urumqi",
        TRAINING_LOGIN_RATE="10", TRAINING_WORKING_AGE_MALE="18-65", TRAINING_WORKING_AGE_FEMALE="18-60",
        TRAINING_MIGRATIONS_DIR=str(migrations), TRAINING_IDEMPOTENCY_TTL_HOURS="48", TRAINING_HEADER_TIMEOUT="5",
        TRAINING_BODY_TIMEOUT="300", TRAINING_KEEP_ALIVE="2", TRAINING_MAX_CONNECTIONS="200")
    assert settings.database_url == "postgresql://u@localhost:5432/training"
    assert settings.secret_key == "k" * 40 and settings.lianghousheng_years == 5
    assert (settings.attendance_threshold, settings.token_ttl_seconds, settings.timezone) == (0.75, 3600, "Asia/Urumqi")
    assert (settings.login_rate_per_minute, settings.working_age_male, settings.working_age_female) == (10, (18, 65), (18, 60))
    assert (settings.migrations_dir, settings.idempotency_ttl_hours) == (migrations, 48)
    assert (settings.header_timeout_seconds, settings.body_timeout_seconds, settings.keep_alive_seconds,
            settings.max_connections) == (5, 300, 2, 200)


@pytest.mark.parametrize("written", ["80%", "80 %", "80％"])
def test_an_attendance_threshold_written_as_a_percentage_is_a_fraction(tmp_path: Path, written: str) -> None:
    assert settings_from(tmp_path, TRAINING_ATTENDANCE_THRESHOLD=written).attendance_threshold == pytest.approx(0.8)


BAD_VALUES: list[tuple[str, str, str]] = [
    ("DATABASE_URL", "localhost:5432/training", "postgresql://"),
    ("DATABASE_URL", "mysql://u@h/db", "postgresql://"),
    ("DATABASE_URL", "mysql://admin:hunter2-secret@h/db", "postgresql://"),
    ("TRAINING_SECRET_KEY", "short", "32"),
    ("TRAINING_DATA_KEY", "not base64!", "base64"),
    ("TRAINING_DATA_KEY", base64.b64encode(b"sixteen bytes!!!").decode(), "32"),
    ("TRAINING_DATA_KEYS_OLD", base64.b64encode(b"\2" * 32).decode() + ",short", "第 2 个密钥"),
    ("TRAINING_LIANGHOUSHENG_YEARS", "three", "整数"),
    ("TRAINING_LIANGHOUSHENG_YEARS", "0", "1 到 20"),
    ("TRAINING_LIANGHOUSHENG_YEARS", "2.5", "整数"),
    ("TRAINING_ATTENDANCE_THRESHOLD", "80", "应为 0 到 1 之间的小数，如 0.8"),
    ("TRAINING_ATTENDANCE_THRESHOLD", "0", "0 到 1"),
    ("TRAINING_ATTENDANCE_THRESHOLD", "-0.5", "0 到 1"),
    ("TRAINING_ATTENDANCE_THRESHOLD", "150%", "0 到 1"),
    ("TRAINING_ATTENDANCE_THRESHOLD", "nan", "0 到 1"),
    ("TRAINING_ATTENDANCE_THRESHOLD", "八成", "0 到 1"),
    ("TRAINING_TOKEN_TTL", "8h", "整数"),
    ("TRAINING_TOKEN_TTL", "0", "60 到"),
    ("TRAINING_TIMEZONE", "Mars/Base", "Asia/Shanghai"),
    ("TRAINING_TIMEZONE", "/etc/passwd", "IANA"),
    ("TRAINING_TIMEZONE", "+08:00", "IANA"),
    ("TRAINING_LOGIN_RATE", "-1", "1 到"),
    ("TRAINING_LOGIN_RATE", "many", "整数"),
    ("TRAINING_WORKING_AGE_MALE", "60", "16-60"),
    ("TRAINING_WORKING_AGE_MALE", "60-16", "16-60"),
    ("TRAINING_WORKING_AGE_MALE", "16~60", "16-60"),
    ("TRAINING_WORKING_AGE_FEMALE", "16-200", "16-60"),
    ("TRAINING_WORKING_AGE_FEMALE", "a-b", "16-60"),
    ("TRAINING_MIGRATIONS_DIR", "/no/such/directory", "目录不存在"),
    ("TRAINING_IDEMPOTENCY_TTL_HOURS", "0", "1 到"),
    ("TRAINING_IDEMPOTENCY_TTL_HOURS", "1d", "整数"),
    ("TRAINING_ALLOCATION_PRIORITY_WEIGHT", "-1", "0 到 10"),
    ("TRAINING_ALLOCATION_PRIORITY_WEIGHT", "much", "0 到 10"),
    ("TRAINING_ALLOCATION_PRIORITY_WEIGHT", "nan", "0 到 10"),
    ("TRAINING_HEADER_TIMEOUT", "0", "1 到 300"),
    ("TRAINING_BODY_TIMEOUT", "5m", "整数"),
    ("TRAINING_KEEP_ALIVE", "301", "1 到 300"),
    ("TRAINING_MAX_CONNECTIONS", "0", "1 到 100000"),
    ("TRAINING_DB_STATEMENT_TIMEOUT", "0", "秒数"),
    ("TRAINING_DB_STATEMENT_TIMEOUT", "15s", "秒数"),
    ("TRAINING_DB_COMMAND_TIMEOUT", "inf", "秒数"),
    ("TRAINING_AUDIT_RETENTION_DAYS", "90", "184 到"),
    ("TRAINING_AUDIT_RETENTION_DAYS", "183", "至少保留六个月"),
    ("TRAINING_AUDIT_RETENTION_DAYS", "1y", "整数"),
    ("TRAINING_TRUSTED_PROXIES", "10.0.0.1, nginx", "第 2 项"),
    ("TRAINING_TRUSTED_PROXIES", "10.0.0.0/33", "IP 地址或网段"),
    ("TRAINING_LOGIN_LOCKOUT_FAILURES", "0", "1 到 100"),
    ("TRAINING_LOGIN_LOCKOUT_FAILURES", "five", "整数"),
    ("TRAINING_LOGIN_LOCKOUT_MINUTES", "0", "1 到 1440"),
    ("TRAINING_LOGIN_LOCKOUT_MINUTES", "15m", "整数"),
    ("TRAINING_LOGIN_SLOWDOWN_FAILURES", "0", "1 到 10000"),
    ("TRAINING_LOGIN_SLOWDOWN_MAX_SECONDS", "3601", "1 到 3600"),
]


@pytest.mark.parametrize(("variable", "value", "allowed"), BAD_VALUES)
def test_a_bad_value_is_refused_naming_the_variable_and_what_it_accepts(
        tmp_path: Path, variable: str, value: str, allowed: str) -> None:
    [problem] = problems_of(tmp_path, **{variable: value})
    assert problem.startswith(variable) and allowed in problem
    if variable in SECRET:  # a key or a DSN with its password is never repeated back
        assert value not in problem and not any(part in problem for part in value.split(",") if len(part) > 8)
    else:
        assert problem.startswith(f"{variable}={value!r}")


def test_every_variable_has_bad_values_tried_and_a_line_in_the_readme() -> None:
    assert {v for v, _, _ in BAD_VALUES} | {"TRAINING_DATA_DIR"} == set(VARIABLES)
    table = README.split("## Configuration", 1)[1].split("\n\n", 2)[1]
    named = set(re.findall(r"`((?:TRAINING|DATABASE)_[A-Z_]+)`", table))
    named |= {"TRAINING_WORKING_AGE" + suffix for suffix in re.findall(r"`(_[A-Z]+)`", table)}
    assert named == set(VARIABLES)


def test_database_timeouts_default_to_bounded_values_and_the_client_waits_longer_than_the_server(
        tmp_path: Path) -> None:
    settings = settings_from(tmp_path)
    assert (settings.db_statement_timeout, settings.db_command_timeout) == (15.0, 20.0)
    assert settings.audit_retention_days >= 184
    taken = settings_from(tmp_path, TRAINING_DB_STATEMENT_TIMEOUT="2.5", TRAINING_DB_COMMAND_TIMEOUT="4",
                          TRAINING_AUDIT_RETENTION_DAYS="184")
    assert (taken.db_statement_timeout, taken.db_command_timeout, taken.audit_retention_days) == (2.5, 4.0, 184)
    [problem] = problems_of(tmp_path, TRAINING_DB_STATEMENT_TIMEOUT="30", TRAINING_DB_COMMAND_TIMEOUT="30")
    assert problem.startswith("TRAINING_DB_COMMAND_TIMEOUT=30") and "应大于 TRAINING_DB_STATEMENT_TIMEOUT" in problem


def test_a_data_dir_that_is_a_file_or_migrations_without_sql_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a_file").write_text("x")
    (tmp_path / "empty").mkdir()
    problems = problems_of(tmp_path, TRAINING_DATA_DIR=str(tmp_path / "a_file"), TRAINING_MIGRATIONS_DIR=str(tmp_path / "empty"))
    assert [p.split("=")[0] for p in problems] == ["TRAINING_DATA_DIR", "TRAINING_MIGRATIONS_DIR"]
    assert "不是目录" in problems[0] and "NNNN_name.sql" in problems[1]
    assert not (tmp_path / "a_file" / "secret_key").exists()


def test_every_bad_variable_is_named_at_once(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, TRAINING_TIMEZONE="Mars/Base", TRAINING_ATTENDANCE_THRESHOLD="80",
                           TRAINING_TOKEN_TTL="soon")
    assert sorted(p.split("=")[0] for p in problems) == [
        "TRAINING_ATTENDANCE_THRESHOLD", "TRAINING_TIMEZONE", "TRAINING_TOKEN_TTL"]


def test_empty_means_the_default(tmp_path: Path) -> None:
    assert settings_from(tmp_path, TRAINING_TIMEZONE="", TRAINING_TOKEN_TTL=" ").timezone == "Asia/Shanghai"


@pytest.mark.parametrize("command", [["serve"], ["migrate"], ["demo"], ["ledger", "export", "--user", "x"]])
def test_commands_stop_before_starting_with_the_message_and_no_traceback(tmp_path: Path, command: list[str]) -> None:
    runner = CliRunner(env={"TRAINING_DATA_DIR": str(tmp_path), "TRAINING_TIMEZONE": "Mars/Base",
                            "TRAINING_ATTENDANCE_THRESHOLD": "80", "DATABASE_URL": None})
    result = runner.invoke(main, command)
    assert result.exit_code == EX_CONFIG, result.output
    assert "TRAINING_TIMEZONE='Mars/Base'" in result.output and "不是已知的时区" in result.output
    assert "TRAINING_ATTENDANCE_THRESHOLD='80'" in result.output and "如 0.8" in result.output
    assert not (tmp_path / "pgdata").exists()  # the database was never started


def test_the_installed_command_prints_no_traceback(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "TRAINING_DATA_DIR": str(tmp_path), "TRAINING_TIMEZONE": "Mars/Base"}
    done = subprocess.run([sys.executable, "-m", "training.cli", "migrate"], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == EX_CONFIG
    assert "TRAINING_TIMEZONE='Mars/Base'" in done.stderr and "Traceback" not in done.stderr + done.stdout
