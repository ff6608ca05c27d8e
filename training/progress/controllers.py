"""HTTP routes of quotas, progress, the worklist of uncovered households, unmet demand and reports."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from litestar import Controller, Response, get, put
from litestar.params import JSONBody, QueryParameter

from training.core.deps import Caller, Conn, PageLimit, PageOffset, Rules, Today
from training.progress import reports, service
from training.progress.schemas import Progress, QuotaList, QuotaPut, QuotaResult, UncoveredPage, UnmetDemand

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Region = Annotated[str, QueryParameter(pattern=r"^\d{6}(\d{6})?$", description="区划代码：县 6 位或 12 位统计用区划代码")]
Year = Annotated[int, QueryParameter(ge=2000, le=2100, description="年份")]
MaybeRegion = Annotated[str | None, QueryParameter(pattern=r"^\d{6}(\d{6})?$", description="区划代码：县 6 位或 12 位")]
MaybeYear = Annotated[int | None, QueryParameter(ge=2000, le=2100, description="年份（或给 month、quarter）")]
Format = Annotated[Literal["json", "xlsx"], QueryParameter(description="json 或 xlsx")]


def _attachment(content: bytes, filename: str) -> Response[bytes]:
    return Response(content, media_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename=\"report.xlsx\"; filename*=UTF-8''{quote(filename)}"})


class QuotaController(Controller):
    path = "/api/quotas"
    tags = ["进度 progress"]

    @put("/", status_code=200, summary="设定年度指标（县、乡镇或学校；官员在其辖区内，管理员）；乡镇合计超过全县时给出 warning")
    async def put_quota(self, conn: Conn, principal: Caller, data: JSONBody[QuotaPut]) -> QuotaResult:
        return await service.put_quota(conn, principal, data)

    @get("/", summary="年度指标列表（可按地区）；乡镇合计超过全县时给出 warning")
    async def list_(self, conn: Conn, principal: Caller, year: Year, region_code: MaybeRegion = None) -> QuotaList:
        return await service.list_quotas(conn, principal, year, region_code)


class ProgressController(Controller):
    path = "/api/progress"
    tags = ["进度 progress"]

    @get("/", summary="年度进度：对照指标的结业人次、人数、取证、就业、覆盖户、进度与预测，并按月、乡镇、村、工种、学校分列")
    async def progress(self, conn: Conn, principal: Caller, today: Today, region_code: Region,
                       year: MaybeYear = None,
                       month: Annotated[str | None, QueryParameter(description="只看一个月：YYYY-MM")] = None,
                       quarter: Annotated[str | None, QueryParameter(description="只看一个季度：YYYY-Q")] = None,
                       ) -> Progress:
        period = service.parse_period(month, quarter, year)
        return await service.progress_for(conn, principal, today, region_code, period.year, period.months)

    @get("/uncovered-households", summary="今年尚无人参训的目标户（有劳动年龄劳动力）：调查员工作清单，分页，也可导出 .xlsx")
    async def uncovered(self, conn: Conn, principal: Caller, rule: Rules, today: Today, region_code: Region,
                        format: Format = "json", limit: PageLimit = 50,
                        offset: PageOffset = 0) -> UncoveredPage | Response[bytes]:
        if format == "xlsx":  # the whole list, up to service.WORKLIST_XLSX_MAX_HOUSEHOLDS households
            return _attachment(*await service.uncovered_workbook(conn, principal, rule, today, region_code))
        return await service.uncovered(conn, principal, rule, today, region_code, limit, offset)

    @get("/unmet-demand", summary="有人想学、但近期没有可及培训班的工种，按乡镇分列，附想学人数")
    async def unmet(self, conn: Conn, principal: Caller, today: Today, region_code: Region) -> UnmetDemand:
        return await service.unmet_demand(conn, principal, today, region_code)


class ReportController(Controller):
    path = "/api/reports"
    tags = ["进度 progress"]

    @get("/monthly", summary="月报 .xlsx：总表对照指标，分乡镇、工种、学校、月份；数字与 /api/progress?month= 相同")
    async def monthly(self, conn: Conn, principal: Caller, today: Today, region_code: Region,
                      month: Annotated[str, QueryParameter(description="YYYY-MM")]) -> Response[bytes]:
        period = service.parse_period(month, None, None)
        return await self._report(conn, principal, today, region_code, period, "月报",
                                  f"{period.year}年{period.first}月")

    @get("/quarterly", summary="季报 .xlsx：总表对照指标，分乡镇、工种、学校、月份；数字与 /api/progress?quarter= 相同")
    async def quarterly(self, conn: Conn, principal: Caller, today: Today, region_code: Region,
                        quarter: Annotated[str, QueryParameter(description="YYYY-Q")]) -> Response[bytes]:
        period = service.parse_period(None, quarter, None)
        return await self._report(conn, principal, today, region_code, period, "季报",
                                  f"{period.year}年第{(period.first + 2) // 3}季度")

    @staticmethod
    async def _report(conn: Conn, principal: Caller, today: Today, region_code: str, period: service.Period,
                      kind: str, period_name: str) -> Response[bytes]:
        report = await service.report_for(conn, principal, today, region_code, period)
        return _attachment(reports.report_workbook(report.figures, report.unit, period_name, kind, today, report.quota),
                           f"{report.unit}{kind}_{period_name}.xlsx")


CONTROLLERS = [QuotaController, ProgressController, ReportController]
