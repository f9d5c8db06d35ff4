"""Turn every failure into a JSON answer with a code and Chinese + English messages.

Nothing reaches the client as a bare 500: unexpected exceptions become E_INTERNAL with the
details only in the (masked) log. Validation errors never echo the input back, since it may
hold an identity number.
"""

from __future__ import annotations

import logging
import time

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response

from gongji.domain.errors import GongjiError, InvalidRequest, UnsupportedMediaType

log = logging.getLogger("gongji.api")
MAX_BODY_BYTES = 1_000_000


def error_response(err: GongjiError) -> JSONResponse:
    return JSONResponse(status_code=err.http_status, content=err.to_dict())


def install(app: FastAPI) -> None:
    @app.exception_handler(GongjiError)
    async def _gongji(_request: Request, exc: GongjiError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
                "type": e.get("type"),
                "message": e.get("msg"),
            }
            for e in exc.errors()
        ]
        return error_response(InvalidRequest(fields=fields))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        zh = {404: "页面或接口不存在", 405: "请求方法不允许", 413: "请求体过大"}.get(exc.status_code, "请求无法处理")
        err = GongjiError(zh, str(exc.detail), code=f"E_HTTP_{exc.status_code}")
        err.http_status = exc.status_code
        return error_response(err)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        err = GongjiError("系统内部错误，请稍后重试", "Internal error; please retry later", code="E_INTERNAL")
        err.http_status = 500
        return error_response(err)

    app.add_middleware(BodyGuard)
    app.add_middleware(AccessLog)


class AccessLog(BaseHTTPMiddleware):
    """One log line per request; the handler's masking filter scrubs ID numbers from it."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        query = f"?{request.url.query}" if request.url.query else ""
        log.info(
            "%s %s%s -> %s %.1fms",
            request.method,
            request.url.path,
            query,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response


class BodyGuard(BaseHTTPMiddleware):
    """API writes must be JSON and at most 1 MB (wrong content type → 415, oversize → 413)."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if request.method in {"POST", "PUT", "PATCH"} and request.url.path.startswith("/api/"):
            length = request.headers.get("content-length")
            if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
                err = GongjiError("请求体过大", "Request body too large", code="E_HTTP_413")
                err.http_status = 413
                return error_response(err)
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype != "application/json" and (length not in (None, "0")):
                return error_response(UnsupportedMediaType(got=ctype or None))
        return await call_next(request)
