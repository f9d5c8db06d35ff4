"""Family fraud handling follows through (seed 003 四(四): "医保部门应立即停止相关当事人家庭共济待遇，
追回医保基金…并纳入医保信用管理"; SPEC §4 item 5).

Gansu profile (allocation model): a revoke stops every binding of both parties, opens a receivable
for what was paid through the pair's bindings, credits nothing at opening; each collection is one
balanced ledger transaction back to the authorizer's past-years account; a write-off needs a
second staff member; both parties get a credit entry; while the case is open neither party binds.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from gongji.adapters.db.models import CreditRecord, FamilyBinding, FamilyFraudCase, FamilyFraudCollection, LedgerTxn
from gongji.domain import ledger as L
from gongji.domain.errors import (
    Forbidden,
    FourEyesRequired,
    FraudCaseOpen,
    InvalidRequest,
    InvalidStateTransition,
    OutOfRegion,
    PairRevoked,
    RecoveryExceedsOwed,
)
from gongji.domain.registry import EnrollmentAction
from gongji.services import ledger
from gongji.services.family import fraud as family_fraud
from gongji.services.registry import accounts
from gongji.services.registry import persons as registry
from tests import support as S
from tests.integration.test_family_payment import GANSU, PAYEE, _balances, _pay, _split

FAMILY_TABLES = (FamilyBinding, FamilyFraudCase, FamilyFraudCollection, CreditRecord, LedgerTxn)


@pytest.fixture
def office(gj):
    return S.staff(gj, ["620000"])


def _child(gj, office, year=2012):
    return S.resident(gj, office, region=GANSU, birth=date(year, 3, 3))


def _fraud(gj, office, *, allocated=30_000, paid=20_000):
    """An authorizer with 1,000.00, a fake 'child' bound, ``allocated`` moved aside, ``paid`` spent."""
    a = S.employee_citizen(gj, office, income=100_000)
    fake = _child(gj, office)
    bid = S.bind(gj, a, fake, "child")["binding_id"]
    S.allocate(gj, a, bid, allocated)
    if paid:
        assert _split(_pay(gj, office, fake, paid, use="pharmacy_drugs")) == (0, paid, 0)
    return a, fake, bid


def _revoke(gj, who, bid, **kw):
    return S.committed(
        gj,
        lambda uow: family_fraud.case_view(
            uow,
            S.ctx(gj, who),
            family_fraud.revoke(uow, S.ctx(gj, who), binding_id=bid, reason="虚构家庭成员关系", **kw),
        ),
    )


def _collect(gj, who, case_id, fen, key):
    return S.committed(
        gj, lambda uow: family_fraud.collect(uow, S.ctx(gj, who), case_id=case_id, amount_fen=fen, idempotency_key=key)
    )


def _past(gj, a):
    code = L.personal_past(a.person_id)
    return _balances(gj, code)[code]


def test_fraud_stops_all_family_aid_of_both_parties_seed003_4_4(gj, office):
    """立即停止相关当事人家庭共济待遇 (seed 003 四(四)): every binding where the authorizer or the relative
    is a party stops — the authorizer's other relatives, and the bindings where the authorizer is
    someone's relative — and their family balances go back to their authorizers."""
    a, fake, bid = _fraud(gj, office, paid=0)
    child = _child(gj, office, 2014)
    other = S.bind(gj, a, child, "child")["binding_id"]
    S.allocate(gj, a, other, 5_000)
    parent = S.employee_citizen(gj, office, income=50_000, birth=date(1950, 1, 1))
    as_relative = S.bind(gj, parent, a.person_id, "child")["binding_id"]
    S.allocate(gj, parent, as_relative, 2_000)
    unrelated = S.bind(gj, parent, _child(gj, office, 2015), "grandchild")["binding_id"]

    case = _revoke(gj, office, bid)
    statuses = dict(gj.run(lambda uow: uow.session.execute(select(FamilyBinding.id, FamilyBinding.status)).all()))
    assert statuses == {bid: "revoked", other: "stopped", as_relative: "stopped", unrelated: "active"}
    assert _past(gj, a) == 30_000 + 5_000  # both family accounts emptied back to the authorizer
    assert _past(gj, parent) == 2_000
    assert _split(_pay(gj, office, child, 1_000)) == (0, 0, 1_000)  # no family funds any more
    assert _split(_pay(gj, office, a.person_id, 1_000, use="pharmacy_drugs"))[1] == 0
    assert case["amount_fen"] == 0 and case["status"] == "collected"  # nothing was paid through the pair


