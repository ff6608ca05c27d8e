"""HTTP routes of the Excel ledger: template, import, export."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromQuery, MultipartBody, QueryParameter

from training.core.deps import Caller, Conn, Rules, Secrets, Today
from training.core.errors import FieldError, InvalidInput
from training.core.excel import MAX_UPLOAD_BYTES
from training.ledger import service
from training.ledger.service import ImportResult, Mode

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(content: bytes, filename: str) -> Response[bytes]:
    # A ledger is people's records (revealed: full ID numbers and phones): no browser or proxy keeps it.
    return Response(content, media_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename=\"ledger.xlsx\"; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "no-store"})


@dataclass
class LedgerUpload:
    file: UploadFile
    mode: Mode = "valid_only"


class LedgerController(Controller):
    path = "/api/ledger"
    tags = ["培训台账 ledger"]

    @get("/template", summary="下载台账模板（.xlsx，中文表头，附填写说明）")
    async def template(self) -> Response[bytes]:
        return _attachment(service.template(), "培训台账模板.xlsx")

    @post("/import", status_code=200, request_max_body_size=MAX_UPLOAD_BYTES,
          summary="导入台账：mode=valid_only 只写入无误的行；all_or_nothing 有任何错误则不写入")
    async def import_(self, conn: Conn, principal: Caller, vault: Secrets, today: Today,
                      data: MultipartBody[LedgerUpload]) -> ImportResult:
        content = await data.file.read()
        if not content:
            raise InvalidInput([FieldError("file", "请上传台账文件（.xlsx）")])
        return await service.import_ledger(conn, principal, vault, content, data.mode, today)

    @get("/export", summary="导出台账（.xlsx）；身份证号和电话默认打码，reveal=true 时向有权限者导出全号并记入审计")
    async def export(
        self, conn: Conn, principal: Caller, vault: Secrets, rule: Rules,
        village_code: Annotated[str | None, QueryParameter(pattern=r"^\d{12}$")] = None,
        reveal: FromQuery[bool] = False,
    ) -> Response[bytes]:
        content = await service.export(conn, principal, vault, rule, village_code, reveal)
        return _attachment(content, f"培训台账{village_code or ''}.xlsx")
