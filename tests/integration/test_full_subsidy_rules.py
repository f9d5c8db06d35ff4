"""Fully subsidised persons pay nothing themselves, by any channel (issue 12 Part B rule 1), and the
full-subsidy roster's controls (Part C): seed 002 §四(二)1 "全额资助对象由医保部门从医疗救助资金中给予
全额资助，个人不再缴费 … 代缴时已自主缴费的全额资助对象，资助金通过'一卡通'或银行卡发放参保人员"; seed 003
附件三(二)4 "退费资金按原渠道做共济账户返还操作，返还到账成功同步反馈给税务部门"; 002 §四(二)2 先缴后补.

Runs on SQLite and PostgreSQL (``gj``); clock 2026-11-23, Gansu 2027 window open, individual
premium 400.00. Every refusal is checked to write nothing.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from gongji.adapters.db.models import (
    AuditLog,
    LedgerTxn,
    PremiumPayment,
    PremiumRefund,
    ResidentPremium,
    SubsidyGrant,
    SubsidyRoster,
)
from gongji.bootstrap import Gongji
from gongji.domain import ledger as L
from gongji.domain.errors import GongjiError
from gongji.services import auth, ledger
from gongji.services.auth import Principal, Role
from gongji.services.resident import batch as premium_batch
from gongji.services.resident import refunds as premium_refunds
from gongji.services.resident import roster, subsidies
from tests import support
from tests.integration import test_premium_family_tax as T
from tests.integration.test_subsidies import INCOME, PREMIUM, YEAR, balances, ok, pay, person, status

COUNTED = (LedgerTxn, PremiumPayment, PremiumRefund, ResidentPremium, SubsidyGrant, SubsidyRoster)
FULL = ("extreme_poverty",)


def money(gj: Gongji) -> dict[str, int]:
    return support.row_counts(gj, COUNTED)


def refused(gj: Gongji, call: Any) -> GongjiError:
    err: GongjiError = support.refused_unchanged(gj, call, COUNTED + (AuditLog,))
    return err


@pytest.fixture
def office(gj: Gongji) -> Principal:
    return support.staff(gj, ["620000"])


@pytest.fixture
def checker(gj: Gongji) -> Principal:
    return support.staff(gj, ["620000"])


@pytest.fixture
def tax(gj: Gongji) -> Principal:
    def go(uow: Any) -> Principal:
        user = auth.create_user(uow, username="tax_full", password=support.PASSWORD, role=Role.TAX, display_name="税务")
        p = auth.principal_of(uow, user)
        uow.commit()
        return p

    return gj.run(go)


def recognise(gj: Gongji, office: Principal, pid: int, codes: tuple[str, ...] = FULL) -> None:
    c = support.ctx(gj, office)
    ok(
        gj,
        lambda uow: subsidies.change_category(
            uow, c, gj.profile, person_id=pid, subsidy_codes=codes, benefit_year=YEAR, reason="民政认定"
        ),
    )


def upload(gj: Gongji, who: Principal, rows: list[dict[str, str]], **kw: Any) -> Any:
    c = support.ctx(gj, who)
    args = {"benefit_year": YEAR, "category": "extreme_poverty", "rows": rows} | kw
    return lambda uow: roster.upload_roster(uow, c, gj.profile, **args)


def approve(gj: Gongji, who: Principal, roster_id: int, note: str = "复核无误") -> Any:
    c = support.ctx(gj, who)
    return lambda uow: roster.approve_roster(uow, c, gj.profile, roster_id=roster_id, note=note)


def row(gj: Gongji, pid: int) -> dict[str, str]:
    return {"id_number": support.person_cert(gj, pid), "name": support.person_name(gj, pid)}


# --- rule B1: no channel takes a full-subsidy person's premium --------------------------------------


def test_full_subsidy_relative_is_refused_on_the_tax_family_path_with_the_reason_seed002_s4_2_1(
    gj: Gongji, office: Principal, tax: Principal
) -> None:
    """002 §四(二)1 个人不再缴费: a 代缴 from the family account for a 特困 relative is refused with the
    reason shown to tax; the family account keeps its money, no premium is paid."""
    a, child, binding_id = T._gansu_pair(gj, office)
    recognise(gj, office, child)
    before = money(gj)
    answer = T._ask(gj, tax, T._req(gj, a.person_id, child))
    assert answer["status"] == "refused" and answer["reason_code"] == "E_RESIDENT_FULL_SUBSIDY"
    assert "全额资助" in answer["reason"] and answer["detail"]["category"] == "extreme_poverty"
    assert money(gj) == before
    assert balances(gj, L.family_account(binding_id))[L.family_account(binding_id)] == T.DUE


@pytest.mark.parametrize("mode", ["set", "per_request"])
def test_full_subsidy_relative_is_refused_in_the_tax_batch_seed002_s4_2_1(
    gj: Gongji, office: Principal, tax: Principal, mode: str
) -> None:
    """002 §四(二)1: the batch applies the same check (``premiums.check_not_full_subsidy``)."""
    a, child, binding_id = T._gansu_pair(gj, office)
    recognise(gj, office, child)
    before = money(gj)
    answers: list[dict[str, Any]] = []
    result = premium_batch.tax_family_payments_batch(
        gj.uow,
        support.ctx(gj, tax),
        gj.profile,
        [T._req(gj, a.person_id, child)],
        on_answer=lambda _req, answer: answers.append(answer),
        mode=mode,  # type: ignore[arg-type]
    )
    assert result.reasons == {"E_RESIDENT_FULL_SUBSIDY": 1} and answers[0]["status"] == "refused"
    assert money(gj) == before
    assert balances(gj, L.family_account(binding_id))[L.family_account(binding_id)] == T.DUE


@pytest.mark.parametrize("channel", ["bank", "tax_app", "batch"])
def test_full_subsidy_person_cannot_pay_by_any_channel_seed002_s4_2_1(
    gj: Gongji, office: Principal, channel: str
) -> None:
    """002 §四(二)1 个人不再缴费: bank, tax app and collective batch refuse with their own code."""
    pid = person(gj, office, FULL)
    err = refused(gj, pay(gj, office, pid, PREMIUM, channel=channel, ref=f"{channel}-{pid}"))
    assert err.code == "E_RESIDENT_FULL_SUBSIDY" and err.http_status == 422


def test_fixed_subsidy_keeps_pay_first_subsidy_later_on_the_family_path_seed002_s4_2_2(
    gj: Gongji, office: Principal, tax: Principal
) -> None:
    """002 §四(二)2 先缴后补: a 低保 relative's whole premium is due and may be paid from the family
    account; the subsidy is paid to the person afterwards from the assistance fund, not from it."""
    a, child, binding_id = T._gansu_pair(gj, office)
    recognise(gj, office, child, ("dibao_full",))
    assert T._ask(gj, tax, T._req(gj, a.person_id, child))["status"] == "paid"
    c = support.ctx(gj, office)
    run = ok(gj, lambda uow: subsidies.pay_fixed_subsidies(uow, c, gj.profile, benefit_year=YEAR))
    assert run["paid_fen"] == 25_000
    payout = L.cash_payout(child)
    assert balances(gj, payout, L.family_account(binding_id)) == {payout: 25_000, L.family_account(binding_id): 0}
    assert gj.run(lambda uow: ledger.check_ledger(uow)).ok


# --- recognised after the family paid: 原渠道返还, not to the card -------------------------------------


def test_family_paid_premium_goes_back_to_the_family_account_when_the_roster_pays_seed003_s3_2_4(
    gj: Gongji, office: Principal, checker: Principal, tax: Principal
) -> None:
    """003 附件三(二)4 原渠道返还 + 002 §四(二)1: a 代缴 made before the relative was recognised goes
    back to the family account, the assistance fund pays the premium, tax is told; nothing reaches
    the relative's card (only what a person paid themselves does)."""
    a, child, binding_id = T._gansu_pair(gj, office)
    paid = T._ask(gj, tax, T._req(gj, a.person_id, child))
    assert paid["status"] == "paid"
    family = L.family_account(binding_id)
    payout = L.cash_payout(child)
    assist = "external:assistance:620702"
    recognise(gj, office, child)

    up = ok(gj, upload(gj, office, [row(gj, child)]))
    assert up["report"][0]["outcome"] == "family_returned" and up["status"] == "pending"
    assert (up["premium_paid_fen"], up["paid_out_fen"], up["family_returned_fen"]) == (PREMIUM, 0, PREMIUM)
    assert balances(gj, family)[family] == 0  # nothing moves at upload
    done = ok(gj, approve(gj, checker, up["roster_id"]))
    assert done["written"] is True
    assert balances(gj, family, payout, assist, INCOME) == {
        family: PREMIUM,
        payout: 0,
        assist: -PREMIUM,
        INCOME: PREMIUM,
    }
    s = status(gj, office, child)
    assert (s["status"], s["channel"]) == ("paid", "batch")
    notes = gj.run(lambda uow: premium_refunds.tax_refund_notifications(uow, support.ctx(gj, tax)))
    assert len(notes) == 1
    note = notes[0]
    assert note["reason"] == "full_subsidy" and note["paid_by_assistance"] is True and note["tax_status"] == "paid"
    assert note["tax_request_id"] == paid["request_id"]
    assert gj.run(lambda uow: ledger.check_ledger(uow)).ok


