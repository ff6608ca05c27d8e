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
from training.core.cells import code_text
from training.core.crypto import Vault, lookup_candidates, mask
from training.core.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from training.core.idcard import IdCardError, parse_id_number
from training.core.rules import Rule
from training.core.schemas import Page, paged
from training.core.security import Principal
from training.core.text import quoted
from training.registry import repository as repo
from training.registry.keys import bring_to_current_key as bring_to_current_key

# The rules are the registry's public face too: the ledger checks its rows with the very same functions.
from training.registry.rules import Identity as Identity
from training.registry.rules import Reference as Reference
from training.registry.rules import at as at
from training.registry.rules import household_errors as household_errors
from training.registry.rules import person_errors as person_errors
from training.registry.rules import survey_errors as survey_errors
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


async def reference(conn: Conn, today: date) -> Reference:
    """The code tables every rule of `training.registry.rules` checks against, as of `today`."""
    education, trades = await repo.reference_codes(conn)
    return Reference(education=frozenset(education), trades=frozenset(trades), today=today)


async def village_for_write(conn: Conn, principal: Principal, village_code: str, field: str) -> str:
    """The county of a village the caller may register households in."""
    region = await repo.region(conn, village_code)
    if region is None or region["level"] != "village":
        raise InvalidInput([FieldError(field, f"{village_code} 不是已登记的村级区划代码")])
    if principal.role not in WRITERS:
        raise Forbidden("只有调查员和管理员可以登记农户")
    if not principal.sees_region(village_code):
        raise Forbidden(f"{region['name']}不在您负责的范围内")
    county: str = region["county_code"]
    return county


def member_values(vault: Vault, member: MemberCreate | dict[str, Any], path: str,
                  codes: Reference) -> tuple[dict[str, Any], list[FieldError]]:
    """Check one member (`rules.person_errors`) and turn it into column values (ID and phone encrypted)."""
    m = msgspec.structs.asdict(member) if isinstance(member, MemberCreate) else member
    values: dict[str, Any] = {k: m.get(k) for k in ("name", "relation", "ethnicity", "education", "in_school",
                                                   "left_school_year", "labour_capacity", "disability",
                                                   "work_status", "client_id")}
    values["name"] = (m.get("name") or "").strip()
    values["skills"] = list(m.get("skills") or [])
    card, errors = person_errors(m, codes)
    if card is not None:
        values.update(id_hash=vault.lookup_hash(card.number), id_enc=vault.encrypt(card.number),
                      id_masked=mask(card.number), birth_date=card.birth_date, sex=card.sex, _number=card.number)
    values.update(phone_values(vault, m.get("phone")))
    return values, at(path, errors)


def phone_values(vault: Vault, phone: str | None) -> dict[str, Any]:
    if not phone:
        return {"phone_enc": None, "phone_hash": None, "phone_masked": None}
    return {"phone_enc": vault.encrypt(phone), "phone_hash": vault.lookup_hash(phone), "phone_masked": mask(phone)}


def household_number(typed: str | None) -> str:
    """A 户编号 as every entry path stores and finds it: as the ledger reads a cell (full-width folded,
    spaces and control characters gone), so a number typed in the web form or on a device is the same
    number when its household comes back through an exported ledger."""
    return code_text(typed)


def is_their_id_number(vault: Vault, stored_hash: bytes, typed: object) -> bool:
    """Whether `typed` is the ID number stored (under any data key) as `stored_hash`."""
    try:
        card = parse_id_number(typed)
    except IdCardError:
        return False
    return bytes(stored_hash) in lookup_candidates(vault.lookup_hash(card.number))


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

HOUSEHOLD_FIELDS = ("village_code", "household_no", "head_name", "phone", "poverty_status", "lifted_year",
                    "monitor_type", "risk_removed", "poverty_causes")


async def register_household(conn: Conn, principal: Principal, vault: Vault, rule: Rule, record: dict[str, Any],
                             *, path: str = "", client_id: UUID | None = None,
                             source: str | None = None) -> tuple[str, UUID]:
    """Check and insert one household without its members (the caller is in a transaction); a 户编号
    is assigned when none was typed. Returns (county, id)."""
    county = await village_for_write(conn, principal, record["village_code"], f"{path}village_code")
    if errors := household_errors(record, await reference(conn, rule.as_of)):
        raise InvalidInput(at(path, errors))
    values = {k: record.get(k) for k in HOUSEHOLD_FIELDS} | phone_values(vault, record.get("phone")) | {
        "head_name": record["head_name"].strip(), "poverty_causes": list(record.get("poverty_causes") or []),
        "client_id": client_id, "created_by": principal.id}
    values["household_no"] = household_number(values["household_no"]) or None
    try:
        async with conn.transaction():
            household_id = await repo.insert_household(conn, county, values)
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == "households_client":
            raise Conflict("这个 client_id 的农户已经登记过") from None
        message = f"户编号“{quoted(values['household_no'] or '')}”在本村已存在"
        raise Conflict(message, errors=[FieldError(f"{path}household_no", message)]) from None
    changes: dict[str, Any] = {"fields": sorted(k for k, v in record.items()
                                                if v not in (None, [], "") and k in HOUSEHOLD_FIELDS)}
    await audit.record(conn, principal, "create", "household", household_id, county,
                       changes | ({"source": source} if source else {}))
    return county, household_id


