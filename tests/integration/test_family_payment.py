"""Family mutual aid — money: allocation, own-first payment (SPEC §4); fraud is in test_family_fraud.py.

Seeds: 000 (Gansu: 共济账户划拨, 先个人后共济, in-province institutions), 003 (Zhejiang: 历年结余
only, vaccines outside the programme, transfer keeps the binding).
"""

from __future__ import annotations

import threading
import uuid
from datetime import date

import pytest

from gongji.domain import ledger as L
from gongji.domain.errors import (
    FundingModelMismatch,
    IdempotencyConflict,
    InsufficientBalance,
    InvalidAmount,
    UseNotAllowed,
)
from gongji.domain.registry import EnrollmentAction
from gongji.services import ledger
from gongji.services.family import allocation as family_allocation
from gongji.services.family import binding as family_binding
from gongji.services.family import payment as family_payment
from gongji.services.family import views as family_views
from gongji.services.registry import persons as registry
from tests import support as S

GANSU = "620702"
ZHEJIANG = "330106"
PAYEE = "external:institution:H62070200001"


def _profile(base, **changes):
    return base.model_copy(update={"family": base.family.model_copy(update=changes)})


def _balances(gj, *codes):
    return gj.run(lambda uow: ledger.balances_of(uow, list(codes)))


def _own(pid):
    return [L.personal_current(pid), L.personal_past(pid)]


@pytest.fixture
def office(gj):
    return S.staff(gj, ["620000"])


def _employee(gj, office, *, income, birth=date(1980, 5, 1), region=GANSU, past=0):
    """An employee citizen with ``past`` in past years (via a real rollover) and ``income`` this year."""
    return S.employee_citizen(gj, office, region=region, income=income, past=past, birth=birth)


def _allocate(gj, who, binding_id, amount, key=None, profile=None):
    def go(uow):
        r = family_allocation.allocate(
            uow,
            S.ctx(gj, who),
            profile or gj.profile,
            binding_id=binding_id,
            amount_fen=amount,
            idempotency_key=key or f"alloc-{uuid.uuid4()}",
        )
        uow.commit()
        return r

    return gj.run(go)


def _pay(gj, by, relative, amount, *, use="outpatient", key=None, region=GANSU, profile=None, **kw):
    def go(uow):
        ledger.ensure_account(uow, code=PAYEE, kind=L.AccountKind.EXTERNAL, now=gj.clock.now())
        r = family_payment.pay(
            uow,
            S.ctx(gj, by),
            profile or gj.profile,
            relative_id=relative,
            amount_fen=amount,
            use=use,
            payee_account=PAYEE,
            idempotency_key=key or f"pay-{uuid.uuid4()}",
            institution_region=region,
            **kw,
        )
        uow.commit()
        return r

    return gj.run(go)


def _split(result):
    b = result.body
    return b["own_fen"], b["family_fen"], b["cash_fen"]


# --- 共济账户划拨 (allocation, Gansu seed 000) -------------------------------------------------------


def test_allocation_takes_past_years_first_then_current_year_into_the_family_account_seed000(gj, office):
    a = _employee(gj, office, past=30_000, income=100_000)
    child = S.resident(gj, office, region=GANSU, birth=date(2012, 3, 3))
    b = S.bind(gj, a, child, "child")
    _allocate(gj, a, b["binding_id"], 50_000)
    cur, past, fam = L.personal_current(a.person_id), L.personal_past(a.person_id), L.family_account(b["binding_id"])
    assert _balances(gj, cur, past, fam) == {cur: 80_000, past: 0, fam: 50_000}

    history = gj.run(lambda uow: family_views.history(uow, S.ctx(gj, a), person_id=a.person_id))
    assert {row["kind_name"] for row in history} == {"共济账户划拨"}
    assert sum(row["amount_fen"] for row in history if row["account"] == fam) == 50_000


def test_allocation_above_the_balance_is_refused_and_writes_nothing_seed000(gj, office):
    a = _employee(gj, office, income=10_000)
    child = S.resident(gj, office, region=GANSU, birth=date(2012, 3, 3))
    b = S.bind(gj, a, child, "child")
    with pytest.raises(InsufficientBalance):
        _allocate(gj, a, b["binding_id"], 10_001)
    assert _balances(gj, L.family_account(b["binding_id"]))[L.family_account(b["binding_id"])] == 0
    assert sum(_balances(gj, *_own(a.person_id)).values()) == 10_000


@pytest.mark.parametrize("amount", [0, -100, 1.5, True])
def test_allocation_must_be_a_positive_whole_number_of_fen(gj, office, amount):
    a = _employee(gj, office, income=10_000)
    b = S.bind(gj, a, S.resident(gj, office, region=GANSU, birth=date(2012, 3, 3)), "child")
    with pytest.raises(InvalidAmount):
        _allocate(gj, a, b["binding_id"], amount)


