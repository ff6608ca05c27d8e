"""Accounts: creating users, checking passwords, turning a user row into a Principal."""

from __future__ import annotations

import math
import re
import secrets
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import asyncpg

from training.auth import repository
from training.auth.cache import announce_change
from training.auth.policy import account_change_refusal
from training.auth.schemas import Account, PasswordReset
from training.core import audit
from training.core.config import Settings
from training.core.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound, Problem
from training.core.security import ROLE_LABELS, Principal, hash_password, verify_password

Conn = repository.Conn

ROLES = ("admin", "official", "school", "surveyor")
USERNAME = re.compile(r"[A-Za-z0-9_.@-]{2,64}")


def principal_from(row: asyncpg.Record) -> Principal:
    return Principal(
        id=row["id"], username=row["username"], role=row["role"], county_code=row["county_code"],
        school_id=row["school_id"], region_codes=tuple(row["region_codes"]), token_version=row["token_version"],
    )


class LockedOut(Problem):
    status = 429
    title = "账号已临时锁定"


def _wait(until: datetime) -> int:
    return max(1, math.ceil((until - datetime.now(UTC)).total_seconds()))


def _locked_out(until: datetime, settings: Settings) -> LockedOut:
    local = until.astimezone(settings.tz)
    problem = LockedOut(f"密码错误次数过多，账号已临时锁定，请于 {local:%H:%M}（{local:%Y-%m-%d}）后再试，"
                        "或请管理员重置密码", retry_at=until.isoformat())
    problem.headers["Retry-After"] = str(_wait(until))
    return problem


def _slowed_down(until: datetime) -> LockedOut:
    wait = _wait(until)
    problem = LockedOut(f"该账号近期多次密码错误，为防止猜测密码，请 {wait} 秒后再试", retry_at=until.isoformat())
    problem.title = "请稍后再试"
    problem.headers["Retry-After"] = str(wait)
    return problem


async def authenticate(conn: Conn, username: str, password: str, settings: Settings,
                       client: str = "") -> Principal | None:
    """The account for this name and password, or None. Wrong passwords are counted per name, known or
    not (so neither answer tells which names exist), in two ways that cannot be turned into a way to
    shut the owner out (OWASP's advice against plain per-account lockout):

    - per (name, client address): after `login_lockout_failures` in a row that address is locked out
      of the name for `login_lockout_minutes` (LockedOut, saying until when); the owner elsewhere is not;
    - per name, from every address: after `login_slowdown_failures` each attempt takes the name's next
      slot and holds it 1, 2, 4, ... seconds (at most `login_slowdown_max_seconds`); an attempt before
      then is told how many seconds to wait, never locked out, and does not count against its address.

    Both are claimed before the password is checked, so concurrent guesses cannot pass either limit."""
    now = datetime.now(UTC)
    attempt = await repository.claim_attempt(conn, username, client, now)
    if attempt["locked_until"] is not None:
        raise _locked_out(attempt["locked_until"], settings)
    until = now + timedelta(minutes=settings.login_lockout_minutes)
    if attempt["failures"] > settings.login_lockout_failures:  # parallel guesses past the limit
        await repository.lock(conn, username, client, until)
        raise _locked_out(until, settings)
    claim = uuid4()
    slot = await repository.claim_slot(conn, username, now, claim, timedelta(minutes=settings.login_lockout_minutes),
                                       settings.login_slowdown_failures, settings.login_slowdown_max_seconds)
    if slot["claim"] != claim:
        await repository.give_back_attempt(conn, username, client)
        raise _slowed_down(slot["not_before"])
    row = await repository.by_username(conn, username)
    ok = verify_password(row["password_hash"] if row else None, password)
    if row is None or not ok or not row["active"]:
        await repository.count_failure(conn, username, now)
        if attempt["failures"] >= settings.login_lockout_failures:
            await repository.lock(conn, username, client, until)
        return None
    await repository.clear_attempts(conn, username, client)
    return principal_from(row)


async def prune_login_counts(conn: Conn, settings: Settings) -> int:
    """Drop the failed-login counts of names left alone for a whole lockout window (an expired lock starts
    its count again and a quiet name's slowdown starts from zero, so nothing is lost but the row)."""
    now = datetime.now(UTC)
    return await repository.prune_login_counts(conn, now, now - timedelta(minutes=settings.login_lockout_minutes))


