"""Resident premiums paid from the family account through the tax bureau (代缴, SPEC §6).

Seeds: 003 附件三(二) (缴费申请 → 信息核验: binding, balance, insurance kind, enrollment → 划扣代缴,
paid at once; a failure answers the reason so another channel can be used; 退费核销: on the
authorizer's request, after review, back by the original route, tax told → unpaid), 000 (Gansu:
bind first, 共济账户划拨, premium 390 only), 004 (Henan: the commitment is signed in the tax flow;
2025 premiums collected 2024-10-10…12-31; result query by year).

The clock stands at 2026-11-23: Gansu's benefit year 2027 is collecting (2026-09-01…12-31,
individual 400.00), so are Zhejiang's (from 10-01) and Henan's (from 10-10).
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from gongji.adapters.db.models import (
    Enrollment,
    FamilyBinding,
    LedgerTxn,
    PremiumCommitment,
    PremiumPayment,
    ResidentPremium,
    TaxRequest,
)
from gongji.domain import ledger as L
from gongji.domain.clock import SHANGHAI
from gongji.domain.errors import (
    DuplicateRecord,
    Forbidden,
    IdChecksumMismatch,
    IdempotencyConflict,
    InvalidRequest,
    InvalidStateTransition,
    NotFound,
    RefundAfterBenefitStart,
)
from gongji.domain.registry import EnrollmentAction
from gongji.policy.schema import PremiumStandard
from gongji.services import auth, ledger
from gongji.services.auth import Role
from gongji.services.family import binding as family_binding
from gongji.services.family import fraud as family_fraud
from gongji.services.family import views as family_views
from gongji.services.registry import persons as registry
from gongji.services.resident import premiums
from gongji.services.resident import refunds as premium_refunds
from tests import support as S

GANSU = "620702"  # 甘州区
ZHEJIANG = "330106"  # 西湖区
HENAN = "411623"  # 沈丘县 (seed 004)
YEAR = 2027
DUE = 40_000  # 400.00 yuan, the demo individual premium of 2027 in all three profiles
INCOME = f"external:premium:{GANSU}:390"


# --- builders ------------------------------------------------------------------------------------


@pytest.fixture
def office(gj):
    return S.staff(gj, ["620000"])


@pytest.fixture
def tax(gj):
    def go(uow: Any) -> Any:
        user = auth.create_user(uow, username="tax_test", password=S.PASSWORD, role=Role.TAX, display_name="税务")
        p = auth.principal_of(uow, user)
        uow.commit()
        return p

    return gj.run(go)


def _employee(gj, by, *, region=GANSU, income=0, past=0, birth=date(1980, 5, 1)):
    """An employee citizen with ``past`` in past years (via a real rollover) and ``income`` this year."""
    return S.employee_citizen(gj, by, region=region, income=income, past=past, birth=birth)


def _child(gj, by, region=GANSU, birth=date(2012, 3, 3)) -> int:
    return S.resident(gj, by, region=region, name="王小明", birth=birth)


def _gansu_pair(gj, office, *, allocate=DUE):
    """A Gansu authorizer who bound a child and moved ``allocate`` into the family account."""
    a = _employee(gj, office, income=100_000)
    child = _child(gj, office)
    b = S.bind(gj, a, child, "child")
    if allocate:
        S.allocate(gj, a, b["binding_id"], allocate)
    return a, child, b["binding_id"]


def _req(gj, payer: int, relative: int, **changes: Any) -> premiums.TaxPremiumRequest:
    fields: dict[str, Any] = {
        "request_id": f"TAX-{uuid.uuid4().hex[:20]}",
        "payer_cert_no": S.person_cert(gj, payer),
        "relative_cert_no": S.person_cert(gj, relative),
        "benefit_year": YEAR,
        "amount_fen": DUE,
        "insutype": "390",
    }
    fields.update(changes)
    return premiums.TaxPremiumRequest(**fields)


def _ask(gj, tax, req, profile=None) -> dict:
    def go(uow):
        answer = premiums.tax_family_payment(uow, S.ctx(gj, tax), profile or gj.profile, req)
        uow.commit()
        return answer

    return gj.run(go)


def _balance(gj, code: str) -> int:
    return gj.run(lambda uow: ledger.balances_of(uow, [code]))[code]


def _money(gj) -> tuple[int, int, int]:
    """Ledger transactions, premium payments, paid premiums: what a refusal must not change."""

    def go(uow):
        count = lambda model: uow.session.scalar(select(func.count()).select_from(model))  # noqa: E731
        paid = uow.session.scalar(
            select(func.count()).select_from(ResidentPremium).where(ResidentPremium.status == premiums.PAID)
        )
        return count(LedgerTxn), count(PremiumPayment), paid

    return gj.run(go)


def _refused(answer: dict, code: str) -> None:
    assert answer["status"] == "refused", answer
    assert answer["reason_code"] == code, answer
    assert answer["reason"] and answer["reason_en"]


def _profile_with_392(base):
    """Zhejiang with a demo 2027 critical-illness standard (zhejiang.toml ships none for 392)."""
    extra = PremiumStandard(
        benefit_year=YEAR,
        insutype="392",
        individual_fen=3_000,
        fiscal_fen=0,
        collection_start=date(2026, 10, 1),
        collection_end=date(2026, 12, 31),
        demo=True,
        source="demo (test)",
    )
    resident = base.resident.model_copy(update={"premium": (*base.resident.premium, extra)})
    return base.model_copy(update={"resident": resident})


# --- success: paid at once (seed 003 附件三(二)3) ---------------------------------------------------------


def test_premium_paid_from_the_family_account_is_debited_at_once_and_marked_paid_seed003(gj, office, tax):
    a, child, binding_id = _gansu_pair(gj, office)
    fam = L.family_account(binding_id)
    req = _req(gj, a.person_id, child)
    answer = _ask(gj, tax, req)

    assert answer["status"] == "paid" and answer["reason_code"] is None
    premium = answer["premium"]
    assert premium["status"] == "paid" and premium["tax_status"] == "paid"
    assert premium["paid_fen"] == DUE and premium["channel"] == "family_account"
    assert premium["relative"]["name"] == "王**"  # masked
    assert premium["payment"]["binding_id"] == binding_id and premium["payment"]["tax_request_id"] == req.request_id
    assert _balance(gj, fam) == 0 and _balance(gj, INCOME) == DUE

    def stored(uow):
        row = uow.session.scalar(select(ResidentPremium).where(ResidentPremium.person_id == child))
        pay = uow.session.scalar(select(PremiumPayment).where(PremiumPayment.premium_id == row.id))
        return row.status, row.benefit_year, pay.payer_person_id, pay.amount_fen, pay.channel

    assert gj.run(stored) == ("paid", YEAR, a.person_id, DUE, "family_account")
    # the binding shows what it paid (and fraud recovery would see the draw); the ledger balances
    members = gj.run(lambda uow: family_views.members(uow, S.ctx(gj, a), gj.profile, person_id=a.person_id))
    assert members["bindings"][0]["paid_fen"] == DUE
    assert gj.run(lambda uow: ledger.check_ledger(uow)).ok
    assert gj.run(lambda uow: premiums.tax_answer(uow, S.ctx(gj, tax), request_id=req.request_id)) == answer


# --- verification failures: "refused" with the reason, nothing moves (seed 003 附件三(二)2) -----------------


def test_unknown_payer_or_relative_is_refused_and_nothing_moves_seed003(gj, office, tax):
    a, child, _ = _gansu_pair(gj, office)
    before = _money(gj)
    stranger = S.new_id(GANSU, date(1970, 1, 1))  # well formed, never registered
    payer_unknown = _ask(gj, tax, _req(gj, a.person_id, child, payer_cert_no=stranger))
    _refused(payer_unknown, "E_RESIDENT_PERSON_UNKNOWN")
    assert payer_unknown["detail"] == {"who": "payer"}
    relative_unknown = _ask(gj, tax, _req(gj, a.person_id, child, relative_cert_no=stranger))
    _refused(relative_unknown, "E_RESIDENT_PERSON_UNKNOWN")
    assert relative_unknown["detail"] == {"who": "relative"} and relative_unknown["premium"] is None
    assert _money(gj) == before


def test_insurance_kind_not_allowed_is_refused_gansu_392_seed003(gj, office, tax):
    a, child, binding_id = _gansu_pair(gj, office)
    before = _money(gj)
    _refused(_ask(gj, tax, _req(gj, a.person_id, child, insutype="392")), "E_RESIDENT_INSUTYPE")
    assert _money(gj) == before and _balance(gj, L.family_account(binding_id)) == DUE


def test_benefit_year_without_a_standard_or_outside_its_window_is_refused_seed004(gj, office, tax):
    a, child, _ = _gansu_pair(gj, office)
    before = _money(gj)
    _refused(_ask(gj, tax, _req(gj, a.person_id, child, benefit_year=2030)), "E_RESIDENT_NO_STANDARD")
    late = _ask(gj, tax, _req(gj, a.person_id, child, benefit_year=2026))  # collected 2025-09-01…12-31
    _refused(late, "E_RESIDENT_OUTSIDE_WINDOW")
    assert late["detail"]["collection_end"] == "2025-12-31"
    assert _money(gj) == before


def test_amount_other_than_the_individual_premium_is_refused_seed003(gj, office, tax):
    a, child, _ = _gansu_pair(gj, office)
    before = _money(gj)
    answer = _ask(gj, tax, _req(gj, a.person_id, child, amount_fen=DUE - 1))
    _refused(answer, "E_RESIDENT_AMOUNT")
    assert answer["detail"]["expected_fen"] == DUE
    assert _money(gj) == before


def test_relative_not_enrolled_in_resident_insurance_or_not_normal_is_refused_seed003(gj, office, tax):
    a = _employee(gj, office, income=100_000)
    employee_relative = _employee(gj, office, income=1_000, birth=date(1982, 2, 2)).person_id  # 310, no 390
    suspended = _child(gj, office)

    def suspend(uow):
        e = uow.session.scalar(select(Enrollment).where(Enrollment.person_id == suspended))
        registry.change_enrollment(
            uow,
            S.ctx(gj, office),
            enrollment_id=e.id,
            action=EnrollmentAction.SUSPEND,
            effective_date=date(2026, 11, 1),
        )
        uow.commit()

    gj.run(suspend)
    before = _money(gj)
    _refused(_ask(gj, tax, _req(gj, a.person_id, employee_relative)), "E_RESIDENT_NOT_ENROLLED")
    _refused(_ask(gj, tax, _req(gj, a.person_id, suspended)), "E_RESIDENT_NOT_ENROLLED")
    assert _money(gj) == before


def test_a_premium_already_paid_is_refused_and_not_paid_twice_seed003(gj, office, tax):
    a, child, binding_id = _gansu_pair(gj, office, allocate=2 * DUE)
    assert _ask(gj, tax, _req(gj, a.person_id, child))["status"] == "paid"
    before = _money(gj)
    again = _ask(gj, tax, _req(gj, a.person_id, child))  # a new request id
    _refused(again, "E_RESIDENT_ALREADY_PAID")
    assert again["premium"]["status"] == "paid"  # the tax side sees why
    assert _money(gj) == before and _balance(gj, L.family_account(binding_id)) == DUE


def test_no_binding_is_refused_where_the_profile_requires_one_seed003(gj, office, tax):
    a = _employee(gj, office, income=100_000)
    child = _child(gj, office)
    before = _money(gj)
    _refused(_ask(gj, tax, _req(gj, a.person_id, child)), "E_RESIDENT_NO_BINDING")
    assert _money(gj) == before


def test_insufficient_past_years_balance_is_refused_and_nothing_is_debited_seed003(gj, tax):
    """Zhejiang draws only on the authorizer's 历年结余; the current year is never touched."""
    zj = S.staff(gj, ["330000"])
    zhejiang = gj.profiles["zhejiang"]
    a = _employee(gj, zj, region=ZHEJIANG, past=30_000, income=100_000)
    child = _child(gj, zj, region=ZHEJIANG)
    S.bind(gj, a, child, "child", profile=zhejiang)
    before = _money(gj)
    _refused(_ask(gj, tax, _req(gj, a.person_id, child), zhejiang), "E_RESIDENT_INSUFFICIENT_FUNDS")
    assert _money(gj) == before
    assert _balance(gj, L.personal_past(a.person_id)) == 30_000
    assert _balance(gj, L.personal_current(a.person_id)) == 100_000


