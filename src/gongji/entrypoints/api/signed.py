"""The tax bureau's interface accepts a signed request (docs/his-signing.md, ``_api_name`` =
``tax``) with a tax-bureau key, or — as before — the bearer token of a tax account's login."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from gongji.entrypoints.api.deps import GjDep, channel_of, current_principal
from gongji.entrypoints.api.routes.nhsa import signed_path
from gongji.services.institutions import gateway, keys
from gongji.services.registry.persons import Ctx

TAX_API_NAME = "tax"


async def tax_ctx(request: Request, gj: GjDep) -> Ctx:
    if "_api_access_key" not in request.headers:
        principal = await run_in_threadpool(current_principal, request, gj)
        return Ctx(principal=principal, channel=channel_of(request), clock=gj.clock)
    signed = gateway.Request(
        headers=dict(request.headers), method=request.method, path=signed_path(request), body=await request.body()
    )
    admitted = await run_in_threadpool(
        gateway.admit,
        gj.run,  # type: ignore[arg-type]
        signed,
        holder=keys.TAX,
        api_name=TAX_API_NAME,
        clock=gj.clock,
    )
    return Ctx(principal=admitted.principal, channel=channel_of(request), clock=gj.clock)


TaxCtxDep = Annotated[Ctx, Depends(tax_ctx)]
