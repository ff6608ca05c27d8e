"""The `training` command, run the way an administrator runs it: DATABASE_URL names the database,
TRAINING_DATA_DIR a private directory, and everything it writes is checked in the database itself.

The command runs its own event loop (asyncio.run), so each invocation runs in a worker thread while
the test's loop keeps the `api` fixture alive.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from click.testing import CliRunner, Result

from tests import helpers
from tests.conftest import Api
from tests.seed import SEED
from training.auth.cache import STALE_SECONDS
from training.cli import main
from training.core.config import PROJECT_ROOT

COMMANDS = ["serve", "migrate", "users", "regions", "demo"]
GOOD_PASSWORD = "a-good-password"
NEW_TOWNSHIP, NEW_VILLAGE = "513435300000", "513435300200"


def run_cli(database: str, data_dir: Path, *args: str, input: str | bytes | None = None) -> Result:
    runner = CliRunner(env={"DATABASE_URL": database, "TRAINING_DATA_DIR": str(data_dir),
                            "TRAINING_MIGRATIONS_DIR": None, "TRAINING_SECRET_KEY": None})
    return runner.invoke(main, list(args), input=input)


async def training(database: str, data_dir: Path, *args: str, input: str | bytes | None = None) -> Result:
    """`training ARGS...` against `database`, in a thread (the command starts its own event loop)."""
    return await asyncio.to_thread(run_cli, database, data_dir, *args, input=input)


def assert_failed(result: Result, *fragments: str) -> None:
    """A refusal: non-zero exit, no Python traceback, and every fragment of the message printed."""
    assert result.exit_code != 0, result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        pytest.fail(f"crashed instead of explaining: {result.exception!r}\n{result.output}")
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, result.output


# ---------------------------------------------------------------- help


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])

    assert result.exit_code == 0, result.output
    for command in COMMANDS:
        assert re.search(rf"^\s+{command}\s", result.output, re.MULTILINE), f"{command} missing:\n{result.output}"
    assert "DATABASE_URL" in result.output


@pytest.mark.parametrize(("args", "explains"), [
    (["serve"], ["--host", "--port", "--demo"]),
    (["migrate"], ["NNNN_name.sql", "advisory"]),
    (["demo"], ["513435", "Idempotent", "--reset-passwords", "演示账号设置新密码"]),
    (["users"], ["add", "list", "disable", "enable", "reset-password", "账号管理"]),
    (["users", "list"], ["列出所有账号", "list every account"]),
    (["users", "disable"], ["USERNAME", "停用", "tokens stop working"]),
    (["users", "enable"], ["USERNAME", "启用"]),
    (["users", "reset-password"], ["USERNAME", "--password-stdin", "重置密码", "old tokens"]),
    (["users", "add"], ["USERNAME", "--role", "admin|official|school|surveyor", "--school", "--region",
                        "--password-stdin"]),
    (["regions"], ["load"]),
    (["regions", "load"], ["FILE", "code,name,parent_code,level,key_poverty", "All-or-nothing"]),
], ids=["serve", "migrate", "demo", "users", "users list", "users disable", "users enable", "users reset-password",
        "users add", "regions", "regions load"])
def test_every_command_explains_itself(args: list[str], explains: list[str]) -> None:
    for flag in ("--help", "-h"):
        result = CliRunner().invoke(main, [*args, flag])
        assert result.exit_code == 0, result.output
        assert result.output.startswith("Usage: ")
        for text in explains:
            assert text in result.output, f"{args} {flag} does not mention {text}:\n{result.output}"


# ---------------------------------------------------------------- migrate


async def test_migrate_on_an_up_to_date_database_says_so(database: str, tmp_path: Path,
                                                         conn: asyncpg.Connection) -> None:
    before = await conn.fetch("SELECT version, checksum, applied_at FROM schema_migrations ORDER BY version")

    result = await training(database, tmp_path, "migrate")

    assert result.exit_code == 0, result.output
    assert "数据库已是最新" in result.output
    assert "已应用" not in result.output
    assert await conn.fetch("SELECT version, checksum, applied_at FROM schema_migrations ORDER BY version") == before


def migrations_copy(tmp_path: Path) -> Path:
    directory = tmp_path / "migrations"
    shutil.copytree(PROJECT_ROOT / "migrations", directory)
    return directory


async def migrate_with(database: str, tmp_path: Path, migrations: Path) -> Result:
    runner = CliRunner(env={"DATABASE_URL": database, "TRAINING_DATA_DIR": str(tmp_path),
                            "TRAINING_MIGRATIONS_DIR": str(migrations)})
    return await asyncio.to_thread(runner.invoke, main, ["migrate"])


async def test_migrate_applies_a_pending_migration_and_names_it(database: str, tmp_path: Path,
                                                                conn: asyncpg.Connection) -> None:
    migrations = migrations_copy(tmp_path)
    (migrations / "9000_add_notes.sql").write_text("CREATE TABLE notes (county_code text, body text);\n")

    result = await migrate_with(database, tmp_path, migrations)

    assert result.exit_code == 0, result.output
    assert "已应用 9000_add_notes.sql" in result.output
    assert "共应用 1 个迁移" in result.output
    assert await conn.fetchval("SELECT name FROM schema_migrations WHERE version = 9000") == "add_notes"


async def test_migrate_reports_an_edited_migration_as_a_migration_error(database: str, tmp_path: Path) -> None:
    migrations = migrations_copy(tmp_path)
    edited = migrations / "0001_foundation.sql"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n-- edited\n", encoding="utf-8")

    result = await migrate_with(database, tmp_path, migrations)

    assert result.exit_code == 2, result.output
    assert "迁移错误" in result.output
    assert "0001_foundation.sql" in result.output


async def test_migrate_reports_a_failing_migration_by_file_without_a_traceback(
        database: str, tmp_path: Path, conn: asyncpg.Connection) -> None:
    migrations = migrations_copy(tmp_path)
    (migrations / "9000_half_done.sql").write_text("CREATE TABLE half_done (id integer);\nSELECT 1 / 0;\n")

    result = await migrate_with(database, tmp_path, migrations)

    assert_failed(result, "迁移错误", "9000_half_done.sql")
    assert result.exit_code == 2
    assert await conn.fetchval("SELECT to_regclass('public.half_done')") is None
    assert await conn.fetchval("SELECT count(*) FROM schema_migrations WHERE version = 9000") == 0


# ---------------------------------------------------------------- users add


async def test_users_add_creates_a_school_account_that_can_log_in(database: str, tmp_path: Path,
                                                                  conn: asyncpg.Connection, api: Api) -> None:
    result = await training(database, tmp_path, "users", "add", "clerk_a", "--role", "school",
                            "--school", str(SEED.schools["A"]), "--password-stdin", input=GOOD_PASSWORD + "\n")

    assert result.exit_code == 0, result.output
    assert "已创建账号 clerk_a" in result.output
    row = await conn.fetchrow("SELECT * FROM users WHERE username = 'clerk_a'")
    assert row is not None
    assert (row["role"], row["school_id"], row["county_code"], row["active"]) == (
        "school", SEED.schools["A"], "513435", True)
    assert row["password_hash"].startswith("$argon2")
    assert GOOD_PASSWORD not in row["password_hash"]
    assert str(row["id"]) in result.output
    assert GOOD_PASSWORD not in result.output

    login = await api.post("/api/auth/token", None, json={"username": "clerk_a", "password": GOOD_PASSWORD})
    assert login.status_code == 200, login.text
    assert login.json()["role"] == "school"
    me = await api.http.get("/api/auth/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"})
    assert me.status_code == 200, me.text
    assert me.json()["school_id"] == str(SEED.schools["A"])


async def test_users_add_gives_an_official_the_county_of_its_regions(database: str, tmp_path: Path,
                                                                     conn: asyncpg.Connection) -> None:
    result = await training(database, tmp_path, "users", "add", "official_new", "--role", "official",
                            "--region", "513435103000", "--region", "513435100000", "--password-stdin",
                            input=GOOD_PASSWORD + "\n")

    assert result.exit_code == 0, result.output
    row = await conn.fetchrow("SELECT * FROM users WHERE username = 'official_new'")
    assert row is not None
    assert row["county_code"] == "513435"
    assert row["region_codes"] == ["513435100000", "513435103000"]
    assert row["school_id"] is None


USERS_ADD_REFUSALS = {
    "short password": (["newbie", "--role", "surveyor", "--region", "513435103201"], "short77\n",
                       ["密码至少 8 个字符"]),
    "official without --region": (["newbie", "--role", "official"], GOOD_PASSWORD + "\n",
                                  ["必须指定至少一个区划", "--region"]),
    "surveyor without --region": (["newbie", "--role", "surveyor"], GOOD_PASSWORD + "\n",
                                  ["必须指定至少一个区划"]),
    "unknown region code": (["newbie", "--role", "official", "--region", "513435999000"], GOOD_PASSWORD + "\n",
                            ["区划代码 513435999000 不存在"]),
    "school role without --school": (["newbie", "--role", "school"], GOOD_PASSWORD + "\n",
                                     ["学校账号必须指定学校", "--school"]),
    "unknown school": (["newbie", "--role", "school", "--school", "00000000-0000-4000-8000-000000000000"],
                       GOOD_PASSWORD + "\n", ["学校不存在"]),
    "county admin over two counties": (["newbie", "--role", "admin", "--region", "513435000000",
                                        "--region", "513436000000"], GOOD_PASSWORD + "\n", ["只能属于一个县"]),
    "--school on a non-school account": (["newbie", "--role", "official", "--region", "513435000000",
                                         "--school", "<school A>"], GOOD_PASSWORD + "\n",
                                        ["只有学校账号才能指定学校"]),
    "duplicate username": (["school_a", "--role", "official", "--region", "513435000000"], GOOD_PASSWORD + "\n",
                           ["用户名 school_a 已存在"]),
    "duplicate username in other case": (["School_A", "--role", "official", "--region", "513435000000"],
                                         GOOD_PASSWORD + "\n", ["已存在"]),
}


@pytest.mark.parametrize(("args", "stdin", "message"), list(USERS_ADD_REFUSALS.values()),
                         ids=list(USERS_ADD_REFUSALS))
async def test_users_add_refuses_with_a_chinese_message_and_creates_nothing(
        database: str, tmp_path: Path, conn: asyncpg.Connection, args: list[str], stdin: str,
        message: list[str]) -> None:
    before = await conn.fetch("SELECT id, username, password_hash FROM users ORDER BY id")
    args = [str(SEED.schools["A"]) if arg == "<school A>" else arg for arg in args]

    result = await training(database, tmp_path, "users", "add", *args, "--password-stdin", input=stdin)

    assert_failed(result, "错误", *message)
    assert await conn.fetch("SELECT id, username, password_hash FROM users ORDER BY id") == before


@pytest.mark.parametrize("username", ["张三", "zhang san", "z", "x" * 65])
async def test_users_add_refuses_a_username_it_cannot_store_with_a_chinese_message(
        database: str, tmp_path: Path, conn: asyncpg.Connection, username: str) -> None:
    before = await conn.fetchval("SELECT count(*) FROM users")

    result = await training(database, tmp_path, "users", "add", username, "--role", "admin", "--password-stdin",
                            input=GOOD_PASSWORD + "\n")

    assert_failed(result, "错误", "用户名应为")
    assert await conn.fetchval("SELECT count(*) FROM users") == before


async def test_users_add_lists_every_problem_at_once(database: str, tmp_path: Path,
                                                     conn: asyncpg.Connection) -> None:
    result = await training(database, tmp_path, "users", "add", "newbie", "--role", "official", "--password-stdin",
                            input="short\n")

    assert_failed(result, "密码至少 8 个字符", "必须指定至少一个区划")
    assert await conn.fetchval("SELECT count(*) FROM users WHERE username = 'newbie'") == 0


async def test_users_add_without_password_stdin_is_a_usage_error(database: str, tmp_path: Path,
                                                                 conn: asyncpg.Connection) -> None:
    result = await training(database, tmp_path, "users", "add", "newbie", "--role", "admin", input="x" * 12)

    assert result.exit_code == 2, result.output
    assert "--password-stdin" in result.output
    assert await conn.fetchval("SELECT count(*) FROM users WHERE username = 'newbie'") == 0


# ---------------------------------------------------------------- regions load

HEADER = "code,name,parent_code,level,key_poverty,lat,lon\n"
GOOD_ROWS = (f"{NEW_TOWNSHIP},阿嘎乡,513435000000,township,false,29.01,102.70\n"
             f"{NEW_VILLAGE},阿嘎村,{NEW_TOWNSHIP},village,true,29.02,102.71\n")


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


async def regions_snapshot(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch("SELECT * FROM regions ORDER BY code")]


async def test_regions_load_adds_a_township_and_its_village(database: str, tmp_path: Path,
                                                           conn: asyncpg.Connection) -> None:
    before = await conn.fetchval("SELECT count(*) FROM regions")

    result = await training(database, tmp_path, "regions", "load", str(write(tmp_path, "r.csv", HEADER + GOOD_ROWS)))

    assert result.exit_code == 0, result.output
    assert "新增 2，更新 0" in result.output
    assert await conn.fetchval("SELECT count(*) FROM regions") == before + 2
    rows = {r["code"]: r for r in await conn.fetch(
        "SELECT * FROM regions WHERE code = ANY($1::text[])", [NEW_TOWNSHIP, NEW_VILLAGE])}
    assert (rows[NEW_TOWNSHIP]["name"], rows[NEW_TOWNSHIP]["parent_code"], rows[NEW_TOWNSHIP]["level"],
            rows[NEW_TOWNSHIP]["key_poverty"]) == ("阿嘎乡", "513435000000", "township", False)
    assert (rows[NEW_VILLAGE]["name"], rows[NEW_VILLAGE]["parent_code"], rows[NEW_VILLAGE]["level"],
            rows[NEW_VILLAGE]["key_poverty"], rows[NEW_VILLAGE]["county_code"]) == (
        "阿嘎村", NEW_TOWNSHIP, "village", True, "513435")
    assert (rows[NEW_VILLAGE]["lat"], rows[NEW_VILLAGE]["lon"]) == (29.02, 102.71)


async def test_reloading_regions_updates_them_instead_of_duplicating(database: str, tmp_path: Path,
                                                                    conn: asyncpg.Connection) -> None:
    first = await training(database, tmp_path, "regions", "load", str(write(tmp_path, "r.csv", HEADER + GOOD_ROWS)))
    assert first.exit_code == 0, first.output
    count = await conn.fetchval("SELECT count(*) FROM regions")
    renamed = GOOD_ROWS.replace("阿嘎村", "阿嘎新村").replace("village,true", "village,false")

    again = await training(database, tmp_path, "regions", "load", str(write(tmp_path, "r2.csv", HEADER + renamed)))

    assert again.exit_code == 0, again.output
    assert "新增 0，更新 2" in again.output
    assert await conn.fetchval("SELECT count(*) FROM regions") == count
    village = await conn.fetchrow("SELECT name, key_poverty FROM regions WHERE code = $1", NEW_VILLAGE)
    assert village is not None
    assert (village["name"], village["key_poverty"]) == ("阿嘎新村", False)


# Each file: two good rows (lines 2 and 3), then one bad row on line 4.
BAD_ROWS = {
    "bad code": "51343530020,短码村,513435300000,village,false,,\n",
    "village under the wrong parent": "513435300201,错父村,513435100000,village,false,,\n",
    "level does not match the code": "513435300201,错层村,513435300000,township,false,,\n",
    "parent exists nowhere": "513435301200,孤村,513435301000,village,false,,\n",
    "code repeated in the file": f"{NEW_VILLAGE},重复村,{NEW_TOWNSHIP},village,false,,\n",
}


def blamed_lines(output: str) -> set[int]:
    """The lines the error list points at: `  - 第N行 column：message`."""
    return {int(n) for n in re.findall(r"^\s+- 第(\d+)行", output, re.MULTILINE)}


@pytest.mark.parametrize("bad_row", list(BAD_ROWS.values()), ids=list(BAD_ROWS))
async def test_one_bad_row_is_reported_by_line_and_nothing_is_written(
        database: str, tmp_path: Path, conn: asyncpg.Connection, bad_row: str) -> None:
    before = await regions_snapshot(conn)
    path = write(tmp_path, "bad.csv", HEADER + GOOD_ROWS + bad_row)

    result = await training(database, tmp_path, "regions", "load", str(path))

    assert_failed(result, "错误", "未导入任何数据")
    assert blamed_lines(result.output) == {4}, f"line 4 and only line 4 is blamed:\n{result.output}"
    assert await regions_snapshot(conn) == before, "not even the good rows are written"


async def test_every_bad_row_of_a_file_is_reported_at_once(database: str, tmp_path: Path) -> None:
    bad_rows = [BAD_ROWS["bad code"], BAD_ROWS["village under the wrong parent"],
                BAD_ROWS["level does not match the code"].replace("513435300201", "513435300202")]
    path = write(tmp_path, "bad.csv", HEADER + GOOD_ROWS + "".join(bad_rows))

    result = await training(database, tmp_path, "regions", "load", str(path))

    assert_failed(result, "未导入任何数据")
    assert blamed_lines(result.output) == {4, 5, 6}


async def test_a_file_with_a_bom_and_chinese_level_words_loads(database: str, tmp_path: Path,
                                                               conn: asyncpg.Connection) -> None:
    content = ("code,name,parent_code,level,key_poverty\n"
               "513437000000,雷波县,,县,否\n"
               "513437100000,锦城镇,513437000000,乡镇,否\n"
               "513437100200,城郊村,513437100000,村,是\n")
    path = write(tmp_path, "excel.csv", b"\xef\xbb\xbf" + content.encode("utf-8"))

    result = await training(database, tmp_path, "regions", "load", str(path))

    assert result.exit_code == 0, result.output
    assert "新增 3" in result.output
    rows = await conn.fetch("SELECT code, level, key_poverty FROM regions WHERE county_code = '513437' ORDER BY code")
    assert [(r["code"], r["level"], r["key_poverty"]) for r in rows] == [
        ("513437000000", "county", False), ("513437100000", "township", False), ("513437100200", "village", True)]


async def test_regions_load_of_a_missing_file_is_a_usage_error(database: str, tmp_path: Path) -> None:
    result = await training(database, tmp_path, "regions", "load", str(tmp_path / "nope.csv"))

    assert result.exit_code == 2
    assert "nope.csv" in result.output


# ---------------------------------------------------------------- demo

COUNTED = ["regions", "schools", "majors", "teachers", "equipment", "courses", "sessions", "session_teachers",
           "packages", "package_villages", "package_sessions", "users", "audit_log", "households", "people",
           "surveys", "enrolments", "attendance", "employment"]


async def counts(conn: asyncpg.Connection) -> dict[str, int]:
    return {table: await conn.fetchval(f"SELECT count(*) FROM {table}") for table in COUNTED}


def printed_accounts(output: str) -> dict[str, tuple[str, str]]:
    """username -> (role, password) from the table the demo prints once."""
    accounts = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] in ("admin", "official", "school", "surveyor"):
            accounts[parts[0]] = (parts[1], parts[2])
    return accounts


async def test_demo_loads_the_demo_county_once(database: str, tmp_path: Path, conn: asyncpg.Connection,
                                              api: Api) -> None:
    # The seeded world already holds 甘洛县's regions and two schools of its own; the demo loads on top.
    before = await counts(conn)
    seeded_schools = set(SEED.schools.values())
    today = helpers.today()

    first = await training(database, tmp_path, "demo")

    assert first.exit_code == 0, first.output
    after = await counts(conn)
    assert after["schools"] - before["schools"] == 5
    assert after["courses"] - before["courses"] >= 30
    assert after["packages"] - before["packages"] == 2
    demo_schools = {r["id"] for r in await conn.fetch("SELECT id FROM schools WHERE county_code = '513435'")}
    demo_schools -= seeded_schools
    assert len(demo_schools) == 5
    for table in ("majors", "teachers", "equipment", "courses"):
        per_school = await conn.fetch(
            f"SELECT school_id, count(*) AS n FROM {table} WHERE school_id = ANY($1::uuid[]) GROUP BY school_id",
            list(demo_schools))
        assert len(per_school) == 5, f"every demo school shows its {table}"
    published = await conn.fetch(
        "SELECT starts_on, ends_on FROM sessions WHERE status = 'published' AND school_id = ANY($1::uuid[])",
        list(demo_schools))
    assert len(published) >= 60
    assert all(r["starts_on"] <= r["ends_on"] for r in published)
    # A county with a past: last year's sessions finished with completions, this year's open now.
    assert sum(today < r["starts_on"] for r in published) >= 8, "sessions open on the menu"
    assert await conn.fetchval(
        """SELECT count(*) FROM enrolments e
           JOIN sessions s ON s.county_code = e.county_code AND s.id = e.session_id
           WHERE e.status = 'completed' AND e.passed AND extract(year FROM s.ends_on) = $1""", today.year - 1) >= 300
    assert await conn.fetchval(
        """SELECT count(*) FROM enrolments e
           JOIN sessions s ON s.county_code = e.county_code AND s.id = e.session_id
           WHERE e.status IN ('enrolled', 'waitlisted') AND s.starts_on > $1""", today) > 0
    assert await conn.fetchval("SELECT count(*) FROM people WHERE county_code = '513435'") >= 3000
    assert await conn.fetchval("SELECT count(*) FROM sessions WHERE status = 'draft' AND school_id = ANY($1::uuid[])",
                               list(demo_schools)) > 0
    assert await conn.fetchval(
        "SELECT count(*) FROM package_sessions ps JOIN sessions s ON s.county_code = ps.county_code AND s.id = ps.session_id "
        "WHERE s.status = 'published' AND s.school_id = ANY($1::uuid[])", list(demo_schools)) >= 2

    accounts = printed_accounts(first.output)
    assert {role for role, _ in accounts.values()} == {"admin", "official", "school", "surveyor"}
    assert "demo_admin" in accounts
    stored = {r["username"]: r["role"] for r in await conn.fetch(
        "SELECT username, role FROM users WHERE username = ANY($1::text[])", list(accounts))}
    assert stored == {name: role for name, (role, _) in accounts.items()}
    for name in ("demo_admin", "demo_official", "demo_surveyor", "school1"):
        role, password = accounts[name]
        login = await api.post("/api/auth/token", None, json={"username": name, "password": password})
        assert login.status_code == 200, f"{name}: {login.text}"
        assert login.json()["role"] == role

    # This year's quotas are set, so the official's pace card has a target: the county's, believable
    # against last year's completions, and its townships' adding up to no more than the county's.
    quotas = {r["region_code"]: r["target_person_times"] for r in await conn.fetch(
        "SELECT region_code, target_person_times FROM quotas WHERE county_code = '513435' AND year = $1", today.year)}
    county_quota = quotas.pop("513435000000")
    last_year = await conn.fetchval(
        """SELECT count(*) FROM enrolments e
           JOIN sessions s ON s.county_code = e.county_code AND s.id = e.session_id
           WHERE e.status = 'completed' AND extract(year FROM s.ends_on) = $1""", today.year - 1)
    assert 0.8 * last_year <= county_quota <= 1.5 * last_year, (county_quota, last_year)
    assert len(quotas) >= 3 and all(code.endswith("000") for code in quotas)
    assert sum(quotas.values()) <= county_quota and all(n > 0 for n in quotas.values())
    token = (await api.post("/api/auth/token", None, json={
        "username": "demo_official", "password": accounts["demo_official"][1]})).json()["access_token"]
    pace = (await api.http.get("/api/progress", params={"region_code": "513435000000", "year": today.year},
                               headers={"Authorization": f"Bearer {token}"})).json()
    assert pace["target_person_times"] == county_quota and pace["pace"] is not None
    assert (await api.http.get("/api/quotas", params={"year": today.year},
                               headers={"Authorization": f"Bearer {token}"})).json()["warning"] is None

    second = await training(database, tmp_path, "demo")

    assert second.exit_code == 0, second.output
    assert "演示数据已存在" in second.output
    assert printed_accounts(second.output) == {}, "passwords are shown only once"
    assert "--reset-passwords" in second.output
    assert await counts(conn) == after

    old_token = (await api.post("/api/auth/token", None, json={
        "username": "demo_admin", "password": accounts["demo_admin"][1]})).json()["access_token"]
    reset = await training(database, tmp_path, "demo", "--reset-passwords")

    assert reset.exit_code == 0, reset.output
    renewed = printed_accounts(reset.output)
    assert {name: role for name, (role, _) in renewed.items()} == {name: role for name, (role, _) in accounts.items()}
    assert all(renewed[name][1] != password for name, (_, password) in accounts.items())
    for name in ("demo_admin", "school1"):
        old = await api.post("/api/auth/token", None, json={"username": name, "password": accounts[name][1]})
        assert old.status_code == 401
        new = await api.post("/api/auth/token", None, json={"username": name, "password": renewed[name][1]})
        assert new.status_code == 200, new.text
    stale = await api.http.get("/api/auth/me", headers={"Authorization": f"Bearer {old_token}"})
    assert stale.status_code == 401
    assert await conn.fetchval("SELECT count(*) FROM users WHERE username IN ('school_a', 'school_b', 'admin_a')"
                               " AND token_version = 0") == 3, "accounts that are not the demo's keep their passwords"


# ---------------------------------------------------------------- accounts


async def refused_within(api: Api, token: dict[str, str], seconds: float) -> int:
    """The status /api/auth/me answers once the change made by another process has reached the service:
    its account cache hears of it by NOTIFY as soon as this test's loop (held by the CLI run) reads the
    listener's socket, and at worst re-reads the account after `seconds`."""
    deadline = asyncio.get_running_loop().time() + seconds + 1
    while (status := (await api.http.get("/api/auth/me", headers=token)).status_code) == 200:
        if asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.05)
    return status