def test_allocation_replayed_with_the_same_key_moves_money_once(gj, office):
    a = _employee(gj, office, income=10_000)
    b = S.bind(gj, a, S.resident(gj, office, region=GANSU, birth=date(2012, 3, 3)), "child")
    first = _allocate(gj, a, b["binding_id"], 4_000, key="k-alloc")
    again = _allocate(gj, a, b["binding_id"], 4_000, key="k-alloc")
    assert again.replayed and again.body["txn_id"] == first.body["txn_id"]
    assert sum(_balances(gj, *_own(a.person_id)).values()) == 6_000


def test_direct_model_has_no_allocation_seed003(gj):
    zj = S.staff(gj, ["330000"])
    a = _employee(gj, zj, region=ZHEJIANG, income=10_000)
    zhejiang = gj.profiles["zhejiang"]
    b = S.bind(gj, a, S.resident(gj, zj, region=ZHEJIANG, birth=date(2012, 3, 3)), "child", profile=zhejiang)
    with pytest.raises(FundingModelMismatch):
        _allocate(gj, a, b["binding_id"], 1_000, profile=zhejiang)


def test_unbinding_returns_the_family_account_balance_to_the_authorizer(gj, office):
    a = _employee(gj, office, income=10_000)
    b = S.bind(gj, a, S.resident(gj, office, region=GANSU, birth=date(2012, 3, 3)), "child")
    _allocate(gj, a, b["binding_id"], 4_000)
    gj.run(lambda uow: (family_binding.unbind(uow, S.ctx(gj, a), binding_id=b["binding_id"]), uow.commit()))
    fam = L.family_account(b["binding_id"])
    assert _balances(gj, fam)[fam] == 0
    assert _balances(gj, L.personal_past(a.person_id))[L.personal_past(a.person_id)] == 4_000
    assert sum(_balances(gj, *_own(a.person_id)).values()) == 10_000


# --- the split: own first, then family, then cash (先个人后共济, seeds 000, 003) -----------------------


def test_own_account_covers_everything_family_untouched_seed000(gj, office):
    a = _employee(gj, office, income=100_000)
    spouse = _employee(gj, office, income=50_000, birth=date(1982, 2, 2)).person_id
    b = S.bind(gj, a, spouse, "spouse")
    _allocate(gj, a, b["binding_id"], 30_000)
    r = _pay(gj, office, spouse, 20_000)
    assert _split(r) == (20_000, 0, 0)
    assert sum(_balances(gj, *_own(spouse)).values()) == 30_000
    assert _balances(gj, L.family_account(b["binding_id"]))[L.family_account(b["binding_id"])] == 30_000


def test_own_account_partly_then_family_funds_seed000(gj, office):
    a = _employee(gj, office, income=100_000)
    spouse = _employee(gj, office, income=5_000, birth=date(1982, 2, 2)).person_id
    b = S.bind(gj, a, spouse, "spouse")
    _allocate(gj, a, b["binding_id"], 30_000)
    r = _pay(gj, office, spouse, 20_000)
    assert _split(r) == (5_000, 15_000, 0)
    assert r.body["family"] == [
        {"binding_id": b["binding_id"], "account": L.family_account(b["binding_id"]), "amount_fen": 15_000}
    ]
    assert sum(_balances(gj, *_own(spouse)).values()) == 0
    assert _balances(gj, PAYEE)[PAYEE] == 20_000


def test_family_funds_exhausted_then_cash_seed000(gj, office):
    a = _employee(gj, office, income=100_000)
    child = S.resident(gj, office, region=GANSU, birth=date(2012, 3, 3))  # residents have no own account
    b = S.bind(gj, a, child, "child")
    _allocate(gj, a, b["binding_id"], 10_000)
    r = _pay(gj, office, child, 25_000, use="pharmacy_drugs")
    assert _split(r) == (0, 10_000, 15_000)
    assert _balances(gj, PAYEE)[PAYEE] == 10_000  # cash is paid at the counter, not through the ledger


