"""zh-CN staff pages of designated institutions and their gateway keys (issue 13 §3).

- ``/staff/institutions``: the institutions of the clerk's regions and a form to register one;
- ``/staff/institutions/{code}``: its agreement, 暂停/恢复/终止 with a reason, its keys (masked),
  发放 / 轮换 / 吊销. A new secret is shown once, on the answer to the POST, never again.

The use cases are ``services.institutions``; a refusal is shown in Chinese with its code.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from gongji.domain.errors import GongjiError, InvalidRequest
from gongji.entrypoints.web.pages import _ctx, _gj, _need, act, error_page, render
from gongji.services.auth import Principal, Role
from gongji.services.institutions import keys, registry
from gongji.services.registry.persons import Ctx

router = APIRouter(include_in_schema=False)
Str = Annotated[str, Form()]


def _list_page(request: Request, principal: Principal, *, error: GongjiError | None = None) -> Response:
    ctx = _ctx(request, principal)
    try:
        rows = _gj(request).run(lambda uow: registry.listing(uow, ctx, limit=500))
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(request, "staff_institutions.html", principal, failed=error, rows=rows, kinds=registry.KINDS)


@router.get("/staff/institutions")
def list_page(request: Request) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return _list_page(request, principal)


def _date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest("日期格式应为 YYYY-MM-DD", "Dates are YYYY-MM-DD", field=field) from None


@router.post("/staff/institutions")
def register(
    request: Request,
    fixmedins_code: Str = "",
    name: Str = "",
    kind: Str = "",
    level: Str = "",
    region_code: Str = "",
    agreement_start: Str = "",
    agreement_end: Str = "",
) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal

    def go(uow: Any, ctx: Ctx) -> str:
        if not (level.isascii() and level.isdigit() and len(level) == 1):
            raise InvalidRequest("等级须为0-3", "level: 0-3", field="level")
        inst = registry.register(
            uow,
            ctx,
            code=fixmedins_code.strip().upper(),
            name=name,
            kind=kind,
            level=int(level),
            region_code=region_code.strip(),
            agreement_start=_date(agreement_start, "agreement_start"),
            agreement_end=_date(agreement_end, "agreement_end") if agreement_end else None,
        )
        return inst.fixmedins_code

    return act(
        request,
        principal,
        go,
        on_error=lambda err: _list_page(request, principal, error=err),
        redirect_to=lambda code: f"/staff/institutions/{code}",
    )


def _detail(
    request: Request, principal: Principal, code: str, *, error: GongjiError | None = None, shown: Any = None
) -> Response:
    ctx = _ctx(request, principal)

    def go(uow: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        inst = registry.get(uow, code)
        registry.require_staff_scope(ctx, inst.region_code)
        return registry.view(inst), keys.listing(uow, ctx, fixmedins_code=code)

    try:
        inst, key_rows = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(request, "staff_institution.html", principal, failed=error, inst=inst, keys=key_rows, shown=shown)


@router.get("/staff/institutions/{code}")
def detail_page(request: Request, code: str) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return _detail(request, principal, code)


@router.post("/staff/institutions/{code}/status")
def set_status(request: Request, code: str, status: Str = "", reason: Str = "") -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return act(
        request,
        principal,
        lambda uow, ctx: registry.set_status(uow, ctx, code=code, status=status, reason=reason),
        on_error=lambda err: _detail(request, principal, code, error=err),
        redirect_to=lambda _: f"/staff/institutions/{code}",
    )


def _issue_and_show(request: Request, code: str, use_case: Any) -> Response:
    """Run an issue or rotation and show the secret on this answer only (no redirect)."""
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)

    def go(uow: Any) -> dict[str, str]:
        key, secret = use_case(uow, ctx)
        uow.commit()
        return {"key_id": key.key_id, "secret": secret}

    try:
        shown = _gj(request).run(go)
    except GongjiError as err:
        return _detail(request, principal, code, error=err)
    response = _detail(request, principal, code, shown=shown)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/staff/institutions/{code}/keys")
def issue_key(request: Request, code: str) -> Response:
    return _issue_and_show(request, code, lambda uow, ctx: keys.issue(uow, ctx, fixmedins_code=code))


@router.post("/staff/institutions/{code}/keys/{key_id}/rotate")
def rotate_key(request: Request, code: str, key_id: str) -> Response:
    return _issue_and_show(request, code, lambda uow, ctx: keys.rotate(uow, ctx, key_id=key_id))


@router.post("/staff/institutions/{code}/keys/{key_id}/revoke")
def revoke_key(request: Request, code: str, key_id: str, reason: Str = "") -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return act(
        request,
        principal,
        lambda uow, ctx: keys.revoke(uow, ctx, key_id=key_id, reason=reason),
        on_error=lambda err: _detail(request, principal, code, error=err),
        redirect_to=lambda _: f"/staff/institutions/{code}",
    )
