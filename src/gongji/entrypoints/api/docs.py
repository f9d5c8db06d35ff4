"""/docs (Swagger UI) and /redoc (ReDoc) without the internet (issue 17): the scripts and styles
come from the ``fastapi-offline`` package and are served under /docs-assets; no page names a CDN.

ReDoc's bundle would fetch its footer logo from the vendor's CDN; that one URL is pointed at the
local favicon when the bundle is served."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, Response

from gongji.domain.errors import NoSuchRoute

ASSETS = Path(fastapi_offline.__file__).parent / "static"
PREFIX = "/docs-assets"
_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
_REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"


@cache
def _asset(name: str) -> bytes:
    data = (ASSETS / name).read_bytes()
    return data.replace(_REDOC_LOGO, f"{PREFIX}/favicon.png".encode()) if name.startswith("redoc") else data


def install(app: FastAPI) -> None:
    """Add the documentation pages; create the app with ``docs_url=None, redoc_url=None``."""
    names = {p.name for p in ASSETS.iterdir() if p.suffix in _TYPES}
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get(f"{PREFIX}/{{name}}", include_in_schema=False)
    def asset(name: str) -> Response:
        if name not in names:
            raise NoSuchRoute()
        headers = {"Cache-Control": "public, max-age=86400"}
        return Response(_asset(name), media_type=_TYPES[Path(name).suffix], headers=headers)

    @app.get("/docs", include_in_schema=False)
    def swagger(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url="/docs/oauth2-redirect",
            swagger_js_url=f"{root}{PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{root}{PREFIX}/favicon.png",
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def swagger_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{PREFIX}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{PREFIX}/favicon.png",
            with_google_fonts=False,
        )
