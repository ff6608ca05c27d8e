"""HTTP routes of the course menu (四晒一亮). Thin: parse, call the service, return."""

from __future__ import annotations

from datetime import date
from typing import Annotated, TypeAlias
from uuid import UUID

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from training.auth.guards import roles
from training.catalogue import service
from training.catalogue.schemas import (
    Course,
    CourseCreate,
    CourseKind,
    EducationLevel,
    Equipment,
    EquipmentCreate,
    Major,
    MajorCreate,
    Menu,
    Package,
    PackageCreate,
    School,
    SchoolCreate,
    SchoolDetail,
    SchoolKind,
    Session,
    SessionCancel,
    SessionCreate,
    SessionStatus,
    SessionUpdate,
    Teacher,
    TeacherCreate,
    Trade,
)
from training.core.deps import Caller, Conn, PageLimit, PageOffset, Today
from training.core.schemas import Page
from training.core.types import RegionCode, TradeCode

# Given by the composition root (training/app.py): the enrolment slice's counts and cancellations.
Seats: TypeAlias = NamedDependency[service.SeatCounts]
CancelEnrolments: TypeAlias = NamedDependency[service.CancelEnrolments]

Township = Annotated[str | None, QueryParameter(pattern=r"^\d{12}$", description="乡镇 12 位区划代码")]
Village = Annotated[str | None, QueryParameter(pattern=r"^\d{12}$", description="村 12 位区划代码")]


