"""zh-CN staff pages for resident enrollment forms (城乡居民参保登记, seed 002 §五 附件1–3).

The township window (乡镇、街道) fills 附件1 《参保登记表》 for an applicant, 附件2 《参保信息变更
登记表》 and 附件3 《停保或流出登记表》; the pending forms of one's regions are listed, reviewed
(通过 / 不通过 with a reason) and printed as the filled-in PDF. A duplicate enrollment shown on a
registration can be ended there with a reason (清理重复参保).

Every write calls ``services.resident.forms`` in one unit of work and ends in POST → 303 → GET
with a flash code; a service error re-shows the page with its code and Chinese message (4xx).
Submissions carry a hidden idempotency key, so a double click makes one form. ID numbers never
go into URLs: searches are POSTs, and a refused form is re-shown without its ID number.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from gongji.adapters.region_data import region_table
from gongji.domain.errors import GongjiError, UnknownCode
from gongji.domain.registry import scope_prefix
from gongji.entrypoints.web.pages import FLASH, _ctx, _form_key, _gj, _limit, _need, act, error_page, parse_date, render
from gongji.services.auth import Principal, Role
from gongji.services.registry.persons import Ctx
from gongji.services.resident import forms as ef
from gongji.services.resident import refunds as premium_refunds

router = APIRouter(include_in_schema=False)
Str = Annotated[str, Form()]
Strs = Annotated[list[str], Form()]

KINDS = {"registrations": "registration", "changes": "change", "stops": "stop"}
PLURAL = {v: k for k, v in KINDS.items()}
RESIDENT_FLASH = {
    "submitted": "登记表已提交，等待审核",
    "approved": "审核通过，已完成参保登记",
    "rejected": "已审核为不通过，登记表已留存",
    "applied": "审核通过，信息变更已生效",
    "stopped": "审核通过，已办理停保（流出）",
    "cleared": "已终止重复的参保记录（清理重复参保）",
}
APPROVE_FLASH = {"registration": "approved", "change": "applied", "stop": "stopped"}
CHANGE_ROWS = 6  # the seed's 附件2 prints six rows


def _flash(request: Request) -> str | None:
    code = request.query_params.get("ok", "")
    return RESIDENT_FLASH.get(code) or FLASH.get(code)


def _date_or_none(value: str, field: str) -> date | None:
    return parse_date(value, field=field) if (value or "").strip() else None


def _counties(principal: Principal) -> list[dict[str, str]]:
    """The county-level pooling regions in the staff member's scope (受理统筹区 choices)."""
    table = region_table()
    out: dict[str, str] = {}
    for scope in principal.regions:
        prefix = scope_prefix(scope)
        region = table.get(scope)
        if region is not None and region.level == "county":
            out[scope] = table.full_name(scope)
            continue
        for r in table.in_province(prefix[:2], level="county"):
            if r.code.startswith(prefix) and not r.name.endswith("市辖区"):
                out[r.code] = table.full_name(r.code)
    return [{"code": c, "name": n} for c, n in sorted(out.items())]


def _staff(request: Request) -> Principal | Response:
    return _need(request, Role.STAFF)


# --- home: the pending forms ---------------------------------------------------------------------


@router.get("/staff/resident")
def resident_home(request: Request, status: str = "pending") -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)
    gj = _gj(request)
    shown = status if status in ef.STATUS_NAMES else "pending"

    def go(uow: Any) -> dict[str, list[dict[str, Any]]]:
        return {
            kind: ef.list_forms(uow, ctx, kind=kind, status=shown, profile=gj.profile)
            for kind in ("registration", "change", "stop")
        }

    lists = gj.run(go)
    pending_refunds = gj.run(lambda uow: premium_refunds.pending_refund_count(uow, ctx))  # 退费审核 link
    return render(
        request,
        "resident_home.html",
        principal,
        flash=_flash(request),
        lists=lists,
        status=shown,
        statuses=ef.STATUS_NAMES,
        pending_refunds=pending_refunds,
    )


# --- 附件1 ---------------------------------------------------------------------------------------