async def create_user(
    conn: Conn, *, username: str, password: str, role: str, school_id: UUID | None = None,
    region_codes: list[str] | None = None, county_code: str | None = None,
) -> UUID:
    """Create an account after checking that its role and scope fit together."""
    regions = sorted(set(region_codes or []))
    errors: list[FieldError] = []
    if not USERNAME.fullmatch(username):
        errors.append(FieldError("username", "用户名应为 2-64 位英文字母、数字或 _ . @ -"))
    if role not in ROLES:
        errors.append(FieldError("role", f"角色应为 {'/'.join(ROLES)} 之一"))
    if len(password) < 8:
        errors.append(FieldError("password", "密码至少 8 个字符"))
    if role == "school":
        if school_id is None:
            errors.append(FieldError("school", "学校账号必须指定学校（--school）"))
        else:
            county_code = await repository.school_county(conn, school_id)
            if county_code is None:
                errors.append(FieldError("school", "学校不存在"))
    elif school_id is not None:
        errors.append(FieldError("school", "只有学校账号才能指定学校"))
    if role in ("official", "surveyor") and not regions:
        errors.append(FieldError("region", "官员和调查员账号必须指定至少一个区划（--region）"))
    if regions:
        known = await repository.existing_regions(conn, regions)
        errors += [FieldError("region", f"区划代码 {c} 不存在") for c in regions if c not in known]
        counties = {c[:6] for c in regions}
        if role == "admin" and len(counties) > 1:
            errors.append(FieldError("region", "县管理员只能属于一个县"))
        if county_code is None and len(counties) == 1:
            county_code = next(iter(counties))
    if errors:
        raise InvalidInput(errors)
    if await repository.by_username(conn, username) is not None:
        raise Conflict(f"用户名 {username} 已存在")
    return await repository.insert(
        conn, username=username, password_hash=hash_password(password), role=role, county_code=county_code,
        school_id=school_id, region_codes=regions,
    )


# ------------------------------------------------------------------ managing accounts (admins, the CLI)

SYSTEM_COUNTY = "000000"  # the audit log's county for accounts that belong to none (system admins)


def _account(row: asyncpg.Record) -> Account:
    locked = row["locked_until"]
    return Account(id=row["id"], username=row["username"], role=row["role"], role_label=ROLE_LABELS[row["role"]],
                   county_code=row["county_code"], school_id=row["school_id"], school_name=row["school_name"],
                   region_codes=list(row["region_codes"]), active=row["active"], created_at=row["created_at"],
                   locked_until=locked if locked is not None and locked > datetime.now(UTC) else None)


def _counties(actor: Principal | None) -> list[str] | None:
    """Whose accounts an actor manages: a county admin its county's, a system admin (or the CLI, None) all."""
    return None if actor is None else actor.counties


async def list_accounts(conn: Conn, actor: Principal | None) -> list[Account]:
    return [_account(r) for r in await repository.accounts(conn, _counties(actor))]


async def find_account(conn: Conn, actor: Principal | None, user_id: UUID | None = None,
                       username: str | None = None) -> Account:
    """One account the actor manages, by id or name; another county's answers like an unknown one."""
    rows = await repository.accounts(conn, _counties(actor), username)
    found = [r for r in rows if user_id is None or r["id"] == user_id]
    if not found:
        raise NotFound(f"账号 {username} 不存在" if username else "账号不存在或不在您的管理范围内")
    return _account(found[0])


async def set_active(conn: Conn, actor: Principal | None, account: Account, active: bool) -> Account:
    """Enable or disable an account (audited). A disable ends its tokens at once; an admin cannot
    disable itself (it would lock the county out of its own administration)."""
    _may_change(actor, account)
    async with conn.transaction():
        if await repository.set_active(conn, account.id, active) is None:
            raise Conflict(f"账号 {account.username} 已经是{'启用' if active else '停用'}状态")
        await announce_change(conn, account.id)
        await audit.record(conn, actor, "enable" if active else "disable", "user", account.id,
                           account.county_code or SYSTEM_COUNTY, {"username": account.username})
    return await find_account(conn, actor, account.id)


def _may_change(actor: Principal | None, account: Account) -> None:
    if (refusal := account_change_refusal(actor, account.id, account.role)) is not None:
        raise Forbidden(refusal)


def new_password() -> str:
    return secrets.token_urlsafe(12)


async def reset_password(conn: Conn, actor: Principal | None, account: Account,
                         password: str | None = None) -> PasswordReset:
    """Set a new password (generated unless given; shown once, never stored in clear or audited): every
    token issued before it stops working and any lockout of the name ends."""
    _may_change(actor, account)
    password = password if password is not None else new_password()
    if len(password) < 8:
        raise InvalidInput([FieldError("password", "密码至少 8 个字符")])
    async with conn.transaction():
        if await repository.set_password(conn, account.id, hash_password(password)) is None:
            raise NotFound("账号不存在或不在您的管理范围内")
        await repository.clear_failures(conn, account.username)
        await announce_change(conn, account.id)
        await audit.record(conn, actor, "reset_password", "user", account.id, account.county_code or SYSTEM_COUNTY,
                           {"username": account.username})
    return PasswordReset(id=account.id, username=account.username, password=password)