class TradeController(Controller):
    path = "/api/trades"
    tags = ["晒工种 trades"]

    @get("/", summary="搜索工种（按代码、名称、类别或俗称，精确和名称匹配在前）")
    async def search(
        self, conn: Conn, q: FromQuery[str | None] = None, category: FromQuery[str | None] = None,
        focus: FromQuery[bool | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    ) -> list[Trade]:
        return await service.search_trades(conn, q, category, focus, limit)


class EducationLevelController(Controller):
    path = "/api/education-levels"
    tags = ["参考代码 reference"]

    @get("/", summary="文化程度代码（GB/T 4658），按代码表顺序；rank 越大学历越高")
    async def list_(self, conn: Conn) -> list[EducationLevel]:
        return await service.education_levels(conn)


class SchoolController(Controller):
    path = "/api/schools"
    tags = ["学校 schools"]

    @post("/", guards=[roles("admin")], summary="登记学校（管理员）")
    async def create(self, conn: Conn, principal: Caller, data: JSONBody[SchoolCreate]) -> School:
        return await service.create_school(conn, principal, data)

    @get("/", summary="学校列表")
    async def list_(self, conn: Conn, principal: Caller, q: FromQuery[str | None] = None,
                    kind: FromQuery[SchoolKind | None] = None, limit: PageLimit = 50, offset: PageOffset = 0,
    ) -> Page[School]:
        return await service.list_schools(conn, principal, q, kind, limit, offset)

    @get("/{school_id:uuid}", summary="学校详情：专业、师资、设备、课程（四晒）")
    async def detail(self, conn: Conn, principal: Caller, school_id: FromPath[UUID]) -> SchoolDetail:
        return await service.school_detail(conn, principal, school_id)

    @post("/{school_id:uuid}/majors", summary="晒专业：新增专业")
    async def add_major(self, conn: Conn, principal: Caller, school_id: FromPath[UUID], data: JSONBody[MajorCreate]) -> Major:
        return await service.add_major(conn, principal, school_id, data)

    @get("/{school_id:uuid}/majors", summary="专业列表")
    async def majors(self, conn: Conn, principal: Caller, school_id: FromPath[UUID]) -> list[Major]:
        return await service.list_majors(conn, principal, school_id)

    @post("/{school_id:uuid}/teachers", summary="晒师资：新增教师")
    async def add_teacher(self, conn: Conn, principal: Caller, school_id: FromPath[UUID], data: JSONBody[TeacherCreate]) -> Teacher:
        return await service.add_teacher(conn, principal, school_id, data)

    @get("/{school_id:uuid}/teachers", summary="教师列表")
    async def teachers(self, conn: Conn, principal: Caller, school_id: FromPath[UUID]) -> list[Teacher]:
        return await service.list_teachers(conn, principal, school_id)

    @post("/{school_id:uuid}/equipment", summary="晒设备：新增设备")
    async def add_equipment(self, conn: Conn, principal: Caller, school_id: FromPath[UUID],
                            data: JSONBody[EquipmentCreate]) -> Equipment:
        return await service.add_equipment(conn, principal, school_id, data)

    @get("/{school_id:uuid}/equipment", summary="设备列表")
    async def equipment(self, conn: Conn, principal: Caller, school_id: FromPath[UUID]) -> list[Equipment]:
        return await service.list_equipment(conn, principal, school_id)


class CourseController(Controller):
    path = "/api/courses"
    tags = ["课程 courses"]

    @post("/", guards=[roles("admin", "school")], summary="新增课程")
    async def create(self, conn: Conn, principal: Caller, data: JSONBody[CourseCreate]) -> Course:
        return await service.create_course(conn, principal, data)

    @get("/", summary="课程列表（可按学校、工种、类型、工种类别、关键词筛选）")
    async def list_(
        self, conn: Conn, principal: Caller, school_id: FromQuery[UUID | None] = None,
        trade_code: Annotated[TradeCode | None, QueryParameter(pattern=r"^\d-\d{2}-\d{2}-\d{2}$")] = None,
        kind: FromQuery[CourseKind | None] = None, category: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None, limit: PageLimit = 50, offset: PageOffset = 0,
    ) -> Page[Course]:
        return await service.list_courses(conn, principal, school_id=school_id, trade_code=trade_code, kind=kind,
                                          category=category, q=q, limit=limit, offset=offset)

    @get("/{course_id:uuid}", summary="课程详情")
    async def detail(self, conn: Conn, principal: Caller, course_id: FromPath[UUID]) -> Course:
        return await service.get_course(conn, principal, course_id)

    @post("/{course_id:uuid}/sessions", guards=[roles("admin", "school")], summary="亮时间表：新建培训班（草稿）")
    async def create_session(self, conn: Conn, principal: Caller, seat_counts: Seats, course_id: FromPath[UUID],
                             data: JSONBody[SessionCreate]) -> Session:
        return await service.create_session(conn, principal, course_id, data, seats=seat_counts)


class SessionController(Controller):
    path = "/api/sessions"
    tags = ["培训班 sessions"]

    @get("/", summary="培训班列表（可按村、乡镇、工种、状态、日期筛选）")
    async def list_(
        self, conn: Conn, principal: Caller, seat_counts: Seats, village_code: Village = None,
        township_code: Township = None,
        trade_code: Annotated[str | None, QueryParameter(pattern=r"^\d-\d{2}-\d{2}-\d{2}$")] = None,
        status: FromQuery[SessionStatus | None] = None,
        starts_from: Annotated[date | None, QueryParameter(description="开始日期不早于")] = None,
        starts_to: Annotated[date | None, QueryParameter(description="开始日期不晚于")] = None,
        school_id: FromQuery[UUID | None] = None, course_id: FromQuery[UUID | None] = None, limit: PageLimit = 50, offset: PageOffset = 0,
    ) -> Page[Session]:
        filters = {"village_code": village_code, "township_code": township_code, "trade_code": trade_code,
                   "status": status, "starts_from": starts_from, "starts_to": starts_to, "school_id": school_id,
                   "course_id": course_id}
        return await service.list_sessions(conn, principal, filters, limit, offset, seats=seat_counts)

    @get("/{session_id:uuid}", summary="培训班详情（含剩余名额、报名与候补人数）")
    async def detail(self, conn: Conn, principal: Caller, seat_counts: Seats, session_id: FromPath[UUID]) -> Session:
        return await service.get_session(conn, principal, session_id, seats=seat_counts)

    @patch("/{session_id:uuid}", guards=[roles("admin", "school")], summary="修改草稿培训班")
    async def update(self, conn: Conn, principal: Caller, seat_counts: Seats, session_id: FromPath[UUID],
                     data: JSONBody[SessionUpdate]) -> Session:
        return await service.update_session(conn, principal, session_id, data, seats=seat_counts)

    @post("/{session_id:uuid}/publish", guards=[roles("admin", "school")], status_code=200,
          summary="发布培训班（检查日期、人数、师资）")
    async def publish(self, conn: Conn, principal: Caller, seat_counts: Seats, session_id: FromPath[UUID],
                      today: Today) -> Session:
        return await service.publish_session(conn, principal, session_id, today, seats=seat_counts)

    @post("/{session_id:uuid}/cancel", guards=[roles("admin", "school")], status_code=200,
          summary="取消培训班（开班学校或管理员，须写明原因）：已报名和候补的人一并取消，名额释放")
    async def cancel(self, conn: Conn, principal: Caller, seat_counts: Seats, cancel_enrolments: CancelEnrolments,
                     session_id: FromPath[UUID], data: JSONBody[SessionCancel]) -> Session:
        return await service.cancel_session(conn, principal, session_id, data, seats=seat_counts,
                                            cancel_enrolments=cancel_enrolments)


class PackageController(Controller):
    path = "/api/packages"
    tags = ["培训资源包 packages"]

    @post("/", guards=[roles("admin", "official", "school")], summary="组建培训资源包")
    async def create(self, conn: Conn, principal: Caller, data: JSONBody[PackageCreate]) -> Package:
        return await service.create_package(conn, principal, data)

    @get("/", summary="培训资源包列表")
    async def list_(self, conn: Conn, principal: Caller, village_code: Village = None, limit: PageLimit = 50, offset: PageOffset = 0,
    ) -> Page[Package]:
        return await service.list_packages(conn, principal, village_code, limit, offset)

    @get("/{package_id:uuid}", summary="培训资源包详情")
    async def detail(self, conn: Conn, principal: Caller, package_id: FromPath[UUID]) -> Package:
        return await service.get_package(conn, principal, package_id)


class MenuController(Controller):
    path = "/api/menu"
    tags = ["培训菜单 menu"]

    @get("/", summary="某村的培训菜单：未开班的已发布培训班，重点村的资源包优先，由近及远")
    async def menu(self, conn: Conn, principal: Caller, seat_counts: Seats, today: Today,
                   village_code: Annotated[RegionCode, QueryParameter(pattern=r"^\d{12}$")],
                   limit: PageLimit = 50, offset: PageOffset = 0) -> Menu:
        return await service.menu(conn, principal, village_code, today, seats=seat_counts, limit=limit, offset=offset)


CONTROLLERS = [TradeController, EducationLevelController, SchoolController, CourseController, SessionController, PackageController,
               MenuController]
