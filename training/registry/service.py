"""The registry's rules: who may see and change which households, what a valid member is, one person
per ID number per county, surveys as history, and reading a full number only deliberately.

Scope: a surveyor reads and writes households in the assigned villages; an official reads within
its regions; an admin its county (or all); a school reads only people who applied to or joined its
sessions (and their households).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from training.auth.policy import Scope, scope_for
from training.core import audit
from training.core.crypto import Vault, mask
from training.core.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from training.core.idcard import IdCardError, parse_id_number
from training.core.rules import Rule
from training.core.schemas import Page, paged
from training.core.security import Principal
from training.core.text import quoted
from training.core.types import date_out_of_range
from training.registry import repository as repo
from training.registry.keys import bring_to_current_key as bring_to_current_key
from training.registry.schemas import (
    POVERTY_STATUS_LABELS,
    DuplicateGroup,
    Household,
    HouseholdCreate,
    HouseholdUpdate,
    MemberCreate,
    Person,
    PersonUpdate,
    Revealed,
    Survey,
    SurveyCreate,
)

Conn = repo.Conn
WRITERS = ("admin", "surveyor")


def _person(row: asyncpg.Record) -> Person:
    values = {k: row[k] for k in Person.__struct_fields__ if k != "current_need"}
    need = row["current_need"]
    return Person(current_need=msgspec.convert(need, Survey, strict=False) if need else None, **values)


def _survey(row: asyncpg.Record) -> Survey:
    return msgspec.convert({k: row[k] for k in Survey.__struct_fields__}, Survey)


# ------------------------------------------------------------------ checks


async def _village_for_write(conn: Conn, principal: Principal, village_code: str, field: str) -> str:
    """The county of a village the caller may register households in."""
    region = await conn.fetchrow("SELECT level, county_code, name FROM regions WHERE code = $1", village_code)
    if region is None or region["level"] != "village":
        raise InvalidInput([FieldError(field, f"{village_code} 不是已登记的村级区划代码")])
    if principal.role not in WRITERS:
        raise Forbidden("只有调查员和管理员可以登记农户")
    if not principal.sees_region(village_code):
        raise Forbidden(f"{region['name']}不在您负责的范围内")
    county: str = region["county_code"]
    return county


def member_values(vault: Vault, member: MemberCreate | dict[str, Any], path: str,
                  education_codes: set[str]) -> tuple[dict[str, Any], list[FieldError]]:
    """Check one member and turn it into column values (ID and phone encrypted)."""
    m = msgspec.structs.asdict(member) if isinstance(member, MemberCreate) else member
    errors: list[FieldError] = []
    values: dict[str, Any] = {k: m.get(k) for k in ("name", "relation", "ethnicity", "education", "in_school",
                                                   "left_school_year", "labour_capacity", "disability",
                                                   "work_status", "client_id")}
    values["name"] = (m.get("name") or "").strip()
    values["skills"] = list(m.get("skills") or [])
    try:
        card = parse_id_number(m.get("id_number"))
    except IdCardError as exc:
        errors.append(FieldError(f"{path}id_number", str(exc)))
        card = None
    if card is not None:
        if m.get("sex") and m["sex"] != card.sex:
            errors.append(FieldError(f"{path}sex", f"与身份证号不符：身份证号显示为{'男' if card.sex == 'male' else '女'}"))
        if m.get("birth_date") and m["birth_date"] != card.birth_date:
            errors.append(FieldError(f"{path}birth_date", f"与身份证号不符：身份证号显示出生于 {card.birth_date}"))
        if m.get("left_school_year") and m["left_school_year"] < card.birth_date.year + 5:
            errors.append(FieldError(f"{path}left_school_year", "离校年份早于入学年龄"))
        values.update(id_hash=vault.lookup_hash(card.number), id_enc=vault.encrypt(card.number),
                      id_masked=mask(card.number), birth_date=card.birth_date, sex=card.sex, _number=card.number)
    if m.get("education") not in education_codes:
        errors.append(FieldError(f"{path}education", f"{m.get('education')} 不是文化程度代码（GB/T 4658）"))
    if m.get("in_school") and m.get("work_status") not in (None, "student"):
        errors.append(FieldError(f"{path}work_status", "在校学生的务工状况应为“在校学生”"))
    values.update(phone_values(vault, m.get("phone")))
    return values, errors


def phone_values(vault: Vault, phone: str | None) -> dict[str, Any]:
    if not phone:
        return {"phone_enc": None, "phone_hash": None, "phone_masked": None}
    return {"phone_enc": vault.encrypt(phone), "phone_hash": vault.lookup_hash(phone), "phone_masked": mask(phone)}


def household_errors(h: dict[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    status = h.get("poverty_status")
    if h.get("lifted_year") is not None and status != "lifted":
        errors.append(FieldError("lifted_year", "只有脱贫户填写脱贫年度"))
    if status == "monitored" and not h.get("monitor_type"):
        errors.append(FieldError("monitor_type", "监测户须填写监测类型（unstable/marginal/sudden_hardship）"))
    if status != "monitored" and (h.get("monitor_type") or h.get("risk_removed") is not None):
        errors.append(FieldError("monitor_type", "只有监测户填写监测类型和风险是否消除"))
    return errors


async def education_codes(conn: Conn) -> set[str]:
    return {r["code"] for r in await conn.fetch("SELECT code FROM education_levels")}


def already_registered(principal: Principal, existing: asyncpg.Record | None, where: str = "",
                       field: str = "id_number") -> Conflict:
    """The 409 for an ID number registered before. Who it is and where is told only to a caller who may
    see that village: otherwise the answer must not confirm whom a number belongs to."""
    if existing is not None and principal.sees_region(existing["village_code"]):
        message = f"身份证号已登记：{existing['name']}，请勿重复登记"
        return Conflict(where + message, errors=[FieldError(field, message)], existing_person_id=str(existing["id"]),
                        existing_household_id=str(existing["household_id"]))
    message = "身份证号已在本县其他村登记，不能重复登记；如有疑问请联系县管理员核实"
    return Conflict(where + message, errors=[FieldError(field, message)])


async def _refuse_known_numbers(conn: Conn, principal: Principal, county: str, members: list[dict[str, Any]]) -> None:
    hashes = [m["id_hash"] for m in members]
    if len(set(hashes)) != len(hashes):
        raise InvalidInput([FieldError(f"members[{i}].id_number", "同一户中身份证号重复")
                            for i, h in enumerate(hashes) if hashes.index(h) != i])
    known = await repo.people_by_id_hashes(conn, county, hashes)
    for i, member in enumerate(members):
        if (existing := known.get(member["id_hash"])) is not None:
            raise already_registered(principal, existing, f"members[{i}] 的", f"members[{i}].id_number")


# ------------------------------------------------------------------ households


async def create_household(conn: Conn, principal: Principal, vault: Vault, rule: Rule,
                           data: HouseholdCreate) -> Household:
    county = await _village_for_write(conn, principal, data.village_code, "village_code")
    raw = msgspec.structs.asdict(data)
    errors = household_errors(raw)
    codes = await education_codes(conn)
    members: list[dict[str, Any]] = []
    for i, item in enumerate(data.members):
        values, member_errors = member_values(vault, item, f"members[{i}].", codes)
        members.append(values)
        errors += member_errors
    if errors:
        raise InvalidInput(errors)
    await _refuse_known_numbers(conn, principal, county, members)
    phone = data.phone
    async with conn.transaction():
        try:
            household_id = await repo.insert_household(conn, county, raw | phone_values(vault, phone) | {
                "head_name": data.head_name.strip(), "created_by": principal.id})
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == "households_client":
                raise Conflict("这个 client_id 的农户已经登记过") from None
            raise Conflict(f"户编号“{quoted(data.household_no or '')}”在本县已存在") from None
        for values in members:
            await _insert_member(conn, county, household_id, values, principal)
        await audit.record(conn, principal, "create", "household", household_id, county,
                           {"fields": sorted(k for k, v in raw.items() if v not in (None, [], "") and k != "members"),
                            "members": len(members)})
    return await get_household(conn, principal, rule, household_id)


async def _insert_member(conn: Conn, county: str, household_id: UUID, member: dict[str, Any],
                         principal: Principal) -> UUID:
    try:
        async with conn.transaction():
            person_id = await repo.insert_person(conn, county, household_id, member | {"created_by": principal.id})
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == "people_client":
            raise Conflict("这个 client_id 的人员已经登记过") from None
        raise already_registered(principal, await repo.person_by_id_hash(conn, county, member["id_hash"])) from None
    await audit.record(conn, principal, "create", "person", person_id, county,
                       {"household_id": str(household_id),
                        "fields": sorted(k for k, v in member.items() if v not in (None, [], "") and not k.startswith("_"))})
    return person_id


async def get_household(conn: Conn, principal: Principal, rule: Rule, household_id: UUID) -> Household:
    scope = scope_for(principal)
    rows = await repo.households(conn, scope, household_ids=[household_id], limit=1)
    if not rows:
        raise NotFound("农户不存在或不在您的权限范围内")
    return (await _with_members(conn, scope, rule, rows))[0]


async def _with_members(conn: Conn, scope: Scope, rule: Rule, rows: list[asyncpg.Record]) -> list[Household]:
    members = await repo.people(conn, scope, rule, household_ids=[r["id"] for r in rows])
    by_household: dict[UUID, list[Person]] = {}
    for m in members:
        by_household.setdefault(m["household_id"], []).append(_person(m))
    return [Household(poverty_status_label=POVERTY_STATUS_LABELS[r["poverty_status"]],
                      members=by_household.get(r["id"], []),
                      **{k: r[k] for k in Household.__struct_fields__
                         if k not in ("members", "poverty_status_label")}) for r in rows]


async def list_households(conn: Conn, principal: Principal, rule: Rule, village_code: str | None,
                          poverty_status: str | None, limit: int, offset: int) -> Page[Household]:
    scope = scope_for(principal)

    async def fetch(n: int, skip: int) -> list[asyncpg.Record]:
        return await repo.households(conn, scope, village_code=village_code, poverty_status=poverty_status,
                                     limit=n, offset=skip)

    page = await paged(fetch, lambda r: r, limit, offset)
    return Page(items=await _with_members(conn, scope, rule, page.items) if page.items else [], total=page.total,
                limit=limit, offset=offset)


async def _writable_household(conn: Conn, principal: Principal, rule: Rule, household_id: UUID) -> Household:
    household = await get_household(conn, principal, rule, household_id)
    if principal.role not in WRITERS:
        raise Forbidden("只有调查员和管理员可以修改农户信息")
    return household


def _given(data: HouseholdUpdate | PersonUpdate) -> dict[str, Any]:
    """The fields a PATCH sets (None means "leave as is")."""
    return {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None and k != "version"}


def _patched(row: asyncpg.Record, columns: tuple[str, ...], changes: dict[str, Any], vault: Vault) -> dict[str, Any]:
    """The row's column values with the changes applied; a new phone is encrypted, hashed where the table
    keeps a hash, and masked."""
    values = {c: row[c] for c in columns} | {k: v for k, v in changes.items() if k != "phone"}
    if "phone" in changes:
        values.update({k: v for k, v in phone_values(vault, changes["phone"]).items() if k in columns})
    return values


def _check_version(row: asyncpg.Record, seen: int | None, what: str) -> None:
    """Optimistic locking: an edit made on an older version is refused, never silently merged."""
    if seen is not None and seen != row["version"]:
        raise Conflict(f"{what}已被他人修改（当前版本 {row['version']}），请刷新后再改", current_version=row["version"])


async def update_household(conn: Conn, principal: Principal, vault: Vault, rule: Rule, household_id: UUID,
                           data: HouseholdUpdate) -> Household:
    current = await _writable_household(conn, principal, rule, household_id)
    changes = _given(data)
    async with conn.transaction():
        row = await repo.lock_household(conn, current.county_code, household_id)
        assert row is not None
        _check_version(row, data.version, "农户信息")
        values = _patched(row, repo.HOUSEHOLD_COLUMNS, changes, vault)
        if values["poverty_status"] != "monitored" and "poverty_status" in changes:
            values.update(monitor_type=None, risk_removed=None)
        if values["poverty_status"] != "lifted" and "poverty_status" in changes:
            values["lifted_year"] = None
        if errors := household_errors(values):
            raise InvalidInput(errors)
        await repo.update_household(conn, current.county_code, household_id, values)
        await audit.record(conn, principal, "update", "household", household_id, current.county_code,
                           {"fields": sorted(changes)})
    return await get_household(conn, principal, rule, household_id)


async def add_member(conn: Conn, principal: Principal, vault: Vault, rule: Rule, household_id: UUID,
                     data: MemberCreate) -> Person:
    household = await _writable_household(conn, principal, rule, household_id)
    values, errors = member_values(vault, data, "", await education_codes(conn))
    if errors:
        raise InvalidInput(errors)
    existing = await repo.person_by_id_hash(conn, household.county_code, values["id_hash"])
    if existing is not None:
        raise already_registered(principal, existing)
    async with conn.transaction():
        person_id = await _insert_member(conn, household.county_code, household_id, values, principal)
    return await get_person(conn, principal, rule, person_id)


# ------------------------------------------------------------------ people


async def get_person(conn: Conn, principal: Principal, rule: Rule, person_id: UUID) -> Person:
    rows = await repo.people(conn, scope_for(principal), rule, person_ids=[person_id], limit=1)
    if not rows:
        raise NotFound("人员不存在或不在您的权限范围内")
    return _person(rows[0])


async def list_people(conn: Conn, principal: Principal, rule: Rule, *, village_code: str | None,
                      lianghousheng: bool | None, q: str | None, limit: int, offset: int) -> Page[Person]:
    scope = scope_for(principal)
    return await paged(lambda n, skip: repo.people(conn, scope, rule, village_code=village_code,
                                                   lianghousheng=lianghousheng, q=q, limit=n, offset=skip),
                       _person, limit, offset)


async def update_person(conn: Conn, principal: Principal, vault: Vault, rule: Rule, person_id: UUID,
                        data: PersonUpdate) -> Person:
    person = await get_person(conn, principal, rule, person_id)
    if principal.role not in WRITERS:
        raise Forbidden("只有调查员和管理员可以修改人员信息")
    changes = _given(data)
    if "education" in changes and changes["education"] not in await education_codes(conn):
        raise InvalidInput([FieldError("education", f"{changes['education']} 不是文化程度代码（GB/T 4658）")])
    async with conn.transaction():
        row = await repo.lock_person(conn, person.county_code, person_id)
        assert row is not None
        _check_version(row, data.version, "人员信息")
        values = _patched(row, repo.PERSON_COLUMNS, changes, vault)
        if values["left_school_year"] is not None and values["left_school_year"] < row["birth_date"].year + 5:
            raise InvalidInput([FieldError("left_school_year", "离校年份早于入学年龄")])
        if values["in_school"] and values["work_status"] != "student":
            raise InvalidInput([FieldError("work_status", "在校学生的务工状况应为“在校学生”")])
        await repo.update_person(conn, person.county_code, person_id, values)
        await audit.record(conn, principal, "update", "person", person_id, person.county_code,
                           {"fields": sorted(changes)})
    return await get_person(conn, principal, rule, person_id)


async def possible_duplicates(conn: Conn, principal: Principal, rule: Rule, limit: int) -> list[DuplicateGroup]:
    scope = scope_for(principal)
    groups = await repo.possible_duplicates(conn, scope, limit)
    ids = [pid for g in groups for pid in g["person_ids"]]
    people = {r["id"]: _person(r) for r in await repo.people(conn, scope, rule, person_ids=ids)} if ids else {}
    return [DuplicateGroup(name=g["name"], birth_date=g["birth_date"], village_code=g["village_code"],
                           people=[people[i] for i in g["person_ids"] if i in people]) for g in groups]


async def reveal(conn: Conn, principal: Principal, vault: Vault, rule: Rule, person_id: UUID) -> Revealed:
    """Full ID number and phone, for admins and the surveyor of the person's village; always audited."""
    person = await get_person(conn, principal, rule, person_id)
    allowed = principal.role == "admin" or (principal.role == "surveyor" and principal.sees_region(person.village_code))
    if not allowed:
        raise Forbidden("只有管理员和本村调查员可以查看完整的身份证号和电话")
    row = await repo.sensitive(conn, person.county_code, person_id)
    assert row is not None
    async with conn.transaction():
        await audit.record(conn, principal, "reveal", "person", person_id, person.county_code,
                           {"fields": ["id_number", "phone"] if row["phone_enc"] else ["id_number"]})
    return Revealed(person_id=person_id, id_number=vault.decrypt(row["id_enc"]),
                    phone=vault.decrypt(row["phone_enc"]) if row["phone_enc"] else None)


