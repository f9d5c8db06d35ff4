"""zh-CN pages for 就医费用报销"一件事" (seed 001; issue 14 §5).

Citizen (phone-sized, 一网受理, no visit): ``/me/onething`` lists the person's cases with each
part's state; ``/me/onething/new`` is the one form (多表合一, 一表申报) — the four matters, the
materials (at most 3), the commitment signed with one's name — accepted at once, or shown again
with the refusal in Chinese and a 4xx; ``/me/onething/{id}`` shows the three steps, the time
limits and each part's progress.

Staff: ``/staff/onething`` is the queue (least working days left first; 今日到期, 已超时, 已办结;
open parts per office), with the day's overdue list as Excel; ``/staff/onething/new`` takes the
form at the window (the one visit); ``/staff/onething/{id}`` reviews the recognition (a second
clerk), records the visit and proofs handed in.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from gongji.domain import offsite as O
from gongji.domain import onething as T
from gongji.domain.errors import GongjiError, InvalidRequest, NotFound
from gongji.domain.relations import RELATION_ZH
from gongji.entrypoints.web import pages
from gongji.entrypoints.web.offsite_pages import destinations
from gongji.entrypoints.web.pages import _ctx, _gj, _need, act, error_page, parse_date, render
from gongji.services.auth import Principal, Role
from gongji.services.family import agreement
from gongji.services.family.common import person_by_id_number
from gongji.services.offsite import chronic
from gongji.services.onething import apply as A
from gongji.services.onething import cases, queue
from gongji.services.registry.persons import Ctx

router = APIRouter(include_in_schema=False)
Str = Annotated[str, Form()]

pages.FLASH.update(
    {
        "onething_applied": "申请已受理，各事项已分送办理部门，可在本页查看进度",
        "onething_visit": "已登记到场办理",
        "onething_proof": "已登记补交材料",
        "onething_approved": "门诊慢特病认定已审核通过",
        "onething_rejected": "门诊慢特病认定已驳回",
    }
)


def _form_context(request: Request) -> dict[str, Any]:
    profile = _gj(request).profile
    r = A.rules(profile)
    return {
        "parts": [(k, T.PART_ZH[k], T.PART_TYPE_ZH[k]) for k in T.PARTS],
        "materials": list(T.MATERIAL_ZH.items()),
        "max_materials": r.max_materials,
        "relations": [(k, RELATION_ZH[k]) for k in profile.family.relation_kinds],
        "kinds": [(k.code, O.KIND_ZH[k.code], O.CATEGORY_ZH[k.category]) for k in profile.offsite.kind],
        "destinations": destinations(),
        "diseases": profile.offsite.chronic,
        "organs": O.ORGAN_ZH,
        "commitment": T.COMMITMENT_TEXT,
        "family_commitment": agreement.texts(profile).commitment,
        "offsite_commitment": O.COMMITMENT_TEXT,
        "rules": r,
    }


async def _fields(request: Request) -> dict[str, Any]:
    form = await request.form()
    out: dict[str, Any] = {k: str(v)[:300] for k, v in form.items() if k not in ("parts", "materials")}
    out["parts"] = [str(p)[:30] for p in form.getlist("parts")][:8]
    out["materials"] = [str(m)[:30] for m in form.getlist("materials")][:10]
    return out


def _application(person_id: int, f: dict[str, Any]) -> A.Application:
    parts = tuple(f.get("parts", []))
    return A.Application(
        person_id=person_id,
        parts=parts,
        materials=tuple(f.get("materials", [])),
        signature=f.get("signature", ""),
        commitment_signed=f.get("commitment_signed") == "1",
        family=A.FamilyPart(
            f.get("relative_name", ""), f.get("relative_cert_no", "").strip().upper(), f.get("relation", "")
        )
        if T.FAMILY in parts
        else None,
        registration=A.RegistrationPart(
            f.get("kind", ""),
            f.get("destination_code", ""),
            parse_date(f["start_date"], field="start_date") if f.get("start_date") else None,
            None,
            f.get("address", ""),
        )
        if T.REGISTRATION in parts
        else None,
        chronic=A.ChronicPart(f.get("disease", ""), f.get("organ") or None) if T.CHRONIC in parts else None,
        phone=f.get("phone", ""),
        agent_name=f.get("agent_name", ""),
        agent_relation=f.get("agent_relation", ""),
    )


def _apply(request: Request, principal: Principal, f: dict[str, Any], action: str, back: str) -> Response:
    def go(uow: Any, ctx: Ctx) -> int:
        if ctx.principal.role is Role.CITIZEN:
            person_id = int(ctx.principal.person_id or 0)
        else:
            person = person_by_id_number(uow, ctx, f.get("cert_no", "").strip().upper())
            if person is None:
                raise NotFound("未找到该身份证号码的参保人员", "No person with this ID number", field="cert_no")
            person_id = person.id
        return A.apply(uow, ctx, _gj(request).profile, _application(person_id, f)).id

    def again(err: GongjiError) -> Response:
        return render(
            request, "onething_form.html", principal, failed=err, form=f, action=action, **_form_context(request)
        )

    return act(request, principal, go, on_error=again, redirect_to=lambda cid: f"{back}/{cid}?ok=onething_applied")


def _form(request: Request, role: Role, action: str) -> Response:
    principal = _need(request, role)
    if isinstance(principal, Response):
        return principal
    try:
        context = _form_context(request)
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(request, "onething_form.html", principal, form={"parts": []}, action=action, **context)


def _detail(
    request: Request, principal: Principal, case_id: int, template: str, error: GongjiError | None = None
) -> Response:
    ctx, gj = _ctx(request, principal), _gj(request)

    def go(uow: Any) -> dict[str, Any]:
        view = cases.get(uow, ctx, gj.profile, case_id)
        uow.commit()
        return view

    try:
        view = gj.run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(request, template, principal, failed=error, c=view, proofs=T.MATERIAL_ZH)


# --- citizen -----------------------------------------------------------------------------------


@router.get("/me/onething")
def my_cases(request: Request) -> Response:
    principal = _need(request, Role.CITIZEN)
    if isinstance(principal, Response):
        return principal
    ctx, gj = _ctx(request, principal), _gj(request)
    try:
        rows = gj.run(lambda uow: cases.mine(uow, ctx, gj.profile))
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(request, "onething_mine.html", principal, rows=rows)


@router.get("/me/onething/new")
def my_form(request: Request) -> Response:
    return _form(request, Role.CITIZEN, "/me/onething/new")


@router.post("/me/onething/new")
async def my_apply(request: Request) -> Response:
    principal = _need(request, Role.CITIZEN)
    if isinstance(principal, Response):
        return principal
    return _apply(request, principal, await _fields(request), "/me/onething/new", "/me/onething")


@router.get("/me/onething/{case_id}")
def my_case(request: Request, case_id: int) -> Response:
    principal = _need(request, Role.CITIZEN)
    if isinstance(principal, Response):
        return principal
    return _detail(request, principal, case_id, "onething_detail.html")


# --- staff -------------------------------------------------------------------------------------


@router.get("/staff/onething")
def staff_queue(request: Request, view: str = "open", office: str = "", region: str = "") -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    ctx, gj = _ctx(request, principal), _gj(request)
    view, office, region = view[:12], office[:12], region[:6]
    try:
        q = gj.run(lambda uow: queue.staff_queue(uow, ctx, gj.profile, view=view, office=office, region=region))
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(
        request,
        "onething_staff.html",
        principal,
        q=q,
        view=view,
        office=office,
        region=region,
        views=list(queue.VIEW_ZH.items()),
        offices=list(T.OFFICE_ZH.items()),
    )


@router.get("/staff/onething/overdue.xlsx")
def staff_overdue(request: Request, region: str = "") -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    ctx, gj = _ctx(request, principal), _gj(request)

    def go(uow: Any) -> list[dict[str, Any]]:
        rows = queue.overdue_list(uow, ctx, gj.profile, region=region[:6])
        uow.commit()
        return rows

    try:
        rows = gj.run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    day = ctx.clock.today()
    return Response(
        queue.overdue_workbook(rows, day),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="onething-overdue-{day.isoformat()}.xlsx"'},
    )


@router.get("/staff/onething/new")
def staff_form(request: Request) -> Response:
    return _form(request, Role.STAFF, "/staff/onething/new")


@router.post("/staff/onething/new")
async def staff_apply(request: Request) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return _apply(request, principal, await _fields(request), "/staff/onething/new", "/staff/onething")


@router.get("/staff/onething/{case_id}")
def staff_case(request: Request, case_id: int) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return _detail(request, principal, case_id, "onething_staff_detail.html")


@router.post("/staff/onething/{case_id}/{action}")
def staff_act(request: Request, case_id: int, action: str, reason: Str = "", material: Str = "") -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    gj = _gj(request)

    def go(uow: Any, ctx: Ctx) -> str:
        view = cases.get(uow, ctx, gj.profile, case_id, audit_read=False)
        rec_id = next((p["recognition_id"] for p in view["parts"] if p["kind"] == T.CHRONIC), None)
        if action in ("approve", "reject") and rec_id is None:
            raise InvalidRequest("本件没有门诊慢特病认定事项", "No recognition in this case", field="action")
        if action == "approve":
            chronic.approve(uow, ctx, recognition_id=int(rec_id or 0))
            return "onething_approved"
        if action == "reject":
            chronic.reject(uow, ctx, recognition_id=int(rec_id or 0), reason=reason[:200])
            return "onething_rejected"
        if action == "visit":
            cases.record_visit(uow, ctx, gj.profile, case_id=case_id, reason=reason[:200])
            return "onething_visit"
        if action == "proof":
            cases.receive_proof(uow, ctx, case_id=case_id, material=material[:24])
            return "onething_proof"
        raise InvalidRequest("未知操作", "Unknown action", field="action")

    return act(
        request,
        principal,
        go,
        on_error=lambda e: _detail(request, principal, case_id, "onething_staff_detail.html", error=e),
        redirect_to=lambda flash: f"/staff/onething/{case_id}?ok={flash}",
    )
