"""Resident-insurance enrollment forms API (城乡居民参保登记, SPEC §6; seed 002 §五 附件1–3), staff only.

Submit a form (附件1 registration, 附件2 information change, 附件3 stop or outflow), list the
pending ones of one's regions (masked), read one whole (audited), review it (approve / reject),
print it (PDF). Duplicate enrollment: look a person up by ID number (POST, so the number stays
out of URLs and logs) and end the wrong enrollment with a reason.

A submission may carry an ``Idempotency-Key`` header: a repeat with the same key and body
answers the first form (200, ``Idempotent-Replayed: true``) instead of making a second one.
Every rule lives in ``services.resident.forms``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Response
from pydantic import Field

from gongji.bootstrap import Gongji
from gongji.entrypoints.api.deps import CtxDep, GjDep
from gongji.entrypoints.api.schemas import Body, RegionCode
from gongji.services.registry import persons as registry
from gongji.services.registry.persons import Ctx
from gongji.services.resident import forms as ef

router = APIRouter(prefix="/api/resident", tags=["resident 居民参保登记"])

KINDS = {"registrations": "registration", "changes": "change", "stops": "stop"}
KindPath = Annotated[
    str, Path(pattern=r"^(registrations|changes|stops)$", description="registrations / changes / stops")
]
OptionalKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)]
Short = Annotated[str, Field(max_length=50)]


class RegistrationBody(Body):
    """附件1 《参保登记表》. 申请人身份: newborn / preschool / pupil / college / minor / adult (or the
    psn_type 1401…1405, 15); 财政补助对象: the profile's resident.subsidy codes."""

    name: Short
    cert_type: str = Field(default="01", max_length=6)
    cert_no: str = Field(max_length=50)
    sex: str | None = Field(default=None, max_length=1, description="身份证可不填（由号码得出）；其他证件必填 1男 2女")
    birth_date: date | None = None
    phone: str | None = Field(default=None, max_length=20)
    household_kind: Literal["hukou", "permit"] = "hukou"
    hukou_region: RegionCode
    hukou_village: str | None = Field(default=None, max_length=100)
    region_code: RegionCode = Field(description="受理统筹区（乡镇、街道所在的区县）")
    township: str = Field(default="", max_length=100, description="通讯地址 乡/镇(街道)")
    address: str | None = Field(default=None, max_length=200)
    applicant_identity: str = Field(max_length=12)
    subsidy_codes: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=10)
    school_name: str | None = Field(default=None, max_length=100)
    school_region: RegionCode | None = None
    signer_name: str = Field(default="", max_length=50, description="申请人或监护人签字")
    signer_role: str = Field(default="self", max_length=10, description="self 本人 / guardian 监护人")
    signed_on: date | None = None
    declaration_version: str = Field(default=ef.DECLARATION_VERSION, max_length=20)


class ChangeRowBody(Body):
    cert_no: str = Field(max_length=50, description="登记的身份证件号码（变更前）")
    name: Short
    item: str = Field(
        max_length=20, description="name / cert_no / hukou_region / hukou_village / phone / township / address"
    )
    after: str = Field(max_length=200)
    signed_by: str = Field(default="", max_length=50)
    remark: str | None = Field(default=None, max_length=200)


class ChangeBody(Body):
    """附件2 《参保信息变更登记表》."""

    filler_name: Short
    filler_phone: str = Field(max_length=20)
    filled_on: date | None = None
    rows: list[ChangeRowBody] = Field(min_length=1, max_length=20)


class StopBody(Body):
    """附件3 《停保或流出登记表》 (fields: docs/resident.md)."""

    cert_no: str = Field(max_length=50)
    name: Short
    reason: str = Field(max_length=20, description="outflow / employee / death / graduated / other")
    reason_note: str | None = Field(default=None, max_length=200)
    effective_date: date | None = None
    destination_region: RegionCode | None = None
    transfer: bool = False
    graduated_on: date | None = None
    applicant_name: str = Field(default="", max_length=50)
    applicant_role: str = Field(default="self", max_length=10, description="self / guardian / family")
    applicant_phone: str | None = Field(default=None, max_length=20)
    signed_on: date | None = None


class ReviewBody(Body):
    decision: Literal["approve", "reject"]
    reason: str | None = Field(default=None, max_length=200, description="不通过原因 / 经办机构意见")
    unit: str | None = Field(default=None, max_length=100, description="受理单位")


class DuplicateQuery(Body):
    cert_no: str = Field(max_length=50)
    cert_type: str = Field(default="01", max_length=6)


class ClearBody(Body):
    reason: str = Field(max_length=200)
    effective_date: date | None = None


def _submitted(result: ef.Submitted, response: Response) -> dict[str, Any]:
    if result.replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return result.view


def _submit(gj: Gongji, use_case: Any) -> ef.Submitted:
    def go(uow: Any) -> ef.Submitted:
        result: ef.Submitted = use_case(uow)
        uow.commit()
        return result

    return gj.run(go)


