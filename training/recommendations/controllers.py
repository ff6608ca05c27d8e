"""HTTP routes of recommendations, candidates, batches (分批次) and uptake."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from training.core.deps import Caller, Conn, Rules, Today
from training.matching.schemas import UptakeRow
from training.recommendations import service
from training.recommendations.schemas import Allocation, AllocationCreate, Candidates, Recommendations

Limit = Annotated[int, QueryParameter(ge=1, le=50, description="条数")]
CandidateLimit = Annotated[int, QueryParameter(ge=1, le=500, description="条数")]
Village = Annotated[str | None, QueryParameter(pattern=r"^\d{12}$", description="村 12 位区划代码")]
Region = Annotated[str | None, QueryParameter(pattern=r"^\d{12}$", description="村、乡镇或县的 12 位区划代码")]
Poverty = Literal["registered_poor", "lifted", "monitored", "ordinary"]


class PersonRecommendationController(Controller):
    path = "/api/people/{person_id:uuid}/recommendations"
    tags = ["推荐 recommendations"]

    @get("/", summary="为某人推荐可报名的培训班（先按报名规则筛选，再按推荐分（报名可能性×结业可能性）排序，附理由）")
    async def for_person(self, conn: Conn, principal: Caller, rule: Rules, today: Today,
                         person_id: FromPath[UUID], limit: Limit = 5) -> Recommendations:
        return await service.for_person(conn, principal, rule, person_id, limit, today)


class SessionCandidateController(Controller):
    path = "/api/sessions/{session_id:uuid}/candidates"
    tags = ["推荐 recommendations"]

    @get("/", summary="为培训班推荐符合报名条件的学员（身份证号打码，附理由）")
    async def candidates(self, conn: Conn, principal: Caller, rule: Rules, today: Today,
                         session_id: FromPath[UUID], limit: CandidateLimit = 50,
                         village_code: Village = None, lianghousheng: FromQuery[bool | None] = None,
                         poverty_status: FromQuery[Poverty | None] = None) -> Candidates:
        return await service.candidates(conn, principal, rule, session_id, limit, today, village_code=village_code,
                                        lianghousheng=lianghousheng, poverty_status=poverty_status)


class AllocationController(Controller):
    path = "/api/allocations"
    tags = ["推荐 recommendations"]

    @post("/", summary="为村或乡镇编排一批培训（分批次）：每人至多一个班、不超名额、预期结业人数最多")
    async def propose(self, conn: Conn, principal: Caller, rule: Rules, today: Today, state: State,
                      data: JSONBody[AllocationCreate]) -> Allocation:
        return await service.propose(conn, principal, rule, data, today, state.settings.allocation_priority_weight)

    @get("/{allocation_id:uuid}", summary="培训批次详情")
    async def detail(self, conn: Conn, principal: Caller, allocation_id: FromPath[UUID]) -> Allocation:
        return await service.get_allocation(conn, principal, allocation_id)

    @post("/{allocation_id:uuid}/accept", status_code=200,
          summary="确认培训批次：一次为所有拟安排人员报名（重复确认不会重复报名；未成功的逐人说明原因）")
    async def accept(self, conn: Conn, principal: Caller, rule: Rules, allocation_id: FromPath[UUID]) -> Allocation:
        return await service.accept(conn, principal, rule, allocation_id)


class UptakeController(Controller):
    path = "/api/recommendations/uptake"
    tags = ["推荐 recommendations"]

    @get("/", summary="推荐效果：各模型版本的推荐 → 报名 → 结业")
    async def uptake(self, conn: Conn, principal: Caller, region_code: Region = None,
                     model_version: FromQuery[str | None] = None) -> list[UptakeRow]:
        return await service.uptake(conn, principal, region_code, model_version)


CONTROLLERS = [PersonRecommendationController, SessionCandidateController, AllocationController, UptakeController]
