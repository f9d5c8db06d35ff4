"""Refunds of resident premiums paid through any channel (退费办理, SPEC §6).

Seed 002 §七: 参保居民在缴纳下一年度居民医保费后，在缴费期内因跨省重复缴费、死亡、失踪、出国定居、
参加职工医保或其他统筹地区居民医保的，可申请退费 … 已通过医疗救助渠道享受参保缴费补贴的救助对象，只退回
个人缴费部分；待遇享受期开始后 … 个人缴费不再退回。退费截止时间为2022年12月30日 (here 12-30 of the
year of payment). Seed 003 附件三(二)4: back by the original route, tax told (→ unpaid).

Runs on SQLite and PostgreSQL; clock 2026-11-23, Gansu 2027 window 2026-09-01..12-31, individual
premium 400.00; 低保一类 fixed subsidy 250.00 (先缴后补), 特困 full. A refused call writes nothing.
Requests are entered by ``staff`` (or the citizen) and approved by ``checker``, a second clerk
(separation of duties); 出国定居 is the reason the records cannot check, so the default one here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from gongji.adapters.db.models import AuditLog, LedgerTxn, PremiumPayment, PremiumRefund, ResidentPremium
from gongji.bootstrap import Gongji
from gongji.domain.clock import SHANGHAI, FixedClock
from gongji.domain.errors import GongjiError
from gongji.services import auth, ledger
from gongji.services.auth import Principal, Role
from gongji.services.resident import refunds as premium_refunds
from gongji.services.resident import subsidies
from tests import support
from tests.integration.test_subsidies import ASSIST, INCOME, PREMIUM, YEAR, balances, ok, pay, person, status

BANK = "external:channel:bank"
FIXED = 25_000  # dibao_full, 002 §四(一)
COUNTED = (LedgerTxn, PremiumPayment, PremiumRefund, ResidentPremium, AuditLog)


def refused(gj: Gongji, call: Callable[[Any], Any]) -> GongjiError:
    err: GongjiError = support.refused_unchanged(gj, call, COUNTED)
    return err


def on_full_subsidy_roster(gj: Gongji, staff: Principal, pid: int, name: str) -> None:
    """特困 (extreme_poverty) roster row for the person, uploaded and approved (002 §四(二)1)."""
    row = {"id_number": support.person_cert(gj, pid), "name": name}
    support.full_subsidy_roster(gj, staff, benefit_year=YEAR, category="extreme_poverty", rows=[row])


@pytest.fixture
def staff(gj: Gongji) -> Principal:
    return support.staff(gj, ["620700"])


@pytest.fixture
def checker(gj: Gongji) -> Principal:
    """A second clerk of the same office: approves what ``staff`` entered."""
    return support.staff(gj, ["620700"])


@pytest.fixture
def tax(gj: Gongji) -> Principal:
    def go(uow: Any) -> Principal:
        user = auth.create_user(
            uow, username="tax_refunds", password=support.PASSWORD, role=Role.TAX, display_name="税务"
        )
        p = auth.principal_of(uow, user)
        uow.commit()
        return p

    return gj.run(go)


def ask(gj: Gongji, who: Principal, payment_id: int, reason: str = "emigration", **kw: Any) -> Any:
    c = support.ctx(gj, who)
    return lambda uow: premium_refunds.request_refund(
        uow, c, kw.pop("profile", gj.profile), payment_id=payment_id, reason=reason, **kw
    )


def quote(gj: Gongji, who: Principal, payment_id: int, reason: str = "emigration") -> Any:
    c = support.ctx(gj, who)
    return lambda uow: premium_refunds.quote_refund(uow, c, gj.profile, payment_id=payment_id, reason=reason)


def review(gj: Gongji, who: Principal, refund_id: int, approve: bool = True, note: str = "材料齐全，同意退费") -> Any:
    c = support.ctx(gj, who)
    return lambda uow: premium_refunds.review_refund(
        uow, c, gj.profile, refund_id=refund_id, approve=approve, note=note
    )


def paid_by_bank(gj: Gongji, staff: Principal, codes: tuple[str, ...] = ()) -> tuple[int, int]:
    pid = person(gj, staff, codes)
    return pid, ok(gj, pay(gj, staff, pid))["payment_id"]


def fixed_subsidies(gj: Gongji, staff: Principal) -> Any:
    c = support.ctx(gj, staff)
    return ok(gj, lambda uow: subsidies.pay_fixed_subsidies(uow, c, gj.profile, benefit_year=YEAR))


def citizen_of(gj: Gongji, pid: int) -> Principal:
    return support.citizen(gj, pid)


# --- the original route ----------------------------------------------------------------------------


def test_bank_premium_is_refunded_to_the_bank_and_tax_is_told_seed002_003(
    gj: Gongji, staff: Principal, checker: Principal, tax: Principal
) -> None:
    """002 §七 参加职工医保 → 可申请退费; 003 原渠道返还, 税务 → unpaid."""
    pid, payment_id = paid_by_bank(gj, staff)
    support.joined_employee_insurance(gj, staff, pid)
    q = ok(gj, quote(gj, staff, payment_id, "joined_employee_insurance"))
    assert (q["refund_fen"], q["withheld_fen"], q["route"]) == (PREMIUM, 0, "original")
    asked = ok(gj, ask(gj, staff, payment_id, "joined_employee_insurance"))
    assert asked["status"] == "requested" and balances(gj, INCOME)[INCOME] == PREMIUM  # nothing moves yet
    done = ok(gj, review(gj, checker, asked["refund_id"]))
    assert (done["status"], done["refund_fen"], done["withheld_fen"]) == ("approved", PREMIUM, 0)
    assert balances(gj, INCOME, BANK) == {INCOME: 0, BANK: 0}
    s = status(gj, staff, pid)
    assert s["status"] == "refunded" and s["paid_fen"] == 0
    assert [(p["amount_fen"], p["status"]) for p in s["payments"]] == [(PREMIUM, "refunded"), (-PREMIUM, "refund")]
    c = support.ctx(gj, tax)
    notes = gj.run(lambda uow: premium_refunds.tax_refund_notifications(uow, c))
    assert [(n["kind"], n["channel"], n["tax_status"], n["refund_fen"]) for n in notes] == [
        ("premium_refund", "bank", "unpaid", PREMIUM)
    ]
    assert gj.run(lambda uow: ledger.check_ledger(uow)).ok


def test_the_insured_person_asks_for_their_own_refund_and_nobody_elses(gj: Gongji, staff: Principal) -> None:
    """The person whose premium it is asks (the payer, for the family account: test_premium_family_tax)."""
    pid, payment_id = paid_by_bank(gj, staff)
    me = citizen_of(gj, pid)
    other_pid = person(gj, staff, name="王五")
    other = citizen_of(gj, other_pid)
    assert refused(gj, ask(gj, other, payment_id)).code == "E_NOT_FOUND"
    far = support.staff(gj, ["330100"])
    assert refused(gj, ask(gj, far, payment_id)).code == "E_OUT_OF_REGION"
    assert ok(gj, ask(gj, me, payment_id))["status"] == "requested"
    assert refused(gj, ask(gj, me, payment_id)).code == "E_DUPLICATE"
    assert refused(gj, review(gj, me, 1)).code == "E_FORBIDDEN"  # citizens do not review


# --- each rule of 002 §七 ------------------------------------------------------------------------------


def test_only_the_listed_reasons_allow_a_refund_seed002(gj: Gongji, staff: Principal) -> None:
    """002 §七 lists the reasons; a profile may list fewer; an unknown code is not a reason."""
    pid, payment_id = paid_by_bank(gj, staff)
    support.died(gj, staff, pid)
    assert refused(gj, ask(gj, staff, payment_id, "changed_my_mind")).code == "E_UNKNOWN_CODE"
    refund = gj.profile.resident.refund.model_copy(update={"reasons": ("death",)})
    narrow = gj.profile.model_copy(update={"resident": gj.profile.resident.model_copy(update={"refund": refund})})
    assert refused(gj, ask(gj, staff, payment_id, "emigration", profile=narrow)).code == "E_RESIDENT_REFUND_REASON"
    assert ok(gj, ask(gj, staff, payment_id, "death", profile=narrow))["reason_name"] == "死亡"


def test_no_refund_after_the_yearly_deadline_seed002(gj: Gongji, clock: FixedClock, staff: Principal) -> None:
    """002 §七: 退费截止时间为…12月30日 — asked on 12-31, before the benefit year, too late."""
    _, payment_id = paid_by_bank(gj, staff)
    clock.at = datetime(2026, 12, 30, 23, 0, tzinfo=SHANGHAI)
    assert ok(gj, quote(gj, staff, payment_id))["refund_fen"] == PREMIUM  # the last day still counts
    clock.at = datetime(2026, 12, 31, 9, 0, tzinfo=SHANGHAI)
    assert refused(gj, ask(gj, staff, payment_id)).code == "E_RESIDENT_REFUND_DEADLINE"


def test_a_request_made_in_time_is_reviewed_after_the_deadline(
    gj: Gongji, clock: FixedClock, staff: Principal, checker: Principal
) -> None:
    """The deadline is for asking (退费截止时间); staff may approve on 12-31 what was asked on 12-30."""
    _, payment_id = paid_by_bank(gj, staff)
    clock.at = datetime(2026, 12, 30, 16, 0, tzinfo=SHANGHAI)
    asked = ok(gj, ask(gj, staff, payment_id))
    clock.at = datetime(2026, 12, 31, 10, 0, tzinfo=SHANGHAI)
    c = support.ctx(gj, staff)
    shown = gj.run(lambda uow: premium_refunds.quote_request(uow, c, gj.profile, refund_id=asked["refund_id"]))
    assert shown["refund_fen"] == PREMIUM  # what the review page shows is what approval moves
    assert ok(gj, review(gj, checker, asked["refund_id"]))["status"] == "approved"


def test_no_refund_once_the_benefit_period_has_started_seed002(
    gj: Gongji, clock: FixedClock, staff: Principal, checker: Principal
) -> None:
    """002 §七: 待遇享受期开始后 … 个人缴费不再退回 — at asking, and again at approval."""
    _, payment_id = paid_by_bank(gj, staff)
    asked = ok(gj, ask(gj, staff, payment_id))
    clock.at = datetime(2027, 1, 1, 0, 30, tzinfo=SHANGHAI)
    assert refused(gj, review(gj, checker, asked["refund_id"])).code == "E_RESIDENT_REFUND_BENEFIT_STARTED"
    assert refused(gj, quote(gj, staff, payment_id)).code == "E_RESIDENT_REFUND_BENEFIT_STARTED"
    assert balances(gj, INCOME)[INCOME] == PREMIUM
    # a rejection is still possible: it moves nothing
    assert ok(gj, review(gj, checker, asked["refund_id"], approve=False, note="待遇期已开始"))["status"] == "rejected"


def test_subsidized_person_gets_only_their_own_share_back_seed002(
    gj: Gongji, staff: Principal, checker: Principal
) -> None:
    """002 §七 只退回个人缴费部分: paid 400 by bank, 250 paid out afterwards (先缴后补, §四(二)2) →
    150 back to the bank, 250 back to the medical-assistance fund."""
    pid, payment_id = paid_by_bank(gj, staff, ("dibao_full",))
    assert fixed_subsidies(gj, staff)["paid_fen"] == FIXED
    before = balances(gj, ASSIST)[ASSIST]
    q = ok(gj, quote(gj, staff, payment_id))
    assert (q["refund_fen"], q["withheld_fen"], q["to_assistance_fen"]) == (PREMIUM - FIXED, FIXED, FIXED)
    support.died(gj, staff, pid)
    done = ok(gj, review(gj, checker, ok(gj, ask(gj, staff, payment_id, "death"))["refund_id"]))
    assert (done["refund_fen"], done["withheld_fen"]) == (PREMIUM - FIXED, FIXED)
    after = balances(gj, INCOME, BANK, ASSIST, f"external:payout:{pid}")
    assert after[INCOME] == 0 and after[BANK] == -FIXED and after[ASSIST] == before + FIXED
    assert after[f"external:payout:{pid}"] == FIXED  # the person keeps the 250 paid out; the bank refund is 150
    assert gj.run(lambda uow: ledger.check_ledger(uow)).ok


def test_a_premium_the_full_subsidy_roster_paid_goes_back_to_the_assistance_fund_seed002(
    gj: Gongji, staff: Principal, checker: Principal
) -> None:
    """特困 全额资助 (002 §四(二)1): the fund paid everything, so the person's share is nothing."""
    pid = person(gj, staff, name="王一")
    on_full_subsidy_roster(gj, staff, pid, "王一")
    payment_id = status(gj, staff, pid)["payments"][0]["payment_id"]
    before = balances(gj, ASSIST)[ASSIST]
    q = ok(gj, quote(gj, staff, payment_id))
    assert (q["refund_fen"], q["to_assistance_fen"], q["route_name"]) == (0, PREMIUM, "退回医疗救助资金")
    support.died(gj, staff, pid)
    done = ok(gj, review(gj, checker, ok(gj, ask(gj, staff, payment_id, "death"))["refund_id"]))
    assert (done["refund_fen"], done["withheld_fen"]) == (0, 0)
    assert balances(gj, ASSIST, INCOME) == {ASSIST: before + PREMIUM, INCOME: 0}