def test_new_bindings_of_either_party_are_refused_while_the_case_is_open_seed003_4_4(gj, office):
    """While the receivable is open neither party may be bound, on either side (E_FAMILY_CASE_OPEN);
    the pair itself never again (E_FAMILY_REVOKED); once collected, others may be bound."""
    a, fake, bid = _fraud(gj, office)
    case = _revoke(gj, office, bid)
    assert case["status"] == "open"
    newcomer = _child(gj, office, 2016)
    err = S.refused_unchanged(gj, lambda uow: _bind_in(uow, gj, a, newcomer, "child"), FAMILY_TABLES)
    assert isinstance(err, FraudCaseOpen) and err.code == "E_FAMILY_CASE_OPEN"
    other = S.employee_citizen(gj, office, income=10_000, birth=date(1975, 1, 1))
    with pytest.raises(FraudCaseOpen):
        S.bind(gj, other, fake, "sibling")  # the relative is a party too
    with pytest.raises(PairRevoked):
        S.bind(gj, a, fake, "child")

    _collect(gj, office, case["case_id"], 20_000, "all")
    assert S.bind(gj, a, newcomer, "child")["status"] == "active"
    with pytest.raises(PairRevoked):
        S.bind(gj, a, fake, "child")


def _bind_in(uow, gj, who, relative_id, relation):
    from gongji.services.family import binding as family_binding

    S.accept_agreement(gj, who)
    return family_binding.bind(
        uow, S.ctx(gj, who), gj.profile, S.bind_request(gj, who.person_id, relative_id, relation)
    )


def test_recovery_opens_a_receivable_and_money_returns_only_as_collected_seed003_4_4(gj, office):
    """追回医保基金 (seed 003 四(四)): opening books nothing; each collection is one balanced ledger
    transaction (its own idempotency key) into the authorizer's past-years account; the lifecycle
    is open → part_collected → collected; both parties get a credit entry naming the case."""
    a, fake, bid = _fraud(gj, office)
    case = _revoke(gj, office, bid, liable="authorizer")
    assert (case["amount_fen"], case["collected_fen"], case["status"], case["liable"]) == (
        20_000,
        0,
        "open",
        "authorizer",
    )
    assert _past(gj, a) == 10_000  # only the unspent family balance came back, not the 200.00 owed
    assert _balances(gj, PAYEE)[PAYEE] == 20_000  # the pharmacy keeps what it was paid

    first = _collect(gj, office, case["case_id"], 5_000, "receipt-1")
    assert (first["status"], first["outstanding_fen"], first["replayed"]) == ("part_collected", 15_000, False)
    replay = _collect(gj, office, case["case_id"], 5_000, "receipt-1")
    assert replay["replayed"] and replay["txn_id"] == first["txn_id"] and replay["collected_fen"] == 5_000
    assert _past(gj, a) == 15_000
    last = _collect(gj, office, case["case_id"], 15_000, "receipt-2")
    assert (last["status"], last["outstanding_fen"]) == ("collected", 0)
    assert _past(gj, a) == 30_000 and sum(_balances(gj, L.personal_current(a.person_id)).values()) == 70_000

    receivable = L.recovery_receivable(GANSU)
    assert _balances(gj, receivable)[receivable] == -20_000  # what came in from the parties
    credits = gj.run(
        lambda uow: [
            tuple(r)
            for r in uow.session.execute(select(CreditRecord.person_id, CreditRecord.case_id, CreditRecord.amount_fen))
        ]
    )
    assert sorted(credits) == sorted([(a.person_id, case["case_id"], 20_000), (fake, case["case_id"], 20_000)])
    assert gj.run(lambda uow: ledger.check_ledger(uow)).ok


