"""Citizen-initiated 代缴 (the app channel over the tax bureau's use case) and the payment
certificate (缴费证明): issue once, verify against the stored facts, PDF text (seeds 000, 004).

The clock stands at 2026-11-23: Gansu's benefit year 2027 is collecting (individual 400.00),
so is Henan's (from 2026-10-10).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from gongji.adapters.db.models import LedgerTxn, PremiumCertificate, TaxRequest
from gongji.adapters.pdf.certificate import render_premium_certificate
from gongji.domain import certificates as C
from gongji.domain import ledger as L
from gongji.domain.errors import Forbidden, InvalidRequest, NotFound
from gongji.domain.masking import mask_name
from gongji.services import ledger
from gongji.services.registry import accounts
from gongji.services.resident import views as premium_pages
from tests import support as S
from tests.conftest import need

GANSU = "620702"  # 甘州区
HENAN = "411623"  # 沈丘县
YEAR = 2027
DUE = 40_000


def _run(gj: Any, fn: Any) -> Any:
    def go(uow: Any) -> Any:
        result = fn(uow)
        uow.commit()
        return result

    return gj.run(go)


def _gansu_paid(gj: Any) -> tuple[Any, int, int, dict[str, Any]]:
    """王建国 binds his child 王小明, moves 400.00 in, and pays the 2027 premium on the page."""
    office = S.staff(gj, ["620000"])
    aid = S.employee(gj, office, region=GANSU, name="王建国", birth=date(1980, 5, 1), income_fen=100_000)
    child = S.resident(gj, office, region=GANSU, name="王小明", birth=date(2012, 3, 3))
    citizen = S.citizen(gj, aid)
    binding = S.bind(gj, citizen, child, "child")
    S.allocate(gj, citizen, binding["binding_id"], DUE)
    answer = _run(
        gj,
        lambda uow: premium_pages.pay_for_binding(
            uow, S.ctx(gj, citizen), gj.profile, binding_id=binding["binding_id"], benefit_year=YEAR, key="k-1"
        ),
    )
    return citizen, child, binding["binding_id"], answer


def test_citizen_pays_a_bound_relatives_premium_through_the_tax_use_case_once_seed000(gj):
    citizen, child, binding_id, answer = _gansu_paid(gj)
    assert answer["status"] == "paid", answer
    assert answer["request_id"] == "app:k-1"
    assert answer["premium"]["relative"]["name"] == "王**" and answer["premium"]["paid_fen"] == DUE
    fam = L.family_account(binding_id)
    assert gj.run(lambda uow: ledger.balances_of(uow, [fam]))[fam] == 0
    txns = gj.run(lambda uow: uow.session.scalar(select(func.count()).select_from(LedgerTxn)))

    # the same form key again: the stored answer, nothing moves twice
    again = _run(
        gj,
        lambda uow: premium_pages.pay_for_binding(
            uow, S.ctx(gj, citizen), gj.profile, binding_id=binding_id, benefit_year=YEAR, key="k-1"
        ),
    )
    assert again == answer
    assert gj.run(lambda uow: uow.session.scalar(select(func.count()).select_from(LedgerTxn))) == txns
    # a new key: refused in Chinese (already paid), stored under its own request id
    third = _run(
        gj,
        lambda uow: premium_pages.pay_for_binding(
            uow, S.ctx(gj, citizen), gj.profile, binding_id=binding_id, benefit_year=YEAR, key="k-2"
        ),
    )
    assert third["status"] == "refused" and third["reason"]
    assert gj.run(lambda uow: uow.session.scalar(select(func.count()).select_from(TaxRequest))) == 2

    overview = gj.run(lambda uow: premium_pages.family_premium_overview(uow, S.ctx(gj, citizen), gj.profile))
    assert overview["standard"]["benefit_year"] == YEAR
    [row] = overview["relatives"]
    assert (row["status"], row["payable"], row["relative"]["name"]) == ("paid", False, "王**")
    assert row["payment_id"] == answer["premium"]["payment"]["payment_id"]

    # someone else's binding does not exist for this citizen
    other = S.citizen(gj, child)
    with pytest.raises(NotFound):
        gj.run(
            lambda uow: premium_pages.pay_for_binding(
                uow, S.ctx(gj, other), gj.profile, binding_id=binding_id, benefit_year=YEAR, key="k-3"
            )
        )


def test_certificate_round_trip_and_a_changed_fact_fails_verification(gj):
    citizen, child, _binding_id, answer = _gansu_paid(gj)
    payment_id = answer["premium"]["payment"]["payment_id"]
    issued = _run(gj, lambda uow: premium_pages.issue_certificate(uow, S.ctx(gj, citizen), payment_id=payment_id))
    facts, code, serial = issued["facts"], issued["code"], issued["serial"]
    assert issued["issued"] and serial == f"62{YEAR}{payment_id:08d}"
    assert (facts.person_name, facts.amount_fen, facts.benefit_year) == ("王小明", DUE, YEAR)
    assert (facts.channel, facts.payer_name, facts.paid_on) == ("family_account", "王建国", date(2026, 11, 23))

    # issued once: the relative (the insured person) gets the same certificate, not a new one
    relative = S.citizen(gj, child)
    same = _run(gj, lambda uow: premium_pages.issue_certificate(uow, S.ctx(gj, relative), payment_id=payment_id))
    assert (same["serial"], same["code"], same["issued"]) == (serial, code, False)
    assert gj.run(lambda uow: uow.session.scalar(select(func.count()).select_from(PremiumCertificate))) == 1

    def check(c: str, s: str = serial) -> dict[str, Any]:
        return gj.run(lambda uow: premium_pages.verify_certificate(uow, serial=s, code=c))

    ok = check(code)
    assert ok["result"] == "valid"
    assert ok["facts"]["person_name"] == "王**" and ok["facts"]["payer_name"] == "王**"
    assert ok["facts"]["cert_no"].count("*") == 10 and ok["facts"]["amount_fen"] == DUE
    assert check(code.lower().replace("-", ""))["result"] == "valid"  # typed by hand
    wrong = code[:-1] + ("A" if code[-1] != "A" else "B")
    for bad in (check(wrong), check("garbage"), check(code, "62202799999999"), check("")):
        assert bad == {"result": "invalid", "facts": None}

    # a forged certificate: another amount or name does not match the printed code
    secret = premium_pages.certificate_secret()
    assert C.verify(facts, code, secret)
    assert not C.verify(dataclasses.replace(facts, amount_fen=DUE + 100), code, secret)
    assert not C.verify(dataclasses.replace(facts, person_name="王小亮"), code, secret)

    # and a tampered row no longer verifies either
    for change in ({"amount_fen": 1}, {"person_name": "李四"}):

        def tamper(uow: Any, change: dict[str, Any] = change) -> None:
            row = uow.session.scalar(select(PremiumCertificate).where(PremiumCertificate.serial == serial))
            body = json.loads(row.facts_json)
            original = dict(body)
            body.update(change)
            row.facts_json = json.dumps(body, ensure_ascii=False)
            uow.commit()
            return original  # type: ignore[return-value]

        original = gj.run(tamper)
        assert check(code)["result"] == "invalid"

        def restore(uow: Any, original: dict[str, Any] = original) -> None:  # type: ignore[assignment]
            row = uow.session.scalar(select(PremiumCertificate).where(PremiumCertificate.serial == serial))
            row.facts_json = json.dumps(original, ensure_ascii=False)
            uow.commit()

        gj.run(restore)
        assert check(code)["result"] == "valid"

    # nobody else may have it: another citizen, staff of another province
    office = S.staff(gj, ["620000"])
    stranger = S.citizen(gj, S.resident(gj, office, region=GANSU))
    with pytest.raises(NotFound):
        gj.run(lambda uow: premium_pages.issue_certificate(uow, S.ctx(gj, stranger), payment_id=payment_id))
    with pytest.raises(Forbidden):
        elsewhere = S.staff(gj, ["330000"])
        gj.run(lambda uow: premium_pages.issue_certificate(uow, S.ctx(gj, elsewhere), payment_id=payment_id))


def test_certificate_pdf_text_holds_the_masked_name_year_and_amount(gj, tmp_path):
    need(shutil.which("pdftotext") is not None, "pdftotext is not installed (apt-get install -y poppler-utils)")
    citizen, _child, _b, answer = _gansu_paid(gj)
    payment_id = answer["premium"]["payment"]["payment_id"]
    issued = _run(gj, lambda uow: premium_pages.issue_certificate(uow, S.ctx(gj, citizen), payment_id=payment_id))
    url = C.verification_url("https://gongji.example.org", issued["serial"], issued["code"])
    pdf = tmp_path / "c.pdf"
    pdf.write_bytes(render_premium_certificate(issued["facts"], code=issued["code"], url=url))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert mask_name("王小明") in text and "王小明" not in text and "王建国" not in text
    assert f"{YEAR}年度" in text and "400.00" in text and "肆佰元整" in text
    assert issued["serial"] in text and issued["code"] in text
    assert S.person_cert(gj, _child) not in text


def test_resident_lookup_answers_the_same_for_unknown_and_non_resident_numbers_seed004(gj):
    henan = gj.profiles["henan"]
    hn = S.staff(gj, ["410000"])
    payer = S.citizen(gj, S.employee(gj, hn, region=HENAN, name="赵大伟", birth=date(1980, 5, 1)))
    child = S.resident(gj, hn, region=HENAN, name="赵小红", birth=date(2012, 3, 3))
    worker = S.employee(gj, hn, region=HENAN, name="钱多多")  # an employee, not a resident
    gansu_child = S.resident(gj, S.staff(gj, ["620000"]), region=GANSU)  # a resident of another province
    ctx = S.ctx(gj, payer)

    def look(cert: str) -> Any:
        return _run(gj, lambda uow: premium_pages.lookup_resident(uow, ctx, henan, cert_no=cert))

    found = look(S.person_cert(gj, child).lower())
    assert found is not None and found["name"] == "赵**" and "*" in found["cert_no"]
    unknown = S.new_id(HENAN, date(2011, 1, 1))
    assert look(unknown) is None
    assert look(S.person_cert(gj, worker)) is None
    assert look(S.person_cert(gj, gansu_child)) is None
    assert look(S.person_cert(gj, payer.person_id)) is None  # not oneself either


def test_henan_citizen_signs_and_pays_in_the_app_flow_seed004(gj):
    henan = gj.profiles["henan"]
    hn = S.staff(gj, ["410000"])
    aid = S.employee(gj, hn, region=HENAN, name="赵大伟", birth=date(1980, 5, 1), income_fen=100_000)
    gj.run(lambda uow: (accounts.year_end_rollover(uow, S.ctx(gj, hn), year=2025, person_ids=[aid]), uow.commit()))
    payer = S.citizen(gj, aid)
    child = S.resident(gj, hn, region=HENAN, name="赵小红", birth=date(2012, 3, 3))
    cert = S.person_cert(gj, child)
    ctx = S.ctx(gj, payer)
    version = premium_pages.commitment_text(henan)["version"]

    def pay(uow: Any, signature: str = "赵大伟") -> dict[str, Any]:
        commitment = premium_pages.sign_commitment(
            uow,
            ctx,
            henan,
            relative_cert_no=cert,
            relation="child",
            phone="13800000000",
            version=version,
            signed=True,
            signature=signature,
        )
        return premium_pages.citizen_family_payment(
            uow, ctx, henan, relative_cert_no=cert, benefit_year=YEAR, key=str(uuid.uuid4()), commitment=commitment
        )

    with pytest.raises(InvalidRequest):  # another name as signature
        gj.run(lambda uow: pay(uow, "钱多多"))
    answer = _run(gj, pay)
    assert answer["status"] == "paid", answer
    assert answer["premium"]["payment"]["commitment_id"] is not None
    past = L.personal_past(aid)
    assert gj.run(lambda uow: ledger.balances_of(uow, [past]))[past] == 100_000 - DUE
    view = gj.run(lambda uow: premium_pages.payments_by_year(uow, ctx, benefit_year=YEAR))
    assert [(i["amount_fen"], i["status"]) for i in view["paid_for_others"]] == [(DUE, "paid")]
