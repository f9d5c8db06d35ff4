"""The refund and roster pages over HTTP (SQLite and PostgreSQL): who may open them, and masking.

Seed 002 §七 (退费办理: asked by the insured person, reviewed by the agency) and §四(二)1 (the
full-subsidy roster is the agency's). Clock 2026-11-23: Gansu collects 2027 (400.00).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from gongji.bootstrap import Gongji
from gongji.services.resident import channels as premium_channels
from gongji.services.resident import refunds as premium_refunds
from gongji.services.resident import roster
from gongji.services.resident import views as P
from tests import support
from tests.conftest import need
from tests.support import PASSWORD

FULL_ID = re.compile(r"\b\d{17}[\dX]\b")


def page_login(client: TestClient, username: str) -> None:
    """Log in through the page (the cookie), as a browser does."""
    client.cookies.clear()
    r = client.post("/login", data={"username": username, "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303, r.text


def bank_payment(gj: Gongji, staff: Any, pid: int) -> int:
    c = support.ctx(gj, staff)

    def go(uow: Any) -> int:
        paid = premium_channels.record_payment(
            uow,
            c,
            gj.profile,
            cert_no=support.person_cert(gj, pid),
            benefit_year=2027,
            amount_fen=40_000,
            channel="bank",
            reference=f"BANK-PAGES-{pid}",
        )
        uow.commit()
        return int(paid["payment_id"])

    return gj.run(go)


def test_staff_refund_and_roster_pages_refuse_a_citizen_seed002_s7_s4(gj: Gongji, client: TestClient) -> None:
    """Seed 002 §七 / §四(二)1: the review and the roster upload are the agency's — a citizen gets 403,
    on the GET and on the POST (nothing is reviewed or imported)."""
    staff = support.staff(gj, ["620700"])
    pid = support.resident(gj, staff, name="周小云", birth=date(1990, 4, 4))
    citizen = support.citizen(gj, pid)
    page_login(client, citizen.username)
    for url in ("/staff/resident/refunds", "/staff/resident/roster", "/staff/resident/refunds?status=approved"):
        r = client.get(url)
        assert r.status_code == 403 and "E_FORBIDDEN" in r.text, url
    r = client.post("/staff/resident/refunds/1", data={"decision": "approve", "note": "同意退费"})
    assert r.status_code == 403
    r = client.post(
        "/staff/resident/roster",
        data={"benefit_year": "2027", "category": "orphan", "mode": "valid_only"},
        files={"file": ("roster.csv", "姓名,身份证号码\n".encode(), "text/csv")},
    )
    assert r.status_code == 403


def test_refund_pages_mask_ids_and_hide_others_payments_seed002_s7(gj: Gongji, client: TestClient) -> None:
    """Seed 002 §七: the insured person asks the refund of their own payment; the lists show ID numbers
    and names masked, and another citizen's payment does not exist for them (404)."""
    staff = support.staff(gj, ["620700"])
    pid = support.resident(gj, staff, name="周小云", birth=date(1990, 4, 4))
    other = support.resident(gj, staff, name="吴大海", birth=date(1988, 8, 8))
    citizen = support.citizen(gj, pid)
    stranger = support.citizen(gj, other)
    payment_id = bank_payment(gj, staff, pid)
    cert = support.person_cert(gj, pid)

    page_login(client, citizen.username)
    mine = client.get("/me/premiums")
    assert mine.status_code == 200
    assert cert not in mine.text and "周小云" not in mine.text and f"{cert[:4]}" in mine.text
    assert f"/me/premiums/{payment_id}/refund" in mine.text
    unproven = client.post(f"/me/premiums/{payment_id}/refund", data={"reason": "joined_employee_insurance"})
    assert "E_RESIDENT_REFUND_NO_EMPLOYEE_ENROLLMENT" in unproven.text  # no 310 on record: refused with why
    quote = client.post(f"/me/premiums/{payment_id}/refund", data={"reason": "emigration"})
    assert quote.status_code == 200 and "400.00" in quote.text and "原渠道退回（银行）" in quote.text
    asked = client.post(
        f"/me/premiums/{payment_id}/refund/confirm",
        data={"reason": "emigration", "note": "已出国定居"},
        follow_redirects=False,
    )
    assert asked.status_code == 303 and asked.headers["location"] == "/me/premiums?ok=refund_requested"
    assert "待审核" in client.get("/me/premiums").text

    page_login(client, stranger.username)
    assert client.get(f"/me/premiums/{payment_id}/refund").status_code == 404
    assert f"/me/premiums/{payment_id}/refund" not in client.get("/me/premiums").text

    page_login(client, staff.username)
    home = client.get("/staff/resident")
    assert home.status_code == 200 and "/staff/resident/refunds" in home.text and "/staff/resident/roster" in home.text
    listing = client.get("/staff/resident/refunds")
    assert listing.status_code == 200 and "周**" in listing.text and "出国定居" in listing.text
    assert not FULL_ID.search(listing.text), "a whole ID number on the staff list"
    assert "400.00" in listing.text  # the quote: all of it back to the bank
    missing_note = client.post("/staff/resident/refunds/999999", data={"decision": "approve", "note": "同意"})
    assert missing_note.status_code == 404 and "E_NOT_FOUND" in missing_note.text


