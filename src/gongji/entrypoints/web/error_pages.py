"""The browser's error page: the API's error handlers call :func:`page_for` when the client asks
for HTML (``Accept: text/html``), so a person sees 页面不存在 with what to do, a program the JSON."""

from __future__ import annotations

from html import escape

from fastapi import Request
from fastapi.responses import Response

from gongji.domain.errors import GongjiError
from gongji.entrypoints.web import pages


def page_for(request: Request, err: GongjiError) -> Response:
    try:  # the header shows who is logged in; never let that fail the error page itself
        principal = pages._principal(request)
    except Exception:  # noqa: BLE001 - e.g. the database is down (503)
        principal = None
    try:
        return pages.render(request, "error.html", principal, failed=err)
    except Exception:  # noqa: BLE001 - the clock or templates failed: a plain page, same status
        body = f"<!doctype html><meta charset=utf-8><title>错误 {err.http_status}</title>{escape(err.message_zh)}"
        return Response(body, status_code=err.http_status, media_type="text/html; charset=utf-8")
