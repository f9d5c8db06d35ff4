"""Fixing mistakes by reversing entries, freezing accounts, account movements (issue 2 §2-3, SPEC §2)."""

from __future__ import annotations

from sqlalchemy import func, select

from gongji.adapters.db.models import LedgerTxn
from tests import support
from tests.e2e.conftest import login


def _income(client, headers, pid, amount, key, month="2026-10"):
    return client.post(
        f"/api/persons/{pid}/account/income",
        json={"month": month, "kind": "employee_contribution", "amount_fen": amount},
        headers=headers | {"Idempotency-Key": key},
    )


def test_a_mistaken_income_is_undone_by_a_reversing_entry_once(gj, client):
    """The reversal frees the month: the right amount is then entered for it (issue 12 Part C)."""
    staff = support.staff(gj, ["620700"], username="staff_rev")
    pid = support.employee(gj, staff)
    headers = login(client, "staff_rev")
    wrong = _income(client, headers, pid, 9_999, "typo").json()
    rev = client.post(
        f"/api/ledger/transactions/{wrong['txn_id']}/reverse",
        json={"reason": "金额录入错误"},
        headers=headers | {"Idempotency-Key": "rev-typo"},
    )
    assert rev.status_code == 201, rev.text
    assert rev.json()["reverses_txn_id"] == wrong["txn_id"]
    replay = client.post(
        f"/api/ledger/transactions/{wrong['txn_id']}/reverse",
        json={"reason": "金额录入错误"},
        headers=headers | {"Idempotency-Key": "rev-typo"},
    )
    assert replay.status_code == 200 and replay.json() == rev.json()
    twice = client.post(
        f"/api/ledger/transactions/{wrong['txn_id']}/reverse",
        json={"reason": "再冲一次"},
        headers=headers | {"Idempotency-Key": "rev-typo-2"},
    )
    assert twice.status_code == 409 and twice.json()["code"] == "E_STATE"
    assert _income(client, headers, pid, 1_000, "right").status_code == 201
    record = client.get(f"/api/persons/{pid}", headers=headers).json()
    assert record["account"]["current_fen"] == 1_000
    moves = client.get(f"/api/persons/{pid}/account/movements", headers=headers).json()["items"]
    assert [m["amount_fen"] for m in moves] == [1_000, -9_999, 9_999]  # history keeps both, newest first
    with gj.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(LedgerTxn)) == 3


def test_a_reversal_is_not_itself_reversed(gj, client):
    staff = support.staff(gj, ["620700"], username="staff_rev2")
    pid = support.employee(gj, staff)
    headers = login(client, "staff_rev2")
    first = _income(client, headers, pid, 500, "inc").json()
    reverse = {"reason": "重复入账"}
    ok = client.post(
        f"/api/ledger/transactions/{first['txn_id']}/reverse", json=reverse, headers=headers | {"Idempotency-Key": "r1"}
    )
    assert ok.status_code == 201
    again = client.post(
        f"/api/ledger/transactions/{ok.json()['txn_id']}/reverse",
        json=reverse,
        headers=headers | {"Idempotency-Key": "r2"},
    )
    assert again.status_code == 409  # a reversal is not reversed


def test_staff_of_another_region_cannot_reverse(gj, client):
    owner = support.staff(gj, ["620700"], username="staff_owner")
    support.staff(gj, ["330100"], username="staff_hz")
    pid = support.employee(gj, owner)
    txn = _income(client, login(client, "staff_owner"), pid, 700, "k").json()["txn_id"]
    r = client.post(
        f"/api/ledger/transactions/{txn}/reverse",
        json={"reason": "越权"},
        headers=login(client, "staff_hz") | {"Idempotency-Key": "x"},
    )
    assert r.status_code == 403 and r.json()["code"] == "E_OUT_OF_REGION"


def test_a_frozen_account_takes_credits_but_no_debits(gj, client):
    staff = support.staff(gj, ["620700"], username="staff_frz")
    pid = support.employee(gj, staff)
    headers = login(client, "staff_frz")
    txn = _income(client, headers, pid, 800, "before").json()["txn_id"]
    assert (
        client.post(f"/api/persons/{pid}/account/freeze", json={"reason": "司法冻结"}, headers=headers).json()["status"]
        == "frozen"
    )
    assert _income(client, headers, pid, 200, "while-frozen", month="2026-09").status_code == 201
    blocked = client.post(
        f"/api/ledger/transactions/{txn}/reverse",
        json={"reason": "冻结期间冲正"},
        headers=headers | {"Idempotency-Key": "rf"},
    )
    assert blocked.status_code == 422 and blocked.json()["code"] == "E_ACCOUNT_FROZEN"
    assert (
        client.post(f"/api/persons/{pid}/account/unfreeze", json={"reason": "解除冻结"}, headers=headers).json()[
            "status"
        ]
        == "normal"
    )
    again = client.post(f"/api/persons/{pid}/account/unfreeze", json={"reason": "解除冻结"}, headers=headers)
    assert again.status_code == 409


def test_citizen_sees_own_movements_but_not_anothers(gj, client):
    staff = support.staff(gj, ["620700"])
    mine = support.employee(gj, staff, income_fen=321)
    other = support.employee(gj, staff, income_fen=123)
    support.citizen(gj, mine, username="citizen_mv")
    headers = login(client, "citizen_mv")
    items = client.get(f"/api/persons/{mine}/account/movements", headers=headers).json()["items"]
    assert [m["amount_fen"] for m in items] == [321]
    assert client.get(f"/api/persons/{other}/account/movements", headers=headers).status_code == 403


def test_a_reversal_cannot_push_an_account_below_zero(gj, client):
    """After the year-end rollover the current-year account is empty: reversing its income is refused."""
    from gongji.services.registry import accounts

    staff = support.staff(gj, ["620700"], username="staff_rev3")
    pid = support.employee(gj, staff)
    headers = login(client, "staff_rev3")
    txn = _income(client, headers, pid, 600, "inc-600").json()["txn_id"]

    def roll(uow):
        accounts.year_end_rollover(uow, support.ctx(gj, staff), year=2026, person_ids=[pid])
        uow.commit()

    gj.run(roll)
    r = client.post(
        f"/api/ledger/transactions/{txn}/reverse",
        json={"reason": "结转后冲正"},
        headers=headers | {"Idempotency-Key": "late"},
    )
    assert r.status_code == 422 and r.json()["code"] == "E_INSUFFICIENT_BALANCE"
    record = client.get(f"/api/persons/{pid}", headers=headers).json()["account"]
    assert (record["current_fen"], record["past_years_fen"]) == (0, 600)