def test_a_person_who_paid_and_got_the_full_subsidy_paid_out_gets_nothing_back_seed002(
    gj: Gongji, staff: Principal, checker: Principal
) -> None:
    """Already paid, then on the full-subsidy roster: the 400 was paid out to them (一卡通); a
    refund gives the bank nothing and the assistance fund its 400."""
    pid, payment_id = paid_by_bank(gj, staff)
    on_full_subsidy_roster(gj, staff, pid, "李四")
    assert balances(gj, f"external:payout:{pid}")[f"external:payout:{pid}"] == PREMIUM
    done = ok(gj, review(gj, checker, ok(gj, ask(gj, staff, payment_id, "emigration"))["refund_id"]))
    assert (done["refund_fen"], done["withheld_fen"]) == (0, PREMIUM)
    assert balances(gj, BANK, INCOME) == {BANK: -PREMIUM, INCOME: 0}


def test_a_refunded_premium_cannot_be_refunded_again(gj: Gongji, staff: Principal, checker: Principal) -> None:
    _, payment_id = paid_by_bank(gj, staff)
    asked = ok(gj, ask(gj, staff, payment_id))
    ok(gj, review(gj, checker, asked["refund_id"]))
    assert refused(gj, review(gj, checker, asked["refund_id"])).code == "E_STATE"
    assert refused(gj, ask(gj, staff, payment_id)).code == "E_STATE"


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_two_staff_approving_at_once_refund_once(gj: Gongji, staff: Principal, checker: Principal) -> None:
    """Never pay twice: concurrent approvals of one request (PostgreSQL; SQLite serializes writers)."""
    _, payment_id = paid_by_bank(gj, staff)
    asked = ok(gj, ask(gj, staff, payment_id))
    results: list[str] = []

    def worker() -> None:
        try:
            ok(gj, review(gj, checker, asked["refund_id"]))
            results.append("approved")
        except GongjiError as err:
            results.append(err.code)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results).count("approved") == 1 and len(results) == 4
    assert balances(gj, INCOME, BANK) == {INCOME: 0, BANK: 0}
    assert gj.run(lambda uow: ledger.check_ledger(uow)).ok


