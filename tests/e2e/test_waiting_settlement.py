"""The fund pays nothing during a waiting period (待遇等待期), end to end over HTTP: a resident pays
late through ``POST /api/premiums/channel-payments`` (``late: true``), the hospital settles through
the national 两定 interface (1101 → 2201 → 2206 → 2207), first inside the waiting period, then after
it; the buy-back endpoint ``POST /api/premiums/waiting-buybacks``; bad input gets the catalogue's
codes and writes nothing. SQLite and PostgreSQL.

Sources: POLICY-NOTES §1.2 / 国办发〔2024〕38号 (fixed 3 months for enrolling outside the window,
the fund pays nothing during the waiting period, benefits from the end of the waiting period to 31 December); Gansu
390 × 11 × level 2: no deductible, fund 50 %, cap 500.00 (demo figures).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gongji.adapters.db.models import LedgerTxn, PremiumPayment, ResidentPremium
from gongji.adapters.nhsa.client import HisClient, parts_of
from gongji.domain.clock import SHANGHAI, FixedClock
from tests import support as S
from tests.e2e.conftest import NHSA_REGION, login
from tests.nhsa_support import fen

PREMIUM = 40_000


@pytest.fixture
def clock() -> FixedClock:
    """2026-03-10: the 2026 window (2025-09-01..12-31) has closed; 2026 benefits are running."""
    return FixedClock(datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI))


@pytest.fixture
def resident(gj, office) -> int:
    return S.resident(gj, office, region=NHSA_REGION, name="刘大海", birth=date(1975, 4, 4))


@pytest.fixture
def staff_headers(client: TestClient, office) -> dict[str, str]:
    return login(client, "staff_gs")


def pay_late(client: TestClient, headers: dict[str, str], gj, person_id: int, **changes: Any) -> Any:
    body = {
        "cert_no": S.person_cert(gj, person_id),
        "benefit_year": 2026,
        "amount_fen": PREMIUM,
        "channel": "bank",
        "reference": "LATE-0001",
        "late": True,
    } | changes
    return client.post("/api/premiums/channel-payments", json=body, headers=headers)


def settle(his: HisClient, gj, person_id: int, medfee_fen: int, n: int) -> dict[str, Any]:
    certno = S.person_cert(gj, person_id)
    reg = his.register(str(person_id), "390", certno, S.person_name(gj, person_id), ipt_otp_no=f"MZW{person_id}-{n}")
    assert reg["infcode"] == 0, reg
    args = dict(
        psn_no=str(person_id),
        mdtrt_id=reg["output"]["data"]["mdtrt_id"],
        insutype="390",
        certno=certno,
        medfee_fen=medfee_fen,
        acct_used_flag="0",
    )
    pre = his.call("2206", his.settle_input(**args))
    assert pre["infcode"] == 0, pre
    done = his.call("2207", his.settle_input(**args, parts=parts_of(pre["output"]["setlinfo"])))
    assert done["infcode"] == 0, done
    assert {k: v for k, v in done["output"]["setlinfo"].items() if k not in {"setl_id", "medins_setl_id"}} == {
        k: v for k, v in pre["output"]["setlinfo"].items() if k != "medins_setl_id"
    }
    info: dict[str, Any] = done["output"]["setlinfo"]
    assert fen(info["medfee_sumamt"]) == fen(info["fund_pay_sumamt"]) + fen(info["psn_part_amt"]) + fen(
        info["hosp_part_amt"]
    )
    assert fen(info["psn_part_amt"]) == fen(info["acct_pay"]) + fen(info["psn_cash_pay"])
    return done["output"]


def counts(gj) -> dict[str, int]:
    def go(uow: Any) -> dict[str, int]:
        return {
            m.__tablename__: int(uow.session.scalar(select(func.count()).select_from(m)) or 0)
            for m in (LedgerTxn, PremiumPayment, ResidentPremium)
        }

    return gj.run(go)


def test_the_fund_pays_nothing_in_the_waiting_period_and_pays_after_it_notes_1_2(
    gj, client, hospital, resident, staff_headers
):
    """POLICY-NOTES §1.2 / 国办发〔2024〕38号: paid late on 2026-03-10 → 3 months (April–June); a
    visit on 2026-04-15 is paid wholly by the person (fund 0, nothing toward the deductible or
    the cap), one on 2026-07-01 gets the fund's 50 %."""
    r = pay_late(client, staff_headers, gj, resident)
    assert r.status_code == 200, r.text
    premium = r.json()["premium"]
    assert (premium["benefit_start"], premium["waiting_months"]) == ("2026-07-01", 3)

    gj.clock.at = datetime(2026, 4, 15, 9, 0, tzinfo=SHANGHAI)
    info = hospital.person_info(S.person_cert(gj, resident))
    assert info["infcode"] == 0, info
    note = json.loads(info["output"]["baseinfo"]["exp_content"])
    assert note["waiting_period"] == [
        {"insutype": "390", "benefit_year": 2026, "waiting_months": 3, "benefit_start": "2026-07-01"}
    ]
    waiting = settle(hospital, gj, resident, 100_00, 1)
    s = waiting["setlinfo"]
    assert fen(s["fund_pay_sumamt"]) == 0 and fen(s["hifp_pay"]) == 0 and fen(s["act_pay_dedc"]) == 0
    assert fen(s["psn_part_amt"]) == 100_00 and fen(s["psn_cash_pay"]) == 100_00
    assert "2026-07-01" in s["exp_content"] and waiting["setldetail"] == []

    gj.clock.at = datetime(2026, 7, 1, 9, 0, tzinfo=SHANGHAI)
    assert hospital.person_info(S.person_cert(gj, resident))["output"]["baseinfo"]["exp_content"] is None
    after = settle(hospital, gj, resident, 100_00, 2)["setlinfo"]
    assert fen(after["fund_pay_sumamt"]) == 50_00 and fen(after["psn_cash_pay"]) == 50_00
    assert after["exp_content"] is None