@pytest.mark.parametrize("order", ["binding_time", "largest_balance_first"])
def test_two_authorizers_pay_in_the_profile_order(gj, office, order):
    several = _profile(gj.profile, relative_may_have_several_authorizers=True, authorizer_payment_order=order)
    mother = S.resident(gj, office, region=GANSU, birth=date(1950, 3, 3))
    son = _employee(gj, office, income=100_000, birth=date(1975, 1, 1))
    daughter = _employee(gj, office, income=100_000, birth=date(1978, 1, 1))
    first = S.bind(gj, son, mother, "parent", profile=several)
    gj.clock.advance(__import__("datetime").timedelta(minutes=5))
    second = S.bind(gj, daughter, mother, "parent", profile=several)
    _allocate(gj, son, first["binding_id"], 10_000)
    _allocate(gj, daughter, second["binding_id"], 30_000)
    r = _pay(gj, office, mother, 35_000, profile=several)
    drawn = [(d["binding_id"], d["amount_fen"]) for d in r.body["family"]]
    if order == "binding_time":  # the earlier binding (the son's) pays first
        assert drawn == [(first["binding_id"], 10_000), (second["binding_id"], 25_000)]
    else:  # the larger family account (the daughter's) pays first
        assert drawn == [(second["binding_id"], 30_000), (first["binding_id"], 5_000)]
    assert _split(r) == (0, 35_000, 0)


def test_direct_model_draws_only_the_authorizers_past_years_balance_seed003(gj):
    zj = S.staff(gj, ["330000"])
    zhejiang = gj.profiles["zhejiang"]
    a = _employee(gj, zj, region=ZHEJIANG, past=30_000, income=100_000)
    child = S.resident(gj, zj, region=ZHEJIANG, birth=date(2012, 3, 3))
    S.bind(gj, a, child, "child", profile=zhejiang)
    r = _pay(gj, zj, child, 50_000, profile=zhejiang, region=ZHEJIANG)
    assert _split(r) == (0, 30_000, 20_000)
    cur, past = L.personal_current(a.person_id), L.personal_past(a.person_id)
    assert _balances(gj, cur, past) == {cur: 100_000, past: 0}  # 当年 is never touched


def test_vaccines_outside_the_programme_only_where_the_profile_allows_seed003(gj, office):
    a = _employee(gj, office, income=100_000)
    child = S.resident(gj, office, region=GANSU, birth=date(2012, 3, 3))
    b = S.bind(gj, a, child, "child")
    _allocate(gj, a, b["binding_id"], 10_000)
    with pytest.raises(UseNotAllowed):
        _pay(gj, office, child, 5_000, use="vaccines")  # Gansu: not a family use
    fam = L.family_account(b["binding_id"])
    assert _balances(gj, fam)[fam] == 10_000

    zj = S.staff(gj, ["330000"])
    zhejiang = gj.profiles["zhejiang"]
    za = _employee(gj, zj, region=ZHEJIANG, past=20_000, income=0)
    zchild = S.resident(gj, zj, region=ZHEJIANG, birth=date(2016, 3, 3))
    S.bind(gj, za, zchild, "child", profile=zhejiang)
    r = _pay(gj, zj, zchild, 5_000, use="vaccines", profile=zhejiang, region=ZHEJIANG)
    assert _split(r) == (0, 5_000, 0)


def test_family_funds_only_at_in_province_institutions_in_gansu_seed000(gj, office):
    a = _employee(gj, office, income=100_000)
    child = S.resident(gj, office, region=GANSU, birth=date(2012, 3, 3))
    b = S.bind(gj, a, child, "child")
    _allocate(gj, a, b["binding_id"], 10_000)
    with pytest.raises(UseNotAllowed):
        _pay(gj, office, child, 5_000, region="110101")  # a Beijing hospital
    # own account and cash only, when the caller says so
    r = _pay(gj, office, child, 5_000, region="110101", use_family=False)
    assert _split(r) == (0, 0, 5_000) and r.body["txn_id"] is None


def test_premiums_the_profile_allows_seed000(gj, office):
    a = _employee(gj, office, income=100_000)
    child = S.resident(gj, office, region=GANSU, birth=date(2012, 3, 3))
    b = S.bind(gj, a, child, "child")
    _allocate(gj, a, b["binding_id"], 40_000)
    r = _pay(gj, office, child, 40_000, use="premium", premium_insutype="390", region=None)
    assert _split(r) == (0, 40_000, 0)
    with pytest.raises(UseNotAllowed):  # 大病保险 392: Zhejiang only (seed 003)
        _pay(gj, office, child, 1_000, use="premium", premium_insutype="392", region=None)