async def create_household(conn: Conn, principal: Principal, vault: Vault, rule: Rule,
                           data: HouseholdCreate, scope: Scope | None = None) -> Household:
    await village_for_write(conn, principal, data.village_code, "village_code")
    raw = msgspec.structs.asdict(data)
    codes = await reference(conn, rule.as_of)
    errors = household_errors(raw, codes)
    members: list[dict[str, Any]] = []
    for i, item in enumerate(data.members):
        values, member_errors = member_values(vault, item, f"members[{i}].", codes)
        members.append(values)
        errors += member_errors
    if errors:
        raise InvalidInput(errors)
    county = data.village_code[:6]
    await _refuse_known_numbers(conn, principal, county, members)
    async with conn.transaction():
        county, household_id = await register_household(conn, principal, vault, rule, raw, client_id=data.client_id)
        for values in members:
            await _insert_member(conn, county, household_id, values, principal)
    return await get_household(conn, principal, rule, household_id, scope)


async def _insert_member(conn: Conn, county: str, household_id: UUID, member: dict[str, Any],
                         principal: Principal, source: str | None = None) -> UUID:
    try:
        async with conn.transaction():
            person_id = await repo.insert_person(conn, county, household_id, member | {"created_by": principal.id})
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == "people_client":
            raise Conflict("这个 client_id 的人员已经登记过") from None
        raise already_registered(principal, await repo.person_by_id_hash(conn, county, member["id_hash"])) from None
    changes: dict[str, Any] = {"household_id": str(household_id),
                               "fields": sorted(k for k, v in member.items()
                                                if v not in (None, [], "") and not k.startswith("_"))}
    await audit.record(conn, principal, "create", "person", person_id, county,
                       changes | ({"source": source} if source else {}))
    return person_id


async def register_member(conn: Conn, principal: Principal, vault: Vault, rule: Rule, household_id: UUID,
                          data: MemberCreate, *, path: str = "", source: str | None = None) -> UUID:
    """Check and insert one member of a household the caller may write (the caller is in a transaction)."""
    owner = await repo.household_place(conn, principal.counties, household_id)
    if owner is None:
        raise NotFound("农户不存在或不在您的权限范围内")
    await village_for_write(conn, principal, owner["village_code"], "household")
    values, errors = member_values(vault, data, path, await reference(conn, rule.as_of))
    if errors:
        raise InvalidInput(errors)
    if (known := await repo.person_by_id_hash(conn, owner["county_code"], values["id_hash"])) is not None:
        raise already_registered(principal, known)
    return await _insert_member(conn, owner["county_code"], household_id, values, principal, source)


async def get_household(conn: Conn, principal: Principal, rule: Rule, household_id: UUID,
                        scope: Scope | None = None) -> Household:
    scope = scope or scope_for(principal)
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
                          poverty_status: str | None, limit: int, offset: int,
                          scope: Scope | None = None) -> Page[Household]:
    read = scope or scope_for(principal)

    async def fetch(n: int, skip: int) -> list[asyncpg.Record]:
        return await repo.households(conn, read, village_code=village_code, poverty_status=poverty_status,
                                     limit=n, offset=skip)

    page = await paged(fetch, lambda r: r, limit, offset)
    return Page(items=await _with_members(conn, read, rule, page.items) if page.items else [], total=page.total,
                limit=limit, offset=offset)


