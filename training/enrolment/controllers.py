"""HTTP routes of enrolment, attendance, completion and employment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.params import FromPath, JSONBody, MultipartBody

from training.core.deps import Caller, Conn, PageLimit, PageOffset, Rules, Secrets, Today
from training.core.errors import FieldError, InvalidInput
from training.core.excel import MAX_UPLOAD_BYTES
from training.enrolment import service, signin
from training.enrolment.schemas import (
    AttendanceDay,
    AttendanceResult,
    Completion,
    Employment,
    EmploymentCreate,
    Enrolment,
    EnrolmentCreate,
    PersonTrainings,
    Roster,
    Withdrawal,
)
from training.enrolment.signin import SheetResult

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SessionEnrolmentController(Controller):
    path = "/api/sessions/{session_id:uuid}"
    tags = ["报名 enrolment"]

    @post("/enrolments", summary="报名：有名额即录取，否则按到达顺序候补（可带 Idempotency-Key 安全重试）")
    async def enrol(self, conn: Conn, principal: Caller, rule: Rules, session_id: FromPath[UUID],
                    data: JSONBody[EnrolmentCreate]) -> Enrolment:
        return await service.enrol(conn, principal, rule, session_id, data)

    @get("/enrolments", summary="培训班报名名单（分页；开班学校、管理员、官员；身份证号打码），附名额、报名、候补人数")
    async def list_(self, conn: Conn, principal: Caller, session_id: FromPath[UUID], limit: PageLimit = 50,
                    offset: PageOffset = 0) -> Roster:
        return await service.session_enrolments(conn, principal, session_id, limit, offset)

    @post("/attendance", status_code=200, summary="记一天的考勤：present 为出勤学员的报名编号，其余记缺勤")
    async def attendance(self, conn: Conn, principal: Caller, today: Today, session_id: FromPath[UUID],
                         data: JSONBody[AttendanceDay]) -> AttendanceResult:
        return await service.record_attendance(conn, principal, session_id, data, today)


@dataclass
class SheetUpload:
    file: UploadFile
    mode: Literal["valid_only", "all_or_nothing"] = "valid_only"


class SignInSheetController(Controller):
    path = "/api/sessions/{session_id:uuid}/attendance/sheet"
    tags = ["报名 enrolment"]

    @post("/", status_code=200, request_max_body_size=MAX_UPLOAD_BYTES,
          summary="上传签到表（.xlsx：姓名、身份证号或报名编号，每个培训日一列，√/✓/1/出勤 为出勤）")
    async def upload(self, conn: Conn, principal: Caller, vault: Secrets, today: Today, session_id: FromPath[UUID],
                     data: MultipartBody[SheetUpload]) -> SheetResult:
        content = await data.file.read()
        if not content:
            raise InvalidInput([FieldError("file", "请上传签到表（.xlsx）")])
        return await signin.import_sheet(conn, principal, vault, session_id, content, data.mode, today)


    @get("/", summary="下载签到表（.xlsx）：已报名和已结业学员的报名编号、姓名、打码身份证号、村，每个培训日一列，填好可上传")
    async def download(self, conn: Conn, principal: Caller, session_id: FromPath[UUID]) -> Response[bytes]:
        content, filename = await signin.blank_sheet(conn, principal, session_id)
        return Response(content, media_type=XLSX, headers={
            "Content-Disposition": f"attachment; filename=\"signin.xlsx\"; filename*=UTF-8''{quote(filename)}"})


class EnrolmentController(Controller):
    path = "/api/enrolments/{enrolment_id:uuid}"
    tags = ["报名 enrolment"]

    @get("/", summary="报名详情")
    async def detail(self, conn: Conn, principal: Caller, enrolment_id: FromPath[UUID]) -> Enrolment:
        return await service.get_enrolment(conn, principal, enrolment_id)

    @post("/withdraw", status_code=200, summary="退出：空出的名额立即给候补第一人")
    async def withdraw(self, conn: Conn, principal: Caller, enrolment_id: FromPath[UUID],
                       data: JSONBody[Withdrawal]) -> Enrolment:
        return await service.withdraw(conn, principal, enrolment_id, data)

    @post("/drop", status_code=200, summary="学校除名（须写明原因）")
    async def drop(self, conn: Conn, principal: Caller, enrolment_id: FromPath[UUID],
                   data: JSONBody[Withdrawal]) -> Enrolment:
        return await service.drop(conn, principal, enrolment_id, data)

    @post("/complete", status_code=200, summary="登记结业：出勤率须达标（默认 80%），否则须写明原因并记入审计")
    async def complete(self, conn: Conn, principal: Caller, today: Today, state: State,
                       enrolment_id: FromPath[UUID], data: JSONBody[Completion]) -> Enrolment:
        return await service.complete(conn, principal, enrolment_id, data, today,
                                      state.settings.attendance_threshold)

    @post("/employment", summary="登记培训后就业")
    async def employment(self, conn: Conn, principal: Caller, today: Today, enrolment_id: FromPath[UUID],
                         data: JSONBody[EmploymentCreate]) -> Employment:
        return await service.record_employment(conn, principal, enrolment_id, data, today)


class PersonTrainingController(Controller):
    path = "/api/people/{person_id:uuid}/enrolments"
    tags = ["报名 enrolment"]

    @get("/", summary="某人的培训、证书、人次和补贴是否可申领")
    async def trainings(self, conn: Conn, principal: Caller, rule: Rules, today: Today,
                        person_id: FromPath[UUID]) -> PersonTrainings:
        return await service.person_trainings(conn, principal, rule, person_id, today)


CONTROLLERS = [SessionEnrolmentController, SignInSheetController, EnrolmentController, PersonTrainingController]
