"""The citizen's message centre (消息中心) and reports of unrecognised uses (issue 17).

``/me/messages``: each use of the authorizer's money by a relative — institution, amount, time —
newest first, the unread ones marked; opening the page reads them. ``/me/messages/{draw_id}/report``:
"this was not us" with an optional note, after a confirmation; the report goes to staff of the
authorizer's region at ``/staff/family/reports``, who open a fraud case through the existing
revocation page (seed 003 四(四)) or close the report with what they found. Use cases:
``gongji.services.family.notices``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from gongji.domain.errors import GongjiError, NotFound
from gongji.entrypoints.web.family_pages import _citizen, shown
from gongji.entrypoints.web.pages import _ctx, _gj, _need, act, error_page, render
from gongji.services.auth import Principal, Role
from gongji.services.family import notices
from gongji.services.registry.persons import Ctx

router = APIRouter(include_in_schema=False)
Str = Annotated[str, Form()]

MESSAGE_FLASH = {
    "reported": "已提交举报，经办人员将核查该笔支付",
    "report_closed": "已记录核查结果",
}


def _flash(request: Request) -> str | None:
    return MESSAGE_FLASH.get(request.query_params.get("ok", ""))


@router.get("/me/messages")
def my_messages(request: Request) -> Response:
    who = _citizen(request)
    if isinstance(who, Response):
        return who
    principal, person_id = who
    ctx = _ctx(request, principal)

    def go(uow: Any) -> dict[str, Any]:
        data = notices.message_centre(uow, ctx, person_id=person_id)
        uow.commit()
        return data

    try:
        data = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(
        request,
        "me_messages.html",
        principal,
        flash=_flash(request),
        notices=shown(data["notices"]),
        unread=data["unread"],
    )


def _report_page(request: Request, principal: Principal, draw_id: int, *, error: GongjiError | None = None) -> Response:
    ctx = _ctx(request, principal)
    person_id = principal.person_id
    assert person_id is not None
    data = _gj(request).run(lambda uow: notices.message_centre(uow, ctx, person_id=person_id, mark_read=False))
    found = [n for n in data["notices"] if n["draw_id"] == draw_id]
    if not found:
        return error_page(request, principal, NotFound("共济支付记录不存在", "Family payment use not found"))
    return render(request, "me_report.html", principal, failed=error, n=shown(found)[0])


@router.get("/me/messages/{draw_id}/report")
def report_form(request: Request, draw_id: int) -> Response:
    who = _citizen(request)
    if isinstance(who, Response):
        return who
    return _report_page(request, who[0], draw_id)


@router.post("/me/messages/{draw_id}/report")
def report_use(request: Request, draw_id: int, note: Str = "") -> Response:
    who = _citizen(request)
    if isinstance(who, Response):
        return who
    principal = who[0]
    return act(
        request,
        principal,
        lambda uow, ctx: notices.report_use(uow, ctx, draw_id=draw_id, note=note[:400]),
        on_error=lambda err: _report_page(request, principal, draw_id, error=err),
        redirect_to=lambda _: "/me/messages?ok=reported",
    )


# --- staff ---------------------------------------------------------------------------------------


def _staff_page(request: Request, principal: Principal, *, error: GongjiError | None = None) -> Response:
    ctx: Ctx = _ctx(request, principal)
    show_all = request.query_params.get("all") == "1"
    try:
        rows = _gj(request).run(lambda uow: notices.staff_reports(uow, ctx, open_only=not show_all))
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(
        request,
        "family_reports.html",
        principal,
        failed=error,
        flash=_flash(request),
        reports=shown(rows),
        show_all=show_all,
    )


@router.get("/staff/family/reports")
def staff_reports(request: Request) -> Response:
    """参保人举报的可疑共济使用: the open reports of the clerk's regions."""
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return _staff_page(request, principal)


@router.post("/staff/family/reports/{report_id}/close")
def staff_close_report(request: Request, report_id: int, note: Str = "") -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return act(
        request,
        principal,
        lambda uow, ctx: notices.close_report(uow, ctx, report_id=report_id, note=note[:400]),
        on_error=lambda err: _staff_page(request, principal, error=err),
        redirect_to=lambda _: "/staff/family/reports?ok=report_closed",
    )