def test_collecting_more_than_owed_or_on_a_closed_case_is_refused_seed003_4_4(gj, office):
    a, _, bid = _fraud(gj, office, paid=3_000)
    case_id = _revoke(gj, office, bid)["case_id"]
    err = S.refused_unchanged(
        gj,
        lambda uow: family_fraud.collect(
            uow, S.ctx(gj, office), case_id=case_id, amount_fen=3_001, idempotency_key="too-much"
        ),
        FAMILY_TABLES,
    )
    assert isinstance(err, RecoveryExceedsOwed) and err.detail["outstanding_fen"] == 3_000
    _collect(gj, office, case_id, 3_000, "all")
    with pytest.raises(InvalidStateTransition):
        _collect(gj, office, case_id, 1, "after")


def test_write_off_needs_a_second_staff_members_approval_seed003_4_4(gj, office):
    """Writing off what cannot be collected needs a second person (E_FOUR_EYES); no money moves."""
    a, _, bid = _fraud(gj, office)
    case_id = _revoke(gj, office, bid)["case_id"]
    _collect(gj, office, case_id, 2_000, "part")
    ctx = S.ctx(gj, office)
    with pytest.raises(InvalidStateTransition):  # nothing requested yet
        S.committed(gj, lambda uow: family_fraud.approve_write_off(uow, ctx, case_id=case_id))
    S.committed(gj, lambda uow: family_fraud.request_write_off(uow, ctx, case_id=case_id, reason="当事人无力偿还"))
    err = S.refused_unchanged(
        gj, lambda uow: family_fraud.approve_write_off(uow, ctx, case_id=case_id), (FamilyFraudCase, LedgerTxn)
    )
    assert isinstance(err, FourEyesRequired)
    assert gj.run(lambda uow: uow.session.get(FamilyFraudCase, case_id).status) == "part_collected"

    before = _past(gj, a)
    checker = S.staff(gj, ["620700"])
    done = S.committed(
        gj,
        lambda uow: family_fraud.case_view(
            uow, S.ctx(gj, checker), family_fraud.approve_write_off(uow, S.ctx(gj, checker), case_id=case_id)
        ),
    )
    assert (done["status"], done["written_off_fen"], done["outstanding_fen"]) == ("written_off", 18_000, 0)
    assert _past(gj, a) == before
    with pytest.raises(InvalidStateTransition):
        _collect(gj, office, case_id, 1_000, "late")
    assert S.bind(gj, a, _child(gj, office, 2016), "child")["status"] == "active"  # the case is closed


def test_fraud_cases_are_for_staff_of_the_parties_region_only_seed003_4_4(gj, office):
    a, fake, bid = _fraud(gj, office)
    lanzhou = S.staff(gj, ["620100"])
    with pytest.raises(OutOfRegion):
        _revoke(gj, lanzhou, bid)
    case_id = _revoke(gj, office, bid)["case_id"]
    for call in (
        lambda uow: family_fraud.collect(uow, S.ctx(gj, lanzhou), case_id=case_id, amount_fen=1, idempotency_key="x"),
        lambda uow: family_fraud.request_write_off(uow, S.ctx(gj, lanzhou), case_id=case_id, reason="无力偿还"),
        lambda uow: family_fraud.get_case(uow, S.ctx(gj, lanzhou), case_id=case_id),
    ):
        assert isinstance(S.refused_unchanged(gj, call, FAMILY_TABLES), OutOfRegion)
    assert gj.run(lambda uow: family_fraud.recoveries(uow, S.ctx(gj, lanzhou)))["cases"] == []
    citizen = S.citizen(gj, fake)
    for who in (a, citizen):
        with pytest.raises(Forbidden):
            _collect(gj, who, case_id, 1, "mine")
        with pytest.raises(Forbidden):
            gj.run(lambda uow, who=who: family_fraud.recoveries(uow, S.ctx(gj, who)))


