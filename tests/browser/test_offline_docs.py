"""/docs and /redoc work offline (issue 17, "Errors and documentation"): Swagger UI and ReDoc
come from a Python package served by Gongji itself; no page names a CDN, and with every request
to another host refused the browser still renders the API's operations."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.browser

OTHER_HOST = re.compile(r"(?:https?:)?//(?!127\.0\.0\.1)[a-z0-9.-]+\.[a-z]{2,}", re.IGNORECASE)


def _offline(browser: Any, live_server: str) -> tuple[Any, list[str]]:
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    outside: list[str] = []

    def only_this_server(route: Any) -> None:
        if route.request.url.startswith(live_server):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_server)
    return context, outside


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_api_documentation_pages_name_no_other_host(web: Any, path: str) -> None:
    response = web.request.get(path, timeout=60_000)
    assert response.status == 200
    html = response.text()
    assert OTHER_HOST.search(html) is None, OTHER_HOST.search(html)
    for asset in re.findall(r'(?:src|href)="(/[^"]+)"', html):
        fetched = web.request.get(asset, timeout=60_000)
        assert fetched.status == 200 and len(fetched.body()) > 1000, asset


def test_swagger_ui_renders_the_operations_without_the_internet(browser: Any, live_server: str) -> None:
    context, outside = _offline(browser, live_server)
    page = context.new_page()
    try:
        page.goto("/docs")
        page.locator(".opblock").first.wait_for()
        assert page.locator(".opblock").count() > 20
        assert "共济 Gongji API" in page.locator(".title").first.inner_text()
    finally:
        context.close()
    assert outside == []


def test_redoc_renders_the_api_without_the_internet(browser: Any, live_server: str) -> None:
    context, outside = _offline(browser, live_server)
    page = context.new_page()
    try:
        page.goto("/redoc")
        page.get_by_role("heading", name=re.compile("共济 Gongji API")).first.wait_for()
    finally:
        context.close()
    assert outside == []