def test_insufficient_family_account_is_refused_in_gansu_seed000(gj, office, tax):
    a, child, binding_id = _gansu_pair(gj, office, allocate=DUE - 100)  # 100,000 left in the personal account
    before = _money(gj)
    _refused(_ask(gj, tax, _req(gj, a.person_id, child)), "E_RESIDENT_INSUFFICIENT_FUNDS")
    assert _money(gj) == before and _balance(gj, L.family_account(binding_id)) == DUE - 100


def test_authorizer_no_longer_eligible_is_refused_seed000(gj, office, tax):
    a, child, _ = _gansu_pair(gj, office)

    def interrupt(uow):
        e = uow.session.scalar(select(Enrollment).where(Enrollment.person_id == a.person_id))
        registry.change_enrollment(
            uow,
            S.ctx(gj, office),
            enrollment_id=e.id,
            action=EnrollmentAction.INTERRUPT,
            effective_date=date(2026, 11, 1),
        )
        uow.commit()

    gj.run(interrupt)
    before = _money(gj)
    _refused(_ask(gj, tax, _req(gj, a.person_id, child)), "E_FAMILY_AUTHORIZER_INTERRUPTED")
    assert _money(gj) == before


# --- the profile decides: Zhejiang 392, Henan's commitment ----------------------------------------------


