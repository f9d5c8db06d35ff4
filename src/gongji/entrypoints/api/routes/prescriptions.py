"""医保电子处方中心 API (外配处方, seed 004; docs/prescriptions.md).

Institutions call it signed with their gateway key (docs/his-signing.md, ``_api_name`` ``rx``) or
with the bearer token of their system user; staff with their login. Field names follow the national
2204 fee lines (``rxno``, ``med_list_codg``, ``cnt``, ``prd_days``, ``sin_dos_dscr``,
``used_frqu_dscr``, ``medc_way_dscr``, ``pric``, ``bilg_dr_codg``, ``dise_codg``) and the code tables
(``rx_chk_stas_codg`` 1 审核通过 / 0 审核不通过, ``rx_stas_codg``, ``rx_used_stas_codg``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from gongji.domain import prescriptions as D
from gongji.entrypoints.api.deps import GjDep, channel_of, current_principal
from gongji.entrypoints.api.routes.nhsa import signed_path
from gongji.entrypoints.api.schemas import Body
from gongji.services.institutions import gateway, keys
from gongji.services.prescriptions import common, doubts, flow, inspection
from gongji.services.registry.context import Ctx

router = APIRouter(prefix="/api/rx", tags=["外配处方 (e-prescription centre)"])
RX_API_NAME = "rx"
Number = Annotated[str, Field(min_length=2, max_length=40, pattern=r"^[A-Za-z0-9]+$")]


async def rx_ctx(request: Request, gj: GjDep) -> Ctx:
    """A signed institution request (``_api_name`` rx) or a logged-in user."""
    if "_api_access_key" not in request.headers:
        principal = await run_in_threadpool(current_principal, request, gj)
        return Ctx(principal=principal, channel=channel_of(request), clock=gj.clock)
    signed = gateway.Request(
        headers=dict(request.headers), method=request.method, path=signed_path(request), body=await request.body()
    )
    admitted = await run_in_threadpool(
        gateway.admit,
        gj.run,  # type: ignore[arg-type]
        signed,
        holder=keys.INSTITUTION,
        api_name=RX_API_NAME,
        clock=gj.clock,
    )
    return Ctx(principal=admitted.principal, channel=channel_of(request), clock=gj.clock)


RxCtx = Annotated[Ctx, Depends(rx_ctx)]


class LineIn(Body):
    med_list_codg: str = Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9]+$", description="医疗目录编码")
    hilist_name: str = Field(default="", max_length=100, description="药品名称（空则取目录名称）")
    cnt: Decimal = Field(gt=0, max_digits=16, decimal_places=4, description="数量")
    prd_days: int = Field(ge=1, le=3650, strict=True, description="周期天数（用药天数）")
    sin_dos_dscr: str = Field(min_length=1, max_length=200, description="单次剂量描述")
    used_frqu_dscr: str = Field(min_length=1, max_length=200, description="使用频次描述")
    medc_way_dscr: str = Field(default="口服", min_length=1, max_length=200, description="用药途径描述")
    pric: Decimal | None = Field(default=None, ge=0, max_digits=16, decimal_places=6, description="单价（元）")

    def drug(self) -> D.DrugLine:
        return D.DrugLine(
            med_list_codg=self.med_list_codg,
            hilist_name=self.hilist_name,
            cnt=self.cnt,
            prd_days=self.prd_days,
            sin_dos_dscr=self.sin_dos_dscr,
            used_frqu_dscr=self.used_frqu_dscr,
            medc_way_dscr=self.medc_way_dscr,
            pric=self.pric,
        )


class IssueIn(Body):
    rxno: Number = Field(description="医院处方号")
    psn_no: str = Field(min_length=1, max_length=30, description="人员编号（1101）")
    dise_codg: str = Field(default="", max_length=30, pattern=r"^[A-Za-z0-9.]*$", description="病种/诊断编码")
    dise_name: str = Field(default="", max_length=100)
    bilg_dr_codg: str = Field(default="", max_length=30, description="开方医保医师代码")
    bilg_dr_name: str = Field(default="", max_length=50)
    lines: list[LineIn] = Field(min_length=1, max_length=D.MAX_LINES)

    def issue(self) -> flow.Issue:
        return flow.Issue(
            rxno=self.rxno,
            psn_no=self.psn_no,
            dise_codg=self.dise_codg,
            dise_name=self.dise_name,
            bilg_dr_codg=self.bilg_dr_codg,
            bilg_dr_name=self.bilg_dr_name,
            lines=[line.drug() for line in self.lines],
        )


class UploadIn(IssueIn):
    mdtrt_id: str = Field(min_length=1, max_length=30, description="就诊ID（2201）")


class PaperIn(IssueIn):
    issuer_code: str = Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9]+$", description="开方机构编码")
    insutype: str = Field(pattern=r"^(310|390)$")
    issued_on: datetime = Field(description="开方时间")
    stamp_present: bool = Field(strict=True, description="处方加盖了外配处方专用章")


class FetchIn(Body):
    hi_rxno: Number = Field(description="医保处方编号")


class ReasonIn(Body):
    reason: str = Field(min_length=2, max_length=200)


class DispensedLine(Body):
    med_list_codg: str = Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9]+$")
    cnt: Decimal = Field(gt=0, max_digits=16, decimal_places=4)


class DispenseIn(Body):
    rx_chk_stas_codg: Literal["0", "1"] = Field(
        description="处方审核状态：1 审核通过（调剂），0 审核不通过（拒绝调剂）"
    )
    lines: list[DispensedLine] = Field(default_factory=list, max_length=D.MAX_LINES)
    reason: str = Field(default="", max_length=200, description="拒绝调剂的原因")
    physician_confirmed: bool = Field(default=False, strict=True, description="已核对医保医师代码（纸质处方）")
    stamp_confirmed: bool = Field(default=False, strict=True, description="已核对外配处方专用章（纸质处方）")


class DoubtIn(Body):
    reason: str = Field(max_length=24, description=" / ".join(f"{k} {v}" for k, v in D.DOUBT_REASONS.items()))
    note: str = Field(default="", max_length=500)


class CloseIn(Body):
    note: str = Field(min_length=2, max_length=500)


def _commit(gj: Any, fn: Any) -> Any:
    def go(uow: Any) -> Any:
        out = fn(uow)
        uow.commit()
        return out

    return gj.run(go)


@router.post("/prescriptions", status_code=201)
def upload(body: UploadIn, gj: GjDep, ctx: RxCtx) -> dict[str, Any]:
    """电子处方上传 (hospital): 201 with the centre's number ``hi_rxno``."""
    return _commit(gj, lambda uow: flow.upload(uow, ctx, gj.profile, body.issue(), mdtrt_id=body.mdtrt_id))  # type: ignore[no-any-return]


