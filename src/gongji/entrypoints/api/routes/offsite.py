"""Off-site care API (seed 001 二、三): 异地就医备案 as a 即办件 (201 accepted, or 4xx with the code
and the Chinese reason at once), its 登记备案表 as PDF, change and cancel; 门诊慢特病认定 applied
for, reviewed by a second clerk, or recognized by a designated institution (主动服务)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import Field

from gongji.domain import offsite as O
from gongji.entrypoints.api.deps import CtxDep, GjDep
from gongji.entrypoints.api.schemas import Body
from gongji.services.auth import Role
from gongji.services.offsite import chronic, registration, students

router = APIRouter(prefix="/api", tags=["offsite 异地就医"])


class LateIn(Body):
    admission_date: date = Field(description="入院日期（补办备案的开始日期）")
    discharge_date: date | None = Field(default=None, description="出院日期；未出院不填")
    hospital: str = Field(min_length=1, max_length=100, description="住院医院")


class RegistrationIn(Body):
    person_id: int | None = Field(default=None, description="为谁备案；参保人本人可不填")
    kind: str = Field(
        max_length=24,
        description="retiree_resettled / long_term_resident / posted_worker / referral / emergency / other_temporary",
    )
    destination_code: str = Field(pattern=r"^\d{6}$", description="就医地区划代码（省、市或区县）")
    materials: list[str] = Field(
        max_length=5, description="id_card, registration_form, residence_proof, referral_proof, commitment"
    )
    commitment_signed: bool = Field(default=False, strict=True, description="已签署个人承诺书")
    start_date: date | None = None
    end_date: date | None = None
    late: LateIn | None = None
    address: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=20)
    agent_name: str = Field(default="", max_length=50, description="窗口代办人姓名")
    agent_relation: str = Field(default="", max_length=24)


class ChangeIn(Body):
    destination_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    end_date: date | None = None
    reason: str = Field(min_length=2, max_length=200)


class ReasonBody(Body):
    reason: str = Field(min_length=2, max_length=200)


class RecognitionIn(Body):
    person_id: int | None = None
    disease: str = Field(max_length=32)
    organ: str | None = Field(default=None, max_length=16)
    start_date: date | None = None
    diagnosis: str = Field(default="", max_length=200)
    physician: str = Field(default="", max_length=50, description="定点医疗机构认定时必填：认定医师")


class StudentIn(Body):
    person_id: int
    school_name: str = Field(min_length=2, max_length=100, description="学校名称")
    school_region: str = Field(pattern=r"^\d{6}$", description="学籍地区划代码（学校所在地）")
    admission_date: date = Field(description="入学日期（录取通知书）")


class ApproveIn(Body):
    note: str = Field(default="", max_length=200)


def _person(ctx: Any, person_id: int | None) -> int:
    chosen = person_id if person_id is not None else ctx.principal.person_id
    if chosen is None:
        from gongji.domain.errors import InvalidRequest

        raise InvalidRequest("请指定人员", "person_id is required", field="person_id")
    return int(chosen)


@router.get("/offsite/kinds")
def kinds(gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """The registration kinds of the active profile: category, proofs, validity."""
    return {
        "items": [
            k.model_dump() | {"name": O.KIND_ZH[k.code], "proof_any_of_zh": [O.MATERIAL_ZH[m] for m in k.proof_any_of]}
            for k in gj.profile.offsite.kind
        ],
        "base_materials": [O.MATERIAL_ZH[m] for m in O.BASE_MATERIALS],
        "commitment": {"version": O.COMMITMENT_VERSION, "text": O.COMMITMENT_TEXT},
    }


@router.post("/offsite/registrations", status_code=201)
def register(body: RegistrationIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """办理异地就医备案 (即办件): 201 with the registration, or the refusal's code and reason."""
    app = registration.Application(
        person_id=_person(ctx, body.person_id),
        kind=body.kind,
        destination_code=body.destination_code,
        materials=frozenset(body.materials),
        commitment_signed=body.commitment_signed,
        start_date=body.start_date,
        end_date=body.end_date,
        late=O.Late(body.late.admission_date, body.late.discharge_date) if body.late else None,
        hospital=body.late.hospital if body.late else "",
        address=body.address,
        phone=body.phone,
        agent_name=body.agent_name,
        agent_relation=body.agent_relation,
    )

    def go(uow: Any) -> dict[str, Any]:
        reg = registration.register(uow, ctx, gj.profile, app)
        uow.commit()
        return registration.get(uow, ctx, reg.id, audit_read=False)

    return gj.run(go)


@router.get("/offsite/registrations")
def staff_list(
    gj: GjDep,
    ctx: CtxDep,
    kind: str = Query("", max_length=24),
    region: str = Query("", pattern=r"^(\d{6})?$"),
    state: str = Query("", max_length=16),
) -> dict[str, Any]:
    """Registrations in the caller's regions (staff), filtered by kind, insured region, state."""
    items = gj.run(lambda uow: registration.staff_list(uow, ctx, kind=kind, region=region, state=state))
    return {"items": items, "count": len(items)}


