"""Password pages (issue 13 §4): 修改密码 for a logged-in user (phone-sized), 重置密码 with the
one-time code from the counter, and the staff page that issues such a code (shown once)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gongji.domain.errors import GongjiError, InvalidRequest
from gongji.entrypoints.api.deps import TOKEN_COOKIE, channel_of
from gongji.entrypoints.web.pages import Str, _gj, _home_of, _need, _redirect, render
from gongji.services.auth import Role
from gongji.services.auth import passwords as pw

router = APIRouter(include_in_schema=False)
ANY_ROLE = tuple(Role)


def _with_retry_after(page: Response, err: GongjiError) -> Response:
    if err.detail and "retry_after_seconds" in err.detail:
        page.headers["Retry-After"] = str(err.detail["retry_after_seconds"])
    return page


@router.get("/password")
def password_form(request: Request) -> Response:
    principal = _need(request, *ANY_ROLE)
    if isinstance(principal, Response):
        return principal
    return render(request, "password_change.html", principal)


@router.post("/password")
def password_change(
    request: Request, old_password: Str = "", new_password: Str = "", new_password2: Str = ""
) -> Response:
    principal = _need(request, *ANY_ROLE)
    if isinstance(principal, Response):
        return principal
    gj = _gj(request)

    def go(uow: Any) -> int:
        if new_password != new_password2:
            raise InvalidRequest("两次输入的新密码不一致", "The two new passwords differ", field="new_password2")
        return pw.change_password(
            uow,
            principal=principal,
            old_password=old_password[:128],
            new_password=new_password[:200],
            current_token=request.cookies.get(TOKEN_COOKIE),
            now=gj.clock.now(),
            channel=channel_of(request),
        )

    try:
        gj.run(go)
    except GongjiError as err:
        return _with_retry_after(render(request, "password_change.html", principal, failed=err), err)
    home = _home_of(principal)
    return _redirect(home + ("&" if "?" in home else "?") + "ok=password_changed")


@router.get("/password/reset")
def reset_form(request: Request) -> Response:
    return render(request, "password_reset.html", None, username="")


@router.post("/password/reset")
def reset(
    request: Request, username: Str = "", code: Str = "", new_password: Str = "", new_password2: Str = ""
) -> Response:
    gj = _gj(request)
    username = username.strip()[:50]

    def go(uow: Any) -> None:
        if new_password != new_password2:
            raise InvalidRequest("两次输入的新密码不一致", "The two new passwords differ", field="new_password2")
        pw.reset_with_code(
            uow,
            username=username,
            code=code[:40],
            new_password=new_password[:200],
            now=gj.clock.now(),
            channel=channel_of(request),
        )

    try:
        gj.run(go)
    except GongjiError as err:
        page = render(request, "password_reset.html", None, failed=err, username=username)
        return _with_retry_after(page, err)
    return _redirect("/login?ok=password_reset")


@router.post("/staff/persons/{person_id}/reset-code")
def issue_code(request: Request, person_id: int) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    gj = _gj(request)
    if not 1 <= person_id < 2**63:
        return render(request, "error.html", principal, failed=InvalidRequest(field="person_id"))

    def go(uow: Any) -> dict[str, Any]:
        return pw.issue_reset_code(
            uow, principal=principal, person_id=person_id, now=gj.clock.now(), channel=channel_of(request)
        )

    try:
        issued = gj.run(go)
    except GongjiError as err:
        return render(request, "error.html", principal, failed=err)
    return render(request, "reset_code.html", principal, issued=issued, person_id=person_id)