def test_zhejiang_pays_the_critical_illness_premium_392_from_past_years_seed003(gj, tax):
    zj = S.staff(gj, ["330000"])
    zhejiang = _profile_with_392(gj.profiles["zhejiang"])
    a = _employee(gj, zj, region=ZHEJIANG, past=50_000, income=100_000)
    child = _child(gj, zj, region=ZHEJIANG)
    S.bind(gj, a, child, "child", profile=zhejiang)
    assert _ask(gj, tax, _req(gj, a.person_id, child), zhejiang)["status"] == "paid"
    critical = _ask(gj, tax, _req(gj, a.person_id, child, insutype="392", amount_fen=3_000), zhejiang)
    assert critical["status"] == "paid" and critical["premium"]["insutype_name"] == "城乡居民大病医疗保险"
    assert _balance(gj, L.personal_past(a.person_id)) == 50_000 - DUE - 3_000
    assert _balance(gj, L.personal_current(a.person_id)) == 100_000
    assert _balance(gj, f"external:premium:{ZHEJIANG}:392") == 3_000


def _henan_commitment(**changes: Any) -> premiums.TaxCommitment:
    fields: dict[str, Any] = {
        "relation": "child",
        "phone": "13800000000",
        "version": "HN-2024.1",
        "text_sha256": hashlib.sha256("承诺书正文".encode()).hexdigest(),
        "signature_sha256": hashlib.sha256(b"signature image").hexdigest(),
        "signed_at": datetime(2024, 11, 1, 9, 58, tzinfo=SHANGHAI),
    }
    fields.update(changes)
    return premiums.TaxCommitment(**fields)


