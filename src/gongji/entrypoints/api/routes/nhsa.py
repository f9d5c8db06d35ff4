"""The national 两定 interface over HTTP, on all three URL styles of INTERFACE.md §3:

1. one endpoint with ``infno`` in the body: ``POST /fsi/api/rsfComIfsService/callService``;
2. ``infno`` appended to a base: ``POST /fsi/api/rsfComIfsService/callService/{infno}``;
3. a path per service, e.g. ``POST /fsi/api/outpatientSettleService/saveSettletmentV2`` (2207).

Thin: the raw body and headers go to ``services.settlement.interface.call``; its answer is sent as is.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from gongji.bootstrap import Gongji
from gongji.services.settlement import interface as nhsa

router = APIRouter(tags=["两定接口 (national interface)"])
CALL_SERVICE = "/fsi/api/rsfComIfsService/callService"


def signed_path(request: Request) -> str:
    """The request target the gateway signature covers: the path as sent, plus ``?query``."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string") or b""
    return raw.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")


async def _handle(request: Request, path_infno: str | None) -> Response:
    gj: Gongji = request.app.state.gj
    raw = await request.body()
    answer = await run_in_threadpool(
        nhsa.call,
        gj.run,
        profile=gj.profile,
        clock=gj.clock,
        headers=dict(request.headers),
        raw_body=raw,
        path_infno=path_infno,
        client_addr=request.client.host if request.client else None,
        method=request.method,
        path=signed_path(request),
    )
    if answer.content is not None:
        return Response(
            answer.content,
            media_type="application/octet-stream",
            headers={"Content-Disposition": f'attachment; filename="{answer.filename or "file.zip"}"'},
        )
    return JSONResponse(answer.body, status_code=answer.status)


@router.post(CALL_SERVICE, summary="两定接口（infno 在报文中）")
async def call_service(request: Request) -> Response:
    return await _handle(request, None)


@router.post(CALL_SERVICE + "/{infno}", summary="两定接口（infno 在地址中）")
async def call_service_infno(request: Request, infno: str) -> Response:
    return await _handle(request, infno)


def _service_route(path: str, infno: str) -> None:
    async def endpoint(request: Request) -> Response:
        return await _handle(request, infno)

    endpoint.__name__ = f"service_{infno}_{path.rsplit('/', 1)[-1]}"
    router.add_api_route(path, endpoint, methods=["POST"], summary=f"两定接口 {infno}（按服务地址）")


for _path, _infno in nhsa.SERVICE_PATHS.items():
    _service_route(_path, _infno)
