"""Weekly reconciliation with the tax bureau through the intermediate tables (协同对账, seed 003
附件三(二)5; issue 15 §4), end to end with the tax-side simulator, on SQLite and PostgreSQL.

Medical insurance publishes the week's family-account premium details to the intermediate table;
the tax side (``entrypoints.tax_simulator``, holding only a connection to the intermediate tables)
compares and writes back its differences — missing row, amount, status, extra row; staff settle
each with a reason (a money correction only as a reversing ledger entry); both sides end with the
same totals (账账相符).
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from gongji.adapters.db import tax_exchange as X
from gongji.adapters.db.models import PremiumPayment, ResidentPremium
from gongji.domain import ledger as L
from gongji.domain.clock import SHANGHAI
from gongji.domain.errors import FourEyesRequired, InvalidRequest, InvalidStateTransition, OutOfRegion
from gongji.entrypoints import tax_simulator as T
from gongji.services import ledger
from gongji.services.backoffice import tax_recon as TR
from tests import premium_support as B
from tests import support as S


@pytest.fixture
def office(gj):
    return S.staff(gj, ["620000"])


def _run(gj, who, call):
    return S.committed(gj, lambda uow: call(uow, S.ctx(gj, who)))


def _at(y, m, d, h=10):
    return datetime(y, m, d, h, 0, tzinfo=SHANGHAI)


def test_four_kinds_of_difference_found_settled_and_totals_match(gj, office):
    tax = B.tax_user(gj)
    pairs = [
        B.pair(gj, office, authorizer_region=B.ZHANGYE, relative_region=B.ZHANGYE),
        B.pair(gj, office, authorizer_region=B.ZHANGYE, relative_region=B.LANZHOU),
        B.pair(gj, office, authorizer_region=B.LANZHOU, relative_region=B.LANZHOU),
        B.pair(gj, office, authorizer_region=B.ZHANGYE, relative_region=B.ZHANGYE),
    ]
    # week 2026-W49 runs Mon 11-30 … Sun 12-06; the first payment is the Sunday before
    B.pay(gj, tax, pairs[3], datetime(2026, 11, 29, 23, 59))
    for p, day in zip(pairs[:3], (30, 1, 6), strict=True):
        B.pay(gj, tax, p, datetime(2026, 12 if day < 30 else 11, day, 12, 0))
    gj.clock.at = _at(2026, 12, 7)
    published = _run(gj, office, lambda uow, c: TR.publish(uow, c, week="2026-W49"))
    assert published == {"week": "2026-W49", "row_count": 3, "total_fen": 120_000, "paid_fen": 120_000}
    with pytest.raises(InvalidStateTransition):
        _run(gj, office, lambda uow, c: TR.publish(uow, c, week="2026-W49"))

    engine = X.tax_side_engine(gj.settings.database_url)
    compared = T.compare(engine, "2026-W49", now=gj.clock.now())
    assert (compared.state, compared.differences) == ("compared", 4)
    assert _run(gj, office, lambda uow, c: TR.fetch_differences(uow, c, week="2026-W49"))["fetched"] == 4
    assert _run(gj, office, lambda uow, c: TR.fetch_differences(uow, c, week="2026-W49"))["fetched"] == 0
    view = _run(gj, office, lambda uow, c: TR.week_view(uow, c, week="2026-W49"))
    kinds = {d["kind"]: d for d in view["differences"]}
    assert set(kinds) == {"missing", "amount", "status", "extra"}
    assert (kinds["amount"]["mi_amount_fen"], kinds["amount"]["tax_amount_fen"]) == (40_000, 40_100)
    assert (kinds["status"]["mi_status"], kinds["status"]["tax_status"]) == ("paid", "unpaid")
    assert kinds["missing"]["tax_amount_fen"] is None and kinds["extra"]["mi_amount_fen"] is None
    assert view["ours"] != view["theirs"] and not view["balanced"] and view["open_count"] == 4
    assert all("*" in d["relative_cert"] for d in view["differences"])

    # a clerk of another city cannot settle a 张掖 difference; an extra row has nothing to reverse
    other = S.staff(gj, ["620100"])
    zhangye_diff = next(d for d in view["differences"] if d["region_code"] == B.ZHANGYE)
    with pytest.raises(OutOfRegion):
        _run(
            gj,
            other,
            lambda uow, c: TR.settle(
                uow, c, difference_id=zhangye_diff["id"], resolution="accept_ours", reason="核实无误"
            ),
        )
    with pytest.raises(InvalidStateTransition):
        _run(
            gj,
            office,
            lambda uow, c: TR.settle(
                uow, c, difference_id=kinds["extra"]["id"], resolution="reverse_ours", reason="冲正"
            ),
        )
    with pytest.raises(InvalidRequest):
        _run(
            gj,
            office,
            lambda uow, c: TR.settle(uow, c, difference_id=kinds["extra"]["id"], resolution="delete", reason="删除"),
        )

    # the status difference: the tax side never recorded the payment as paid → reverse ours
    # (each settlement proposed by one clerk and confirmed by a second: four-eyes)
    status_payment = kinds["status"]["request_id"]
    source = _family_account_of(gj, status_payment)
    before = _balance(gj, source)
    checker = S.staff(gj, ["620000"])
    for kind, resolution in (
        ("missing", "accept_ours"),
        ("amount", "accept_ours"),
        ("extra", "accept_ours"),
        ("status", "reverse_ours"),
    ):
        for who in (office, checker):
            _run(
                gj,
                who,
                lambda uow, c, k=kind, r=resolution: TR.settle(
                    uow, c, difference_id=kinds[k]["id"], resolution=r, reason="与税务核对后处理"
                ),
            )
    assert _balance(gj, source) == before + 40_000  # back to the family account by a reversing entry
    assert _premium_status(gj, status_payment) == "refunded"
    with pytest.raises(InvalidStateTransition):
        _run(
            gj,
            office,
            lambda uow, c: TR.settle(
                uow, c, difference_id=kinds["missing"]["id"], resolution="accept_ours", reason="再次处理"
            ),
        )

    applied = T.apply(engine, "2026-W49", now=gj.clock.now())
    assert applied.state == "balanced"
    done = _run(gj, office, lambda uow, c: TR.week_view(uow, c, week="2026-W49"))
    assert done["balanced"] and done["open_count"] == 0
    assert done["theirs"] == {"row_count": 3, "total_fen": 120_000, "paid_fen": 120_000} == done["ours"]

    # the reversal is a movement of the next week: published as a refund, and the tax side agrees
    gj.clock.at = _at(2026, 12, 14)
    nxt = _run(gj, office, lambda uow, c: TR.publish(uow, c, week="2026-W50"))
    assert nxt == {"week": "2026-W50", "row_count": 1, "total_fen": -40_000, "paid_fen": 0}
    assert T.compare(engine, "2026-W50", now=gj.clock.now(), kinds=()).state == "balanced"
    assert _run(gj, office, lambda uow, c: TR.week_view(uow, c, week="2026-W50"))["balanced"]
    assert gj.run(lambda uow: ledger.check_ledger(uow)).ok
    engine.dispose()


def test_settling_a_tax_difference_takes_a_second_clerk_four_eyes(gj, office):
    """Issue 15 §4 (003 附件三(二)5: staff settle each difference) under the project's four-eyes rule:
    the clerk who proposes a 医保冲正 cannot confirm it; until a second clerk does, no money moves
    and nothing is written back for the tax side; then the family account is refunded."""
    tax = B.tax_user(gj)
    pair = B.pair(gj, office, authorizer_region=B.ZHANGYE, relative_region=B.ZHANGYE)
    B.pay(gj, tax, pair, datetime(2026, 12, 1, 12, 0))
    gj.clock.at = _at(2026, 12, 7)
    _run(gj, office, lambda uow, c: TR.publish(uow, c, week="2026-W49"))
    engine = X.tax_side_engine(gj.settings.database_url)
    T.compare(engine, "2026-W49", now=gj.clock.now(), kinds=("status",))
    _run(gj, office, lambda uow, c: TR.fetch_differences(uow, c, week="2026-W49"))
    diff = _run(gj, office, lambda uow, c: TR.week_view(uow, c, week="2026-W49"))["differences"][0]
    source = _family_account_of(gj, diff["request_id"])
    before = _balance(gj, source)

    def settle(who, resolution="reverse_ours", reason="税务未记缴费，冲正退回"):
        return _run(
            gj, who, lambda uow, c: TR.settle(uow, c, difference_id=diff["id"], resolution=resolution, reason=reason)
        )

    proposed = settle(office)
    assert (proposed["state"], proposed["state_zh"], proposed["proposed_resolution"]) == (
        "proposed",
        "待复核",
        "reverse_ours",
    )
    with pytest.raises(FourEyesRequired):
        settle(office, reason="我自己确认")
    assert _balance(gj, source) == before and _premium_status(gj, diff["request_id"]) == "paid"
    with engine.connect() as conn:
        written = conn.execute(select(X.recon_diff.c.resolution)).scalars().all()
    assert written == [None]  # the tax side sees no resolution yet
    view = _run(gj, office, lambda uow, c: TR.week_view(uow, c, week="2026-W49"))
    assert view["open_count"] == 1 and not view["balanced"]

    checker = S.staff(gj, ["620000"])
    done = settle(checker, reason="复核无误")
    assert done["state"] == "settled" and done["reversal_txn_id"] is not None
    assert done["reason"] == "税务未记缴费，冲正退回；复核：复核无误"
    assert _balance(gj, source) == before + 40_000
    assert _premium_status(gj, diff["request_id"]) == "refunded"
    with pytest.raises(InvalidStateTransition):
        settle(checker)
    engine.dispose()


def test_bad_weeks_are_refused_with_a_code(gj, office):
    for week in ("2026-W54", "2026W49", "", "2026-W00"):
        with pytest.raises(InvalidRequest):
            _run(gj, office, lambda uow, c, w=week: TR.publish(uow, c, week=w))
    with pytest.raises(InvalidStateTransition):  # the clock stands on Mon 2026-11-23: W48 is not over
        _run(gj, office, lambda uow, c: TR.publish(uow, c, week="2026-W48"))


def _family_account_of(gj, request_id: str) -> str:
    def go(uow):
        p = uow.session.scalar(select(PremiumPayment).where(PremiumPayment.tax_request_id == request_id))
        return L.family_account(p.binding_id)

    return gj.run(go)


def _balance(gj, code: str) -> int:
    return gj.run(lambda uow: ledger.balances_of(uow, [code]))[code]


def _premium_status(gj, request_id: str) -> str:
    def go(uow):
        p = uow.session.scalar(
            select(PremiumPayment).where(
                PremiumPayment.tax_request_id == request_id, PremiumPayment.reverses_id.is_(None)
            )
        )
        return uow.session.get(ResidentPremium, p.premium_id).status

    return gj.run(go)
