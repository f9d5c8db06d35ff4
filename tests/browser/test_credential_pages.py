"""医保码 and the read history in headless Chromium, on a phone-sized window (issue 13 §1): the
citizen's page shows a QR code carrying a fresh 医保电子凭证 token (its text can be copied and
pasted into a HIS), and /me lists which institutions read the citizen's information, with the
credential each used; staff see the same list on the person page."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import httpx2 as httpx
import pytest

from gongji.bootstrap import Gongji
from gongji.entrypoints.web.credential_pages import qr_svg
from tests import nhsa_support as N
from tests import support
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser

ZHANGYE_620702 = "620702"
HOSPITAL = "H62070299911"


def _path(svg: str) -> str:
    found = re.search(r'\sd="([^"]+)"', svg)
    assert found, svg[:200]
    return found.group(1)


def test_citizen_shows_the_qr_code_and_sees_who_read_their_information(
    web: Any, web_gj: Gongji, live_server: str
) -> None:
    gj = web_gj
    staff = support.staff(gj, ["620000"], username="staff_cred_pages")
    person = support.employee(gj, staff, region=ZHANGYE_620702, name="周码码", birth=date(1988, 8, 8), income_fen=50_00)
    support.citizen(gj, person, username="zmm_code")
    key = N.institution(gj, HOSPITAL, region=ZHANGYE_620702, level=2, name="甘州区扫码医院")

    login(web, "zmm_code")
    web.goto("/me")
    assert "暂无查询记录" in web.get_by_test_id("person-reads").inner_text()
    web.get_by_test_id("ec-code-link").click()
    web.wait_for_url("**/me/code")
    svg = web.locator("[data-testid=ec-qr] svg")
    assert svg.count() == 1 and svg.is_visible()
    box = svg.bounding_box()
    assert box is not None and 150 <= box["width"] <= 390  # fits the phone, big enough to scan
    web.get_by_text("无法扫码时：复制凭证文本").click()
    token = web.get_by_test_id("ec-token").input_value()
    assert token.startswith("ec1.") and len(token) <= 50
    assert _path(svg.evaluate("e => e.outerHTML")) == _path(str(qr_svg(token)))  # the QR carries this text
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", web.get_by_test_id("ec-expires").inner_text())
    screenshot(web, "ec-code")

    with httpx.Client(base_url=live_server) as http:  # the counter pastes the text into its HIS
        his = N.his(http, gj, HOSPITAL, key, region=ZHANGYE_620702)  # type: ignore[arg-type]
        read = his.person_info("", cert_type="01", cert_no=token)
        assert read["infcode"] == 0, read
        assert read["output"]["baseinfo"]["psn_no"] == str(person)
        assert his.person_info(support.person_cert(gj, person))["infcode"] == 0

    web.goto("/me")
    rows = web.get_by_test_id("person-read")
    assert rows.count() == 2
    texts = [rows.nth(i).inner_text() for i in range(2)]
    assert all("甘州区扫码医院" in t and "已查询" in t for t in texts)
    assert "居民身份证" in texts[0] and "医保电子凭证" in texts[1]
    assert "0001" not in " ".join(texts)  # the hospital's operator code is for staff only
    screenshot(web, "me-reads")

    web.goto("/me/code")  # a new code: the one the hospital saw stops working
    with httpx.Client(base_url=live_server) as http:
        his.http = http
        again = his.person_info("", cert_type="01", cert_no=token)
        assert again["infcode"] == -1 and "医保码已失效" in again["err_msg"]

    web.context.clear_cookies()
    login(web, "staff_cred_pages")
    web.goto(f"/staff/persons/{person}")
    staff_rows = web.get_by_test_id("person-read")
    assert staff_rows.count() == 2
    assert "经办人 0001" in staff_rows.first.inner_text() and HOSPITAL in staff_rows.first.inner_text()
