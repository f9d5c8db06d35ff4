"""Pure family mutual-aid rules (domain/family.py): the split, payer order, plausibility, names.

Seeds: 000 (先个人后共济, eligibility), 003 (own account first, then the binding).
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongji.domain import family as F
from gongji.domain.errors import (
    AuthorizerAccountFrozen,
    AuthorizerInterrupted,
    AuthorizerNoBalance,
    AuthorizerNotEmployee,
    AuthorizerSuspended,
    RelationImplausible,
    RelativeNotInsured,
    RelativeOutOfProvince,
)

balances = st.lists(st.integers(min_value=0, max_value=10_000_000), max_size=4)


@given(amount=st.integers(min_value=1, max_value=50_000_000), own=balances, fam=balances)
def test_split_is_exact_own_first_then_family_then_cash_seed000(amount, own, fam):
    own_src = [F.Source(f"own{i}", b) for i, b in enumerate(own)]
    fam_src = [F.Source(f"fam{i}", b, binding_id=i + 1) for i, b in enumerate(fam)]
    split = F.split_payment(amount, own_src, fam_src)
    assert split.total_fen == amount  # not a fen lost or invented
    assert split.own_fen == min(amount, sum(own))  # the own account is used up first
    assert split.family_fen == min(amount - split.own_fen, sum(fam))  # family only for the rest
    assert split.cash_fen == amount - split.own_fen - split.family_fen
    for draw in (*split.own, *split.family):  # never more than a source holds, never zero
        source = next(s for s in (*own_src, *fam_src) if s.account == draw.account)
        assert 0 < draw.amount_fen <= source.balance_fen
    # sources are drawn in order: each drawn source before the last one is emptied
    for drawn, sources in ((split.own, own_src), (split.family, fam_src)):
        for d in drawn[:-1]:
            assert d.amount_fen == next(s.balance_fen for s in sources if s.account == d.account)


def test_split_examples():
    own = [F.Source("own", 5_000)]
    fam = [F.Source("famA", 10_000, 1), F.Source("famB", 30_000, 2)]
    assert (F.split_payment(3_000, own, fam).own_fen, F.split_payment(3_000, own, fam).family_fen) == (3_000, 0)
    s = F.split_payment(20_000, own, fam)
    assert [(d.account, d.amount_fen) for d in s.family] == [("famA", 10_000), ("famB", 5_000)]
    s = F.split_payment(60_000, own, fam)
    assert (s.own_fen, s.family_fen, s.cash_fen) == (5_000, 40_000, 15_000)
    with pytest.raises(ValueError):
        F.split_payment(0, own, fam)


def test_payer_order_binding_time_or_largest_balance():
    early = F.Payer(1, (date(2026, 1, 1), 1), F.Source("a", 100, 1))
    late = F.Payer(2, (date(2026, 2, 1), 2), F.Source("b", 900, 2))
    assert [p.binding_id for p in F.order_payers([late, early], "binding_time")] == [1, 2]
    assert [p.binding_id for p in F.order_payers([early, late], "largest_balance_first")] == [2, 1]


def _ins(status="normal", insutype="310", region="620702"):
    return F.Insurance(insutype, region, status)


def _authorizer(insurances, account="normal", balance=100):
    return F.check_authorizer(
        insurances, authorizer_insutypes=("310",), province_code="62", account_status=account, balance_fen=balance
    )


@pytest.mark.parametrize(
    ("insurances", "account", "balance", "error"),
    [
        ([_ins(insutype="390")], None, 0, AuthorizerNotEmployee),  # resident insurance
        ([_ins(region="330106")], "normal", 100, AuthorizerNotEmployee),  # employee, other province
        ([_ins("terminated")], "normal", 100, AuthorizerNotEmployee),
        ([_ins("suspended")], "normal", 100, AuthorizerSuspended),
        ([_ins("interrupted")], "normal", 100, AuthorizerInterrupted),
        ([_ins()], "frozen", 100, AuthorizerAccountFrozen),
        ([_ins()], "normal", 0, AuthorizerNoBalance),
    ],
)
def test_authorizer_refusals_each_have_their_own_code_seed000(insurances, account, balance, error):
    with pytest.raises(error):
        _authorizer(insurances, account, balance)


def test_relative_refusals_seed000_seed001():
    kw = {"relative_insutypes": ("310", "390"), "province_code": "62", "in_province_only": True}
    assert F.check_relative_insured([_ins(insutype="390")], **kw).insutype == "390"
    with pytest.raises(RelativeNotInsured):
        F.check_relative_insured([], **kw)
    with pytest.raises(RelativeNotInsured):
        F.check_relative_insured([_ins("suspended", "390")], **kw)
    with pytest.raises(RelativeOutOfProvince):
        F.check_relative_insured([_ins(insutype="390", region="330106")], **kw)
    assert F.check_relative_insured([_ins(insutype="390", region="330106")], **kw | {"in_province_only": False})


def _plausible(relation, a_birth, r_birth, a_sex="1", r_sex="2"):
    F.check_plausible(
        relation,
        F.Party(1, a_sex, a_birth),
        F.Party(2, r_sex, r_birth),
        today=date(2026, 11, 23),
        spouse_min_age_male=22,
        spouse_min_age_female=20,
        relation_zh="x",
    )


def test_birth_dates_that_make_a_relation_impossible_are_refused():
    _plausible("parent", date(1990, 1, 1), date(1960, 1, 1))
    with pytest.raises(RelationImplausible):
        _plausible("parent", date(1990, 1, 1), date(1995, 1, 1))  # parent younger than the child
    with pytest.raises(RelationImplausible):
        _plausible("grandchild", date(1950, 1, 1), date(1949, 1, 1))  # grandchild older than grandparent
    with pytest.raises(RelationImplausible):
        _plausible("child", date(1990, 1, 1), date(1990, 1, 1))  # born the same day
    _plausible("sibling", date(1990, 1, 1), date(1970, 1, 1))  # siblings: any order
    _plausible("spouse", date(2004, 11, 23), date(2006, 11, 23))  # 22 and 20 exactly
    with pytest.raises(RelationImplausible):
        _plausible("spouse", date(2004, 11, 24), date(2000, 1, 1))  # the man one day short of 22
    _plausible("parent", date(1990, 1, 1), None)  # unknown birth date: the commitment stands


def test_names_compare_without_spaces_width_or_dot_style():
    assert F.names_match("王 小明", "王小明")
    assert F.names_match("阿依古丽•买买提", "阿依古丽·买买提")
    assert F.names_match("ＡＢＣ", "abc")
    assert not F.names_match("王小红", "王小明")
    assert not F.names_match("", "")
