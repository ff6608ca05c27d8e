"""HTTP routes of the registry: households, people, needs surveys, reveal."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, get, patch, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from training.auth.guards import roles
from training.auth.policy import Scope
from training.core.deps import Caller, Conn, PageLimit, PageOffset, Rules, Secrets
from training.core.idempotency import SENSITIVE
from training.core.schemas import Page
from training.registry import service
from training.registry import sync as sync_service
from training.registry.schemas import (
    DuplicateGroup,
    Household,
    HouseholdCreate,
    HouseholdUpdate,
    MemberCreate,
    Person,
    PersonUpdate,
    PovertyStatus,
    Revealed,
    Survey,
    SurveyCreate,
)
from training.registry.sync import SyncBatch, SyncResponse

# The caller's registry scope, provided by the composition root (a school's readable people come from
# the enrolment slice).
ReadScope = NamedDependency[Scope]
Village = Annotated[str | None, QueryParameter(pattern=r"^\d{12}$", description="村 12 位区划代码")]


class HouseholdController(Controller):
    path = "/api/households"
    tags = ["农户 households"]

    @post("/", summary="登记农户及其全部成员（调查员、管理员）")
    async def create(self, conn: Conn, principal: Caller, vault: Secrets, rule: Rules, reach: ReadScope,
                     data: JSONBody[HouseholdCreate]) -> Household:
        return await service.create_household(conn, principal, vault, rule, data, reach)

    @get("/", summary="农户列表（按村、家庭属性筛选）")
    async def list_(self, conn: Conn, principal: Caller, rule: Rules, reach: ReadScope, village_code: Village = None,
                    poverty_status: FromQuery[PovertyStatus | None] = None, limit: PageLimit = 50,
                    offset: PageOffset = 0) -> Page[Household]:
        return await service.list_households(conn, principal, rule, village_code, poverty_status, limit, offset,
                                             reach)

    @get("/{household_id:uuid}", summary="农户详情及成员")
    async def detail(self, conn: Conn, principal: Caller, rule: Rules, reach: ReadScope,
                     household_id: FromPath[UUID]) -> Household:
        return await service.get_household(conn, principal, rule, household_id, reach)

    @patch("/{household_id:uuid}", summary="修改农户信息（可带 version 防止覆盖他人修改）")
    async def update(self, conn: Conn, principal: Caller, vault: Secrets, rule: Rules, reach: ReadScope,
                     household_id: FromPath[UUID], data: JSONBody[HouseholdUpdate]) -> Household:
        return await service.update_household(conn, principal, vault, rule, household_id, data, scope=reach)

    @post("/{household_id:uuid}/members", summary="为农户增加成员")
    async def add_member(self, conn: Conn, principal: Caller, vault: Secrets, rule: Rules, reach: ReadScope,
                         household_id: FromPath[UUID], data: JSONBody[MemberCreate]) -> Person:
        return await service.add_member(conn, principal, vault, rule, household_id, data, reach)


class PeopleController(Controller):
    path = "/api/people"
    tags = ["人员 people"]

    @get("/", summary="人员列表（按村、两后生、姓名筛选）")
    async def list_(self, conn: Conn, principal: Caller, rule: Rules, reach: ReadScope, village_code: Village = None,
                    lianghousheng: FromQuery[bool | None] = None, q: FromQuery[str | None] = None,
                    limit: PageLimit = 50, offset: PageOffset = 0) -> Page[Person]:
        return await service.list_people(conn, principal, rule, village_code=village_code,
                                         lianghousheng=lianghousheng, q=q, limit=limit, offset=offset, scope=reach)

    @get("/possible-duplicates", summary="疑似重复人员：同村同名同出生日期但身份证号不同")
    async def duplicates(self, conn: Conn, principal: Caller, rule: Rules, reach: ReadScope,
                         limit: PageLimit = 100) -> list[DuplicateGroup]:
        return await service.possible_duplicates(conn, principal, rule, limit, reach)

    @get("/{person_id:uuid}", summary="人员详情（含当前培训需求与两后生判定）")
    async def detail(self, conn: Conn, principal: Caller, rule: Rules, reach: ReadScope,
                     person_id: FromPath[UUID]) -> Person:
        return await service.get_person(conn, principal, rule, person_id, reach)

    @patch("/{person_id:uuid}", summary="修改人员信息")
    async def update(self, conn: Conn, principal: Caller, vault: Secrets, rule: Rules, reach: ReadScope,
                     person_id: FromPath[UUID], data: JSONBody[PersonUpdate]) -> Person:
        return await service.update_person(conn, principal, vault, rule, person_id, data, scope=reach)

    @post("/{person_id:uuid}/surveys", summary="录入培训需求调查（保留历史，最新一次为当前需求）")
    async def add_survey(self, conn: Conn, principal: Caller, rule: Rules, reach: ReadScope,
                         person_id: FromPath[UUID], data: JSONBody[SurveyCreate]) -> Survey:
        return await service.add_survey(conn, principal, rule, person_id, data, scope=reach)

    @get("/{person_id:uuid}/surveys", summary="培训需求调查历史（新的在前）")
    async def surveys(self, conn: Conn, principal: Caller, rule: Rules, reach: ReadScope,
                      person_id: FromPath[UUID]) -> list[Survey]:
        return await service.list_surveys(conn, principal, rule, person_id, reach)

    # Never kept for an Idempotency-Key replay, nor by any cache: each reveal runs and is audited anew.
    @post("/{person_id:uuid}/reveal", status_code=200, summary="查看完整身份证号与电话（管理员、本村调查员；记入审计）",
          opt=SENSITIVE, cache_control=CacheControlHeader(no_store=True))
    async def reveal(self, conn: Conn, principal: Caller, vault: Secrets, rule: Rules, reach: ReadScope,
                     person_id: FromPath[UUID]) -> Revealed:
        return await service.reveal(conn, principal, vault, rule, person_id, reach)


class SyncController(Controller):
    path = "/api/sync"
    tags = ["离线同步 sync"]

    @post("/", status_code=200, guards=[roles("admin", "surveyor")],
          summary="离线同步：一批农户、人员、调查，各带设备生成的 client_id；重发同一批不会重复写入")
    async def sync(self, conn: Conn, principal: Caller, vault: Secrets, rule: Rules,
                   data: JSONBody[SyncBatch]) -> SyncResponse:
        return await sync_service.sync(conn, principal, vault, rule, data)


CONTROLLERS = [HouseholdController, PeopleController, SyncController]