def test_self_paid_full_subsidy_person_gets_the_subsidy_on_their_card_seed002_s4_2_1(
    gj: Gongji, office: Principal, checker: Principal
) -> None:
    """002 §四(二)1 代缴时已自主缴费的 … 资助金通过"一卡通"或银行卡发放: own bank payment → card."""
    pid = person(gj, office, name="赵五")
    ok(gj, pay(gj, office, pid))
    up = ok(gj, upload(gj, office, [row(gj, pid)]))
    assert up["report"][0]["outcome"] == "refund_paid" and up["paid_out_fen"] == PREMIUM
    ok(gj, approve(gj, checker, up["roster_id"]))
    assert balances(gj, L.cash_payout(pid))[L.cash_payout(pid)] == PREMIUM


def test_raising_a_family_paid_relative_to_full_pays_no_top_up_to_the_card_seed002_s4_2_1(
    gj: Gongji, office: Principal, tax: Principal
) -> None:
    """002 §四(二)1/4: 低保 (250 paid out, 先缴后补) raised to 特困 over a family-paid premium: no
    top-up to the card — the roster returns the 代缴 to the family account instead."""
    a, child, _ = T._gansu_pair(gj, office)
    recognise(gj, office, child, ("dibao_full",))
    assert T._ask(gj, tax, T._req(gj, a.person_id, child))["status"] == "paid"
    c = support.ctx(gj, office)
    ok(gj, lambda uow: subsidies.pay_fixed_subsidies(uow, c, gj.profile, benefit_year=YEAR))
    changed = ok(
        gj,
        lambda uow: subsidies.change_category(
            uow, c, gj.profile, person_id=child, subsidy_codes=FULL, benefit_year=YEAR, reason="认定为特困"
        ),
    )
    assert changed["top_up_fen"] == 0
    assert balances(gj, L.cash_payout(child))[L.cash_payout(child)] == 25_000