def _registration_page(
    request: Request, principal: Principal, *, error: GongjiError | None = None, form: dict[str, Any] | None = None
) -> Response:
    gj = _gj(request)
    return render(
        request,
        "resident_registration_form.html",
        principal,
        failed=error,
        form=form or {},
        counties=_counties(principal),
        identities={k: zh for k, (_psn, zh) in ef.IDENTITIES.items()},
        subsidies=gj.profile.resident.subsidy,
        cert_types=ef.CERT_TYPE_NAMES,
        declaration=ef.DECLARATION_TEXT,
        declaration_version=ef.DECLARATION_VERSION,
        today=gj.clock.today().isoformat(),
        idem_key=str(uuid.uuid4()),
        duplicates=(error.detail.get("enrollments") if error is not None and error.detail else None),
    )


@router.get("/staff/resident/registrations/new")
def registration_form(request: Request) -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    return _registration_page(request, principal)


@router.post("/staff/resident/registrations")
def submit_registration(
    request: Request,
    name: Str = "",
    cert_type: Str = "01",
    cert_no: Str = "",
    sex: Str = "",
    birth_date: Str = "",
    phone: Str = "",
    household_kind: Str = "hukou",
    hukou_region: Str = "",
    hukou_village: Str = "",
    region_code: Str = "",
    township: Str = "",
    address: Str = "",
    applicant_identity: Str = "",
    subsidy: Strs = [],  # noqa: B006 (FastAPI reads the default, never mutates it)
    school_name: Str = "",
    school_region: Str = "",
    signer_name: Str = "",
    signer_role: Str = "self",
    signed_on: Str = "",
    declaration_version: Str = "",
    idempotency_key: Str = "",
) -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    gj = _gj(request)
    kept = {  # re-shown after an error as typed, the ID number too (issue 17)
        "name": name[:50],
        "cert_no": cert_no[:50],
        "cert_type": cert_type[:6],
        "sex": sex[:1],
        "birth_date": birth_date[:10],
        "phone": phone[:20],
        "household_kind": household_kind[:10],
        "hukou_region": hukou_region[:6],
        "hukou_village": hukou_village[:100],
        "region_code": region_code[:6],
        "township": township[:100],
        "address": address[:200],
        "applicant_identity": applicant_identity[:12],
        "subsidy": subsidy[:10],
        "school_name": school_name[:100],
        "school_region": school_region[:6],
        "signer_name": signer_name[:50],
        "signer_role": signer_role[:10],
        "signed_on": signed_on[:10],
    }

    def submit(uow: Any, ctx: Ctx) -> int:
        form = ef.RegistrationIn(
            name=_limit(name, 50, "name"),
            cert_type=cert_type.strip(),
            cert_no=_limit(cert_no, 50, "cert_no").upper(),
            sex=sex.strip() or None,
            birth_date=_date_or_none(birth_date, "birth_date"),
            phone=_limit(phone, 20, "phone") or None,
            household_kind=household_kind.strip(),
            hukou_region=hukou_region.strip(),
            hukou_village=_limit(hukou_village, 100, "hukou_village") or None,
            region_code=region_code.strip(),
            township=_limit(township, 100, "township"),
            address=_limit(address, 200, "address") or None,
            applicant_identity=applicant_identity.strip(),
            subsidy_codes=tuple(s.strip() for s in subsidy[:10]),
            school_name=_limit(school_name, 100, "school_name") or None,
            school_region=school_region.strip() or None,
            signer_name=_limit(signer_name, 50, "signer_name"),
            signer_role=signer_role.strip(),
            signed_on=_date_or_none(signed_on, "signed_on"),
            declaration_version=declaration_version.strip(),
        )
        return ef.submit_registration(uow, ctx, gj.profile, form, idempotency_key=_form_key(idempotency_key)).form_id

    return act(
        request,
        principal,
        submit,
        on_error=lambda err: _registration_page(request, principal, error=err, form=kept),
        redirect_to=lambda form_id: f"/staff/resident/registrations/{form_id}?ok=submitted",
    )


# --- 附件2 ---------------------------------------------------------------------------------------


def _change_page(
    request: Request, principal: Principal, *, error: GongjiError | None = None, form: dict[str, Any] | None = None
) -> Response:
    gj = _gj(request)
    return render(
        request,
        "resident_change_form.html",
        principal,
        failed=error,
        form=form or {"rows": [{} for _ in range(CHANGE_ROWS)]},
        items={k: zh for k, (zh, _key) in ef.CHANGE_ITEMS.items()},
        key_items=[k for k, (_zh, key) in ef.CHANGE_ITEMS.items() if key],
        today=gj.clock.today().isoformat(),
        idem_key=str(uuid.uuid4()),
    )


@router.get("/staff/resident/changes/new")
def change_form(request: Request) -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    return _change_page(request, principal)


