"""就医费用报销"一件事" API (seed 001; issue 14 §5): the one form (201 with the case and each part's
state, or 4xx with the code and the Chinese reason, nothing written), the case, the staff queue
with its counts, the daily overdue list (JSON or Excel), the one visit and proofs that follow."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import Field

from gongji.entrypoints.api.deps import CtxDep, GjDep
from gongji.entrypoints.api.schemas import Body
from gongji.services.onething import apply as A
from gongji.services.onething import cases, queue

router = APIRouter(prefix="/api/onething", tags=["onething 就医费用报销一件事"])


class FamilyIn(Body):
    relative_name: str = Field(min_length=1, max_length=50)
    relative_cert_no: str = Field(min_length=1, max_length=18)
    relation: str = Field(max_length=24, description="spouse / parent / child / sibling / …")


class RegistrationIn(Body):
    kind: str = Field(max_length=24, description="异地就医备案类型，如 long_term_resident")
    destination_code: str = Field(pattern=r"^\d{6}$", description="就医地区划代码")
    start_date: date | None = None
    end_date: date | None = None
    address: str = Field(default="", max_length=200)


class ChronicIn(Body):
    disease: str = Field(max_length=32)
    organ: str | None = Field(default=None, max_length=16)
    diagnosis: str = Field(default="", max_length=200)


class CaseIn(Body):
    person_id: int | None = Field(default=None, description="窗口办理时的参保人；本人网上申请不填")
    parts: list[str] = Field(
        max_length=8, description="family_binding / offsite_registration / chronic_recognition / direct_settlement"
    )
    materials: list[str] = Field(
        max_length=10, description="至多3份：id_card, application_form, residence_proof, referral_proof, commitment"
    )
    signature: str = Field(max_length=50, description="承诺书签名（本人姓名）")
    commitment_signed: bool = Field(strict=True)
    family: FamilyIn | None = None
    registration: RegistrationIn | None = None
    chronic: ChronicIn | None = None
    phone: str = Field(default="", max_length=20)
    agent_name: str = Field(default="", max_length=50)
    agent_relation: str = Field(default="", max_length=24)


class VisitIn(Body):
    reason: str = Field(default="", max_length=200, description="到场原因；不填为“需现场提交本人有效证件办理结算”")


class ProofIn(Body):
    material: str = Field(max_length=24)


def application(body: CaseIn, person_id: int) -> A.Application:
    f, g, c = body.family, body.registration, body.chronic
    return A.Application(
        person_id=person_id,
        parts=tuple(body.parts),
        materials=tuple(body.materials),
        signature=body.signature,
        commitment_signed=body.commitment_signed,
        family=A.FamilyPart(f.relative_name, f.relative_cert_no, f.relation) if f else None,
        registration=A.RegistrationPart(g.kind, g.destination_code, g.start_date, g.end_date, g.address) if g else None,
        chronic=A.ChronicPart(c.disease, c.organ, c.diagnosis) if c else None,
        phone=body.phone,
        agent_name=body.agent_name,
        agent_relation=body.agent_relation,
    )


@router.post("/cases", status_code=201)
def apply(body: CaseIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """一表申报: accepted at once (受理); 即办件 parts done or refused with the reason."""
    chosen = body.person_id if body.person_id is not None else ctx.principal.person_id
    if chosen is None:
        from gongji.domain.errors import InvalidRequest

        raise InvalidRequest("请指定人员", "person_id is required", field="person_id")
    app = application(body, int(chosen))

    def go(uow: Any) -> dict[str, Any]:
        case = A.apply(uow, ctx, gj.profile, app)
        uow.commit()
        return cases.get(uow, ctx, gj.profile, case.id, audit_read=False)

    return gj.run(go)


@router.get("/cases/mine")
def mine(gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """The signed-in citizen's cases with each part's state."""
    return {"items": gj.run(lambda uow: cases.mine(uow, ctx, gj.profile))}


@router.get("/cases")
def staff_queue(
    gj: GjDep,
    ctx: CtxDep,
    view: Literal["open", "due_today", "overdue", "done", "all"] = "open",
    office: Literal["", "family", "offsite", "chronic", "institution"] = "",
    region: str = Query("", pattern=r"^(\d{6})?$"),
) -> dict[str, Any]:
    """The staff queue of the caller's regions by working days left, with counts per office."""
    return gj.run(lambda uow: queue.staff_queue(uow, ctx, gj.profile, view=view, office=office, region=region))


@router.get("/overdue")
def overdue(
    gj: GjDep,
    ctx: CtxDep,
    region: str = Query("", pattern=r"^(\d{6})?$"),
    fmt: Literal["json", "xlsx"] = Query("json", alias="format"),
) -> Any:
    """The daily list of cases past their committed limit (``format=xlsx``: the Excel file)."""

    def go(uow: Any) -> list[dict[str, Any]]:
        rows = queue.overdue_list(uow, ctx, gj.profile, region=region)
        uow.commit()
        return rows

    rows = gj.run(go)
    if fmt == "xlsx":
        day = ctx.clock.today()
        return Response(
            queue.overdue_workbook(rows, day),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="onething-overdue-{day.isoformat()}.xlsx"'},
        )
    return {"items": rows, "count": len(rows), "day": ctx.clock.today().isoformat()}


@router.get("/cases/{case_id}")
def get_case(case_id: int, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    def go(uow: Any) -> dict[str, Any]:
        view = cases.get(uow, ctx, gj.profile, case_id)
        uow.commit()  # the staff read's audit row
        return view

    return gj.run(go)


@router.post("/cases/{case_id}/visit")
def visit(case_id: int, body: VisitIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """The applicant came to the window: at most one visit (E_ONETHING_VISITS)."""

    def go(uow: Any) -> dict[str, Any]:
        cases.record_visit(uow, ctx, gj.profile, case_id=case_id, reason=body.reason)
        uow.commit()
        return cases.get(uow, ctx, gj.profile, case_id, audit_read=False)

    return gj.run(go)


@router.post("/cases/{case_id}/proofs")
def proof(case_id: int, body: ProofIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """A proof the commitment stood in for is handed in (承诺件)."""

    def go(uow: Any) -> dict[str, Any]:
        cases.receive_proof(uow, ctx, case_id=case_id, material=body.material)
        uow.commit()
        return cases.get(uow, ctx, gj.profile, case_id, audit_read=False)

    return gj.run(go)