def test_the_pending_count_is_the_requests_in_the_staff_members_regions(
    gj: Gongji, staff: Principal, checker: Principal
) -> None:
    """The 退费审核 link counts what the list shows: requests to review in one's regions only."""
    _, first = paid_by_bank(gj, staff)
    _, second = paid_by_bank(gj, staff)
    ok(gj, ask(gj, staff, first))
    done = ok(gj, ask(gj, staff, second))
    far = support.staff(gj, ["330100"])

    def count(who: Principal) -> int:
        c = support.ctx(gj, who)
        return int(gj.run(lambda uow: premium_refunds.pending_refund_count(uow, c)))

    assert count(staff) == 2 and count(far) == 0
    ok(gj, review(gj, checker, done["refund_id"]))
    c = support.ctx(gj, staff)
    listed = gj.run(lambda uow: premium_refunds.refund_requests(uow, c))
    assert count(staff) == len(listed) == 1


# --- what the system knows, and who approves (issue 12 Part C) -------------------------------------------


def test_refund_reasons_are_checked_against_the_records_seed002_s7(
    gj: Gongji, staff: Principal, checker: Principal
) -> None:
    """002 §七 退费 for 死亡 / 参加职工医保 / 跨省重复缴费: "参加职工医保" needs an employee enrollment in
    force, "死亡" a death on record, "跨省重复缴费" the other province's record entered by staff —
    otherwise refused with the reason, at the quote, the request and the approval, nothing written."""
    pid, payment_id = paid_by_bank(gj, staff)
    for call in (
        quote(gj, staff, payment_id, "joined_employee_insurance"),
        ask(gj, staff, payment_id, "joined_employee_insurance"),
    ):
        err = refused(gj, call)
        assert err.code == "E_RESIDENT_REFUND_NO_EMPLOYEE_ENROLLMENT" and "职工" in err.message_zh
    for call in (quote(gj, staff, payment_id, "death"), ask(gj, staff, payment_id, "death")):
        assert refused(gj, call).code == "E_RESIDENT_REFUND_NO_DEATH_RECORD"
    assert refused(gj, ask(gj, staff, payment_id, "cross_province_duplicate")).code == "E_RESIDENT_REFUND_EVIDENCE"
    assert refused(gj, ask(gj, staff, payment_id, "cross_province_duplicate", evidence=" ")).code == (
        "E_RESIDENT_REFUND_EVIDENCE"
    )

    # the citizen may ask (they cannot enter evidence); staff enter it before approving
    me = citizen_of(gj, pid)
    assert refused(gj, ask(gj, me, payment_id, "cross_province_duplicate", evidence="我有凭证")).code == "E_VALIDATION"
    asked = ok(gj, ask(gj, me, payment_id, "cross_province_duplicate"))
    assert refused(gj, review(gj, checker, asked["refund_id"])).code == "E_RESIDENT_REFUND_EVIDENCE"
    c = support.ctx(gj, checker)
    done = ok(
        gj,
        lambda uow: premium_refunds.review_refund(
            uow,
            c,
            gj.profile,
            refund_id=asked["refund_id"],
            approve=True,
            note="核实外省参保",
            evidence="浙江省杭州市2027年度居民医保缴费凭证",
        ),
    )
    assert done["status"] == "approved" and done["evidence"] == "浙江省杭州市2027年度居民医保缴费凭证"


