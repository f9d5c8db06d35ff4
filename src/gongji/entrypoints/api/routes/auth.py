"""Login, logout and who am I."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from gongji.entrypoints.api.deps import TOKEN_COOKIE, CurrentPrincipal, GjDep, bearer_token, channel_of
from gongji.entrypoints.api.schemas import LoginIn, PasswordChangeIn, PasswordResetIn, ResetCodeIn
from gongji.services import auth
from gongji.services.auth import passwords

router = APIRouter(prefix="/api/auth", tags=["auth 登录"])


@router.post("/login")
def login(body: LoginIn, request: Request, response: Response, gj: GjDep) -> dict[str, Any]:
    """Log in with user name and password; returns a bearer token (also set as a cookie)."""

    def go(uow: Any) -> dict[str, Any]:
        token, principal = auth.log_in(
            uow,
            username=body.username,
            password=body.password,
            now=gj.clock.now(),
            ttl_minutes=gj.settings.token_ttl_minutes,
            channel=channel_of(request),
        )
        return {
            "token": token,
            "token_type": "bearer",
            "expires_in": gj.settings.token_ttl_minutes * 60,
            "role": principal.role.value,
            "display_name": principal.display_name,
        }

    result = gj.run(go)
    response.set_cookie(TOKEN_COOKIE, result["token"], httponly=True, samesite="strict", max_age=result["expires_in"])
    return result


@router.post("/logout")
def logout(request: Request, response: Response, gj: GjDep, principal: CurrentPrincipal) -> dict[str, str]:
    token = bearer_token(request) or ""

    def go(uow: Any) -> None:
        auth.log_out(uow, token=token, principal=principal, now=gj.clock.now(), channel=channel_of(request))

    gj.run(go)
    response.delete_cookie(TOKEN_COOKIE)
    return {"status": "ok"}


@router.post("/password")
def change_password(body: PasswordChangeIn, request: Request, gj: GjDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """Change the own password (old one required); the other devices' sessions end."""
    token = bearer_token(request)

    def go(uow: Any) -> int:
        return passwords.change_password(
            uow,
            principal=principal,
            old_password=body.old_password,
            new_password=body.new_password,
            current_token=token,
            now=gj.clock.now(),
            channel=channel_of(request),
        )

    return {"status": "ok", "other_sessions_ended": gj.run(go)}


@router.post("/reset-codes", status_code=201)
def issue_reset_code(body: ResetCodeIn, request: Request, gj: GjDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """Staff: a one-time password reset code for a citizen of their regions (shown once)."""

    def go(uow: Any) -> dict[str, Any]:
        return passwords.issue_reset_code(
            uow, principal=principal, person_id=body.person_id, now=gj.clock.now(), channel=channel_of(request)
        )

    return gj.run(go)


@router.post("/password/reset")
def reset_password(body: PasswordResetIn, request: Request, gj: GjDep) -> dict[str, str]:
    """A citizen sets a new password with the one-time code from the counter."""

    def go(uow: Any) -> None:
        passwords.reset_with_code(
            uow,
            username=body.username,
            code=body.code,
            new_password=body.new_password,
            now=gj.clock.now(),
            channel=channel_of(request),
        )

    gj.run(go)
    return {"status": "ok"}


@router.get("/me")
def me(principal: CurrentPrincipal) -> dict[str, Any]:
    return {
        "username": principal.username,
        "role": principal.role.value,
        "role_name": auth.ROLE_ZH[principal.role],
        "display_name": principal.display_name,
        "person_id": principal.person_id,
        "regions": list(principal.regions),
        "fixmedins_code": principal.fixmedins_code,
    }