@router.get("/offsite/persons/{person_id}/registrations")
def of_person(person_id: int, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return {"items": gj.run(lambda uow: registration.of_person(uow, ctx, person_id))}


def _read(gj: Any, ctx: Any, registration_id: int) -> dict[str, Any]:
    def go(uow: Any) -> dict[str, Any]:
        view = registration.get(uow, ctx, registration_id)
        uow.commit()  # the staff read's audit row
        return view

    return gj.run(go)  # type: ignore[no-any-return]


@router.get("/offsite/registrations/{registration_id}")
def get_registration(registration_id: int, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _read(gj, ctx, registration_id)


@router.get("/offsite/registrations/{registration_id}/pdf")
def registration_pdf(registration_id: int, gj: GjDep, ctx: CtxDep) -> Response:
    """The 异地就医登记备案表 (PDF, Chinese)."""
    from gongji.adapters.pdf.offsite_form import render_registration_form

    view = _read(gj, ctx, registration_id)
    return Response(
        render_registration_form(view),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{view["serial"]}.pdf"'},
    )


@router.post("/offsite/registrations/{registration_id}/change")
def change(registration_id: int, body: ChangeIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """变更备案: the old one ends yesterday, the new one (returned) starts today."""

    def go(uow: Any) -> dict[str, Any]:
        new = registration.change(
            uow,
            ctx,
            gj.profile,
            registration_id=registration_id,
            destination_code=body.destination_code,
            end_date=body.end_date,
            reason=body.reason,
        )
        uow.commit()
        return registration.get(uow, ctx, new.id, audit_read=False)

    return gj.run(go)


@router.post("/offsite/registrations/{registration_id}/cancel")
def cancel(registration_id: int, body: ReasonBody, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    def go(uow: Any) -> dict[str, Any]:
        reg = registration.cancel(uow, ctx, gj.profile, registration_id=registration_id, reason=body.reason)
        uow.commit()
        return registration.get(uow, ctx, reg.id, audit_read=False)

    return gj.run(go)


# --- chronic diseases --------------------------------------------------------------------------


@router.post("/chronic/recognitions", status_code=201)
def recognize(body: RecognitionIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """门诊慢特病认定: an application (citizen, bound relative, window) waits for review; a
    designated institution's recognition (主动服务, ``physician`` required) is valid at once."""

    def go(uow: Any) -> dict[str, Any]:
        common: dict[str, Any] = dict(
            disease=body.disease, organ=body.organ, start_date=body.start_date, diagnosis=body.diagnosis
        )
        if ctx.principal.role is Role.INSTITUTION:
            rec = chronic.recognize_at_institution(
                uow, ctx, gj.profile, person_id=_person(ctx, body.person_id), physician=body.physician, **common
            )
        else:
            rec = chronic.apply(uow, ctx, gj.profile, person_id=_person(ctx, body.person_id), **common)
        uow.commit()
        return chronic.view(gj.profile, rec, gj.clock.today())

    return gj.run(go)


@router.get("/chronic/recognitions")
def recognitions(
    gj: GjDep,
    ctx: CtxDep,
    disease: str = Query("", max_length=32),
    region: str = Query("", pattern=r"^(\d{6})?$"),
    state: Literal["", "pending", "valid", "pending_start", "expired", "rejected", "revoked"] = "",
) -> dict[str, Any]:
    items = gj.run(lambda uow: chronic.staff_list(uow, ctx, gj.profile, disease=disease, region=region, state=state))
    return {"items": items, "count": len(items)}


def _decide(gj: Any, ctx: Any, action: Any, **kw: Any) -> dict[str, Any]:
    def go(uow: Any) -> dict[str, Any]:
        rec = action(uow, ctx, **kw)
        uow.commit()
        return chronic.view(gj.profile, rec, gj.clock.today())

    return gj.run(go)  # type: ignore[no-any-return]


@router.post("/chronic/recognitions/{recognition_id}/approve")
def approve(recognition_id: int, body: ApproveIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """审核通过: a clerk other than the one who entered it (E_FOUR_EYES)."""
    return _decide(gj, ctx, chronic.approve, recognition_id=recognition_id, note=body.note)


@router.post("/chronic/recognitions/{recognition_id}/reject")
def reject(recognition_id: int, body: ReasonBody, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _decide(gj, ctx, chronic.reject, recognition_id=recognition_id, reason=body.reason)


@router.post("/chronic/recognitions/{recognition_id}/revoke")
def revoke(recognition_id: int, body: ReasonBody, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _decide(gj, ctx, chronic.revoke, recognition_id=recognition_id, reason=body.reason)


@router.post("/offsite/students", status_code=201)
def record_student(body: StudentIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """Staff record a college student's school from the admission notice (大中专学生学籍, seed 002
    §五2): treated at the school's place in the year of admission, the student settles off-site
    without the reduced ratio."""

    def go(uow: Any) -> dict[str, Any]:
        row = students.record(
            uow,
            ctx,
            person_id=body.person_id,
            school_name=body.school_name,
            school_region=body.school_region,
            admission_date=body.admission_date,
        )
        uow.commit()
        return students.view(row)

    return gj.run(go)