def test_a_death_on_record_allows_the_death_refund_seed002_s7(gj: Gongji, staff: Principal, checker: Principal) -> None:
    """002 §七 死亡: once the death is recorded (附件3 死亡 approved, or the enrollment ended for 死亡)."""
    pid, payment_id = paid_by_bank(gj, staff)
    support.died(gj, staff, pid)
    asked = ok(gj, ask(gj, staff, payment_id, "death"))
    assert ok(gj, review(gj, checker, asked["refund_id"]))["status"] == "approved"


def test_the_clerk_who_entered_a_refund_cannot_approve_it_four_eyes(
    gj: Gongji, staff: Principal, checker: Principal
) -> None:
    """Separation of duties over 002 §七 退费: the clerk who entered the request cannot approve it
    (E_FOUR_EYES, nothing moves); a second clerk can."""
    _, payment_id = paid_by_bank(gj, staff)
    asked = ok(gj, ask(gj, staff, payment_id))
    err = refused(gj, review(gj, staff, asked["refund_id"]))
    assert err.code == "E_FOUR_EYES" and err.http_status == 403
    assert balances(gj, INCOME)[INCOME] == PREMIUM
    assert ok(gj, review(gj, checker, asked["refund_id"]))["status"] == "approved"
    assert balances(gj, INCOME)[INCOME] == 0