@router.post("/staff/resident/changes")
def submit_change(
    request: Request,
    filler_name: Str = "",
    filler_phone: Str = "",
    filled_on: Str = "",
    cert_no: Strs = [],  # noqa: B006
    name: Strs = [],  # noqa: B006
    item: Strs = [],  # noqa: B006
    after: Strs = [],  # noqa: B006
    signed_by: Strs = [],  # noqa: B006
    remark: Strs = [],  # noqa: B006
    idempotency_key: Str = "",
) -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    n = min(max(len(cert_no), len(item)), 20)

    def cell(values: list[str], i: int, size: int) -> str:
        return values[i][:size] if i < len(values) else ""

    raw_rows = [
        {
            "cert_no": cell(cert_no, i, 50),
            "name": cell(name, i, 50),
            "item": cell(item, i, 20),
            "after": cell(after, i, 200),
            "signed_by": cell(signed_by, i, 50),
            "remark": cell(remark, i, 200),
        }
        for i in range(n)
    ]
    kept = {
        "filler_name": filler_name[:50],
        "filler_phone": filler_phone[:20],
        "filled_on": filled_on[:10],
        "rows": raw_rows + [{} for _ in range(CHANGE_ROWS - n)],
    }

    def submit(uow: Any, ctx: Ctx) -> int:
        rows = tuple(
            ef.ChangeRowIn(
                cert_no=r["cert_no"].strip().upper(),
                name=r["name"].strip(),
                item=r["item"].strip(),
                after=r["after"].strip(),
                signed_by=r["signed_by"].strip(),
                remark=r["remark"].strip() or None,
            )
            for r in raw_rows
            if (r["cert_no"] + r["name"] + r["after"]).strip()
        )
        form = ef.ChangeIn(
            filler_name=filler_name.strip(),
            filler_phone=filler_phone.strip(),
            filled_on=_date_or_none(filled_on, "filled_on"),
            rows=rows,
        )
        return ef.submit_change(uow, ctx, form, idempotency_key=_form_key(idempotency_key)).form_id

    return act(
        request,
        principal,
        submit,
        on_error=lambda err: _change_page(request, principal, error=err, form=kept),
        redirect_to=lambda form_id: f"/staff/resident/changes/{form_id}?ok=submitted",
    )


# --- 附件3 ---------------------------------------------------------------------------------------


def _stop_page(
    request: Request, principal: Principal, *, error: GongjiError | None = None, form: dict[str, Any] | None = None
) -> Response:
    gj = _gj(request)
    return render(
        request,
        "resident_stop_form.html",
        principal,
        failed=error,
        form=form or {},
        reasons=ef.STOP_REASONS,
        roles=ef.APPLICANT_ROLES,
        today=gj.clock.today().isoformat(),
        idem_key=str(uuid.uuid4()),
    )


@router.get("/staff/resident/stops/new")
def stop_form(request: Request) -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    return _stop_page(request, principal)


@router.post("/staff/resident/stops")
def submit_stop(
    request: Request,
    cert_no: Str = "",
    name: Str = "",
    reason: Str = "",
    reason_note: Str = "",
    effective_date: Str = "",
    destination_region: Str = "",
    transfer: Str = "",
    graduated_on: Str = "",
    applicant_name: Str = "",
    applicant_role: Str = "self",
    applicant_phone: Str = "",
    signed_on: Str = "",
    idempotency_key: Str = "",
) -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    kept = {
        "name": name[:50],
        "cert_no": cert_no[:50],
        "reason": reason[:20],
        "reason_note": reason_note[:200],
        "effective_date": effective_date[:10],
        "destination_region": destination_region[:6],
        "transfer": transfer == "1",
        "graduated_on": graduated_on[:10],
        "applicant_name": applicant_name[:50],
        "applicant_role": applicant_role[:10],
        "applicant_phone": applicant_phone[:20],
        "signed_on": signed_on[:10],
    }

    def submit(uow: Any, ctx: Ctx) -> int:
        form = ef.StopIn(
            cert_no=_limit(cert_no, 50, "cert_no").upper(),
            name=_limit(name, 50, "name"),
            reason=reason.strip(),
            reason_note=_limit(reason_note, 200, "reason_note") or None,
            effective_date=_date_or_none(effective_date, "effective_date"),
            destination_region=destination_region.strip() or None,
            transfer=transfer == "1",
            graduated_on=_date_or_none(graduated_on, "graduated_on"),
            applicant_name=_limit(applicant_name, 50, "applicant_name"),
            applicant_role=applicant_role.strip(),
            applicant_phone=_limit(applicant_phone, 20, "applicant_phone") or None,
            signed_on=_date_or_none(signed_on, "signed_on"),
        )
        return ef.submit_stop(uow, ctx, form, idempotency_key=_form_key(idempotency_key)).form_id

    return act(
        request,
        principal,
        submit,
        on_error=lambda err: _stop_page(request, principal, error=err, form=kept),
        redirect_to=lambda form_id: f"/staff/resident/stops/{form_id}?ok=submitted",
    )