def test_henan_records_the_commitment_at_payment_without_a_prior_binding_seed004(gj, clock, tax):
    hn = S.staff(gj, ["410000"])
    henan = gj.profiles["henan"]
    a = _employee(gj, hn, region=HENAN, past=100_000)
    child = _child(gj, hn, region=HENAN)
    clock.at = datetime(2024, 11, 1, 10, 0, tzinfo=SHANGHAI)  # seed 004: 2025 collected 2024-10-10…12-31
    req = _req(gj, a.person_id, child, benefit_year=2025, commitment=_henan_commitment())
    answer = _ask(gj, tax, req, henan)

    assert answer["status"] == "paid", answer
    assert answer["premium"]["payment"]["binding_id"] is None
    assert _balance(gj, L.personal_past(a.person_id)) == 100_000 - DUE

    def stored(uow):
        c = uow.session.scalars(select(PremiumCommitment)).one()
        pay = uow.session.scalars(select(PremiumPayment)).one()
        bindings = uow.session.scalar(select(func.count()).select_from(FamilyBinding))
        signed = (c.authorizer_id, c.relative_id, c.benefit_year, c.relation, c.phone)
        record = (c.commitment_version, c.commitment_sha256, c.signature_sha256, c.channel, c.tax_request_id)
        return signed, record, pay.commitment_id == c.id, bindings

    signed, record, linked, bindings = gj.run(stored)
    assert signed == (a.person_id, child, 2025, "child", "13800000000")
    sent = _henan_commitment()
    assert record == ("HN-2024.1", sent.text_sha256, sent.signature_sha256, "tax_app", req.request_id)
    assert linked and bindings == 0

    # 结果查询 by year (seed 004)
    view = gj.run(
        lambda uow: premiums.tax_family_payments_by_year(
            uow, S.ctx(gj, tax), payer_cert_no=S.person_cert(gj, a.person_id), benefit_year=2025
        )
    )
    assert [(i["amount_fen"], i["status"]) for i in view["paid_for_others"]] == [(DUE, "paid")]