@router.post("/registrations", status_code=201)
def submit_registration(
    body: RegistrationBody, response: Response, gj: GjDep, ctx: CtxDep, key: OptionalKey = None
) -> dict[str, Any]:
    """参保登记 (附件1): kept pending until reviewed; ``duplicates`` lists live basic enrollments."""
    fields = body.model_dump()
    fields["subsidy_codes"] = tuple(fields["subsidy_codes"])
    form = ef.RegistrationIn(**fields)
    return _submitted(
        _submit(gj, lambda uow: ef.submit_registration(uow, ctx, gj.profile, form, idempotency_key=key)), response
    )


@router.post("/changes", status_code=201)
def submit_change(
    body: ChangeBody, response: Response, gj: GjDep, ctx: CtxDep, key: OptionalKey = None
) -> dict[str, Any]:
    """参保信息变更 (附件2): rows of 变更项目, 变更前 (from the record), 变更后."""
    form = ef.ChangeIn(
        filler_name=body.filler_name,
        filler_phone=body.filler_phone,
        filled_on=body.filled_on,
        rows=tuple(ef.ChangeRowIn(**r.model_dump()) for r in body.rows),
    )
    return _submitted(_submit(gj, lambda uow: ef.submit_change(uow, ctx, form, idempotency_key=key)), response)


@router.post("/stops", status_code=201)
def submit_stop(body: StopBody, response: Response, gj: GjDep, ctx: CtxDep, key: OptionalKey = None) -> dict[str, Any]:
    """停保或流出 (附件3): ends (or transfers) the person's 390 enrollment once approved."""
    form = ef.StopIn(**body.model_dump())
    return _submitted(_submit(gj, lambda uow: ef.submit_stop(uow, ctx, form, idempotency_key=key)), response)


@router.get("/{kinds}")
def list_forms(
    kinds: KindPath,
    gj: GjDep,
    ctx: CtxDep,
    status: str = Query("pending", max_length=10, description="pending / approved / rejected / applied / all"),
    limit: int = Query(50, ge=1, le=200),
) -> dict[str, Any]:
    """Forms of one kind in the staff member's regions, newest first (names and numbers masked)."""

    def go(uow: Any) -> dict[str, Any]:
        items = ef.list_forms(
            uow, ctx, kind=KINDS[kinds], status=None if status == "all" else status, limit=limit, profile=gj.profile
        )
        return {"items": items, "count": len(items)}

    return gj.run(go)


@router.get("/{kinds}/{form_id}")
def get_form(kinds: KindPath, form_id: int, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """One whole form (staff in its region); the read is audited."""

    def go(uow: Any) -> dict[str, Any]:
        data = ef.get_form(uow, ctx, kind=KINDS[kinds], form_id=form_id, profile=gj.profile)
        uow.commit()
        return data

    return gj.run(go)


def _review(uow: Any, ctx: Ctx, kind: str, form_id: int, body: ReviewBody) -> Any:
    approve = body.decision == "approve"
    if kind == "registration":
        return ef.review_registration(
            uow, ctx, registration_id=form_id, approve=approve, reason=body.reason, unit=body.unit
        )
    if kind == "change":
        return ef.review_change(uow, ctx, change_id=form_id, approve=approve, opinion=body.reason, unit=body.unit)
    return ef.review_stop(uow, ctx, stop_id=form_id, approve=approve, opinion=body.reason, unit=body.unit)


@router.post("/{kinds}/{form_id}/review")
def review_form(kinds: KindPath, form_id: int, body: ReviewBody, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """收件审核 / 经办机构意见: approve (registration → person + 390 enrollment; change → applied;
    stop → enrollment ended or transferred) or reject with a reason (nothing else changes)."""
    kind = KINDS[kinds]

    def go(uow: Any) -> dict[str, Any]:
        row = _review(uow, ctx, kind, form_id, body)
        uow.commit()
        return ef.view(uow, ctx, kind, row, profile=gj.profile)

    return gj.run(go)


@router.get("/{kinds}/{form_id}/pdf", response_class=Response)
def form_pdf(kinds: KindPath, form_id: int, gj: GjDep, ctx: CtxDep) -> Response:
    """The filled-in form as a printable A4 PDF (Chinese); the print is audited."""

    def go(uow: Any) -> tuple[str, bytes]:
        result = ef.form_pdf(uow, ctx, kind=KINDS[kinds], form_id=form_id, profile=gj.profile)
        uow.commit()
        return result

    name, data = gj.run(go)
    return Response(
        content=data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"},
    )


@router.post("/duplicates")
def find_duplicates(body: DuplicateQuery, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """重复参保: the person's live basic enrollments (every region) and pending registrations."""

    def go(uow: Any) -> dict[str, Any]:
        found = ef.find_duplicates(uow, ctx, cert_no=body.cert_no, cert_type=body.cert_type)
        uow.commit()
        return found

    return gj.run(go)


@router.post("/duplicates/{enrollment_id}/clear")
def clear_duplicate(enrollment_id: int, body: ClearBody, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """清理重复参保: end the wrong enrollment (in your regions) with a reason."""

    def go(uow: Any) -> dict[str, Any]:
        e = ef.clear_duplicate(
            uow, ctx, enrollment_id=enrollment_id, reason=body.reason, effective_date=body.effective_date
        )
        uow.commit()
        return registry.enrollment_view(e)

    return gj.run(go)
