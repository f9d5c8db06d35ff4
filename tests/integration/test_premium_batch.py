"""The tax bureau's 代缴 requests as a batch (issue 5): ``premium_batch.tax_family_payments_batch``.

Same checks and stored answers as one request at a time (``premiums.tax_family_payment``, seed 003
附件三(二)), one transaction per chunk. Gansu (allocation model): one authorizer has bound eight
children, six of whose family accounts hold the premium; a ninth child is not bound. The clock
stands at 2026-11-23, inside the 2027 collection window (individual premium 400.00 yuan).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from gongji.adapters.db.models import LedgerTxn, ResidentPremium, TaxRequest
from gongji.domain import ledger as L
from gongji.domain.errors import Forbidden
from gongji.services import auth, ledger
from gongji.services.auth import Role
from gongji.services.resident import batch as premium_batch
from gongji.services.resident import premiums
from tests import support as S

GANSU = "620702"
YEAR = 2027
DUE = 40_000
INCOME = premiums.premium_income_account(GANSU, "390")


@pytest.fixture
def office(gj):
    return S.staff(gj, ["620000"])


@pytest.fixture
def tax(gj):
    def go(uow: Any) -> Any:
        user = auth.create_user(uow, username="tax_batch", password=S.PASSWORD, role=Role.TAX, display_name="税务")
        p = auth.principal_of(uow, user)
        uow.commit()
        return p

    return gj.run(go)


@pytest.fixture
def family(gj, office):
    """The authorizer's cert, eight bound children (six funded), one child not bound."""
    pid = S.employee(gj, office, region=GANSU, income_fen=500_000)
    authorizer = S.citizen(gj, pid)
    children = [S.resident(gj, office, region=GANSU, name="王小明", birth=date(2010, 1, 1 + i)) for i in range(9)]
    bindings = [S.bind(gj, authorizer, child, "child")["binding_id"] for child in children[:8]]
    for b in bindings[:6]:
        S.allocate(gj, authorizer, b, DUE)
    return {
        "payer": S.person_cert(gj, pid),
        "funded": [S.person_cert(gj, c) for c in children[:6]],
        "empty": [S.person_cert(gj, c) for c in children[6:8]],
        "unbound": S.person_cert(gj, children[8]),
        "bindings": bindings,
    }


def _req(rid: str, payer: str, relative: str, **changes: Any) -> premiums.TaxPremiumRequest:
    fields: dict[str, Any] = {
        "request_id": rid,
        "payer_cert_no": payer,
        "relative_cert_no": relative,
        "benefit_year": YEAR,
        "amount_fen": DUE,
        "insutype": "390",
    }
    return premiums.TaxPremiumRequest(**(fields | changes))


def _batch(f: dict[str, Any]) -> tuple[list[premiums.TaxPremiumRequest], Counter[str]]:
    """50 requests and the reason code each new refusal must get."""
    payer = f["payer"]
    reqs, expected = [], Counter[str]()
    n = iter(range(1, 100))

    def add(reason: str | None, relative: str, **changes: Any) -> None:
        reqs.append(_req(f"B-{next(n):03d}", payer, relative, **changes))
        if reason:
            expected[reason] += 1

    for cert in f["funded"]:
        add(None, cert)  # paid
    for cert in f["empty"]:
        add("E_RESIDENT_INSUFFICIENT_FUNDS", cert)
    add("E_RESIDENT_NO_BINDING", f["unbound"])
    for _ in range(4):
        for cert in f["funded"]:
            add("E_RESIDENT_ALREADY_PAID", cert)  # a new request id for a premium paid above
    for cert in f["empty"][:1] * 5:
        add("E_RESIDENT_AMOUNT", cert, amount_fen=DUE - 1)
    stranger = S.new_id(GANSU, date(1971, 1, 1))  # well formed, never registered
    for _ in range(3):
        add("E_RESIDENT_PERSON_UNKNOWN", f["empty"][0], payer_cert_no=stranger)
    for _ in range(3):
        add("E_RESIDENT_OUTSIDE_WINDOW", f["empty"][1], benefit_year=2026)  # collected in 2025
    reqs.append(_req("not a valid id!", payer, f["funded"][0]))  # malformed: 422, not stored
    reqs.append(_req("B-900", payer, f["funded"][0], amount_fen=0))  # malformed amount
    reqs.append(reqs[0])  # the same request again, in the same batch: replayed
    reqs.append(_req(reqs[1].request_id, payer, f["funded"][1], amount_fen=DUE + 1))  # same id, other body
    add("E_RESIDENT_ALREADY_PAID", f["funded"][2])
    add("E_RESIDENT_ALREADY_PAID", f["funded"][3])
    assert len(reqs) == 50
    return reqs, expected


def _state(gj) -> tuple[int, int, int, int]:
    def go(uow: Any) -> tuple[int, int, int, int]:
        count = lambda q: int(uow.session.scalar(q) or 0)  # noqa: E731
        return (
            count(select(func.count()).select_from(LedgerTxn)),
            count(select(func.count()).select_from(TaxRequest)),
            count(select(func.count()).select_from(ResidentPremium).where(ResidentPremium.status == "paid")),
            ledger.balances_of(uow, [INCOME])[INCOME],
        )

    return gj.run(go)