def test_henan_without_a_commitment_is_malformed_and_not_kept_seed004(gj, tax):
    hn = S.staff(gj, ["410000"])
    a = _employee(gj, hn, region=HENAN, past=100_000)
    child = _child(gj, hn, region=HENAN)
    req = _req(gj, a.person_id, child)
    with pytest.raises(InvalidRequest):
        _ask(gj, tax, req, gj.profiles["henan"])
    assert gj.run(lambda uow: uow.session.scalar(select(func.count()).select_from(TaxRequest))) == 0


def test_henan_commitment_contradicting_the_birth_dates_is_refused_seed004(gj, tax):
    hn = S.staff(gj, ["410000"])
    a = _employee(gj, hn, region=HENAN, past=100_000, birth=date(1980, 5, 1))
    elder = S.resident(gj, hn, region=HENAN, birth=date(1950, 1, 1))  # older: cannot be a "child"
    before = _money(gj)
    answer = _ask(gj, tax, _req(gj, a.person_id, elder, commitment=_henan_commitment()), gj.profiles["henan"])
    _refused(answer, "E_FAMILY_IMPLAUSIBLE")
    assert _money(gj) == before
    assert gj.run(lambda uow: uow.session.scalar(select(func.count()).select_from(PremiumCommitment))) == 0


# --- idempotency of the tax bureau's request ids -----------------------------------------------------------


def test_same_request_id_same_body_gets_the_first_answer_and_moves_nothing_again_seed003(gj, office, tax):
    a, child, _ = _gansu_pair(gj, office, allocate=2 * DUE)
    req = _req(gj, a.person_id, child)
    first = _ask(gj, tax, req)
    before = _money(gj)
    assert _ask(gj, tax, req) == first
    assert _money(gj) == before
    with pytest.raises(IdempotencyConflict):
        _ask(gj, tax, _req(gj, a.person_id, child, request_id=req.request_id, amount_fen=DUE + 1))