def test_roster_upload_over_the_size_limit_or_not_csv_xlsx_is_refused_clearly_seed002_s4(
    gj: Gongji, client: TestClient
) -> None:
    """Seed 002 §四(二)1: the roster is a CSV or .xlsx of at most ``roster.MAX_FILE_BYTES``; a bigger
    file or another kind is refused on the page in Chinese (422) and nothing is imported."""
    staff = support.staff(gj, ["620700"])
    page_login(client, staff.username)
    form = {"benefit_year": "2027", "category": "orphan", "mode": "valid_only"}
    big = "姓名,身份证号码\n".encode() + b"x" * roster.MAX_FILE_BYTES
    r = client.post("/staff/resident/roster", data=form, files={"file": ("roster.csv", big, "text/csv")})
    assert r.status_code == 422 and "花名册文件过大" in r.text and "5MB" in r.text
    r = client.post("/staff/resident/roster", data=form, files={"file": ("roster.xls", b"\xd0\xcf", "x/y")})
    assert r.status_code == 422 and "花名册须为CSV或Excel（.xlsx）文件" in r.text
    r = client.post("/staff/resident/roster", data=form)
    assert r.status_code == 422 and "请选择花名册文件" in r.text
    assert "roster-result" not in r.text


def test_approving_a_refund_asks_for_confirmation_with_the_amounts_seed002_s7(gj: Gongji, client: TestClient) -> None:
    """Seed 002 §七 (退费 by the original route) is irreversible: 审核通过 first shows what goes back —
    400.00 to the payer, 0.00 to the assistance fund — and moves nothing; 跨省重复缴费 asks staff for the
    other province's record there (E_RESIDENT_REFUND_EVIDENCE without it); only 确认退费 pays back."""
    staff = support.staff(gj, ["620700"])
    pid = support.resident(gj, staff, name="郑小雨", birth=date(1993, 3, 3))
    citizen = support.citizen(gj, pid)
    payment_id = bank_payment(gj, staff, pid)
    page_login(client, citizen.username)
    asked = client.post(
        f"/me/premiums/{payment_id}/refund/confirm", data={"reason": "cross_province_duplicate"}, follow_redirects=False
    )
    assert asked.status_code == 303

    page_login(client, staff.username)
    form = {"decision": "approve", "note": "核实外省重复缴费"}
    confirm = client.post("/staff/resident/refunds/1", data=form)
    assert confirm.status_code == 200 and "确认退费" in confirm.text
    assert 'data-testid="confirm-refund">400.00<' in confirm.text and 'name="evidence"' in confirm.text
    assert "待审核" in client.get("/staff/resident/refunds").text  # nothing moved yet
    missing = client.post("/staff/resident/refunds/1", data=form | {"confirmed": "yes"})
    assert missing.status_code == 422 and "E_RESIDENT_REFUND_EVIDENCE" in missing.text
    done = client.post(
        "/staff/resident/refunds/1",
        data=form | {"confirmed": "yes", "evidence": "浙江省2027年度居民医保缴费凭证"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].endswith("ok=refund_approved")
    assert "浙江省2027年度居民医保缴费凭证" in client.get("/staff/resident/refunds?status=approved").text


def test_the_clerk_who_entered_a_refund_is_refused_on_the_confirmation_page_four_eyes(
    gj: Gongji, client: TestClient
) -> None:
    """Separation of duties over 002 §七: the request a clerk entered at the counter is not theirs to
    approve — E_FOUR_EYES on the page (403), nothing moved."""
    staff = support.staff(gj, ["620700"])
    pid = support.resident(gj, staff, name="冯小海", birth=date(1992, 2, 2))
    payment_id = bank_payment(gj, staff, pid)
    c = support.ctx(gj, staff)
    support.committed(
        gj,
        lambda uow: premium_refunds.request_refund(uow, c, gj.profile, payment_id=payment_id, reason="emigration"),
    )
    page_login(client, staff.username)
    for data in (
        {"decision": "approve", "note": "同意退费"},
        {"decision": "approve", "note": "同意退费", "confirmed": "yes"},
    ):
        r = client.post("/staff/resident/refunds/1", data=data)
        assert r.status_code == 403 and "E_FOUR_EYES" in r.text
    assert "待审核" in client.get("/staff/resident/refunds").text


def test_a_refunded_premiums_certificate_is_void_on_download_and_on_verify_seed002_s7(
    gj: Gongji, client: TestClient, tmp_path: Path
) -> None:
    """Seed 002 §七 退费: once the premium is refunded its 缴费证明 no longer proves payment — the PDF
    downloaded again says 作废 (same serial and code), and /verify/{serial} shows 作废."""
    need(shutil.which("pdftotext") is not None, "pdftotext is not installed (apt-get install -y poppler-utils)")
    staff = support.staff(gj, ["620700"])
    checker = support.staff(gj, ["620700"])
    pid = support.resident(gj, staff, name="秦小月", birth=date(1994, 4, 4))
    citizen = support.citizen(gj, pid)
    payment_id = bank_payment(gj, staff, pid)

    def pdf_text(name: str) -> str:
        r = client.get(f"/me/premiums/{payment_id}/certificate.pdf")
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        path = tmp_path / name
        path.write_bytes(r.content)
        return subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout

    page_login(client, citizen.username)
    before = pdf_text("before.pdf")
    assert "作废" not in before
    issued = support.committed(
        gj, lambda uow: P.issue_certificate(uow, support.ctx(gj, citizen), payment_id=payment_id)
    )
    serial, code = issued["serial"], issued["code"]
    assert "真实有效" in client.get(f"/verify/{serial}", params={"code": code}).text

    c, k = support.ctx(gj, citizen), support.ctx(gj, checker)
    asked = support.committed(
        gj, lambda uow: premium_refunds.request_refund(uow, c, gj.profile, payment_id=payment_id, reason="emigration")
    )
    support.committed(
        gj,
        lambda uow: premium_refunds.review_refund(
            uow, k, gj.profile, refund_id=asked["refund_id"], approve=True, note="出国定居，同意退费"
        ),
    )
    after = pdf_text("after.pdf")
    assert "作废" in after and serial in after and code in after
    verify = client.get(f"/verify/{serial}", params={"code": code})
    assert (
        verify.status_code == 200 and 'data-testid="verify-void">作废<' in verify.text and "真实有效" not in verify.text
    )
