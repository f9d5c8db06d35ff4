"""Manual personal-account income over HTTP: bounded, not for a future month, once per month and
kind, and above the threshold approved by a second clerk (issue 12 Part C)."""

from __future__ import annotations

from sqlalchemy import func, select

from gongji.adapters.db.models import AccountIncome, LedgerTxn
from tests import support
from tests.e2e.conftest import login


def _income(client, headers, pid, amount, key, month="2026-10"):
    return client.post(
        f"/api/persons/{pid}/account/income",
        json={"month": month, "kind": "employee_contribution", "amount_fen": amount},
        headers=headers | {"Idempotency-Key": key},
    )


def _count(gj, model):
    return gj.run(lambda uow: uow.session.scalar(select(func.count()).select_from(model)))


def test_income_above_the_threshold_answers_202_and_waits_for_a_second_clerk(gj, client):
    support.staff(gj, ["620000"], username="maker_p")
    support.staff(gj, ["620000"], username="checker_p")
    maker, checker = login(client, "maker_p"), login(client, "checker_p")
    pid = support.employee(gj, support.staff(gj, ["620702"]))

    entered = _income(client, maker, pid, 80_000, "big")
    assert entered.status_code == 202 and entered.json()["status"] == "pending"
    iid = entered.json()["income_id"]
    replay = _income(client, maker, pid, 80_000, "big")
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert client.get(f"/api/persons/{pid}", headers=checker).json()["account"]["current_fen"] == 0

    pending = client.get("/api/account-incomes/pending", headers=checker).json()
    assert [i["income_id"] for i in pending["items"]] == [iid]
    review = client.get(f"/api/account-incomes/{iid}", headers=checker).json()
    assert review["amount_fen"] == 80_000 and review["balance_after_fen"] == 80_000

    own = client.post(f"/api/account-incomes/{iid}/approve", headers=maker)
    assert own.status_code == 403 and own.json()["code"] == "E_FOUR_EYES"
    assert _count(gj, LedgerTxn) == 0
    ok = client.post(f"/api/account-incomes/{iid}/approve", headers=checker)
    assert ok.status_code == 200 and ok.json()["status"] == "posted" and ok.json()["txn_id"]
    assert client.get(f"/api/persons/{pid}", headers=checker).json()["account"]["current_fen"] == 80_000
    again = client.post(f"/api/account-incomes/{iid}/approve", headers=checker)
    assert again.status_code == 409 and again.json()["code"] == "E_STATE"


def test_income_refusals_answer_a_clear_code_and_write_nothing(gj, client):
    support.staff(gj, ["620000"], username="maker_r")
    headers = login(client, "maker_r")
    pid = support.employee(gj, support.staff(gj, ["620702"]))
    assert _income(client, headers, pid, 1_000, "first").status_code == 201
    before = (_count(gj, LedgerTxn), _count(gj, AccountIncome))

    too_much = _income(client, headers, pid, 100_001, "too-much", month="2026-09")
    future = _income(client, headers, pid, 1_000, "future", month="2026-12")
    twice = _income(client, headers, pid, 1_000, "second")
    assert (too_much.status_code, too_much.json()["code"]) == (422, "E_AMOUNT")
    assert (future.status_code, future.json()["code"]) == (422, "E_VALIDATION")
    assert (twice.status_code, twice.json()["code"]) == (409, "E_DUPLICATE")
    assert "不能重复入账" in twice.json()["message"]
    assert (_count(gj, LedgerTxn), _count(gj, AccountIncome)) == before


def test_a_waiting_income_is_rejected_with_a_reason(gj, client):
    support.staff(gj, ["620000"], username="maker_j")
    support.staff(gj, ["620000"], username="checker_j")
    maker, checker = login(client, "maker_j"), login(client, "checker_j")
    pid = support.employee(gj, support.staff(gj, ["620702"]))
    iid = _income(client, maker, pid, 60_000, "wait").json()["income_id"]

    no_reason = client.post(f"/api/account-incomes/{iid}/reject", json={"reason": ""}, headers=checker)
    assert no_reason.status_code == 422
    rejected = client.post(f"/api/account-incomes/{iid}/reject", json={"reason": "月份有误"}, headers=checker)
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert _count(gj, LedgerTxn) == 0
    assert client.get("/api/account-incomes/pending", headers=checker).json()["count"] == 0
    assert client.get("/api/account-incomes/999999", headers=checker).status_code == 404
