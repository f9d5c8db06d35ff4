"""Full-subsidy money through the township's 两险 待报解 account and the printable roster (issue 16 §4;
seed 002 §四(二)1: "申报成功后导出并打印人员花名册，加盖公章后上报 … 区医保服务中心核实信息后，将资助金打入乡镇、
街道城乡居民'两险'待报解社保费账户扣款"). SQLite and PostgreSQL; clock 2026-11-23, premium 400.00."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from gongji.adapters.db.models import LedgerTxn
from gongji.bootstrap import Gongji
from gongji.services import ledger
from gongji.services.collection import cash, posting_roster
from gongji.services.resident import refunds, subsidies
from tests import collection_support as CS
from tests import support

YEAR = CS.YEAR
INCOME, FUND = "external:premium:620702:390", "external:assistance:620702"


def test_roster_pays_into_the_township_pending_account_and_deducts_there(gj: Gongji) -> None:
    """The assistance fund pays the township's total into its 待报解 account in one transfer, each premium
    is deducted there (a person without a unit is paid directly); the printable roster is masked; a
    refund sends the money back through the township's account to the fund. Ledger balanced."""
    office = support.staff(gj, ["620702"])
    town = CS.unit(gj, office, "梁家墩镇", "town")
    village = CS.unit(gj, office, "五里墩村", "village", parent=town)
    c = support.ctx(gj, office)
    people = []
    for name in ("张三", "李四"):
        pid = support.resident(gj, office, name=name)
        CS.member(gj, office, pid, village)
        CS.run(
            gj,
            lambda uow, pid=pid: subsidies.change_category(
                uow,
                c,
                gj.profile,
                person_id=pid,
                subsidy_codes=("extreme_poverty",),
                benefit_year=YEAR,
                reason="民政认定",
            ),
        )
        people.append(pid)
    loner = support.resident(gj, office, name="王五")  # no collection unit: paid directly, as before
    CS.run(
        gj,
        lambda uow: subsidies.change_category(
            uow,
            c,
            gj.profile,
            person_id=loner,
            subsidy_codes=("extreme_poverty",),
            benefit_year=YEAR,
            reason="民政认定",
        ),
    )
    rows = [
        {"id_number": support.person_cert(gj, p), "name": n}
        for p, n in zip([*people, loner], ["张三", "李四", "王五"], strict=True)
    ]
    approved = support.full_subsidy_roster(gj, office, benefit_year=YEAR, category="extreme_poverty", rows=rows)
    assert approved["premium_paid_fen"] == 3 * 40_000
    pending = cash.township_pending("620702001")
    codes = [FUND, pending, INCOME]

    def bal() -> tuple[int, ...]:
        found = gj.run(lambda uow: ledger.balances_of(uow, codes))
        return tuple(found.get(k, 0) for k in codes)

    assert bal() == (-3 * 40_000, 0, 3 * 40_000)
    kinds = gj.run(lambda uow: [t.kind for t in uow.session.query(LedgerTxn).order_by(LedgerTxn.id)])
    assert kinds.count("subsidy.roster_township") == 1  # one transfer of the township's total
    # the printable roster, masked, for the seal
    pdf = CS.run(
        gj,
        lambda uow: posting_roster.roster_pdf(uow, c, gj.profile, roster_id=approved["roster_id"], office="梁家墩镇"),
    )
    assert pdf.startswith(b"%PDF")
    tool = shutil.which("pdftotext")
    if tool:
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "r.pdf"
            path.write_bytes(pdf)
            text = subprocess.run(
                [tool, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
            ).stdout.decode()
        assert "张*" in text and "张三" not in text and "加盖公章" in text and "1200.00" in text
        assert support.person_cert(gj, people[0]) not in text

    # a refund of one of them: the deduction is reversed into the township account and sent on to the fund
    payment_id = gj.run(lambda uow: _payment_of(uow, people[0]))
    checker = support.staff(gj, ["620702"])
    asked: dict[str, Any] = CS.run(
        gj, lambda uow: refunds.request_refund(uow, c, gj.profile, payment_id=payment_id, reason="emigration")
    )
    cc = support.ctx(gj, checker)
    CS.run(
        gj,
        lambda uow: refunds.review_refund(
            uow, cc, gj.profile, refund_id=asked["refund_id"], approve=True, note="材料齐全"
        ),
    )
    assert bal() == (-2 * 40_000, 0, 2 * 40_000)
    assert gj.run(lambda uow: ledger.check_ledger(uow)).ok


def _payment_of(uow: Any, person_id: int) -> int:
    from sqlalchemy import select

    from gongji.adapters.db.models import PremiumPayment, ResidentPremium

    return int(
        uow.session.scalar(
            select(PremiumPayment.id)
            .join(ResidentPremium, ResidentPremium.id == PremiumPayment.premium_id)
            .where(ResidentPremium.person_id == person_id, PremiumPayment.amount_fen > 0)
        )
    )