@pytest.mark.parametrize(
    "action", [EnrollmentAction.SUSPEND, EnrollmentAction.INTERRUPT, EnrollmentAction.END], ids=str
)
def test_authorizer_not_normal_is_not_drawn_on_until_normal_again_binding_kept(gj, office, action):
    a = _employee(gj, office, income=100_000)
    child = S.resident(gj, office, region=GANSU, birth=date(2012, 3, 3))
    b = S.bind(gj, a, child, "child")
    _allocate(gj, a, b["binding_id"], 10_000)

    def enrollment_id(uow):
        return registry.person_record(uow, S.ctx(gj, office), person_id=a.person_id, audit_read=False)["enrollments"][
            0
        ]["enrollment_id"]

    eid = gj.run(enrollment_id)

    def change(act):
        def go(uow):
            registry.change_enrollment(
                uow, S.ctx(gj, office), enrollment_id=eid, action=act, effective_date=date(2026, 11, 1)
            )
            uow.commit()

        gj.run(go)

    change(action)
    assert _split(_pay(gj, office, child, 3_000)) == (0, 0, 3_000)
    members = gj.run(lambda uow: family_views.members(uow, S.ctx(gj, a), gj.profile, person_id=a.person_id))
    assert members["bindings"][0]["status"] == "active"
    if action is not EnrollmentAction.END:
        change(EnrollmentAction.RESUME)
        assert _split(_pay(gj, office, child, 3_000)) == (0, 3_000, 0)


def test_binding_survives_a_transfer_inside_the_province_and_still_pays_seed003(gj, office):
    a = _employee(gj, office, income=100_000)
    child = S.resident(gj, office, region=GANSU, birth=date(2012, 3, 3))
    b = S.bind(gj, a, child, "child")
    _allocate(gj, a, b["binding_id"], 10_000)

    def transfer(uow):
        eid = registry.person_record(uow, S.ctx(gj, office), person_id=a.person_id, audit_read=False)["enrollments"][0][
            "enrollment_id"
        ]
        registry.change_enrollment(
            uow,
            S.ctx(gj, office),
            enrollment_id=eid,
            action=EnrollmentAction.TRANSFER,
            effective_date=date(2026, 11, 1),
            to_region="620102",
        )
        uow.commit()

    gj.run(transfer)
    assert _split(_pay(gj, office, child, 4_000)) == (0, 4_000, 0)


def test_payment_replay_returns_the_first_split_and_pays_once(gj, office):
    a = _employee(gj, office, income=100_000)
    child = S.resident(gj, office, region=GANSU, birth=date(2012, 3, 3))
    b = S.bind(gj, a, child, "child")
    _allocate(gj, a, b["binding_id"], 10_000)
    first = _pay(gj, office, child, 6_000, key="visit-1")
    again = _pay(gj, office, child, 6_000, key="visit-1")
    assert again.replayed and again.body == first.body
    fam = L.family_account(b["binding_id"])
    assert _balances(gj, fam)[fam] == 4_000
    with pytest.raises(IdempotencyConflict):
        _pay(gj, office, child, 7_000, key="visit-1")


def test_concurrent_payments_never_overdraw_the_family_account(gj, office):
    a = _employee(gj, office, income=100_000)
    child = S.resident(gj, office, region=GANSU, birth=date(2012, 3, 3))
    b = S.bind(gj, a, child, "child")
    _allocate(gj, a, b["binding_id"], 10_000)
    results, errors = [], []

    def worker(i):
        try:
            results.append(_pay(gj, office, child, 1_500, key=f"c-{i}"))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(r.body["family_fen"] for r in results) == 10_000  # 6 × 1,500 + 1,000, then cash
    assert all(sum(_split(r)) == 1_500 for r in results)
    fam = L.family_account(b["binding_id"])
    assert _balances(gj, fam)[fam] == 0
    assert gj.run(lambda uow: ledger.check_ledger(uow)).ok


def test_idempotency_keys_are_scoped_per_authorizer_and_never_cut_short(gj, office):
    """Two citizens may use the same key; two long keys differing only at the end stay distinct."""
    a = _employee(gj, office, income=10_000)
    b = _employee(gj, office, income=10_000, birth=date(1979, 1, 1))
    ba = S.bind(gj, a, S.resident(gj, office, region=GANSU, birth=date(2012, 3, 3)), "child")
    bb = S.bind(gj, b, S.resident(gj, office, region=GANSU, birth=date(2013, 3, 3)), "child")
    first = _allocate(gj, a, ba["binding_id"], 1_000, key="alloc-1")
    second = _allocate(gj, b, bb["binding_id"], 1_000, key="alloc-1")
    assert not second.replayed and second.body["txn_id"] != first.body["txn_id"]

    child = S.resident(gj, office, region=GANSU, birth=date(2014, 3, 3))
    one = _pay(gj, office, child, 500, key="k" * 250 + "AAAAA", use_family=False)
    two = _pay(gj, office, child, 500, key="k" * 250 + "BBBBB", use_family=False)
    assert not two.replayed and two.body["payment_id"] != one.body["payment_id"]
    assert L.scoped_key("H1", "k" * 300) != L.scoped_key("H1", "k" * 299)