@router.get("/prescriptions")
def own(gj: GjDep, ctx: RxCtx) -> dict[str, Any]:
    """An institution's prescriptions: a hospital's own, a pharmacy's fetched ones."""
    items = gj.run(lambda uow: flow.own_list(uow, ctx, gj.profile))
    return {"items": items, "count": len(items)}


@router.get("/prescriptions/{number}")
def one(number: str, gj: GjDep, ctx: RxCtx) -> dict[str, Any]:
    return gj.run(lambda uow: common.view(uow, gj.profile, common.visible(uow, ctx, number), ctx.clock.now()))  # type: ignore[no-any-return]


@router.get("/prescriptions/{number}/pdf", response_class=Response)
def printed(number: str, gj: GjDep, ctx: RxCtx) -> Response:
    """The electronic prescription printed as a paper prescription (PDF)."""
    from gongji.adapters.pdf.prescription import render_prescription
    from gongji.domain.errors import RxUnknown

    def go(uow: Any) -> dict[str, Any]:
        rx = common.visible(uow, ctx, number)
        if rx.source != "center":
            raise RxUnknown("只有电子处方可以打印", "Only an electronic prescription is printed", number=number)
        return common.view(uow, gj.profile, rx, ctx.clock.now())

    v = gj.run(go)
    return Response(
        render_prescription(v),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="rx-{v["hi_rxno"]}.pdf"'},
    )


@router.post("/prescriptions/{number}/revoke")
def revoke(number: str, body: ReasonIn, gj: GjDep, ctx: RxCtx) -> dict[str, Any]:
    return _commit(gj, lambda uow: flow.revoke(uow, ctx, gj.profile, number, body.reason))  # type: ignore[no-any-return]