def test_a_refusal_is_kept_under_its_request_id_too_seed003(gj, office, tax):
    a = _employee(gj, office, income=100_000)
    child = _child(gj, office)
    req = _req(gj, a.person_id, child)
    refused = _ask(gj, tax, req)
    _refused(refused, "E_RESIDENT_NO_BINDING")
    b = S.bind(gj, a, child, "child")
    S.allocate(gj, a, b["binding_id"], DUE)
    assert _ask(gj, tax, req) == refused  # the same request: the same answer, even now
    assert _ask(gj, tax, _req(gj, a.person_id, child))["status"] == "paid"  # a new request is paid


def test_malformed_requests_are_422_and_not_kept(gj, office, tax):
    a, child, _ = _gansu_pair(gj, office)
    bad_cert = S.person_cert(gj, child)[:-1] + ("0" if S.person_cert(gj, child)[-1] != "0" else "1")
    with pytest.raises(IdChecksumMismatch):
        _ask(gj, tax, _req(gj, a.person_id, child, relative_cert_no=bad_cert))
    with pytest.raises(InvalidRequest):
        _ask(gj, tax, _req(gj, a.person_id, child, request_id="空格 不行"))
    assert gj.run(lambda uow: uow.session.scalar(select(func.count()).select_from(TaxRequest))) == 0


def test_only_the_tax_bureau_forwards_premiums(gj, office, tax):
    a, child, _ = _gansu_pair(gj, office)
    with pytest.raises(Forbidden):
        _ask(gj, a, _req(gj, a.person_id, child))


def test_two_authorizers_paying_for_the_same_relative_at_once_pay_once(gj, office, tax):
    """Different request ids for one relative and year: the premium row's lock lets one pay."""
    several = gj.profile.model_copy(
        update={
            "family": gj.profile.family.model_copy(
                update={"relative_may_have_several_authorizers": True, "authorizer_payment_order": "binding_time"}
            )
        }
    )
    mother = S.resident(gj, office, region=GANSU, birth=date(1950, 3, 3))
    payers = []
    for birth in (date(1975, 1, 1), date(1978, 1, 1)):
        p = _employee(gj, office, income=100_000, birth=birth)
        b = S.bind(gj, p, mother, "parent", profile=several)
        S.allocate(gj, p, b["binding_id"], DUE)
        payers.append(p)
    answers: list[dict] = []
    errors: list[BaseException] = []

    def worker(p):
        try:
            answers.append(_ask(gj, tax, _req(gj, p.person_id, mother), several))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(p,)) for p in payers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(a["status"] for a in answers) == ["paid", "refused"]
    assert _balance(gj, INCOME) == DUE
    assert gj.run(lambda uow: ledger.check_ledger(uow)).ok


# --- refunds (退费核销, seed 003 附件三(二)4) and 代缴明细 -------------------------------------------------------


def _refund(gj, who, payment_id, reason="emigration"):  # 出国定居: no record to check (issue 12 Part C)
    def go(uow):
        view = premium_refunds.request_refund(uow, S.ctx(gj, who), gj.profile, payment_id=payment_id, reason=reason)
        uow.commit()
        return view

    return gj.run(go)


def _review(gj, who, refund_id, approve=True, note="材料齐全，同意退费"):
    def go(uow):
        view = premium_refunds.review_refund(
            uow, S.ctx(gj, who), gj.profile, refund_id=refund_id, approve=approve, note=note
        )
        uow.commit()
        return view

    return gj.run(go)


def _tax_notifications(gj, tax):
    return gj.run(lambda uow: premium_refunds.tax_refund_notifications(uow, S.ctx(gj, tax)))


def _details(gj, who, person_id, year=YEAR):
    return gj.run(
        lambda uow: premiums.family_payments_by_year(uow, S.ctx(gj, who), person_id=person_id, benefit_year=year)
    )


