"""The staff page of external prescriptions in Chromium (issue 14 §6, seed 004 专项检查 and 存疑线索):
a 兰州 clerk sees the month's chronic, 两病 and high-amount prescriptions, filters them, downloads the
Excel, and closes a pharmacy's doubt report; a 张掖 clerk sees none of it."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from gongji.bootstrap import Gongji
from gongji.entrypoints.api.app import create_app
from tests import nhsa_support as N
from tests import support
from tests.browser.conftest import login

LANZHOU = "620102"
DRUG = "XA10BAA001A001010100001"


def _line(cnt: str, days: int, pric: str) -> dict[str, Any]:
    return {
        "med_list_codg": DRUG,
        "cnt": cnt,
        "prd_days": days,
        "sin_dos_dscr": "0.5g",
        "used_frqu_dscr": "每日2次",
        "pric": pric,
    }


def _seed(gj: Gongji) -> dict[str, str]:
    """Through the API in process: a 兰州 hospital uploads three prescriptions, a pharmacy fetches one
    and reports a doubt."""
    office = support.staff(gj, ["620000"])
    person = support.employee(gj, office, region=LANZHOU, name="柳如烟", birth=date(1958, 8, 8))
    with TestClient(create_app(gj), raise_server_exceptions=False) as client:
        hospital = N.his(client, gj, "H62010299001", N.institution(gj, "H62010299001", region=LANZHOU), region=LANZHOU)
        pharmacy = N.his(
            client,
            gj,
            "P62010299001",
            N.institution(gj, "P62010299001", region=LANZHOU, kind="pharmacy", level=0),
            region=LANZHOU,
        )
        numbers = {}
        for rxno, dise, line in (
            ("WEB01", "M03900", _line("60", 30, "0.50")),  # 高血压, employee: 门诊慢特病
            ("WEB02", "", _line("1000", 7, "0.80")),  # 800.00 yuan: 高金额
            ("WEB03", "", _line("14", 7, "0.50")),  # neither
        ):
            mdtrt_id = N.open_visit(hospital, gj, person, ipt_otp_no=f"MZ{rxno}")
            body = {
                "rxno": rxno,
                "psn_no": str(person),
                "mdtrt_id": mdtrt_id,
                "dise_codg": dise,
                "bilg_dr_codg": "D620102000321",
                "lines": [line],
            }
            r = hospital.rx("POST", "/api/rx/prescriptions", body)
            assert r.status_code == 201, r.text
            numbers[rxno] = r.json()["hi_rxno"]
        assert pharmacy.rx("POST", "/api/rx/fetch", {"hi_rxno": numbers["WEB02"]}).status_code == 200
        doubt = {"reason": "over_quantity", "note": "一次开具1000片"}
        assert pharmacy.rx("POST", f"/api/rx/prescriptions/{numbers['WEB02']}/doubts", doubt).status_code == 201
    return numbers


def test_staff_inspect_external_prescriptions_filter_export_and_close_a_doubt_seed004(web: Any, web_gj: Gongji) -> None:
    numbers = _seed(web_gj)
    clerk = support.staff(web_gj, ["620100"])
    login(web, clerk.username)
    web.get_by_test_id("prescriptions-link").click()
    web.wait_for_url("**/staff/prescriptions")
    listed = {web.get_by_test_id("rx").nth(i).inner_text() for i in range(web.get_by_test_id("rx").count())}
    text = "\n".join(listed)
    assert numbers["WEB01"] in text and numbers["WEB02"] in text and numbers["WEB03"] not in text
    assert "门诊慢特病" in text and "高金额" in text and "柳**" in text and "柳如烟" not in text

    web.get_by_label("门诊慢特病").uncheck()
    web.get_by_label("两病").uncheck()
    web.get_by_role("button", name="查询").click()
    web.wait_for_load_state()
    assert web.get_by_test_id("rx").count() == 1 and numbers["WEB02"] in web.get_by_test_id("rx").inner_text()
    assert "800.00" in web.get_by_test_id("total").inner_text()
    with web.expect_download() as download:
        web.get_by_test_id("excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    doubt = web.get_by_test_id("doubt").filter(has_text=numbers["WEB02"])
    assert "超量开药" in doubt.inner_text()
    doubt.get_by_label("核查情况").fill("已约谈药店，处方属实")
    doubt.get_by_role("button", name="核查完毕").click()
    web.wait_for_load_state()
    assert "存疑线索已核查" in web.content()
    assert web.get_by_test_id("doubt").filter(has_text=numbers["WEB02"]).count() == 0

    other = support.staff(web_gj, ["620700"])
    login(web, other.username)
    web.goto("/staff/prescriptions")
    assert web.get_by_test_id("rx").count() == 0 and web.get_by_test_id("doubt").count() == 0