def _send(gj, tax, reqs, *, batch_size=7) -> tuple[premium_batch.BatchResult, list[dict[str, Any]], list[int]]:
    answers: list[dict[str, Any]] = []
    pulled = {"n": 0}
    ahead: list[int] = []

    def stream() -> Iterator[premiums.TaxPremiumRequest]:
        for r in reqs:
            pulled["n"] += 1
            yield r

    def on_chunk(total: premium_batch.BatchResult) -> None:
        ahead.append(pulled["n"] - total.requests)  # read from the stream but not yet answered

    result = premium_batch.tax_family_payments_batch(
        gj.uow,
        S.ctx(gj, tax),
        gj.profile,
        stream(),
        batch_size=batch_size,
        on_answer=lambda req, answer: answers.append(answer),
        on_chunk=on_chunk,
    )
    return result, answers, ahead


def test_a_batch_pays_and_refuses_like_single_requests_and_streams_by_chunk_issue5(gj, tax, family):
    reqs, expected = _batch(family)
    before = _state(gj)
    result, answers, ahead = _send(gj, tax, reqs)

    assert result.as_dict() == {
        "requests": 50,
        "paid": 6,
        "refused": sum(expected.values()),
        "replayed": 1,
        "conflicts": 1,
        "invalid": 2,
        "chunks": 8,
        "reasons": dict(sorted(expected.items())),
    }
    assert [a["request_id"] for a in answers] == [r.request_id for r in reqs]  # one answer each, in order
    assert max(ahead) <= 7  # the stream is read one chunk ahead at most
    rejected = {a["request_id"]: a["reason_code"] for a in answers if a["status"] == premium_batch.REJECTED}
    assert rejected == {"not a valid id!": "E_VALIDATION", "B-900": "E_AMOUNT", "B-002": "E_IDEMPOTENCY_MISMATCH"}
    assert answers[-4] == answers[0] and answers[0]["status"] == "paid"  # the twin got the stored answer

    txns, stored, paid, income = _state(gj)
    assert stored - before[1] == 50 - 4  # rejected requests and the replayed twin add no row
    assert paid - before[2] == 6 and income - before[3] == 6 * DUE
    assert txns - before[0] == 6
    for b in family["bindings"]:
        assert gj.run(lambda uow, b=b: ledger.balances_of(uow, [L.family_account(b)]))[L.family_account(b)] == 0
    assert gj.run(lambda uow: ledger.check_ledger(uow)).ok

    # each stored answer is what a single request would read back
    for a in answers[:3]:
        assert gj.run(lambda uow, a=a: premiums.tax_answer(uow, S.ctx(gj, tax), request_id=a["request_id"])) == a


def test_the_same_batch_again_is_replayed_and_moves_no_money_issue5(gj, tax, family):
    reqs, _ = _batch(family)
    _, first, _ = _send(gj, tax, reqs)
    after_first = _state(gj)

    again, answers, _ = _send(gj, tax, reqs, batch_size=20)
    assert (again.paid, again.refused, again.replayed, again.conflicts, again.invalid) == (0, 0, 47, 1, 2)
    assert not again.reasons
    assert answers == first  # the same answers, word for word
    assert _state(gj) == after_first
    assert gj.run(lambda uow: ledger.check_ledger(uow)).ok


def test_a_request_id_repeated_with_another_body_is_refused_and_changes_nothing_issue5(gj, tax, family):
    reqs, _ = _batch(family)
    _send(gj, tax, reqs[:9])
    before = _state(gj)
    other = _req(reqs[6].request_id, family["payer"], family["funded"][0], amount_fen=DUE)  # was for empty[0]
    result, answers, _ = _send(gj, tax, [other])
    assert (result.conflicts, result.paid, result.refused, result.replayed) == (1, 0, 0, 0)
    assert answers[0]["status"] == "rejected" and answers[0]["reason_code"] == "E_IDEMPOTENCY_MISMATCH"
    stored = gj.run(lambda uow: premiums.tax_answer(uow, S.ctx(gj, tax), request_id=other.request_id))
    assert stored["reason_code"] == "E_RESIDENT_INSUFFICIENT_FUNDS"  # the first answer stands
    assert _state(gj) == before
    assert gj.run(lambda uow: ledger.check_ledger(uow)).ok


def test_only_the_tax_bureau_sends_a_batch_issue5(gj, office):
    pulled = []

    def stream() -> Iterator[premiums.TaxPremiumRequest]:
        pulled.append(1)
        yield _req("B-001", S.new_id(GANSU, date(1980, 1, 1)), S.new_id(GANSU, date(2012, 1, 1)))

    with pytest.raises(Forbidden):
        premium_batch.tax_family_payments_batch(gj.uow, S.ctx(gj, office), gj.profile, stream())
    assert not pulled