async def _writable_household(conn: Conn, principal: Principal, rule: Rule, household_id: UUID,
                              scope: Scope | None) -> Household:
    household = await get_household(conn, principal, rule, household_id, scope)
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
                           data: HouseholdUpdate, *, path: str = "", scope: Scope | None = None) -> Household:
    current = await _writable_household(conn, principal, rule, household_id, scope)
    changes = _given(data)
    codes = await reference(conn, rule.as_of)
    async with conn.transaction():
        row = await repo.lock_household(conn, current.county_code, household_id)
        assert row is not None
        _check_version(row, data.version, "农户信息")
        values = _patched(row, repo.HOUSEHOLD_COLUMNS, changes, vault)
        if values["poverty_status"] != "monitored" and "poverty_status" in changes:
            values.update(monitor_type=None, risk_removed=None)
        if values["poverty_status"] != "lifted" and "poverty_status" in changes:
            values["lifted_year"] = None
        record = values | {"village_code": row["village_code"], "household_no": row["household_no"],
                           "phone": changes.get("phone")}
        if errors := household_errors(record, codes):
            raise InvalidInput(at(path, errors))
        await repo.update_household(conn, current.county_code, household_id, values)
        await audit.record(conn, principal, "update", "household", household_id, current.county_code,
                           {"fields": sorted(changes)})
    return await get_household(conn, principal, rule, household_id, scope)


async def add_member(conn: Conn, principal: Principal, vault: Vault, rule: Rule, household_id: UUID,
                     data: MemberCreate, scope: Scope | None = None) -> Person:
    await _writable_household(conn, principal, rule, household_id, scope)
    async with conn.transaction():
        person_id = await register_member(conn, principal, vault, rule, household_id, data)
    return await get_person(conn, principal, rule, person_id, scope)


# ------------------------------------------------------------------ people


async def get_person(conn: Conn, principal: Principal, rule: Rule, person_id: UUID,
                     scope: Scope | None = None) -> Person:
    rows = await repo.people(conn, scope or scope_for(principal), rule, person_ids=[person_id], limit=1)
    if not rows:
        raise NotFound("人员不存在或不在您的权限范围内")
    return _person(rows[0])


async def list_people(conn: Conn, principal: Principal, rule: Rule, *, village_code: str | None,
                      lianghousheng: bool | None, q: str | None, limit: int, offset: int,
                      scope: Scope | None = None) -> Page[Person]:
    read = scope or scope_for(principal)
    return await paged(lambda n, skip: repo.people(conn, read, rule, village_code=village_code,
                                                   lianghousheng=lianghousheng, q=q, limit=n, offset=skip),
                       _person, limit, offset)


async def update_person(conn: Conn, principal: Principal, vault: Vault, rule: Rule, person_id: UUID,
                        data: PersonUpdate, *, path: str = "", scope: Scope | None = None) -> Person:
    person = await get_person(conn, principal, rule, person_id, scope)
    if principal.role not in WRITERS:
        raise Forbidden("只有调查员和管理员可以修改人员信息")
    changes = _given(data)
    codes = await reference(conn, rule.as_of)
    async with conn.transaction():
        row = await repo.lock_person(conn, person.county_code, person_id)
        assert row is not None
        _check_version(row, data.version, "人员信息")
        values = _patched(row, repo.PERSON_COLUMNS, changes, vault)
        _, errors = person_errors(values | {"phone": changes.get("phone")}, codes,
                                  Identity(birth_date=row["birth_date"], sex=row["sex"]))
        if errors:
            raise InvalidInput(at(path, errors))
        await repo.update_person(conn, person.county_code, person_id, values)
        await audit.record(conn, principal, "update", "person", person_id, person.county_code,
                           {"fields": sorted(changes)})
    return await get_person(conn, principal, rule, person_id, scope)


async def possible_duplicates(conn: Conn, principal: Principal, rule: Rule, limit: int,
                              scope: Scope | None = None) -> list[DuplicateGroup]:
    read = scope or scope_for(principal)
    groups = await repo.possible_duplicates(conn, read, limit)
    ids = [pid for g in groups for pid in g["person_ids"]]
    people = {r["id"]: _person(r) for r in await repo.people(conn, read, rule, person_ids=ids)} if ids else {}
    return [DuplicateGroup(name=g["name"], birth_date=g["birth_date"], village_code=g["village_code"],
                           people=[people[i] for i in g["person_ids"] if i in people]) for g in groups]


async def reveal(conn: Conn, principal: Principal, vault: Vault, rule: Rule, person_id: UUID,
                 scope: Scope | None = None) -> Revealed:
    """Full ID number and phone, for admins and the surveyor of the person's village; always audited."""
    person = await get_person(conn, principal, rule, person_id, scope)
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


