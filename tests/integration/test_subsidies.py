"""Resident premiums by channel and subsidies (参保资助): seed 002 §四 (甘州区 2022: 特困人员、孤儿
全额资助; 低保 250/190 元, 返贫致贫 190 元, 易返贫致贫 150 元, 已脱贫 100 元 定额资助 先缴后补;
就高不重复; 当月参保次月资助; 身份变化 提高补差、降低不退), §六 缴费方式, SPEC §6.

Runs on SQLite and PostgreSQL (``gj``); clock 2026-11-23, Gansu 2027 window 2026-09-01..12-31,
individual premium 400.00. A refused call writes nothing (counts of the tables below).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from gongji.adapters.db.models import (
    AuditLog,
    Enrollment,
    LedgerTxn,
    PersonSubsidy,
    PremiumPayment,
    ResidentPremium,
    SubsidyGrant,
)
from gongji.bootstrap import Gongji
from gongji.domain.errors import GongjiError
from gongji.domain.registry import EnrollmentAction
from gongji.services import ledger
from gongji.services.auth import Principal
from gongji.services.registry import persons as registry
from gongji.services.resident import channels as premium_channels
from gongji.services.resident import roster as roster_service
from gongji.services.resident import subsidies
from tests import support

YEAR = 2027
PREMIUM = 40_000
COUNTED = (LedgerTxn, PremiumPayment, ResidentPremium, SubsidyGrant, PersonSubsidy, AuditLog)
INCOME = "external:premium:620702:390"
ASSIST = "external:assistance:620702"


def counts(gj: Gongji) -> dict[str, int]:
    def go(uow: Any) -> dict[str, int]:
        return {m.__tablename__: int(uow.session.scalar(select(func.count()).select_from(m)) or 0) for m in COUNTED}

    return gj.run(go)


def ok(gj: Gongji, call: Callable[[Any], Any]) -> Any:
    def go(uow: Any) -> Any:
        result = call(uow)
        uow.commit()
        return result

    return gj.run(go)


def refused(gj: Gongji, call: Callable[[Any], Any]) -> GongjiError:
    before = counts(gj)
    with pytest.raises(GongjiError) as info:
        ok(gj, call)
    assert counts(gj) == before, info.value.code
    return info.value


def balances(gj: Gongji, *codes: str) -> dict[str, int]:
    return gj.run(lambda uow: ledger.balances_of(uow, list(codes)))


@pytest.fixture
def staff(gj: Gongji) -> Principal:
    return support.staff(gj, ["620700"])


def person(gj: Gongji, staff: Principal, codes: tuple[str, ...] = (), *, name: str = "李四") -> int:
    pid = support.resident(gj, staff, name=name, birth=date(1970, 5, 6))
    if codes:
        c = support.ctx(gj, staff)
        ok(
            gj,
            lambda uow: subsidies.change_category(
                uow, c, gj.profile, person_id=pid, subsidy_codes=codes, benefit_year=YEAR, reason="民政认定"
            ),
        )
    return pid


def pay(gj: Gongji, staff: Principal, pid: int, amount: int = PREMIUM, *, ref: str | None = None, **kw: Any) -> Any:
    c = support.ctx(gj, staff)
    args = {"benefit_year": YEAR, "amount_fen": amount, "channel": "bank", "reference": ref or f"BANK-{pid}"} | kw
    return lambda uow: premium_channels.record_payment(uow, c, gj.profile, cert_no=support.person_cert(gj, pid), **args)


def status(gj: Gongji, staff: Principal, pid: int) -> dict[str, Any]:
    c = support.ctx(gj, staff)
    return ok(gj, lambda uow: premium_channels.payment_status(uow, c, gj.profile, person_id=pid, benefit_year=YEAR))


# --- amounts and 就高不重复 -----------------------------------------------------------------------


def test_zhangye_620702_subsidy_amounts_and_highest_only(gj: Gongji, staff: Principal) -> None:
    """002 §四(一): full for 特困/孤儿, fixed 250/190/190/150 元 and 已脱贫 100 元 in 2022, 过渡期内逐步
    下调 (for 2027 the profile's tapered demo amount); §四(二)3 就高不重复."""
    tapered = gj.profile.resident_terms(YEAR, "620702").subsidy("lifted_from_poverty").amount_fen
    expected = {
        "extreme_poverty": ("full", 0, PREMIUM),
        "orphan": ("full", 0, PREMIUM),
        "dibao_full": ("fixed", PREMIUM, 25_000),
        "dibao_partial": ("fixed", PREMIUM, 19_000),
        "relapsed_poverty": ("fixed", PREMIUM, 19_000),
        "at_risk_of_poverty": ("fixed", PREMIUM, 15_000),
        "lifted_from_poverty": ("fixed", PREMIUM, tapered),
    }
    assert tapered is not None and tapered < 10_000
    for code, (kind, pays, subsidy) in expected.items():
        s = status(gj, staff, person(gj, staff, (code,)))
        assert (s["subsidy"]["kind"], s["due"]["person_pays_fen"], s["due"]["subsidy_fen"]) == (kind, pays, subsidy)
    several = status(gj, staff, person(gj, staff, ("lifted_from_poverty", "dibao_partial", "dibao_full")))
    assert several["subsidy"]["code"] == "dibao_full" and several["due"]["payout_later_fen"] == 25_000
    full_wins = status(gj, staff, person(gj, staff, ("dibao_full", "orphan")))
    assert full_wins["subsidy"]["kind"] == "full" and full_wins["due"]["person_pays_fen"] == 0
    none = status(gj, staff, person(gj, staff))
    assert none["subsidy"] is None and none["due"]["person_pays_fen"] == PREMIUM and none["status"] == "unpaid"


# --- channel payments -----------------------------------------------------------------------------


def test_channel_payment_books_the_premium_once_by_reference(gj: Gongji, staff: Principal) -> None:
    """002 §六: bank / tax app / batch; the reference makes a repeat answer the first payment."""
    pid = person(gj, staff, ("dibao_full",))
    first = ok(gj, pay(gj, staff, pid, ref="NSH-0001"))
    assert first["replayed"] is False and first["premium"]["status"] == "paid"
    assert balances(gj, INCOME, "external:channel:bank") == {INCOME: PREMIUM, "external:channel:bank": -PREMIUM}
    again = ok(gj, pay(gj, staff, pid, ref="NSH-0001"))
    assert again["replayed"] is True and again["payment_id"] == first["payment_id"]
    assert balances(gj, INCOME)[INCOME] == PREMIUM
    assert refused(gj, pay(gj, staff, pid, PREMIUM - 1, ref="NSH-0001")).code == "E_IDEMPOTENCY_MISMATCH"
    s = status(gj, staff, pid)
    assert s["status"] == "paid" and s["channel"] == "bank" and len(s["payments"]) == 1


def test_channel_payment_refusals_write_nothing(gj: Gongji, staff: Principal) -> None:
    pid = person(gj, staff)
    full = person(gj, staff, ("extreme_poverty",))
    assert refused(gj, pay(gj, staff, pid, 35_000)).code == "E_RESIDENT_AMOUNT"
    assert refused(gj, pay(gj, staff, full, PREMIUM)).code == "E_RESIDENT_FULL_SUBSIDY"  # 个人不再缴费
    assert refused(gj, pay(gj, staff, pid, benefit_year=2026)).code == "E_RESIDENT_OUTSIDE_WINDOW"
    assert refused(gj, pay(gj, staff, pid, benefit_year=2031)).code == "E_RESIDENT_NO_STANDARD"
    assert refused(gj, pay(gj, staff, pid, channel="cash")).code == "E_UNKNOWN_CODE"
    assert refused(gj, pay(gj, staff, pid, ref="bad ref!")).code == "E_VALIDATION"
    assert refused(gj, pay(gj, staff, pid, 0)).code == "E_AMOUNT"
    ok(gj, pay(gj, staff, pid, ref="A1"))
    assert refused(gj, pay(gj, staff, pid, ref="A2")).code == "E_RESIDENT_ALREADY_PAID"
    other_region = support.staff(gj, ["620100"])
    third = person(gj, staff)
    assert refused(gj, pay(gj, other_region, third)).code == "E_OUT_OF_REGION"
    citizen = support.citizen(gj, third)
    assert refused(gj, pay(gj, citizen, third)).code == "E_FORBIDDEN"


# --- the full-subsidy roster ---------------------------------------------------------------------


def _bad_checksum(cert: str) -> str:
    return cert[:17] + ("1" if cert[17] != "1" else "2")


def _roster_people(gj: Gongji, staff: Principal) -> dict[str, Any]:
    unpaid = person(gj, staff, name="王一")
    paid = person(gj, staff, ("dibao_full",), name="王二")
    ok(gj, pay(gj, staff, paid))
    dead = person(gj, staff, name="王三")
    c = support.ctx(gj, staff)

    def end(uow: Any) -> None:
        e = uow.session.scalar(select(Enrollment).where(Enrollment.person_id == dead))
        registry.change_enrollment(
            uow, c, enrollment_id=e.id, action=EnrollmentAction.END, effective_date=date(2026, 10, 1), reason="死亡"
        )

    ok(gj, end)
    return {
        "unpaid": support.person_cert(gj, unpaid),
        "paid": support.person_cert(gj, paid),
        "paid_id": paid,
        "unpaid_id": unpaid,
        "dead": support.person_cert(gj, dead),
        "bad": _bad_checksum(support.new_id()),
        "stranger": support.new_id(),  # valid number, never registered: not insured
    }


def _rows(p: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (p["unpaid"], "王一"),
        (p["bad"], "错号"),
        (p["paid"], "王二"),
        (p["dead"], "王三"),
        (p["stranger"], "路人"),
        (p["unpaid"], "王一"),
    ]


def _csv(rows: list[tuple[str, str]]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["序号", "姓名", "身份证号码"])
    for n, (cert, name) in enumerate(rows, start=1):
        w.writerow([n, name, cert])
    return out.getvalue().encode("utf-8-sig")


def _xlsx(rows: list[tuple[str, str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["姓名", "身份证号码"])
    for cert, name in rows:
        sheet.append([name, cert])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def roster(gj: Gongji, staff: Principal, **kw: Any) -> Callable[[Any], Any]:
    """Upload (check, and keep for approval): nothing moves."""
    c = support.ctx(gj, staff)
    args = {"benefit_year": YEAR, "category": "extreme_poverty"} | kw
    return lambda uow: roster_service.upload_roster(uow, c, gj.profile, **args)


def approve(gj: Gongji, checker: Principal, roster_id: int) -> Callable[[Any], Any]:
    c = support.ctx(gj, checker)
    return lambda uow: roster_service.approve_roster(uow, c, gj.profile, roster_id=roster_id, note="复核无误")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_roster_reports_every_bad_row_and_all_or_nothing_keeps_nothing(gj: Gongji, staff: Principal, fmt: str) -> None:
    """002 §四(二)1: 核查生存状态和参保状态（剔除已死亡人员）; imports none or all, as chosen."""
    p = _roster_people(gj, staff)
    data = _csv(_rows(p)) if fmt == "csv" else _xlsx(_rows(p))
    before = counts(gj)
    report = ok(gj, roster(gj, staff, file=data, mode="all_or_nothing"))
    assert report["status"] == "refused" and report["roster_id"] is None and report["written"] is False
    got = {r["row"]: r["outcome"] for r in report["report"]}
    assert got == {2: "pay_full", 3: "bad_id", 4: "refund_paid", 5: "dead", 6: "not_in_scope", 7: "duplicate_row"}
    assert [r["row"] for r in report["bad_rows"]] == [3, 5, 6, 7]
    bad = next(r for r in report["bad_rows"] if r["row"] == 3)
    assert bad["reason_code"] == "E_ID_CHECKSUM" and bad["outcome_zh"] == "身份证号码有误"
    assert "*" in bad["id_masked"] and p["bad"] not in str(report)
    after = counts(gj)
    assert {k: after[k] - before[k] for k in after} == {k: (1 if k == "audit_log" else 0) for k in after}

    dry = ok(gj, roster(gj, staff, file=data, mode="valid_only", dry_run=True))
    assert dry["status"] == "checked" and counts(gj)["ledger_txn"] == before["ledger_txn"]


def test_roster_summary_shows_the_true_totals_before_approval_seed002_s4_2_1(gj: Gongji, staff: Principal) -> None:
    """Issue 12 Part C (seed 002 §四(二)1): the summary of a check or an upload shows what approval
    will move — 代缴保费 for the rows the fund pays, 发放 for those who paid themselves — not 0.00."""
    p = _roster_people(gj, staff)
    rows = [{"id_number": cert, "name": name} for cert, name in _rows(p)]
    txns = counts(gj)["ledger_txn"]
    for dry_run in (True, False):
        report = ok(gj, roster(gj, staff, rows=rows, mode="valid_only", dry_run=dry_run))
        assert (report["premium_paid_fen"], report["paid_out_fen"], report["family_returned_fen"]) == (
            PREMIUM,
            PREMIUM,
            0,
        )
        assert report["written"] is False
    assert counts(gj)["ledger_txn"] == txns


def test_roster_valid_only_pays_good_rows_at_approval_and_a_reimport_moves_no_money(
    gj: Gongji, staff: Principal
) -> None:
    p = _roster_people(gj, staff)
    rows = [{"id_number": cert, "name": name} for cert, name in _rows(p)]
    payout = f"external:payout:{p['paid_id']}"
    checker = support.staff(gj, ["620700"])
    uploaded = ok(gj, roster(gj, staff, rows=rows, mode="valid_only"))
    assert uploaded["status"] == "pending" and uploaded["bad"] == 4
    assert balances(gj, ASSIST)[ASSIST] == 0  # nothing moves at upload
    report = ok(gj, approve(gj, checker, uploaded["roster_id"]))
    assert report["written"] is True and report["status"] == "approved"
    assert report["premium_paid_fen"] == PREMIUM and report["paid_out_fen"] == PREMIUM
    assert balances(gj, INCOME, ASSIST, payout) == {INCOME: 2 * PREMIUM, ASSIST: -2 * PREMIUM, payout: PREMIUM}
    s = status(gj, staff, p["unpaid_id"])
    assert s["status"] == "paid" and s["channel"] == "batch" and s["subsidy_grants"][0]["kind"] == "roster_pay"
    # the person who had paid: the subsidy goes to their 一卡通 / bank card
    assert status(gj, staff, p["paid_id"])["subsidy_grants"][0]["amount_fen"] == PREMIUM

    txns = counts(gj)["ledger_txn"]
    again = ok(gj, roster(gj, staff, rows=rows, mode="valid_only"))
    again = ok(gj, approve(gj, checker, again["roster_id"]))
    assert counts(gj)["ledger_txn"] == txns
    assert all(r["replayed"] for r in again["report"] if r["accepted"])
    assert again["premium_paid_fen"] == 0 and again["paid_out_fen"] == 0
    # another full category for the same year: 就高不重复, no second subsidy
    orphan = ok(gj, roster(gj, staff, rows=rows[:1], category="orphan"))
    assert orphan["report"][0]["outcome"] == "already_subsidized"
    ok(gj, approve(gj, checker, orphan["roster_id"]))
    assert counts(gj)["ledger_txn"] == txns and balances(gj, ASSIST)[ASSIST] == -2 * PREMIUM


def test_roster_all_or_nothing_imports_a_clean_roster(gj: Gongji, staff: Principal) -> None:
    p = _roster_people(gj, staff)
    report = support.full_subsidy_roster(
        gj, staff, benefit_year=YEAR, category="extreme_poverty", rows=[{"id_number": p["unpaid"], "name": "王一"}]
    )
    assert report["written"] is True and report["outcomes"] == {"pay_full": 1}


def test_roster_refusals_of_the_whole_batch(gj: Gongji, staff: Principal) -> None:
    rows = [{"id_number": support.new_id(), "name": "甲"}]
    assert refused(gj, roster(gj, staff, rows=rows, category="dibao_full")).code == "E_VALIDATION"
    assert refused(gj, roster(gj, staff, rows=rows, category="nobody")).code == "E_RESIDENT_SUBSIDY_UNKNOWN"
    assert refused(gj, roster(gj, staff, rows=rows, benefit_year=2026)).code == "E_RESIDENT_OUTSIDE_WINDOW"
    assert refused(gj, roster(gj, staff, rows=rows, mode="some")).code == "E_VALIDATION"
    assert refused(gj, roster(gj, staff)).code == "E_VALIDATION"
    assert refused(gj, roster(gj, staff, file=b"a,b\n1,2\n")).code == "E_VALIDATION"
    assert refused(gj, roster(gj, staff, file=b"PK\x03\x04broken")).code == "E_VALIDATION"


def test_roster_rows_out_of_the_staff_region_are_not_in_scope_like_unknown_numbers(
    gj: Gongji, staff: Principal
) -> None:
    """Issue 12 Part C: no enumeration — a person the clerk may not see reads as an unknown number."""
    pid = person(gj, staff)
    lanzhou = support.staff(gj, ["620100"])
    rows = [
        {"id_number": support.person_cert(gj, pid), "name": "李四"},
        {"id_number": support.new_id(), "name": "无名"},
    ]
    report = ok(gj, roster(gj, lanzhou, rows=rows))
    assert [r["outcome"] for r in report["report"]] == ["not_in_scope", "not_in_scope"]
    assert report["report"][0]["outcome_zh"] == report["report"][1]["outcome_zh"] and report["roster_id"] is None


# --- 先缴后补 and category changes -----------------------------------------------------------------


def fixed_run(gj: Gongji, staff: Principal) -> Any:
    c = support.ctx(gj, staff)
    return ok(gj, lambda uow: subsidies.pay_fixed_subsidies(uow, c, gj.profile, benefit_year=YEAR))


def test_fixed_subsidy_paid_once_after_payment(gj: Gongji, staff: Principal) -> None:
    """002 §四(二)2: 按照缴费标准全额缴费 … 将资助金打入参保人员"一卡通"或银行卡."""
    pid = person(gj, staff, ("dibao_partial", "at_risk_of_poverty"))
    assert fixed_run(gj, staff)["paid"] == 0  # nothing paid yet: nothing to subsidize
    ok(gj, pay(gj, staff, pid))
    run = fixed_run(gj, staff)
    assert run["paid"] == 1 and run["paid_fen"] == 19_000
    assert balances(gj, f"external:payout:{pid}")[f"external:payout:{pid}"] == 19_000
    again = fixed_run(gj, staff)
    assert again["paid"] == 0 and again["persons"][0]["outcome"] == "already_paid"
    assert balances(gj, f"external:payout:{pid}")[f"external:payout:{pid}"] == 19_000


def test_fixed_subsidy_starts_the_month_after_enrolling(gj: Gongji, staff: Principal) -> None:
    """002 §四(二)3: 当月参保，次月资助 — enrolled 2026-11-05, subsidized from 2026-12."""
    cert = support.new_id(birth=date(1966, 1, 1))
    c = support.ctx(gj, staff)

    def make(uow: Any) -> int:
        p = registry.register_person(uow, c, cert_no=cert, name="赵六")
        registry.enroll(
            uow, c, person_id=p.id, insutype="390", region_code="620702", psn_type="1403", start_date=date(2026, 11, 5)
        )
        return p.id

    pid = ok(gj, make)
    ok(
        gj,
        lambda uow: subsidies.change_category(
            uow, c, gj.profile, person_id=pid, subsidy_codes=["dibao_full"], benefit_year=YEAR, reason="民政认定"
        ),
    )
    ok(gj, pay(gj, staff, pid))
    run = fixed_run(gj, staff)
    assert run["paid"] == 0
    assert run["persons"][0]["outcome"] == "not_yet" and run["persons"][0]["from_month"] == "2026-12"


def test_category_raised_tops_up_and_lowered_takes_nothing_back(gj: Gongji, staff: Principal) -> None:
    """002 §四(二)4: 提高的按照新资助标准进行补差；降低或不再具备资助参保条件的，原资助参保补助不再退还."""
    pid = person(gj, staff, ("at_risk_of_poverty",))
    ok(gj, pay(gj, staff, pid))
    fixed_run(gj, staff)
    out = f"external:payout:{pid}"
    assert balances(gj, out)[out] == 15_000
    c = support.ctx(gj, staff)

    def change(codes: list[str]) -> Callable[[Any], Any]:
        return lambda uow: subsidies.change_category(
            uow, c, gj.profile, person_id=pid, subsidy_codes=codes, benefit_year=YEAR, reason="身份变化"
        )

    raised = ok(gj, change(["dibao_full"]))
    assert raised["top_up_fen"] == 10_000 and balances(gj, out)[out] == 25_000
    lowered = ok(gj, change(["lifted_from_poverty"]))
    assert lowered["top_up_fen"] == 0 and balances(gj, out)[out] == 25_000
    gone = ok(gj, change([]))
    assert gone["top_up_fen"] == 0 and gone["category"] is None and balances(gj, out)[out] == 25_000
    raised_again = ok(gj, change(["dibao_full"]))  # back to the level already paid: nothing more
    assert raised_again["top_up_fen"] == 0 and balances(gj, out)[out] == 25_000
    full = ok(gj, change(["orphan"]))  # full after fixed: the rest of the premium
    assert full["top_up_fen"] == PREMIUM - 25_000 and balances(gj, out)[out] == PREMIUM
    assert [g["kind"] for g in full["grants"]] == ["fixed", "topup", "topup"]
    assert refused(gj, change(["nobody"])).code == "E_RESIDENT_SUBSIDY_UNKNOWN"