# --- one form: detail, review, print ----------------------------------------------------------------


def _detail_page(
    request: Request, principal: Principal, kinds: str, form_id: int, *, error: GongjiError | None = None
) -> Response:
    if kinds not in KINDS:
        return error_page(request, principal, UnknownCode("登记表类型不存在", "Unknown form kind"))
    kind = KINDS[kinds]
    ctx = _ctx(request, principal)
    gj = _gj(request)

    def go(uow: Any) -> dict[str, Any]:
        data = ef.get_form(uow, ctx, kind=kind, form_id=form_id, profile=gj.profile)
        uow.commit()  # the audit row of the read
        return data

    try:
        data = gj.run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(
        request,
        "resident_form.html",
        principal,
        failed=error,
        flash=_flash(request),
        kind=kind,
        kinds=kinds,
        title=ef.KIND_NAMES[kind],
        f=data,
        fields=_fields(kind, data),
        entered_by_me=data["created_by_user_id"] == principal.user_id,  # approval is a second clerk's
        today=gj.clock.today().isoformat(),
        default_unit=f"{region_table().name(data['region_code'])}医疗保障经办机构",
    )


def _fields(kind: str, d: dict[str, Any]) -> list[tuple[str, str]]:
    """The form's fields as (label, value) in the order of the paper form."""
    if kind == "registration":
        household = "居住证登记地" if d["household_kind"] == "permit" else "户籍所在地"
        return [
            ("姓名", d["name"]),
            ("身份证件类型", d["cert_type_name"]),
            ("身份证件号码", d["cert_no"]),
            ("性别", d["sex_name"]),
            ("出生日期", d["birth_date"]),
            ("联系电话", d["phone"] or "—"),
            (household, f"{d['hukou_region_name']} {d['hukou_village'] or ''}".strip()),
            ("通讯地址", f"{d['township']} {d['address'] or ''}".strip()),
            ("申请人身份", d["identity_name"]),
            ("财政补助对象", "、".join(d["subsidy_names"]) or "无"),
            ("学校", f"{d['school_name'] or ''}（学籍地 {d['school_region_name']}）" if d["school_region"] else "—"),
            ("受理统筹区", d["region_name"]),
            ("参保地", f"{d['enroll_region_name']}（人员类别：{d['psn_type_name']}）"),
            ("待遇等待期", "新生儿不设待遇享受等待期" if d["no_waiting_period"] else "按规定"),
            ("申请人或监护人签字", f"{d['signer_name']}（{d['signer_role_name']}） {d['signed_on']}"),
        ]
    if kind == "change":
        return [
            ("填报人", d["filler_name"]),
            ("联系电话", d["filler_phone"]),
            ("信息类别", "关键信息" if d["is_key"] else "非关键信息"),
            ("填表日期", d["filled_on"]),
            ("受理统筹区", d["region_name"]),
        ]
    return [
        ("姓名", d["name"]),
        ("身份证件号码", d["cert_no"]),
        ("参保地", d["region_name"]),
        ("人员类别", d["psn_type_name"]),
        ("停保或流出原因", d["reason_name"] + (f"：{d['reason_note']}" if d["reason_note"] else "")),
        ("停保（流出）日期", d["effective_date"]),
        ("流入地", d["destination_region_name"] or "—"),
        ("处理方式", "转移参保关系至流入地" if d["transfer"] else "终止参保"),
        ("毕业日期", d["graduated_on"] or "—"),
        ("申请人", f"{d['applicant_name']}（{d['applicant_role_name']}） {d['signed_on']}"),
    ]


@router.get("/staff/resident/{kinds}/{form_id}")
def form_detail(request: Request, kinds: str, form_id: int) -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    return _detail_page(request, principal, kinds, form_id)


