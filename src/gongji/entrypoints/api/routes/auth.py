"""Login, logout and who am I."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from gongji.entrypoints.api.deps import TOKEN_COOKIE, CurrentPrincipal, GjDep, bearer_token, channel_of
from gongji.entrypoints.api.schemas import LoginIn
from gongji.services import auth

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