# --- Part C: the roster's name check and separation of duties -------------------------------------------


def test_roster_row_whose_name_differs_from_the_registered_one_is_refused_issue12_c(
    gj: Gongji, office: Principal
) -> None:
    """Issue 12 Part C (002 §四(二)1 花名册): each name is checked against the ID number's registered
    person; a mismatch is refused with the reason and the registered name is not shown."""
    pid = person(gj, office, name="钱六")
    up = ok(gj, upload(gj, office, [{"id_number": support.person_cert(gj, pid), "name": "钱七"}]))
    item = up["report"][0]
    assert item["outcome"] == "name_mismatch" and not item["accepted"] and "钱六" not in str(up)
    assert up["status"] == "refused" and up["premium_paid_fen"] == 0
    spaced = ok(gj, upload(gj, office, [{"id_number": support.person_cert(gj, pid), "name": "钱 六"}], dry_run=True))
    assert spaced["report"][0]["outcome"] == "pay_full"


def test_the_clerk_who_uploaded_a_roster_cannot_approve_it_issue12_c(
    gj: Gongji, office: Principal, checker: Principal
) -> None:
    """Issue 12 Part C separation of duties: the uploader's approval is E_FOUR_EYES and moves nothing;
    a second clerk's approval moves the money once; a reviewed roster cannot be approved again."""
    pid = person(gj, office, name="孙七")
    up = ok(gj, upload(gj, office, [row(gj, pid)]))
    err = refused(gj, approve(gj, office, up["roster_id"]))
    assert err.code == "E_FOUR_EYES" and err.http_status == 403
    c = support.ctx(gj, office)
    err = refused(gj, lambda uow: roster.reject_roster(uow, c, roster_id=up["roster_id"], note="自己退回"))
    assert err.code == "E_FOUR_EYES"
    far = support.staff(gj, ["620100"])  # cannot cover the uploader's province-wide scope
    assert refused(gj, approve(gj, far, up["roster_id"])).code == "E_NOT_FOUND"
    assert refused(gj, approve(gj, checker, up["roster_id"], note="")).code == "E_VALIDATION"
    done = ok(gj, approve(gj, checker, up["roster_id"]))
    assert done["status"] == "approved" and done["premium_paid_fen"] == PREMIUM
    assert refused(gj, approve(gj, checker, up["roster_id"])).code == "E_STATE"
    assert status(gj, office, pid)["status"] == "paid"


def test_a_rejected_roster_moves_nothing_and_all_or_nothing_refuses_a_roster_gone_bad(
    gj: Gongji, office: Principal, checker: Principal
) -> None:
    """Issue 12 Part C: money moves only at approval; the rows are decided again then."""
    first = person(gj, office, name="周八")
    second = person(gj, office, name="吴九")
    up = ok(gj, upload(gj, office, [row(gj, first)]))
    c = support.ctx(gj, checker)
    ok(gj, lambda uow: roster.reject_roster(uow, c, roster_id=up["roster_id"], note="名单待核实"))
    assert refused(gj, approve(gj, checker, up["roster_id"])).code == "E_STATE"
    assert status(gj, office, first)["status"] != "paid"

    up = ok(gj, upload(gj, office, [row(gj, second)]))
    ok(gj, pay(gj, office, second))  # paid meanwhile: still accepted (refund_paid), quoted anew
    quote = ok(gj, lambda uow: roster.quote_roster(uow, c, gj.profile, roster_id=up["roster_id"]))
    assert quote["report"][0]["outcome"] == "refund_paid" and quote["paid_out_fen"] == PREMIUM
    assert quote["can_approve"] is True