@router.post("/fetch")
def fetch(body: FetchIn, gj: GjDep, ctx: RxCtx) -> dict[str, Any]:
    """处方调取 (pharmacy) by the centre's number: the prescription with its drug lines to check."""
    return _commit(gj, lambda uow: flow.fetch(uow, ctx, gj.profile, body.hi_rxno))  # type: ignore[no-any-return]


@router.post("/paper", status_code=201)
def paper(body: PaperIn, gj: GjDep, ctx: RxCtx) -> dict[str, Any]:
    """纸质外配处方录入 (pharmacy): the physician's code and the stamp as seen on the paper."""
    return _commit(  # type: ignore[no-any-return]
        gj,
        lambda uow: flow.enter_paper(
            uow,
            ctx,
            gj.profile,
            body.issue(),
            issuer_code=body.issuer_code,
            insutype=body.insutype,
            issued_on=body.issued_on,
            stamp_present=body.stamp_present,
        ),
    )


@router.post("/prescriptions/{number}/dispense")
def dispense(number: str, body: DispenseIn, gj: GjDep, ctx: RxCtx) -> dict[str, Any]:
    """调剂结果上报 (pharmacy): dispensed (1, the drugs and quantities) or refused (0, the reason)."""
    dispensed: dict[str, Decimal] = {}
    for line in body.lines:
        dispensed[line.med_list_codg] = dispensed.get(line.med_list_codg, Decimal(0)) + line.cnt
    return _commit(  # type: ignore[no-any-return]
        gj,
        lambda uow: flow.dispense(
            uow,
            ctx,
            gj.profile,
            number,
            passed=body.rx_chk_stas_codg == "1",
            dispensed=dispensed,
            reason=body.reason,
            physician_confirmed=body.physician_confirmed,
            stamp_confirmed=body.stamp_confirmed,
        ),
    )


@router.post("/prescriptions/{number}/doubts", status_code=201)
def report_doubt(number: str, body: DoubtIn, gj: GjDep, ctx: RxCtx) -> dict[str, Any]:
    """存疑外配处方线索 (pharmacy, a prescription it fetched)."""
    return _commit(gj, lambda uow: doubts.report(uow, ctx, number, reason=body.reason, note=body.note))  # type: ignore[no-any-return]


@router.get("/doubts")
def doubt_list(gj: GjDep, ctx: RxCtx, status: Literal["open", "closed"] = "open") -> dict[str, Any]:
    items = gj.run(lambda uow: doubts.open_list(uow, ctx, status=status))
    return {"items": items, "count": len(items)}


@router.post("/doubts/{doubt_id}/close")
def close_doubt(doubt_id: int, body: CloseIn, gj: GjDep, ctx: RxCtx) -> dict[str, Any]:
    return _commit(gj, lambda uow: doubts.close(uow, ctx, doubt_id, note=body.note))  # type: ignore[no-any-return]


def _query(start: date, end: date, region: str | None, category: list[str] | None) -> inspection.Query:
    return inspection.Query(
        start=start, end=end, region=region or None, categories=tuple(category) if category else inspection.CATEGORIES
    )


@router.get("/inspection")
def inspection_list(
    gj: GjDep,
    ctx: RxCtx,
    start: date,
    end: date,
    region: Annotated[str | None, Query(max_length=6)] = None,
    category: Annotated[list[str] | None, Query(max_length=3)] = None,
) -> dict[str, Any]:
    """专项检查: chronic-disease, 两病 and high-amount external prescriptions of a period."""
    q = _query(start, end, region, category)
    items = _commit(gj, lambda uow: inspection.rows(uow, ctx, gj.profile, q))
    return {"items": items, "count": len(items)}


@router.get("/inspection.xlsx", response_class=Response)
def inspection_excel(
    gj: GjDep,
    ctx: RxCtx,
    start: date,
    end: date,
    region: Annotated[str | None, Query(max_length=6)] = None,
    category: Annotated[list[str] | None, Query(max_length=3)] = None,
) -> Response:
    from gongji.adapters.xlsx_prescriptions import inspection_workbook

    q = _query(start, end, region, category)
    items = _commit(gj, lambda uow: inspection.rows(uow, ctx, gj.profile, q))
    title = f"外配处方专项检查 {start.isoformat()} 至 {end.isoformat()}" + (f"（{region}）" if region else "")
    return Response(
        inspection_workbook(items, title=title),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="rx-inspection-{start}-{end}.xlsx"'},
    )