def test_refund_goes_back_to_the_family_account_and_the_tax_bureau_is_told_seed003(gj, office, tax):
    a, child, binding_id = _gansu_pair(gj, office)
    paid = _ask(gj, tax, _req(gj, a.person_id, child))
    payment_id = paid["premium"]["payment"]["payment_id"]
    assert _details(gj, a, a.person_id)["paid_for_others_fen"] == DUE

    request = _refund(gj, a, payment_id)
    assert request["status"] == "requested"
    assert _tax_notifications(gj, tax) == []  # nothing moves before review
    reviewed = _review(gj, office, request["refund_id"])
    assert reviewed["status"] == "approved" and reviewed["tax_notified"] is False

    assert _balance(gj, L.family_account(binding_id)) == DUE  # 原渠道返还
    assert _balance(gj, INCOME) == 0
    details = _details(gj, a, a.person_id)
    assert [(i["status"], i["refund"]["status"]) for i in details["paid_for_others"]] == [("refunded", "approved")]
    assert details["paid_for_others_fen"] == 0

    def rows(uow):
        premium = uow.session.scalar(select(ResidentPremium).where(ResidentPremium.person_id == child))
        amounts = list(uow.session.scalars(select(PremiumPayment.amount_fen).order_by(PremiumPayment.id)))
        return premium.status, premium.paid_fen, amounts

    assert gj.run(rows) == ("refunded", 0, [DUE, -DUE])
    notes = _tax_notifications(gj, tax)
    assert len(notes) == 1 and notes[0]["tax_status"] == "unpaid" and notes[0]["refund_fen"] == DUE
    assert notes[0]["tax_request_id"] == paid["request_id"]

    def ack(uow):
        view = premium_refunds.ack_tax_refund_notification(
            uow, S.ctx(gj, tax), notification_id=notes[0]["notification_id"]
        )
        uow.commit()
        return view

    assert gj.run(ack)["acked"] is True
    assert gj.run(ack)["acked"] is True  # again: nothing changes
    assert _tax_notifications(gj, tax) == []
    assert gj.run(lambda uow: ledger.check_ledger(uow)).ok
    # the relative may be paid for again (e.g. by another channel later); here the family account again
    assert _ask(gj, tax, _req(gj, a.person_id, child))["status"] == "paid"


def test_refund_under_the_direct_model_goes_back_to_past_years_seed003(gj, tax):
    zj = S.staff(gj, ["330000"])
    zhejiang = gj.profiles["zhejiang"]
    a = _employee(gj, zj, region=ZHEJIANG, past=50_000)
    child = _child(gj, zj, region=ZHEJIANG)
    S.bind(gj, a, child, "child", profile=zhejiang)
    paid = _ask(gj, tax, _req(gj, a.person_id, child), zhejiang)
    request = _refund(gj, a, paid["premium"]["payment"]["payment_id"], reason="missing")
    _review(gj, zj, request["refund_id"])
    assert _balance(gj, L.personal_past(a.person_id)) == 50_000


def test_refund_after_unbinding_returns_to_the_authorizer_seed003(gj, office, tax):
    a, child, binding_id = _gansu_pair(gj, office)
    paid = _ask(gj, tax, _req(gj, a.person_id, child))
    gj.run(lambda uow: (family_binding.unbind(uow, S.ctx(gj, a), binding_id=binding_id), uow.commit()))
    request = _refund(gj, a, paid["premium"]["payment"]["payment_id"])
    _review(gj, office, request["refund_id"])
    assert _balance(gj, L.family_account(binding_id)) == 0  # the closed family account is emptied
    assert _balance(gj, L.personal_past(a.person_id)) == DUE


def test_rejected_refund_moves_nothing_and_may_be_asked_again(gj, office, tax):
    a, child, binding_id = _gansu_pair(gj, office)
    paid = _ask(gj, tax, _req(gj, a.person_id, child))
    payment_id = paid["premium"]["payment"]["payment_id"]
    first = _refund(gj, a, payment_id)
    with pytest.raises(DuplicateRecord):
        _refund(gj, a, payment_id)
    assert _review(gj, office, first["refund_id"], approve=False, note="材料不全")["status"] == "rejected"
    assert _balance(gj, L.family_account(binding_id)) == 0 and _tax_notifications(gj, tax) == []
    assert _refund(gj, a, payment_id)["status"] == "requested"


