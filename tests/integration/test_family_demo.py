"""The demo's family mutual-aid case works through the real use cases, in every province."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gongji.adapters.db.models import AppUser, FamilyBinding, FamilyPayment
from gongji.services import ledger
from gongji.services.demo import family as demo_family
from gongji.services.demo import province as demo


@pytest.mark.parametrize("province", ["gansu", "zhejiang", "henan"])
def test_demo_citizen4_has_a_binding_with_a_pharmacy_payment_and_citizen1_starts_unbound(gj, province):
    demo.generate(gj, province=province, persons=400, seed=5, batch_size=200)

    def look(uow):
        users = dict(uow.session.execute(select(AppUser.username, AppUser.person_id)).all())
        bindings = uow.session.scalars(select(FamilyBinding)).all()
        payments = uow.session.scalars(select(FamilyPayment)).all()
        return (
            users,
            [(b.authorizer_id, b.relative_id, b.status) for b in bindings],
            [(p.relative_id, p.own_fen + p.family_fen + p.cash_fen, p.family_fen, p.use_kind) for p in payments],
            ledger.check_ledger(uow).ok,
        )

    users, bindings, payments, ledger_ok = gj.run(look)
    assert ledger_ok
    assert [b for b in bindings if b[0] == users["citizen1"]] == []  # the visitor starts the flow
    # citizen4's binding (the demo's one-thing cases may bind other persons inside a case)
    ((authorizer, relative, status),) = [b for b in bindings if b[0] == users["citizen4"]]
    assert status == "active"
    # citizen4's relative's payments (other demo pairs pay premiums from family accounts too)
    ((paid_for, total, through_family, _),) = [p for p in payments if p[0] == relative and p[3] != "premium"]
    assert paid_for == relative and total == demo_family.PHARMACY_FEN
    # Gansu moves money into a family account first; Zhejiang/Henan draw on past years directly
    assert through_family > 0
