"""A township's cash and 双限报解 (issue 16 §4; seed 002 §六3: "征收费款达到1万元或者征收费款不足1万元但收费
累计达到5个工作日的，要及时向银行设立的'待报解社会保险费'专户解报费款 … 按照三方协议 tips 扣款、银行端查询
缴费等方式缴入国库").

Runs on SQLite and PostgreSQL (``gj``); Gansu 2027 premium 400.00, window 2026-09-01..12-31;
甘州区 (620702) rule: 1万元 or 5 working days on the official calendar. A refused call writes nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from gongji.adapters.db.models import (
    AuditLog,
    CollectionUnit,
    LedgerTxn,
    PremiumPayment,
    ResidentPremium,
    TownshipCashReceipt,
    TownshipRemittance,
)
from gongji.bootstrap import Gongji
from gongji.domain.clock import SHANGHAI
from gongji.services import ledger
from gongji.services.auth import Principal
from gongji.services.collection import cash, remittance, units
from gongji.services.resident import subsidies
from tests import collection_support as CS
from tests import support

TOWN = "620702001"  # the first 乡镇 created in 甘州区
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


def name(surname: str, i: int) -> str:
    return surname + GIVEN[i % len(GIVEN)] + GIVEN[i // len(GIVEN)]  # a 乡镇 of 甘州区


INCOME = "external:premium:620702:390"
PREMIUM = 40_000
COUNTED = (LedgerTxn, PremiumPayment, ResidentPremium, TownshipCashReceipt, TownshipRemittance, AuditLog)


@pytest.fixture
def clerk(gj: Gongji) -> Principal:
    office = support.staff(gj, ["620702"])
    town = CS.unit(gj, office, "梁家墩镇", "town")
    assert CS.run(gj, lambda uow: uow.session.get(CollectionUnit, town).code) == TOWN
    return office


def at(gj: Gongji, day: date, hour: int = 10) -> None:
    gj.clock.at = datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)  # type: ignore[attr-defined]


def receive(gj: Gongji, clerk: Principal, pid: int, no: str, *, town: str = TOWN, amount: int = PREMIUM) -> Any:
    c = support.ctx(gj, clerk)
    cert = support.person_cert(gj, pid)
    return lambda uow: cash.record_receipt(
        uow, c, gj.profile, township_code=town, receipt_no=no, cert_no=cert, benefit_year=2027, amount_fen=amount
    )


def state(gj: Gongji, clerk: Principal) -> dict[str, Any]:
    c = support.ctx(gj, clerk)
    return support.committed(gj, lambda uow: remittance.township_page(uow, c, gj.profile, township_code=TOWN))["cash"]


def test_5_working_days_across_national_day_make_remittance_due_then_overdue(gj: Gongji, clerk: Principal) -> None:
    """002 §六3: cash under 1万元 collected Tue 2026-09-29 has "收费累计达到5个工作日" on Mon 10-12 (09-30,
    10-08, 10-09, the make-up Saturday 10-10, 10-12), not 10-06 as Mon–Fri would say: pending before,
    due that day, overdue after — on the township's page and the district's view."""
    at(gj, date(2026, 9, 29))
    for i in range(3):
        support.committed(gj, receive(gj, clerk, support.resident(gj, clerk, name=name("王", i)), f"R{i}"))
    for day, expected in [
        (date(2026, 9, 29), "pending"),
        (date(2026, 10, 6), "pending"),
        (date(2026, 10, 10), "pending"),
        (date(2026, 10, 12), "due"),
        (date(2026, 10, 13), "overdue"),
    ]:
        at(gj, day)
        s = state(gj, clerk)
        assert (day, s["state"], s["unremitted_fen"], s["due_on"]) == (day, expected, 3 * PREMIUM, "2026-10-12")
    c = support.ctx(gj, clerk)
    district = support.committed(gj, lambda uow: remittance.district_view(uow, c, gj.profile))
    assert [(t["township_code"], t["state"]) for t in district["townships"]] == [(TOWN, "overdue")]
    assert district["counts"]["overdue"] == 1


def test_ten_thousand_yuan_reached_makes_remittance_due_at_once(gj: Gongji, clerk: Principal) -> None:
    """002 §六3: "征收费款达到1万元" — the 25th premium of 400 元 on the same day makes it due that day."""
    at(gj, date(2026, 11, 23))
    for i in range(24):
        support.committed(gj, receive(gj, clerk, support.resident(gj, clerk, name=name("赵", i)), f"A{i}"))
    s = state(gj, clerk)
    assert (s["state"], s["unremitted_fen"], s["reached_on"]) == ("pending", 960_000, None)
    support.committed(gj, receive(gj, clerk, support.resident(gj, clerk, name="钱多"), "A24"))
    s = state(gj, clerk)
    assert (s["state"], s["unremitted_fen"], s["reached_on"], s["due_on"]) == (
        "due",
        1_000_000,
        "2026-11-23",
        "2026-11-23",
    )
    assert s["reasons"] == ["费款达到10000元"]


def test_remittance_then_treasury_moves_cash_to_pending_to_income_balanced(gj: Gongji, clerk: Principal) -> None:
    """The receipt holds the cash on hand; the remittance moves it to the 待报解 account; tips / bank query
    confirmation moves it to premium income. The ledger stays balanced; a replay moves nothing."""
    at(gj, date(2026, 11, 23))
    pids = [support.resident(gj, clerk, name=name("孙", i)) for i in range(2)]
    first = support.committed(gj, receive(gj, clerk, pids[0], "B1"))
    again = support.committed(gj, receive(gj, clerk, pids[0], "B1"))
    assert (first["replayed"], again["replayed"], again["receipt_id"]) == (False, True, first["receipt_id"])
    support.committed(gj, receive(gj, clerk, pids[1], "B2"))
    codes = [cash.township_cash(TOWN), cash.township_pending(TOWN), INCOME]

    def bal() -> tuple[int, ...]:
        found = gj.run(lambda uow: ledger.balances_of(uow, codes))
        return tuple(found.get(code, 0) for code in codes)

    assert bal() == (2 * PREMIUM, 0, 0)
    c = support.ctx(gj, clerk)
    r = support.committed(gj, lambda uow: remittance.remit(uow, c, gj.profile, township_code=TOWN, reference="V-001"))
    assert (r["amount_fen"], r["receipts"], r["status"]) == (2 * PREMIUM, 2, "remitted")
    assert state(gj, clerk)["state"] == "none"
    assert bal() == (0, 2 * PREMIUM, 0)
    replay = support.committed(
        gj, lambda uow: remittance.remit(uow, c, gj.profile, township_code=TOWN, reference="V-001")
    )
    assert replay["replayed"] and replay["remittance_id"] == r["remittance_id"]
    done = support.committed(
        gj,
        lambda uow: remittance.confirm_treasury(
            uow, c, gj.profile, remittance_id=r["remittance_id"], method="tips", reference="TIPS-9"
        ),
    )
    assert done["status"] == "in_treasury"
    assert bal() == (0, 0, 2 * PREMIUM)
    assert gj.run(lambda uow: ledger.check_ledger(uow)).ok
    err = support.refused_unchanged(
        gj,
        lambda uow: remittance.confirm_treasury(
            uow, c, gj.profile, remittance_id=r["remittance_id"], method="bank_query", reference="Q-1"
        ),
        COUNTED,
    )
    assert err.code == "E_STATE"


def test_refusals_write_nothing(gj: Gongji, clerk: Principal) -> None:
    """Nothing to remit, a township outside the clerk's district, a malformed code, a full-subsidy person
    (pays nothing by any channel, 002 §四(二)1): error code and Chinese message, nothing written."""
    at(gj, date(2026, 11, 23))
    c = support.ctx(gj, clerk)
    pid = support.resident(gj, clerk, name="周五")
    cases = [
        (
            lambda uow: remittance.remit(uow, c, gj.profile, township_code=TOWN, reference="V-9"),
            "E_COLLECTION_NOTHING_TO_REMIT",
        ),
        (receive(gj, clerk, pid, "C1", town="620702009"), "E_COLLECTION_TOWNSHIP"),
        (receive(gj, clerk, pid, "C1", town="62070210"), "E_VALIDATION"),
        (receive(gj, clerk, pid, "C1", amount=PREMIUM - 1), "E_RESIDENT_AMOUNT"),
    ]
    other = CS.unit(gj, clerk, "碱滩镇", "town")
    bound = support.staff(gj, ["620702"])
    CS.run(gj, lambda uow: units.set_staff_township(uow, c, user_id=bound.user_id, township_id=other))
    cases.append((receive(gj, bound, pid, "C1"), "E_COLLECTION_TOWNSHIP"))  # a clerk of another township
    for call, code in cases:
        err = support.refused_unchanged(gj, call, COUNTED)
        assert err.code == code and err.message_zh
    poor = support.resident(gj, clerk, name="吴六")
    support.committed(
        gj,
        lambda uow: subsidies.change_category(
            uow, c, gj.profile, person_id=poor, subsidy_codes=("extreme_poverty",), benefit_year=2027, reason="民政认定"
        ),
    )
    err = support.refused_unchanged(gj, receive(gj, clerk, poor, "C2"), COUNTED)
    assert err.code == "E_RESIDENT_FULL_SUBSIDY"