async def test_users_list_disable_enable_and_reset_password(database: str, tmp_path: Path, conn: asyncpg.Connection,
                                                            api: Api) -> None:
    """An administrator manages accounts without SQL: a disable ends the account's tokens at once, a
    reset gives a new password (shown once) and ends the old tokens, and each change is audited."""
    login = await api.post("/api/auth/token", None, json={"username": "surveyor_b", "password": "correct-horse-42"})
    token = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert (await api.http.get("/api/auth/me", headers=token)).status_code == 200

    listed = await training(database, tmp_path, "users", "list")
    assert listed.exit_code == 0, listed.output
    line = next(row for row in listed.output.splitlines() if row.startswith("surveyor_b "))
    assert "调查员" in line and "启用" in line and "513435100200" in line
    assert "共 11 个账号" in listed.output

    disabled = await training(database, tmp_path, "users", "disable", "surveyor_b")
    assert disabled.exit_code == 0, disabled.output
    assert await refused_within(api, token, STALE_SECONDS) == 401
    assert "停用" in next(r for r in (await training(database, tmp_path, "users", "list")).output.splitlines()
                        if r.startswith("surveyor_b "))
    assert_failed(await training(database, tmp_path, "users", "disable", "surveyor_b"), "已经是停用状态")
    assert (await api.post("/api/auth/token", None, json={"username": "surveyor_b",
                                                          "password": "correct-horse-42"})).status_code == 401
    assert (await training(database, tmp_path, "users", "enable", "surveyor_b")).exit_code == 0
    assert (await api.http.get("/api/auth/me", headers=token)).status_code == 401, "a disable ended that token for good"

    reset = await training(database, tmp_path, "users", "reset-password", "surveyor_b")
    assert reset.exit_code == 0, reset.output
    password = reset.output.strip().rsplit("：", 1)[1]
    assert (await api.post("/api/auth/token", None, json={"username": "surveyor_b",
                                                          "password": "correct-horse-42"})).status_code == 401
    assert (await api.post("/api/auth/token", None, json={"username": "surveyor_b",
                                                          "password": password})).status_code == 200
    chosen = await training(database, tmp_path, "users", "reset-password", "surveyor_b", "--password-stdin",
                            input=GOOD_PASSWORD + "\n")
    assert chosen.exit_code == 0 and GOOD_PASSWORD not in chosen.output
    assert (await api.post("/api/auth/token", None, json={"username": "surveyor_b",
                                                          "password": GOOD_PASSWORD})).status_code == 200
    audited = await conn.fetch("SELECT action, actor_name FROM audit_log WHERE object_type = 'user' ORDER BY id")
    assert [(r["action"], r["actor_name"]) for r in audited] == [
        ("disable", "system"), ("enable", "system"), ("reset_password", "system"), ("reset_password", "system")]
    assert_failed(await training(database, tmp_path, "users", "disable", "nobody"), "账号 nobody 不存在")
    assert_failed(await training(database, tmp_path, "users", "reset-password", "surveyor_b", "--password-stdin",
                                 input="short\n"), "密码至少 8 个字符")