def _on_form(request: Request, kinds: str, form_id: int, use_case: Callable[[Any, Ctx], str]) -> Response:
    """A write from a form's page: errors re-show the page; success → back with a flash code."""
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    return act(
        request,
        principal,
        use_case,
        on_error=lambda err: _detail_page(request, principal, kinds, form_id, error=err),
        redirect_to=lambda flash: f"/staff/resident/{kinds}/{form_id}?ok={flash}",
    )


@router.post("/staff/resident/{kinds}/{form_id}/review")
def review_form(
    request: Request, kinds: str, form_id: int, decision: Str = "", reason: Str = "", unit: Str = ""
) -> Response:
    def review(uow: Any, ctx: Ctx) -> str:
        if kinds not in KINDS or decision not in ("approve", "reject"):
            raise UnknownCode("操作不存在", "Unknown action", field="decision")
        kind = KINDS[kinds]
        approve = decision == "approve"
        note = _limit(reason, 200, "reason") or None
        office = _limit(unit, 100, "unit") or None
        if kind == "registration":
            ef.review_registration(uow, ctx, registration_id=form_id, approve=approve, reason=note, unit=office)
        elif kind == "change":
            ef.review_change(uow, ctx, change_id=form_id, approve=approve, opinion=note, unit=office)
        else:
            ef.review_stop(uow, ctx, stop_id=form_id, approve=approve, opinion=note, unit=office)
        return APPROVE_FLASH[kind] if approve else "rejected"

    return _on_form(request, kinds, form_id, review)


@router.post("/staff/resident/registrations/{form_id}/duplicates/{enrollment_id}/clear")
def clear_duplicate(
    request: Request, form_id: int, enrollment_id: int, reason: Str = "", effective_date: Str = ""
) -> Response:
    """清理重复参保 from a registration's page: end the wrong enrollment with a reason."""

    def clear(uow: Any, ctx: Ctx) -> str:
        ef.clear_duplicate(
            uow,
            ctx,
            enrollment_id=enrollment_id,
            reason=_limit(reason, 200, "reason"),
            effective_date=_date_or_none(effective_date, "effective_date"),
        )
        return "cleared"

    return _on_form(request, "registrations", form_id, clear)


@router.get("/staff/resident/{kinds}/{form_id}/pdf")
def form_pdf(request: Request, kinds: str, form_id: int) -> Response:
    """The filled-in form as a PDF to print (staff in the form's region; the print is audited)."""
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    if kinds not in KINDS:
        return error_page(request, principal, UnknownCode("登记表类型不存在", "Unknown form kind"))
    ctx = _ctx(request, principal)
    gj = _gj(request)

    def go(uow: Any) -> tuple[str, bytes]:
        result = ef.form_pdf(uow, ctx, kind=KINDS[kinds], form_id=form_id, profile=gj.profile)
        uow.commit()
        return result

    try:
        filename, data = gj.run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return Response(
        content=data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "no-store"},
    )


# --- duplicates -------------------------------------------------------------------------------------


@router.get("/staff/resident/duplicates")
def duplicates_form(request: Request) -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    return render(request, "resident_duplicates.html", principal, flash=_flash(request), found=None)


@router.post("/staff/resident/duplicates")
def duplicates_search(request: Request, cert_no: Str = "", cert_type: Str = "01") -> Response:
    """The search is a POST so that the ID number never lands in a URL."""
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)

    def go(uow: Any) -> dict[str, Any]:
        found = ef.find_duplicates(uow, ctx, cert_no=_limit(cert_no, 50, "cert_no"), cert_type=cert_type.strip())
        uow.commit()
        return found

    try:
        found = _gj(request).run(go)
    except GongjiError as err:
        return render(request, "resident_duplicates.html", principal, failed=err, found=None)
    return render(request, "resident_duplicates.html", principal, found=found, today=ctx.clock.today().isoformat())


@router.post("/staff/resident/duplicates/{enrollment_id}/clear")
def duplicates_clear(request: Request, enrollment_id: int, reason: Str = "", effective_date: Str = "") -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal

    def clear(uow: Any, ctx: Ctx) -> None:
        ef.clear_duplicate(
            uow,
            ctx,
            enrollment_id=enrollment_id,
            reason=_limit(reason, 200, "reason"),
            effective_date=_date_or_none(effective_date, "effective_date"),
        )

    return act(
        request,
        principal,
        clear,
        on_error=lambda err: render(request, "resident_duplicates.html", principal, failed=err, found=None),
        redirect_to=lambda _: "/staff/resident/duplicates?ok=cleared",
    )
