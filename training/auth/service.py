"""Accounts: creating users, checking passwords, turning a user row into a Principal."""

from __future__ import annotations

import re
from uuid import UUID

import asyncpg

from training.auth import repository
from training.core.errors import Conflict, FieldError, InvalidInput
from training.core.security import Principal, hash_password, verify_password

ROLES = ("admin", "official", "school", "surveyor")
USERNAME = re.compile(r"[A-Za-z0-9_.@-]{2,64}")


def principal_from(row: asyncpg.Record) -> Principal:
    return Principal(
        id=row["id"], username=row["username"], role=row["role"], county_code=row["county_code"],
        school_id=row["school_id"], region_codes=tuple(row["region_codes"]),
    )


async def authenticate(conn: asyncpg.Connection, username: str, password: str) -> Principal | None:
    row = await repository.by_username(conn, username)
    ok = verify_password(row["password_hash"] if row else None, password)
    if row is None or not ok or not row["active"]:
        return None
    return principal_from(row)


async def create_user(
    conn: asyncpg.Connection, *, username: str, password: str, role: str, school_id: UUID | None = None,
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