def test_revoke_refusals_write_nothing_seed003_4_4(gj, office):
    _, _, bid = _fraud(gj, office)
    ctx = S.ctx(gj, office)
    err = S.refused_unchanged(
        gj, lambda uow: family_fraud.revoke(uow, ctx, binding_id=bid, reason="虚构", liable="nobody"), FAMILY_TABLES
    )
    assert isinstance(err, InvalidRequest)
    _revoke(gj, office, bid)
    err = S.refused_unchanged(
        gj, lambda uow: family_fraud.revoke(uow, ctx, binding_id=bid, reason="再次终止"), FAMILY_TABLES
    )
    assert isinstance(err, InvalidStateTransition)


def test_recoveries_list_shows_amounts_age_and_per_region_sums_seed003_4_4(gj, office):
    """Staff see open recoveries with amounts and age in days, and per region counts and sums."""
    _, _, first = _fraud(gj, office, paid=4_000)
    one = _revoke(gj, office, first)["case_id"]
    gj.clock.advance(timedelta(days=12))
    _, _, second = _fraud(gj, office, paid=6_000)
    two = _revoke(gj, office, second)["case_id"]
    _collect(gj, office, two, 1_000, "part")
    gj.clock.advance(timedelta(days=3))

    listed = gj.run(lambda uow: family_fraud.recoveries(uow, S.ctx(gj, office)))
    rows = [(c["case_id"], c["outstanding_fen"], c["age_days"], c["status"]) for c in listed["cases"]]
    assert rows == [(one, 4_000, 15, "open"), (two, 5_000, 3, "part_collected")]
    assert listed["regions"] == [
        {"region_code": GANSU, "open_cases": 2, "amount_fen": 10_000, "collected_fen": 1_000, "outstanding_fen": 9_000}
    ]
    _collect(gj, office, one, 4_000, "all")
    assert [c["case_id"] for c in gj.run(lambda uow: family_fraud.recoveries(uow, S.ctx(gj, office)))["cases"]] == [two]


def test_a_payment_reversed_before_the_case_is_not_owed_seed003_4_4(gj, office):
    a = S.employee_citizen(gj, office, income=100_000)
    child = _child(gj, office)
    bid = S.bind(gj, a, child, "child")["binding_id"]
    S.allocate(gj, a, bid, 10_000)
    paid = _pay(gj, office, child, 4_000)
    S.committed(
        gj,
        lambda uow: accounts.reverse_transaction(
            uow, S.ctx(gj, office), txn_id=paid.body["txn_id"], reason="退药", idempotency_key="undo-1"
        ),
    )
    case = _revoke(gj, office, bid)
    assert (case["amount_fen"], case["status"]) == (0, "collected")
    assert _past(gj, a) == 10_000  # the whole family balance went back


def test_recovery_is_owed_to_the_authorizers_current_pooling_region_seed003_4_4(gj, office):
    """A transfer inside the province keeps the binding (seed 003 三); the receivable belongs to the
    region the authorizer is insured in when the case opens."""
    a, _, bid = _fraud(gj, office, paid=4_000)

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

    S.committed(gj, transfer)
    case = _revoke(gj, office, bid)
    assert (case["region_code"], case["amount_fen"]) == ("620102", 4_000)
    _collect(gj, office, case["case_id"], 4_000, "all")
    now_owed, before = L.recovery_receivable("620102"), L.recovery_receivable(GANSU)
    assert _balances(gj, now_owed, before) == {now_owed: -4_000, before: 0}
