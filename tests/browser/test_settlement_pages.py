"""就医结算记录 in headless Chromium (SPEC §5): after a hospital settles through the 两定
interface with acct_used_flag 2, the relative sees the settlement on /me with the fund, own
account, family (共济) and cash shares, the authorizer masked; a cancelled one is marked; staff
see the same on the person page."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx2 as httpx
import pytest

from gongji.adapters.nhsa.client import parts_of
from gongji.bootstrap import Gongji
from tests import nhsa_support as N
from tests import support
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser

ZHANGYE_620702 = "620702"
HOSPITAL = "H62070299901"


def test_relative_and_staff_see_the_settlement_with_the_family_share(
    web: Any, web_gj: Gongji, live_server: str
) -> None:
    gj = web_gj
    staff = support.staff(gj, ["620000"], username="staff_setl_pages")
    aid = support.employee(gj, staff, region=ZHANGYE_620702, name="赵德明", birth=date(1975, 1, 1), income_fen=100_000)
    child = support.employee(gj, staff, region=ZHANGYE_620702, name="赵小兰", birth=date(2000, 1, 1), income_fen=20_00)
    who = support.citizen(gj, aid, username="zdm_setl")
    support.citizen(gj, child, username="zxl_setl")
    binding = support.bind(gj, who, child, "child")
    support.allocate(gj, who, binding["binding_id"], 300_00)
    key = N.institution(gj, HOSPITAL, region=ZHANGYE_620702, level=2, name="甘州区测试医院")
    with httpx.Client(base_url=live_server) as http:
        his = N.his(http, gj, HOSPITAL, key, region=ZHANGYE_620702)  # type: ignore[arg-type]
        cert = support.person_cert(gj, child)
        mdtrt = his.register(str(child), "310", cert, "赵小兰", ipt_otp_no="MZ-PAGES")["output"]["data"]["mdtrt_id"]
        args = dict(
            psn_no=str(child), mdtrt_id=mdtrt, insutype="310", certno=cert, medfee_fen=150_00, acct_used_flag="2"
        )
        pre = his.call("2206", his.settle_input(**args))
        done = his.call("2207", his.settle_input(**args, parts=parts_of(pre["output"]["setlinfo"])))
        assert done["infcode"] == 0, done
        info = done["output"]["setlinfo"]

    login(web, "zxl_setl")
    web.goto("/me")
    card = web.get_by_test_id("settlement").first
    assert "甘州区测试医院" in card.inner_text()
    assert card.get_by_test_id("settlement-medfee").inner_text().startswith("150.00")
    assert card.get_by_test_id("settlement-own").inner_text().startswith("20.00")
    family_text = card.get_by_test_id("settlement-family").inner_text()
    assert family_text.startswith("130.00") and "赵**" in family_text and "赵德明" not in family_text
    assert card.get_by_test_id("settlement-status").inner_text() == "已结算"
    screenshot(web, "settlement-me")

    with httpx.Client(base_url=live_server) as http:
        his.http = http  # the same client: its msgid sequence goes on
        out = his.call("2208", {"data": {k: info[k] for k in ("setl_id", "mdtrt_id", "psn_no")}})
        assert out["infcode"] == 0, out
    web.goto("/me")
    statuses = [s.inner_text() for s in web.get_by_test_id("settlement-status").all()]
    assert statuses == ["撤销冲减", "已撤销"]

    web.context.clear_cookies()
    login(web, "staff_setl_pages")
    web.goto(f"/staff/persons/{child}")
    rows = web.get_by_test_id("settlement")
    assert rows.count() == 2
    assert rows.nth(1).get_by_test_id("settlement-family").inner_text().startswith("130.00")
    screenshot(web, "settlement-staff")