def test_a_premium_without_a_benefit_start_has_no_waiting_period(gj, hospital, resident):
    """Older data (paid before migration 0008): no ``benefit_start`` → the fund pays as before."""

    def old_premium(uow: Any) -> None:
        uow.session.add(
            ResidentPremium(
                person_id=resident,
                benefit_year=2026,
                insutype="390",
                region_code=NHSA_REGION,
                status="paid",
                individual_fen=PREMIUM,
                paid_fen=PREMIUM,
                channel="bank",
                paid_at=datetime(2025, 10, 1, 9, tzinfo=SHANGHAI),
                created_at=datetime(2025, 10, 1, 9, tzinfo=SHANGHAI),
            )
        )
        uow.commit()

    gj.run(old_premium)
    s = settle(hospital, gj, resident, 100_00, 1)["setlinfo"]
    assert fen(s["fund_pay_sumamt"]) == 50_00


def test_bad_late_and_buy_back_requests_get_coded_answers_and_write_nothing_notes_1_2(
    gj, client, resident, staff_headers
):
    """POLICY-NOTES §1.2: late only for the current year; buy-back only of the variable months."""
    before = counts(gj)
    r = pay_late(client, staff_headers, gj, resident, benefit_year=2027)
    assert r.status_code == 422 and r.json()["code"] == "E_RESIDENT_LATE_YEAR"
    assert r.json()["message"] and r.json()["message_en"] and r.json()["detail"]["reason"] == "future_year"
    r = pay_late(client, staff_headers, gj, resident, late="yes")
    assert r.status_code == 422 and r.json()["code"] == "E_VALIDATION"
    r = pay_late(client, staff_headers, gj, resident, late=False)
    assert r.status_code == 422 and r.json()["code"] == "E_RESIDENT_OUTSIDE_WINDOW"
    assert counts(gj) == before

    assert pay_late(client, staff_headers, gj, resident).status_code == 200  # 3 fixed months, none variable
    paid = counts(gj)
    body = {
        "cert_no": S.person_cert(gj, resident),
        "benefit_year": 2026,
        "months": 1,
        "amount_fen": PREMIUM,
        "channel": "bank",
        "reference": "BUY-0001",
    }
    r = client.post("/api/premiums/waiting-buybacks", json=body, headers=staff_headers)
    assert r.status_code == 422 and r.json()["code"] == "E_RESIDENT_BUYBACK", r.text
    assert r.json()["detail"]["at_most"] == 0 and r.json()["message"] and r.json()["message_en"]
    r = client.post("/api/premiums/waiting-buybacks", json=body | {"months": "x"}, headers=staff_headers)
    assert r.status_code == 422 and r.json()["code"] == "E_VALIDATION"
    assert counts(gj) == paid


def test_buy_back_over_http_after_a_break_notes_1_2(gj, client, office):
    """POLICY-NOTES §1.2: in the 2027 window (2026-11-23) after two uncovered years: 4 months, one of
    them variable; bought back for 400.00 → benefits from 2027-04-01."""
    gj.clock.at = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
    staff_headers = login(client, "staff_gs")  # a token of the new day
    # enrolled this November: no record of cover in 2025–2026 (before records_from_benefit_year)
    pid = S.resident(gj, office, region=NHSA_REGION, name="陈小燕", birth=date(1988, 8, 8), start=date(2026, 11, 1))
    cert = S.person_cert(gj, pid)
    r = client.post(
        "/api/premiums/channel-payments",
        json={"cert_no": cert, "benefit_year": 2027, "amount_fen": PREMIUM, "channel": "bank", "reference": "W-1"},
        headers=staff_headers,
    )
    assert r.status_code == 200 and r.json()["premium"]["benefit_start"] == "2027-05-01", r.text
    body = {
        "cert_no": cert,
        "benefit_year": 2027,
        "months": 1,
        "amount_fen": PREMIUM,
        "channel": "bank",
        "reference": "BUY-1",
    }
    r = client.post("/api/premiums/waiting-buybacks", json=body, headers=staff_headers)
    assert r.status_code == 200, r.text
    assert r.json()["premium"]["benefit_start"] == "2027-04-01" and r.json()["replayed"] is False
    status = client.get(f"/api/premiums/status/{pid}", params={"benefit_year": 2027}, headers=staff_headers).json()
    assert status["benefit_start"] == "2027-04-01" and status["waiting"]["bought_back_months"] == 1
    again = client.post("/api/premiums/waiting-buybacks", json=body, headers=staff_headers)
    assert again.status_code == 200 and again.json()["replayed"] is True