def test_two_rosters_naming_one_person_approved_at_once_pay_once_seed002_s4_2_3(gj: Gongji, office: Principal) -> None:
    """002 §四(二)3 就高不重复: a 特困 roster and an 孤儿 roster with the same person, approved at the
    same moment by two clerks, pay the premium once; the other reports already_subsidized."""
    pid = person(gj, office, name="陈十")
    first = ok(gj, upload(gj, office, [row(gj, pid)]))
    second = ok(gj, upload(gj, office, [row(gj, pid)], category="orphan"))
    checkers = [support.staff(gj, ["620000"]) for _ in range(2)]
    results: list[Any] = []

    def worker(who: Principal, roster_id: int) -> None:
        try:
            results.append(ok(gj, approve(gj, who, roster_id))["report"][0]["outcome"])
        except GongjiError as err:  # pragma: no cover - would be a failure below
            results.append(err.code)

    threads = [
        threading.Thread(target=worker, args=(checkers[0], first["roster_id"])),
        threading.Thread(target=worker, args=(checkers[1], second["roster_id"])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["already_subsidized", "pay_full"]
    assert balances(gj, "external:assistance:620702")["external:assistance:620702"] == -PREMIUM
    assert gj.run(lambda uow: ledger.check_ledger(uow)).ok


def test_the_citizen_app_family_payment_is_refused_for_a_full_subsidy_relative_seed002_s4_2_1(
    gj: Gongji, office: Principal
) -> None:
    """002 §四(二)1: the app's 代缴 (the citizen as payer, through the tax use case) is refused too."""
    from gongji.services.resident import views

    a, child, binding_id = T._gansu_pair(gj, office)
    recognise(gj, office, child)
    before = money(gj)
    c = support.ctx(gj, a)
    answer = ok(
        gj,
        lambda uow: views.pay_for_binding(
            uow, c, gj.profile, binding_id=binding_id, benefit_year=YEAR, key="app-full-1"
        ),
    )
    assert answer["status"] == "refused" and answer["reason_code"] == "E_RESIDENT_FULL_SUBSIDY"
    assert money(gj) == before
    assert balances(gj, L.family_account(binding_id))[L.family_account(binding_id)] == T.DUE


def test_zhejiang_past_years_paid_premium_goes_back_to_past_years_when_the_roster_pays_seed003_s3_2_4(
    gj: Gongji, tax: Principal
) -> None:
    """003 附件三(二)4 原渠道返还 under the direct model (Zhejiang: the authorizer's past-years balance
    paid): the roster returns the 代缴 to 历年结余, the fund pays; and a 代缴 after recognition is refused."""
    zhejiang = gj.profiles["zhejiang"]
    zj, checker = support.staff(gj, ["330000"]), support.staff(gj, ["330000"])
    a = T._employee(gj, zj, region=T.ZHEJIANG, past=90_000)
    child = T._child(gj, zj, region=T.ZHEJIANG)
    support.bind(gj, a, child, "child", profile=zhejiang)
    assert T._ask(gj, tax, T._req(gj, a.person_id, child), zhejiang)["status"] == "paid"
    past = L.personal_past(a.person_id)
    assert balances(gj, past)[past] == 90_000 - PREMIUM
    c = support.ctx(gj, zj)
    ok(
        gj,
        lambda uow: subsidies.change_category(
            uow, c, zhejiang, person_id=child, subsidy_codes=FULL, benefit_year=YEAR, reason="民政认定"
        ),
    )
    rows = [row(gj, child)]
    up = ok(
        gj, lambda uow: roster.upload_roster(uow, c, zhejiang, benefit_year=YEAR, category="extreme_poverty", rows=rows)
    )
    assert up["report"][0]["outcome"] == "family_returned"
    cc = support.ctx(gj, checker)
    ok(gj, lambda uow: roster.approve_roster(uow, cc, zhejiang, roster_id=up["roster_id"], note="复核无误"))
    assert balances(gj, past, L.cash_payout(child)) == {past: 90_000, L.cash_payout(child): 0}
    again = T._ask(gj, tax, T._req(gj, a.person_id, child), zhejiang)
    assert again["status"] == "refused" and again["reason_code"] == "E_RESIDENT_ALREADY_PAID"
    assert gj.run(lambda uow: ledger.check_ledger(uow)).ok