async def add_survey(conn: Conn, principal: Principal, rule: Rule, person_id: UUID, data: SurveyCreate, *,
                     path: str = "", scope: Scope | None = None) -> Survey:
    person = await get_person(conn, principal, rule, person_id, scope)
    if principal.role not in WRITERS:
        raise Forbidden("只有调查员和管理员可以录入培训需求调查")
    raw = msgspec.structs.asdict(data)
    if errors := survey_errors(raw, await reference(conn, rule.as_of)):
        raise InvalidInput(at(path, errors))
    async with conn.transaction():
        survey_id = await repo.insert_survey(conn, person.county_code, person_id, raw | {
            "available_months": sorted(data.available_months), "surveyor_id": principal.id,
            "surveyor_name": principal.username})
        await audit.record(conn, principal, "create", "survey", survey_id, person.county_code,
                           {"person_id": str(person_id), "surveyed_on": data.surveyed_on.isoformat(),
                            "desired_trades": data.desired_trades})
    return next(s for s in await list_surveys(conn, principal, rule, person_id, scope) if s.id == survey_id)


async def list_surveys(conn: Conn, principal: Principal, rule: Rule, person_id: UUID,
                       scope: Scope | None = None) -> list[Survey]:
    person = await get_person(conn, principal, rule, person_id, scope)
    return [_survey(r) for r in await repo.surveys(conn, person.county_code, person_id)]


async def person_facts(conn: Conn, county_code: str, rule: Rule, person_ids: list[UUID] | None) -> list[asyncpg.Record]:
    """The recommender's view of people in a county (see repository.person_facts). The caller has
    already decided who may see the result; rows carry no names, ID numbers or phones."""
    return await repo.person_facts(conn, county_code, rule, person_ids)


# Facts about households and people for progress (composed by training.progress).
def is_target(poverty_status: str) -> bool:
    """Target households of the training plans: 建档立卡, 脱贫 and 监测 (not an ordinary household)."""
    return poverty_status in repo.TARGET_STATUSES


async def target_households(conn: Conn, counties: list[str] | None, region: str) -> dict[str, int]:
    """Target households (建档立卡, 脱贫 and 监测) by village, in the region ('' for all of `counties`)."""
    return {r["village_code"]: r["households"] for r in await repo.target_household_counts(conn, counties, region)}


async def target_households_among(conn: Conn, households: list[tuple[str, UUID]], region: str) -> dict[str, int]:
    """How many of the given (county, household) pairs are target households in the region, by village."""
    if not households:
        return {}
    return {r["village_code"]: r["households"] for r in await repo.target_households_among(conn, households, region)}


class Labourer(msgspec.Struct, kw_only=True):
    person_id: UUID
    name: str
    sex: str
    age: int
    education: str
    labour_capacity: str
    work_status: str
    desired_trades: list[str]


class UncoveredHousehold(msgspec.Struct, kw_only=True):
    county_code: str
    household_id: UUID
    village_code: str
    household_no: str | None
    head_name: str
    poverty_status: str
    labourers: list[Labourer]


async def uncovered_households(conn: Conn, principal: Principal, region: str, rule: Rule,
                               trained: list[tuple[str, UUID]], limit: int | None,
                               offset: int) -> tuple[list[UncoveredHousehold], int]:
    """Target households in the caller's reach and the region with a working-age labourer (16-60 / 16-55
    by the settings, able to work, not at school) and nobody in `trained`; a page of them and the total."""
    rows = await repo.uncovered_households(conn, scope_for(principal), region, rule, trained, limit, offset)
    out: dict[tuple[str, UUID], UncoveredHousehold] = {}
    for r in rows:
        key = (r["county_code"], r["id"])
        if key not in out:
            out[key] = UncoveredHousehold(county_code=r["county_code"], household_id=r["id"],
                                          village_code=r["village_code"], household_no=r["household_no"],
                                          head_name=r["head_name"], poverty_status=r["poverty_status"], labourers=[])
        out[key].labourers.append(Labourer(person_id=r["person_id"], name=r["name"], sex=r["sex"], age=r["age"],
                                           education=r["education"], labour_capacity=r["labour_capacity"],
                                           work_status=r["work_status"], desired_trades=list(r["desired_trades"])))
    total = rows[0]["total"] if rows else 0
    return list(out.values()), total


class WantedTrade(msgspec.Struct, kw_only=True):
    county_code: str
    village_code: str
    trade_code: str
    can_board: bool
    max_travel_km: int | None
    people: int


async def wanted_trades(conn: Conn, counties: list[str] | None, region: str) -> list[WantedTrade]:
    """Wanted trades of the latest survey of each person, by village and reach (board, km)."""
    return [WantedTrade(**dict(r)) for r in await repo.wanted_trades(conn, counties, region)]


async def household_count_differences(conn: Conn, county_code: str) -> list[str]:
    """Where the target-household rollup differs from a recount of the households (empty when they agree)."""
    return [f"{r['village_code']} {r['poverty_status']}: kept {r['kept']}, counted {r['counted']}"
            for r in await repo.household_count_differences(conn, county_code)]
