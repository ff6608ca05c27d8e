"""Offline sync: a device sends households, people and surveys it recorded without a network, each
with a UUID it made itself (`client_id`).

- An item seen before with the same content is answered exactly as the first time, changing nothing,
  so a device can resend a whole batch after a dropped connection.
- An item whose content changed is an edit: applied if the device saw the current version
  (`base_version`), otherwise reported as a conflict and not applied.
- Each item is written in its own transaction and gets its own result; one bad item does not stop the rest.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
import msgspec

from training.core.crypto import Vault
from training.core.errors import FieldError, Problem, collect_errors
from training.core.rules import Rule
from training.core.schemas import Body
from training.core.security import Principal
from training.core.types import Name, Phone, RegionCode
from training.registry import repository as repo
from training.registry import service
from training.registry.schemas import (
    HouseholdUpdate,
    MemberCreate,
    MonitorType,
    PersonUpdate,
    PovertyStatus,
    SurveyCreate,
)

Conn = repo.Conn
Kind = Literal["household", "person", "survey"]
Status = Literal["created", "updated", "unchanged", "conflict", "error"]


class HouseholdData(Body):
    """A household as a device records it; its members come as separate `person` items."""

    village_code: RegionCode
    head_name: Name
    poverty_status: PovertyStatus
    household_no: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    phone: Phone | None = None
    lifted_year: Annotated[int, msgspec.Meta(ge=2013, le=2100)] | None = None
    monitor_type: MonitorType | None = None
    risk_removed: bool | None = None
    poverty_causes: Annotated[list[Annotated[str, msgspec.Meta(max_length=20)]], msgspec.Meta(max_length=11)] = []


class SyncItem(Body):
    kind: Kind
    client_id: UUID
    data: dict[str, Any]
    household: UUID | None = None  # person: the household's client_id or id
    person: UUID | None = None  # survey: the person's client_id or id
    base_version: int | None = None  # edits: the version the device last saw


class SyncBatch(Body):
    items: Annotated[list[SyncItem], msgspec.Meta(max_length=5000)]
    device: Annotated[str, msgspec.Meta(max_length=100)] | None = None


class SyncResult(msgspec.Struct, omit_defaults=True):
    client_id: UUID
    kind: str
    status: str
    id: UUID | None = None
    version: int | None = None
    server_version: int | None = None
    message: str | None = None
    errors: list[FieldError] = []


class SyncResponse(msgspec.Struct):
    results: list[SyncResult]


class _ItemError(Exception):
    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []


def _fingerprint(item: SyncItem) -> bytes:
    return hashlib.sha256(msgspec.json.encode(
        {"kind": item.kind, "data": item.data, "household": str(item.household), "person": str(item.person)},
        order="sorted")).digest()


def _validated(tp: type[Any], raw: dict[str, Any]) -> Any:
    if errors := collect_errors(tp, raw, "data"):  # where the item keeps it, as the rules' errors say
        raise _ItemError("数据不符合要求", errors)
    return msgspec.convert(raw, tp)


async def _resolve(conn: Conn, table: Literal["households", "people"], counties: list[str] | None,
                   ref: UUID | None, what: str) -> asyncpg.Record:
    """A household or person named by the device's client_id or by the server's id."""
    if ref is None:
        raise _ItemError(f"缺少所属{what}")
    row = await (repo.household_by_ref if table == "households" else repo.person_by_ref)(conn, counties, ref)
    if row is None:
        raise _ItemError(f"找不到所属{what}：请先同步{what}")
    return row


async def _apply(conn: Conn, principal: Principal, vault: Vault, rule: Rule, item: SyncItem,
                 previous: asyncpg.Record | None) -> tuple[str, SyncResult]:
    """Create (no previous) or edit (previous, content changed) one item. Returns (county, result).
    An edit is checked against the version the device last saw: `base_version`, else the version this
    server answered the last time the item came. Every rule is the service's, as for the API; errors
    name fields under `data.`."""
    counties = principal.counties
    seen_version = item.base_version if item.base_version is not None else (
        previous["result"].get("version") if previous is not None else None)
    if item.kind == "household":
        data = _validated(HouseholdData, item.data)
        if previous is None:
            county, household_id = await service.register_household(
                conn, principal, vault, rule, msgspec.structs.asdict(data), path="data.", client_id=item.client_id,
                source="sync")
            return county, SyncResult(item.client_id, item.kind, "created", id=household_id, version=1)
        target = await _resolve(conn, "households", counties, item.client_id, "农户")
        await service.village_for_write(conn, principal, data.village_code, "data.village_code")
        # An edit changes what a PATCH may change; a move to another village or a new 户编号 is refused as
        # the API and the ledger refuse it, never answered "updated" with the old values kept.
        if data.village_code != target["village_code"]:
            raise _ItemError("已登记农户的村不能通过同步更改",
                             [FieldError("data.village_code", "已登记农户的村不能更改；如登记错了村，请联系县管理员")])
        if data.household_no is not None and service.household_number(data.household_no) != target["household_no"]:
            raise _ItemError("已登记农户的户编号不能通过同步更改",
                             [FieldError("data.household_no", "已登记农户的户编号不能更改")])
        # Like a PATCH, an edit changes the fields the device sent: a list it left out (致贫原因) is kept,
        # not cleared by the schema's default.
        update = HouseholdUpdate(**{k: getattr(data, k) for k in ("head_name", "phone", "poverty_status",
                                                                   "lifted_year", "monitor_type", "risk_removed",
                                                                   "poverty_causes") if k in item.data},
                                 version=seen_version)
        changed = await service.update_household(conn, principal, vault, rule, target["id"], update, path="data.")
        return changed.county_code, SyncResult(item.client_id, item.kind, "updated", id=changed.id,
                                               version=changed.version)

    if item.kind == "person":
        data = _validated(MemberCreate, item.data)
        if previous is None:
            owner = await _resolve(conn, "households", counties, item.household, "农户")
            person_id = await service.register_member(conn, principal, vault, rule, owner["id"],
                                                      msgspec.structs.replace(data, client_id=item.client_id),
                                                      path="data.", source="sync")
            return owner["county_code"], SyncResult(item.client_id, item.kind, "created", id=person_id, version=1)
        target = await _resolve(conn, "people", counties, item.client_id, "人员")
        if not service.is_their_id_number(vault, target["id_hash"], data.id_number):
            raise _ItemError("已登记人员的身份证号不能通过同步更改",
                             [FieldError("data.id_number", "已登记人员的身份证号不能更改；如录错了，请联系县管理员")])
        fields = {k: getattr(data, k) for k in PersonUpdate.__struct_fields__
                  if k != "version" and hasattr(data, k) and k in item.data}
        edited = await service.update_person(conn, principal, vault, rule, target["id"],
                                             PersonUpdate(**fields, version=seen_version), path="data.")
        return target["county_code"], SyncResult(item.client_id, item.kind, "updated", id=edited.id,
                                                 version=edited.version)

    data = _validated(SurveyCreate, item.data)
    if previous is not None:
        raise _ItemError("调查记录提交后不能修改；如需更正请新增一次调查")
    subject = await _resolve(conn, "people", counties, item.person, "人员")
    survey = await service.add_survey(conn, principal, rule, subject["id"],
                                      msgspec.structs.replace(data, client_id=item.client_id), path="data.")
    return subject["county_code"], SyncResult(item.client_id, item.kind, "created", id=survey.id)


async def sync(conn: Conn, principal: Principal, vault: Vault, rule: Rule, batch: SyncBatch) -> SyncResponse:
    results: list[SyncResult] = []
    for item in batch.items:
        fingerprint = _fingerprint(item)
        try:
            async with conn.transaction():
                # Two resends of one batch racing each other: the second waits, then replays the first.
                await repo.lock_sync_item(conn, item.client_id)
                previous = await repo.sync_item(conn, principal.counties, item.client_id)
                if previous is not None and previous["actor_id"] not in (None, principal.id):
                    raise _ItemError("client_id 已被其他账号使用，请在设备上重新生成")
                if previous is not None and bytes(previous["body_hash"]) == fingerprint:
                    result = msgspec.convert(previous["result"], SyncResult)
                elif previous is not None and previous["kind"] != item.kind:
                    raise _ItemError("client_id 已用于另一类记录")
                else:
                    county, result = await _apply(conn, principal, vault, rule, item, previous)
                    await repo.save_sync_item(conn, county, item.client_id, item.kind, fingerprint,
                                              msgspec.to_builtins(result), principal.id)
        except _ItemError as exc:
            result = SyncResult(item.client_id, item.kind, "error", message=exc.message, errors=exc.errors)
        except Problem as exc:
            status = "conflict" if exc.status == 409 else "error"
            result = SyncResult(item.client_id, item.kind, status, message=exc.detail, errors=exc.errors,
                                server_version=exc.extra.get("current_version"))
        except asyncpg.UniqueViolationError:
            result = SyncResult(item.client_id, item.kind, "conflict",
                                message="这个 client_id 的记录已经通过其他途径登记，请刷新后再同步")
        except asyncpg.PostgresError as exc:
            # The database refused the item (e.g. a NUL character); never echo its values.
            result = SyncResult(item.client_id, item.kind, "error",
                                message=f"数据库拒绝了这条记录（{type(exc).__name__}），请检查是否含有特殊字符")
        results.append(result)
    return SyncResponse(results)