# ------------------------------------------------------------------ surveys


async def survey_errors(conn: Conn, data: dict[str, Any], today: date) -> list[FieldError]:
    errors: list[FieldError] = []
    trades = data.get("desired_trades") or []
    known = {r["code"] for r in await conn.fetch("SELECT code FROM trades WHERE code = ANY($1::text[])", trades)}
    errors += [FieldError(f"desired_trades[{i}]", f"工种代码 {c} 不在职业分类大典工种表中")
               for i, c in enumerate(trades) if c not in known]
    if len(set(trades)) != len(trades):
        errors.append(FieldError("desired_trades", "意向工种重复"))
    if data["surveyed_on"] > today:
        errors.append(FieldError("surveyed_on", "调查日期不能晚于今天"))
    elif date_out_of_range(data["surveyed_on"]):
        errors.append(FieldError("surveyed_on", "调查日期应在 2000 年以后"))
    months = data.get("available_months") or []
    if len(set(months)) != len(months):
        errors.append(FieldError("available_months", "月份重复"))
    return errors


async def add_survey(conn: Conn, principal: Principal, rule: Rule, person_id: UUID, data: SurveyCreate) -> Survey:
    person = await get_person(conn, principal, rule, person_id)
    if principal.role not in WRITERS:
        raise Forbidden("只有调查员和管理员可以录入培训需求调查")
    raw = msgspec.structs.asdict(data)
    if errors := await survey_errors(conn, raw, rule.as_of):
        raise InvalidInput(errors)
    async with conn.transaction():
        survey_id = await repo.insert_survey(conn, person.county_code, person_id, raw | {
            "available_months": sorted(data.available_months), "surveyor_id": principal.id,
            "surveyor_name": principal.username})
        await audit.record(conn, principal, "create", "survey", survey_id, person.county_code,
                           {"person_id": str(person_id), "surveyed_on": data.surveyed_on.isoformat(),
                            "desired_trades": data.desired_trades})
    return next(s for s in await list_surveys(conn, principal, rule, person_id) if s.id == survey_id)


async def list_surveys(conn: Conn, principal: Principal, rule: Rule, person_id: UUID) -> list[Survey]:
    person = await get_person(conn, principal, rule, person_id)
    return [_survey(r) for r in await repo.surveys(conn, person.county_code, person_id)]
