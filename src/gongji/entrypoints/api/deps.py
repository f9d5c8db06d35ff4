"""FastAPI dependencies: the app's Gongji, the current principal, the request context."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from gongji.bootstrap import Gongji
from gongji.domain.errors import InvalidRequest
from gongji.services import auth
from gongji.services.audit import Channel
from gongji.services.auth import Principal
from gongji.services.registry.persons import Ctx

TOKEN_COOKIE = "gongji_token"


def get_gj(request: Request) -> Gongji:
    return request.app.state.gj  # type: ignore[no-any-return]


GjDep = Annotated[Gongji, Depends(get_gj)]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(TOKEN_COOKIE)


def current_principal(request: Request, gj: GjDep) -> Principal:
    token = bearer_token(request)
    with gj.uow() as uow:
        return auth.principal_for_token(uow, token=token, now=gj.clock.now())


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def channel_of(request: Request) -> Channel:
    name = "web" if not request.url.path.startswith("/api") else "api"
    return Channel(name=name, client_addr=request.client.host if request.client else None)


def request_ctx(request: Request, gj: GjDep, principal: CurrentPrincipal) -> Ctx:
    return Ctx(principal=principal, channel=channel_of(request), clock=gj.clock)


CtxDep = Annotated[Ctx, Depends(request_ctx)]


def idempotency_key(idempotency_key: Annotated[str | None, Header()] = None) -> str:
    if not idempotency_key or len(idempotency_key) > 255:
        raise InvalidRequest(
            "资金类请求须带 Idempotency-Key 请求头（1-255个字符）",
            "Money requests need an Idempotency-Key header (1-255 characters)",
            field="Idempotency-Key",
        )
    return idempotency_key


IdempotencyKey = Annotated[str, Depends(idempotency_key)]
