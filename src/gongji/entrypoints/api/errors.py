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
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gongji.adapters.logsafe import KNOWN_NAMES, query_for_log, remember_body_names
from gongji.domain.errors import GongjiError, InvalidRequest, UnsupportedMediaType

log = logging.getLogger("gongji.api")
MAX_BODY_BYTES = 1_000_000


def error_response(err: GongjiError) -> JSONResponse:
    response = JSONResponse(status_code=err.http_status, content=err.to_dict())
    if err.detail and "retry_after_seconds" in err.detail:  # 429: when to come back (RFC 9110)
        response.headers["Retry-After"] = str(err.detail["retry_after_seconds"])
    return response


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


class AccessLog:
    """One log line per request, its query string masked parameter by parameter; the names the
    request body carries are remembered for the request, so no log line of it shows them whole.

    Plain ASGI (not BaseHTTPMiddleware, which costs a task and a stream copy per request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        # Not reset at the end: the error handler outside this middleware logs in the same context.
        KNOWN_NAMES.set(set())
        content_type = Headers(scope=scope).get("content-type", "").lower()
        body = bytearray()

        async def receive_remembering() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(body) <= MAX_BODY_BYTES:
                body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    remember_body_names(bytes(body), content_type)
            return message

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive_remembering, send_status)
        finally:
            log.info(
                "%s %s%s -> %s %.1fms",
                scope["method"],
                scope["path"],
                query_for_log(scope.get("query_string", b"")),
                status,
                (time.perf_counter() - started) * 1000,
            )


class BodyGuard:
    """API writes must be JSON and at most 1 MB (wrong content type → 415, oversize → 413)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in {"POST", "PUT", "PATCH"}
            and scope["path"].startswith("/api/")
        ):
            headers = Headers(scope=scope)
            length = headers.get("content-length")
            refusal: GongjiError | None = None
            if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
                refusal = GongjiError("请求体过大", "Request body too large", code="E_HTTP_413")
                refusal.http_status = 413
            else:
                ctype = headers.get("content-type", "").split(";")[0].strip().lower()
                if ctype != "application/json" and (length not in (None, "0")):
                    refusal = UnsupportedMediaType(got=ctype or None)
            if refusal is not None:
                await error_response(refusal)(scope, receive, send)
                return
        await self.app(scope, receive, send)
