"""zh-CN staff pages over the township's collection work that had an API only (issue 16 §3):

- ``/staff/collection/failed-payments?status=&year=``: failed online payments the citizens reported
  (002 §六1), the township's queue; ``/staff/collection/failed-payments/{id}``: the report against
  what the registry holds, the screenshot, and the resolution (``services.collection.
  failed_payments``: it must agree with the registry);
- ``/staff/collection/tax-compare``: upload the tax 代征 system's export for a township and year
  and see every mismatch with the registry (002 §六2, ``tax_compare``; nothing written);
- ``/staff/collection/posting?unit_id=&month=&year=``: a village's monthly posting list, masked,
  with the printable PDF (002 §八3/§九5, ``posting``).

A township clerk (``collection_staff_scope``) sees and chooses only their own township and its
villages; the services enforce it, the pages only offer what is in scope. Money in yuan, states
and kinds in Chinese.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import select

from gongji.adapters.db.models import CollectionUnit
from gongji.domain.errors import GongjiError, InvalidRequest
from gongji.entrypoints.web.pages import _ctx, _gj, _need, act, error_page, render
from gongji.services.auth import Principal, Role
from gongji.services.collection import failed_payments, posting, tax_compare, units
from gongji.services.collection.demo import benefit_year_for
from gongji.services.resident.premiums import STATUS_ZH as PREMIUM_STATUS_ZH

router = APIRouter(include_in_schema=False)
Str = Annotated[str, Form()]
PAYMENT_STATUS_ZH = {"paid": "已到账", "refunded": "已退费", "refund": "退费款", "refused": "已拒绝"}


def _staff(request: Request) -> Principal | Response:
    return _need(request, Role.STAFF)


def _year(request: Request, raw: str | None) -> int:
    if raw:
        if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
            raise InvalidRequest("年度有误", "Bad benefit year", field="year")
        return int(raw)
    year = benefit_year_for(_gj(request), _gj(request).clock.today())
    return year if year is not None else _gj(request).clock.today().year + 1


def _towns(uow: Any, scope: units.Scope) -> list[dict[str, Any]]:
    """Township-level units (乡镇、街道、院校) the viewer may choose: a clerk only their own."""
    return [{"id": u.id, "code": u.code, "name": u.name} for u in units.units_under(uow, scope) if u.parent_id is None]


def _town_names(uow: Any, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = uow.session.execute(select(CollectionUnit.code, CollectionUnit.name).where(CollectionUnit.code.in_(codes)))
    return {code: name for code, name in rows}


# --- failed online payments ------------------------------------------------------------------


@router.get("/staff/collection/failed-payments")
def failed_list(request: Request) -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)
    status = request.query_params.get("status", failed_payments.OPEN)
    year_raw = request.query_params.get("year", "")

    def go(uow: Any) -> dict[str, Any]:
        rows = failed_payments.queue(uow, ctx, status=status)
        if year_raw:
            year = _year(request, year_raw)
            rows = [r for r in rows if r["benefit_year"] == year]
        names = _town_names(uow, {r["township_code"] for r in rows if r["township_code"]})
        for r in rows:
            r["township_name"] = names.get(r["township_code"] or "", "未归属乡镇（由区县经办）")
        return {"rows": rows}

    try:
        data = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(
        request,
        "collection_failed_payments.html",
        principal,
        **data,
        status=status,
        year=year_raw,
        statuses=failed_payments.STATUS_ZH,
        resolved=request.query_params.get("done") == "1",
    )


def _failed_detail(
    request: Request, principal: Principal, report_id: int, error: GongjiError | None = None
) -> Response:
    ctx = _ctx(request, principal)

    def go(uow: Any) -> dict[str, Any]:
        out = failed_payments.check(uow, ctx, report_id=report_id)
        code = out["report"]["township_code"]
        out["township_name"] = _town_names(uow, {code}).get(code, "未归属乡镇（由区县经办）") if code else "未归属乡镇"
        uow.commit()  # the check is an audited read
        return out

    try:
        data = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(
        request,
        "collection_failed_payment.html",
        principal,
        failed=error,
        **data,
        resolutions=failed_payments.RESOLUTIONS,
        premium_status_zh={**PREMIUM_STATUS_ZH, "none": "未缴费（无缴费记录）"},
        payment_status_zh=PAYMENT_STATUS_ZH,
    )


@router.get("/staff/collection/failed-payments/{report_id}")
def failed_detail(request: Request, report_id: int) -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    return _failed_detail(request, principal, report_id)


@router.get("/staff/collection/failed-payments/{report_id}/screenshot")
def failed_screenshot(request: Request, report_id: int) -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)

    def go(uow: Any) -> tuple[bytes, str]:
        out = failed_payments.screenshot(uow, ctx, report_id=report_id)
        uow.commit()
        return out

    try:
        data, kind = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return Response(data, media_type=kind, headers={"Cache-Control": "no-store"})


@router.post("/staff/collection/failed-payments/{report_id}/resolve")
def failed_resolve(request: Request, report_id: int, resolution: Str = "", note: Str = "") -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    return act(
        request,
        principal,
        lambda uow, ctx: failed_payments.resolve(
            uow, ctx, report_id=report_id, resolution=resolution, note=note or None
        ),
        on_error=lambda err: _failed_detail(request, principal, report_id, err),
        redirect_to=lambda _: "/staff/collection/failed-payments?status=resolved&done=1",
    )


# --- the tax 代征 export against the registry ------------------------------------------------


def _tax_page(request: Request, principal: Principal, **extra: Any) -> Response:
    def go(uow: Any) -> list[dict[str, Any]]:
        return _towns(uow, units.scope_of(uow, principal))

    try:
        towns = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    extra.setdefault("year", _year(request, None))
    extra.setdefault("township", towns[0]["code"] if len(towns) == 1 else "")
    extra.setdefault("result", None)
    return render(request, "collection_tax_compare.html", principal, towns=towns, **extra)


@router.get("/staff/collection/tax-compare")
def tax_form(request: Request) -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    return _tax_page(request, principal)


@router.post("/staff/collection/tax-compare")
def tax_upload(
    request: Request,
    township_code: Str = "",
    benefit_year: Str = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)
    gj = _gj(request)

    def go(uow: Any) -> dict[str, Any]:
        year = _year(request, benefit_year.strip() or None)
        data = file.file.read(tax_compare.MAX_BYTES + 1) if file is not None and file.filename else b""
        out = tax_compare.compare(
            uow, ctx, gj.profile, township_code=township_code.strip(), benefit_year=year, file=data
        )
        uow.commit()  # the audit row
        return out

    try:
        result = gj.run(go)
    except GongjiError as err:
        return _tax_page(request, principal, failed=err, township=township_code, year=benefit_year)
    return _tax_page(request, principal, result=result, township=township_code, year=result["benefit_year"])


# --- the village posting ---------------------------------------------------------------------


@router.get("/staff/collection/posting")
def posting_page(request: Request) -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)
    q = request.query_params
    today = ctx.clock.today()
    month = q.get("month") or f"{today.year}-{today.month:02d}"
    unit_raw = q.get("unit_id", "")

    def go(uow: Any) -> dict[str, Any]:
        year = _year(request, q.get("year"))
        scope = units.scope_of(uow, principal)
        towns = {u.id: u.name for u in units.units_under(uow, scope) if u.parent_id is None}
        villages = [
            {"id": u.id, "name": f"{towns.get(u.parent_id, '')} · {u.name}"}
            for u in units.units_under(uow, scope)
            if u.parent_id is not None
        ]
        out: dict[str, Any] = {"year": year, "villages": villages, "list": None}
        if unit_raw:
            if not unit_raw.isdigit():
                raise InvalidRequest("请选择村（社区、学校）", "unit_id: a number", field="unit_id")
            out["list"] = posting.posting(uow, ctx, unit_id=int(unit_raw), benefit_year=year, month=month)
            uow.commit()
        return out

    try:
        data = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(
        request,
        "collection_posting.html",
        principal,
        **data,
        month=month,
        unit_id=int(unit_raw) if unit_raw.isdigit() else None,
    )
