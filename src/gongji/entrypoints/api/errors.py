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
from fastapi.responses import JSONResponse, Response
from sqlalchemy import exc as sa
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gongji.adapters.logsafe import KNOWN_NAMES, query_for_log, remember_body_names
from gongji.domain.errors import (
    GongjiError,
    InternalError,
    InvalidRequest,
    MethodNotAllowed,
    NoSuchRoute,
    PayloadTooLarge,
    ServiceUnavailable,
)
from gongji.entrypoints.api.guard import DEFAULT_CAP, InputGuard

log = logging.getLogger("gongji.api")
MAX_BODY_BYTES = DEFAULT_CAP  # how much of a body the access log reads for names to mask
RETRY_AFTER_SECONDS = 5


def wants_html(request: Request | None) -> bool:
    """A browser asks for a page (``Accept: text/html``); API clients and the 两定 interface get JSON."""
    if request is None or request.url.path.startswith("/fsi"):
        return False
    return "text/html" in request.headers.get("accept", "")


def error_response(err: GongjiError, request: Request | None = None) -> Response:
    """JSON for API clients; for a browser the same code and message as a Chinese page."""
    response: Response
    if wants_html(request):
        from gongji.entrypoints.web import error_pages  # the web layer renders; imported late

        assert request is not None
        response = error_pages.page_for(request, err)
    else:
        response = JSONResponse(status_code=err.http_status, content=err.to_dict())
    if err.detail and "retry_after_seconds" in err.detail:  # 429: when to come back (RFC 9110)
        response.headers["Retry-After"] = str(err.detail["retry_after_seconds"])
    elif isinstance(err, ServiceUnavailable):
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def database_refusal(exc: BaseException) -> GongjiError | None:
    """What a database failure means to the client, or None for a genuine internal error.

    The database cannot be reached (refused, restarted, pool exhausted) → 503 E_UNAVAILABLE; a
    value the database cannot hold (an integer beyond 64 bits, a NUL, a lone surrogate) that got
    past the input guard → 422 E_VALIDATION. Either way the unit of work rolled back."""
    if isinstance(exc, sa.OperationalError | sa.InterfaceError | sa.TimeoutError | sa.DisconnectionError):
        return ServiceUnavailable()
    if isinstance(exc, sa.DBAPIError) and exc.connection_invalidated:
        return ServiceUnavailable()
    cause = exc.orig if isinstance(exc, sa.StatementError) else exc
    if isinstance(exc, sa.DataError) or isinstance(cause, OverflowError | UnicodeError | RecursionError):
        return InvalidRequest("请求中的数值或文字超出可保存的范围", "A value cannot be stored (out of range)")
    return None


def install(app: FastAPI) -> None:
    @app.exception_handler(GongjiError)
    async def _gongji(request: Request, exc: GongjiError) -> Response:
        return error_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        fields = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
                "type": e.get("type"),
                "message": e.get("msg"),
            }
            for e in exc.errors()
        ]
        return error_response(InvalidRequest(fields=fields), request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        known = {404: NoSuchRoute, 405: MethodNotAllowed, 413: PayloadTooLarge}.get(exc.status_code)
        if known is not None:
            err: GongjiError = known()
        else:  # any other transport refusal: the catalogue's general code, with the status as sent
            err = GongjiError(message_en=str(exc.detail))
            err.http_status = exc.status_code
        response = error_response(err, request)
        if exc.status_code == 405 and exc.headers and "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response

    async def _database(request: Request, exc: Exception) -> Response:
        refusal = database_refusal(exc)
        if refusal is None:
            return await _unexpected(request, exc)
        log.warning("%s on %s %s: %s", refusal.code, request.method, request.url.path, type(exc).__name__)
        return error_response(refusal, request)

    for kind in (sa.SQLAlchemyError, OverflowError, UnicodeError, RecursionError):
        app.add_exception_handler(kind, _database)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(InternalError(), request)

    app.add_middleware(InputGuard)
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
