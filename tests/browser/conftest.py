"""A live server (uvicorn in a thread, on a fresh SQLite database) and headless Chromium.

The browser tests never need PostgreSQL: the app runs on a copy of the migrated SQLite
template. A missing Chromium skips them locally and fails them under CI=true.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from gongji.bootstrap import Gongji, bootstrap
from gongji.domain.clock import SHANGHAI, FixedClock
from gongji.entrypoints.api.app import create_app
from tests import logscan
from tests.conftest import TEST_VAR, _settings, need
from tests.support import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
MOBILE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def web_gj(sqlite_template: Path) -> Iterator[Gongji]:
    path = TEST_VAR / "browser.sqlite3"
    shutil.copy(sqlite_template, path)
    gj = bootstrap(_settings(f"sqlite:///{path}"), clock=FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)))
    yield gj
    logscan.remember_persons(gj.engine)
    gj.engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(web_gj: Gongji) -> Iterator[str]:
    yield from serve(web_gj)


def serve(gj: Gongji) -> Iterator[str]:
    """Run the app on ``gj`` in uvicorn on a free loopback port until the generator closes."""
    port = _free_port()
    config = uvicorn.Config(
        create_app(gj),
        host="127.0.0.1",
        port=port,
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="gongji-live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    need(CHROMIUM.exists(), "Chromium is not installed (apt-get install -y chromium fonts-wqy-zenhei)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def web(browser: Any, live_server: str) -> Iterator[Any]:
    """A fresh phone-sized browser context (own cookies) and page, per test."""
    context = browser.new_context(
        base_url=live_server,
        viewport=MOBILE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def login(page: Any, username: str, password: str = PASSWORD) -> Any:
    """Log in through the form; returns the response of the POST."""
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    with page.expect_response(lambda r: r.url.endswith("/login") and r.request.method == "POST") as info:
        page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    return info.value


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def code_of(page: Any, testid: str) -> str:
    """The error code a refusal carries: kept out of the visible text (issue 17), in data-code/title."""
    return str(page.get_by_test_id(testid).get_attribute("data-code") or "")


from tests.browser.phone import phone_demo, phone_server  # noqa: E402, F401 (citizen-page fixtures, issue 17)
