"""Errors for people and for programs (issue 17, "Errors and documentation"): a browser
(``Accept: text/html``) gets a Chinese page with the code, what to do and a way home; an API
client gets the JSON it always got; every code the server sends is listed at /api/errors."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import login

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def _listed(client) -> set[str]:
    return {e["code"] for e in client.get("/api/errors").json()}


@pytest.mark.parametrize(
    ("method", "path", "status", "code", "title"),
    [
        ("GET", "/no/such/page", 404, "E_HTTP_404", "页面不存在"),
        ("GET", "/api/no-such-endpoint", 404, "E_HTTP_404", "页面不存在"),
        ("GET", "/logout", 405, "E_HTTP_405", "不支持的操作方式"),
        ("GET", "/api/persons/not-a-number", 401, "E_AUTH_REQUIRED", "请先登录"),
    ],
)
def test_a_browser_gets_a_chinese_error_page_and_an_api_client_json(client, method, path, status, code, title):
    page = client.request(method, path, headers=BROWSER, follow_redirects=False)
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert title in html and "怎么办" in html and code in html and 'href="/"' in html
    assert html.lstrip().startswith("<!doctype html>") and 'lang="zh-CN"' in html

    api = client.request(method, path, follow_redirects=False)
    assert api.status_code == status and api.headers["content-type"].startswith("application/json")
    assert api.json()["code"] == code and api.json()["message"]
    assert code in _listed(client)


def test_validation_and_domain_refusals_reach_a_browser_as_pages_with_their_codes(client, gj):
    from tests import support

    support.staff(gj, ["620702"], username="staff_err_page")
    headers = login(client, "staff_err_page")
    bad = client.get("/api/persons/not-a-number", headers=headers | BROWSER)
    assert bad.status_code == 422 and "E_VALIDATION" in bad.text and "填写的内容有误" in bad.text
    missing = client.get("/api/persons/99999999", headers=headers | BROWSER)
    assert missing.status_code == 404 and "E_NOT_FOUND" in missing.text and "页面不存在" in missing.text
    assert missing.headers["content-type"].startswith("text/html")
    assert {"E_VALIDATION", "E_NOT_FOUND"} <= _listed(client)


def test_an_unexpected_failure_is_a_page_for_a_browser_and_listed_as_e_internal(client, gj, monkeypatch):
    from gongji.services.registry import persons as registry
    from tests import support

    support.staff(gj, ["620702"], username="staff_err_500")

    def broken(*_a, **_k):
        raise RuntimeError("boom")

    monkeypatch.setattr(registry, "search_persons", broken)
    headers = login(client, "staff_err_500")
    page = client.get("/api/persons", params={"q": "x"}, headers=headers | BROWSER)
    assert page.status_code == 500 and "系统内部错误" in page.text and "E_INTERNAL" in page.text
    assert "boom" not in page.text and "Traceback" not in page.text
    assert "E_INTERNAL" in _listed(client)


def test_the_hospital_interface_always_answers_json(client):
    r = client.get("/fsi/api/no-such", headers=BROWSER)
    assert r.status_code in (404, 405) and r.headers["content-type"].startswith("application/json")


def test_the_error_list_holds_the_transport_codes_with_chinese_messages(client):
    errors = {e["code"]: e for e in client.get("/api/errors").json()}
    assert errors["E_HTTP_404"]["http_status"] == 404 and errors["E_HTTP_404"]["message"] == "页面或接口不存在"
    assert errors["E_HTTP_405"]["http_status"] == 405 and errors["E_INTERNAL"]["http_status"] == 500
