"""The demo pays a few resident premiums from family accounts through the tax interface, in the
previous month and the previous week, so the back office can clear and reconcile them on
``make run`` (issue 15 §4; seed 003 附件三)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gongji.adapters.db.models import PremiumPayment
from gongji.services.backoffice import premium_clearing as PC
from gongji.services.backoffice import tax_recon as TR
from gongji.services.demo import province as demo
from tests import support as S


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_demo_leaves_family_premiums_to_clear_and_to_reconcile(gj):
    demo.generate(gj, province="gansu", persons=400, seed=5)
    paid = gj.run(
        lambda uow: uow.session.scalar(
            select(func.count()).select_from(PremiumPayment).where(PremiumPayment.channel == "family_account")
        )
    )
    assert paid >= 2
    office = S.staff(gj, ["620000"])
    month = S.committed(gj, lambda uow: PC.generate(uow, S.ctx(gj, office), month="2026-10"))
    week = S.committed(gj, lambda uow: TR.publish(uow, S.ctx(gj, office), week="2026-W47"))
    assert month["province"]["line_count"] >= 1 and week["row_count"] >= 1
