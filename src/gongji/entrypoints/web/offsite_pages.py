"""zh-CN pages for off-site care (seed 001 二、三; issue 14 §2–§3).

Citizen (phone-sized, 一网受理, fully online): ``/me/offsite`` lists the person's registrations
and recognitions; ``/me/offsite/new`` is the 异地就医登记备案表 as a form — for themself or a
relative bound to them — answered at once (the registration page, or the form again with the
refusal in Chinese and a 4xx); ``/me/offsite/{id}`` shows it with its PDF and 取消;
``/me/chronic/new`` applies for a recognition.

Staff: ``/staff/offsite`` lists registrations in their regions filtered by kind, region and
state, ``/staff/offsite/new`` registers at the window (for the person or an agent),
``/staff/offsite/{id}`` shows one with change and cancel; ``/staff/chronic`` lists recognitions
with approve/reject (a second clerk) and revoke.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from gongji.adapters.region_data import region_table
from gongji.domain import offsite as O
from gongji.domain.errors import GongjiError, InvalidRequest, NotFound
from gongji.domain.masking import mask_name
from gongji.entrypoints.web import pages
from gongji.entrypoints.web.pages import _ctx, _gj, _need, act, error_page, parse_date, render
from gongji.services.auth import Principal, Role
from gongji.services.family.common import person_by_id_number
from gongji.services.offsite import chronic, registration
from gongji.services.offsite import common as C
from gongji.services.registry.persons import Ctx

router = APIRouter(include_in_schema=False)
Str = Annotated[str, Form()]
Many = Annotated[list[str], Form()]

pages.FLASH.update(
    {
        "offsite_registered": "异地就医备案已办结，即时生效",
        "offsite_changed": "备案已变更，新备案自今日起生效",
        "offsite_cancelled": "备案已取消",
        "chronic_applied": "门诊慢特病认定申请已提交，待经办机构审核",
        "chronic_approved": "认定已审核通过",
        "chronic_rejected": "认定申请已驳回",
        "chronic_revoked": "认定已撤销",
    }
)
STATES = ("valid", "pending_start", "expired", "changed", "cancelled")
CHRONIC_STATES = ("pending", "valid", "pending_start", "expired", "rejected", "revoked")


@lru_cache(maxsize=1)
def destinations() -> list[dict[str, Any]]:
    """Provinces with their current cities, for the destination select (region codes as data)."""
    table = region_table()
    out = []
    for p in [r for r in table.in_province("", level="province")]:
        cities = [c for c in table.children(p.code) if c.level == "city"]
        out.append(
            {"code": p.code, "name": p.name, "cities": [(c.code, c.name) for c in sorted(cities, key=lambda c: c.code)]}
        )
    return out


def _form_app(person_id: int, f: dict[str, Any]) -> registration.Application:
    late = None
    if f.get("late") == "1":
        late = O.Late(
            parse_date(f.get("admission_date", ""), field="admission_date"),
            parse_date(f["discharge_date"], field="discharge_date") if f.get("discharge_date") else None,
        )
    return registration.Application(
        person_id=person_id,
        kind=f.get("kind", ""),
        destination_code=f.get("destination_code", ""),
        materials=frozenset(f.get("materials", [])),
        commitment_signed=f.get("commitment_signed") == "1",
        start_date=parse_date(f["start_date"], field="start_date") if f.get("start_date") else None,
        end_date=parse_date(f["end_date"], field="end_date") if f.get("end_date") else None,
        late=late,
        hospital=f.get("hospital", ""),
        address=f.get("address", ""),
        phone=f.get("phone", ""),
        agent_name=f.get("agent_name", ""),
        agent_relation=f.get("agent_relation", ""),
    )


def _form_context(request: Request, principal: Principal) -> dict[str, Any]:
    gj = _gj(request)
    relatives: list[tuple[int, str]] = []
    if principal.role is Role.CITIZEN and principal.person_id is not None:
        pid = principal.person_id
        relatives = gj.run(lambda uow: [(p.id, mask_name(p.name)) for p in C.bound_relatives(uow, pid)])
    return {
        "kinds": [(k, O.KIND_ZH[k.code], O.CATEGORY_ZH[k.category]) for k in gj.profile.offsite.kind],
        "materials": list(O.MATERIAL_ZH.items()),
        "destinations": destinations(),
        "commitment": O.COMMITMENT_TEXT,
        "relatives": relatives,
        "today": gj.clock.today().isoformat(),
    }


async def _fields(request: Request) -> dict[str, Any]:
    form = await request.form()
    out: dict[str, Any] = {k: str(v)[:300] for k, v in form.items() if k != "materials"}
    out["materials"] = [str(m)[:30] for m in form.getlist("materials")][:5]
    return out


# --- citizen -----------------------------------------------------------------------------------


@router.get("/me/offsite")
def my_offsite(request: Request) -> Response:
    principal = _need(request, Role.CITIZEN)
    if isinstance(principal, Response):
        return principal
    ctx, gj = _ctx(request, principal), _gj(request)
    pid = principal.person_id or 0
    try:
        regs, recs = gj.run(
            lambda uow: (registration.of_person(uow, ctx, pid), chronic.of_person(uow, ctx, gj.profile, pid))
        )
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(request, "offsite_mine.html", principal, registrations=regs, recognitions=recs)


@router.get("/me/offsite/new")
def my_offsite_form(request: Request) -> Response:
    principal = _need(request, Role.CITIZEN)
    if isinstance(principal, Response):
        return principal
    return render(
        request, "offsite_form.html", principal, form={}, action="/me/offsite/new", **_form_context(request, principal)
    )


@router.post("/me/offsite/new")
async def my_offsite_register(request: Request) -> Response:
    principal = _need(request, Role.CITIZEN)
    if isinstance(principal, Response):
        return principal
    f = await _fields(request)
    return _register(request, principal, f, "/me/offsite/new", "/me/offsite")


def _register(request: Request, principal: Principal, f: dict[str, Any], action: str, back: str) -> Response:
    def go(uow: Any, ctx: Ctx) -> int:
        person_id = _whom(uow, ctx, f)
        return registration.register(uow, ctx, _gj(request).profile, _form_app(person_id, f)).id

    def again(err: GongjiError) -> Response:
        return render(
            request,
            "offsite_form.html",
            principal,
            failed=err,
            form=f,
            action=action,
            **_form_context(request, principal),
        )

    return act(request, principal, go, on_error=again, redirect_to=lambda rid: f"{back}/{rid}?ok=offsite_registered")


def _whom(uow: Any, ctx: Ctx, f: dict[str, Any]) -> int:
    """For whom: the citizen themself or a chosen bound relative; staff find the person by ID number."""
    if ctx.principal.role is Role.CITIZEN:
        chosen = f.get("person_id") or ""
        return int(chosen) if chosen.isdigit() else int(ctx.principal.person_id or 0)
    person = person_by_id_number(uow, ctx, f.get("cert_no", "").strip().upper())
    if person is None:
        raise NotFound("未找到该身份证号码的参保人员", "No person with this ID number", field="cert_no")
    return person.id


def _detail(
    request: Request, principal: Principal, rid: int, template: str, *, error: GongjiError | None = None
) -> Response:
    ctx = _ctx(request, principal)

    def go(uow: Any) -> dict[str, Any]:
        view = registration.get(uow, ctx, rid)
        uow.commit()
        return view

    try:
        view = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(request, template, principal, failed=error, r=view, destinations=destinations())


@router.get("/me/offsite/{rid}")
def my_registration(request: Request, rid: int) -> Response:
    principal = _need(request, Role.CITIZEN)
    if isinstance(principal, Response):
        return principal
    return _detail(request, principal, rid, "offsite_detail.html")


def _pdf(request: Request, rid: int, *roles: Role) -> Response:
    from gongji.adapters.pdf.offsite_form import render_registration_form

    principal = _need(request, *roles)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)
    try:
        view = _gj(request).run(lambda uow: registration.get(uow, ctx, rid, audit_read=False))
    except GongjiError as err:
        return error_page(request, principal, err)
    return Response(render_registration_form(view), media_type="application/pdf")


@router.get("/me/offsite/{rid}/pdf")
def my_pdf(request: Request, rid: int) -> Response:
    return _pdf(request, rid, Role.CITIZEN)


def _end(
    request: Request, rid: int, base: str, role: Role, action: str, reason: str, destination: str, end: str
) -> Response:
    principal = _need(request, role)
    if isinstance(principal, Response):
        return principal

    def go(uow: Any, ctx: Ctx) -> str:
        profile = _gj(request).profile
        if action == "cancel":
            registration.cancel(uow, ctx, profile, registration_id=rid, reason=reason)
            return f"{base}/{rid}?ok=offsite_cancelled"
        new = registration.change(
            uow,
            ctx,
            profile,
            registration_id=rid,
            destination_code=destination or None,
            end_date=parse_date(end, field="end_date") if end else None,
            reason=reason,
        )
        return f"{base}/{new.id}?ok=offsite_changed"

    template = "offsite_detail.html" if role is Role.CITIZEN else "offsite_staff_detail.html"
    return act(
        request,
        principal,
        go,
        on_error=lambda e: _detail(request, principal, rid, template, error=e),
        redirect_to=lambda u: u,
    )


@router.post("/me/offsite/{rid}/cancel")
def my_cancel(request: Request, rid: int, reason: Str = "") -> Response:
    return _end(request, rid, "/me/offsite", Role.CITIZEN, "cancel", reason[:200], "", "")


@router.post("/me/offsite/{rid}/change")
def my_change(request: Request, rid: int, reason: Str = "", destination_code: Str = "", end_date: Str = "") -> Response:
    return _end(request, rid, "/me/offsite", Role.CITIZEN, "change", reason[:200], destination_code[:6], end_date[:10])


@router.get("/me/chronic/new")
def my_chronic_form(request: Request) -> Response:
    principal = _need(request, Role.CITIZEN)
    if isinstance(principal, Response):
        return principal
    return render(
        request,
        "chronic_form.html",
        principal,
        diseases=_gj(request).profile.offsite.chronic,
        organs=O.ORGAN_ZH,
        form={},
    )


@router.post("/me/chronic/new")
def my_chronic_apply(request: Request, disease: Str = "", organ: Str = "", start_date: Str = "") -> Response:
    principal = _need(request, Role.CITIZEN)
    if isinstance(principal, Response):
        return principal
    gj = _gj(request)

    def go(uow: Any, ctx: Ctx) -> None:
        chronic.apply(
            uow,
            ctx,
            gj.profile,
            person_id=int(ctx.principal.person_id or 0),
            disease=disease[:32],
            organ=organ[:16] or None,
            start_date=parse_date(start_date, field="start_date") if start_date else None,
        )

    def again(err: GongjiError) -> Response:
        form = {"disease": disease, "organ": organ, "start_date": start_date}
        return render(
            request,
            "chronic_form.html",
            principal,
            failed=err,
            diseases=gj.profile.offsite.chronic,
            organs=O.ORGAN_ZH,
            form=form,
        )

    return act(request, principal, go, on_error=again, redirect_to=lambda _: "/me/offsite?ok=chronic_applied")


# --- staff -------------------------------------------------------------------------------------


# /staff/offsite (the list) is staff_list_pages' (issue 17 list convention)


@router.get("/staff/offsite/new")
def staff_form(request: Request) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return render(
        request,
        "offsite_form.html",
        principal,
        form={},
        action="/staff/offsite/new",
        **_form_context(request, principal),
    )


@router.post("/staff/offsite/new")
async def staff_register(request: Request) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    f = await _fields(request)
    return _register(request, principal, f, "/staff/offsite/new", "/staff/offsite")


@router.get("/staff/offsite/{rid}")
def staff_detail(request: Request, rid: int) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return _detail(request, principal, rid, "offsite_staff_detail.html")


@router.get("/staff/offsite/{rid}/pdf")
def staff_pdf(request: Request, rid: int) -> Response:
    return _pdf(request, rid, Role.STAFF)


@router.post("/staff/offsite/{rid}/cancel")
def staff_cancel(request: Request, rid: int, reason: Str = "") -> Response:
    return _end(request, rid, "/staff/offsite", Role.STAFF, "cancel", reason[:200], "", "")


@router.post("/staff/offsite/{rid}/change")
def staff_change(
    request: Request, rid: int, reason: Str = "", destination_code: Str = "", end_date: Str = ""
) -> Response:
    return _end(request, rid, "/staff/offsite", Role.STAFF, "change", reason[:200], destination_code[:6], end_date[:10])


@router.get("/staff/chronic")
def staff_chronic(request: Request, disease: str = "", region: str = "", state: str = "") -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    ctx, gj = _ctx(request, principal), _gj(request)
    disease, region, state = disease[:32], region[:6], state[:16]
    try:
        rows = gj.run(lambda uow: chronic.staff_list(uow, ctx, gj.profile, disease=disease, region=region, state=state))
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(
        request,
        "chronic_staff.html",
        principal,
        rows=rows,
        disease=disease,
        region=region,
        state=state,
        diseases=gj.profile.offsite.chronic,
        states=[(s, O.RECOGNITION_STATE_ZH[s]) for s in CHRONIC_STATES],
    )


@router.post("/staff/chronic/{rec_id}/{decision}")
def staff_chronic_decide(request: Request, rec_id: int, decision: str, reason: Str = "") -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal

    def go(uow: Any, ctx: Ctx) -> str:
        if decision == "approve":
            chronic.approve(uow, ctx, recognition_id=rec_id)
        elif decision in ("reject", "revoke"):
            getattr(chronic, decision)(uow, ctx, recognition_id=rec_id, reason=reason[:200])
        else:
            raise InvalidRequest("未知操作", "Unknown decision", field="decision")
        return {"approve": "chronic_approved", "reject": "chronic_rejected", "revoke": "chronic_revoked"}[decision]

    def again(err: GongjiError) -> Response:
        return error_page(request, principal, err)

    return act(request, principal, go, on_error=again, redirect_to=lambda flash: f"/staff/chronic?ok={flash}")