def test_refund_is_refused_once_the_benefit_period_has_started_seed002(gj, clock, office, tax):
    a, child, _ = _gansu_pair(gj, office)
    paid = _ask(gj, tax, _req(gj, a.person_id, child))
    clock.at = datetime(2027, 1, 2, 9, 0, tzinfo=SHANGHAI)
    with pytest.raises(RefundAfterBenefitStart):
        _refund(gj, a, paid["premium"]["payment"]["payment_id"])


def test_only_the_payer_asks_for_a_refund_and_sees_the_details(gj, office, tax):
    a, child, _ = _gansu_pair(gj, office)
    paid = _ask(gj, tax, _req(gj, a.person_id, child))
    other = _employee(gj, office, income=1_000, birth=date(1979, 9, 9))
    with pytest.raises(NotFound):  # someone else's payment does not exist for them
        _refund(gj, other, paid["premium"]["payment"]["payment_id"])
    with pytest.raises(Forbidden):
        _details(gj, other, a.person_id)
    relative_view = _details(gj, office, child)  # staff in the region; 代缴明细 of the relative
    assert [i["payer"]["name"] for i in relative_view["paid_for_me"]] == ["张*"]


def test_a_premium_paid_through_a_binding_revoked_for_fraud_is_not_refunded_seed003_4_4(gj, office, tax):
    """The premium is part of the fraud case's receivable (seed 003 四(四) 追回医保基金): money goes back
    only as the case collects it, never through a refund by the original route."""
    a, child, binding_id = _gansu_pair(gj, office)
    paid = _ask(gj, tax, _req(gj, a.person_id, child))

    def fraud(uow):
        case = family_fraud.revoke(uow, S.ctx(gj, office), binding_id=binding_id, reason="虚构家庭成员关系")
        assert case.amount_fen == DUE
        uow.commit()

    gj.run(fraud)
    request = _refund(gj, a, paid["premium"]["payment"]["payment_id"])
    with pytest.raises(InvalidStateTransition):
        _review(gj, office, request["refund_id"])
    assert _tax_notifications(gj, tax) == []


def test_henan_daijiao_without_binding_is_refused_while_a_fraud_case_of_the_payer_is_open_seed004_seed003_4_4(
    gj, clock, tax
):
    """Seed 003 四(四) 立即停止相关当事人家庭共济待遇 holds for Henan's 代缴 too, which needs no binding
    (seed 004): a payer whose fraud case is open is refused E_FAMILY_CASE_OPEN with the reason for
    tax, and nothing is debited or kept but the answer."""
    from tests.integration.test_premium_batch_equivalence import henan_fraud_case

    hn = S.staff(gj, ["410000"])
    henan = gj.profiles["henan"]
    a = _employee(gj, hn, region=HENAN, past=100_000)
    fake = _child(gj, hn, region=HENAN, birth=date(2011, 6, 1))
    child = _child(gj, hn, region=HENAN)
    clock.at = datetime(2024, 11, 1, 10, 0, tzinfo=SHANGHAI)
    henan_fraud_case(gj, hn, henan, a, fake)
    past = _balance(gj, L.personal_past(a.person_id))
    answer = _ask(gj, tax, _req(gj, a.person_id, child, benefit_year=2025, commitment=_henan_commitment()), henan)
    _refused(answer, "E_FAMILY_CASE_OPEN")
    assert "代缴" in answer["reason"]
    assert _balance(gj, L.personal_past(a.person_id)) == past
    assert gj.run(lambda uow: uow.session.scalar(select(func.count()).select_from(PremiumCommitment))) == 0
