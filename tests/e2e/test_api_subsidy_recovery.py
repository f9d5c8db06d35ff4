"""资助追回 over HTTP (issue 12; seed 002 §七, 003 附件三(二)4): staff list what relatives owe back
after a family-paid premium was refunded whole, collect it with an Idempotency-Key, and write off
the rest only with a second clerk. SQLite and PostgreSQL."""

from __future__ import annotations

from tests import support as S
from tests.e2e.conftest import login
from tests.integration.test_subsidy_recovery import FIXED, _family_paid_fixed_subsidy_relative, _refund


def test_staff_collect_and_write_off_a_subsidy_recovery_by_two_clerks_seed002_s7(gj, client) -> None:
    office = S.staff(gj, ["620000"], username="rec_maker")
    S.staff(gj, ["620000"], username="rec_checker")
    S.staff(gj, ["330000"], username="rec_zj")
    s = _family_paid_fixed_subsidy_relative(gj, office)
    _refund(gj, s["authorizer"], office, s["payment_id"])
    h, hc, hz = login(client, "rec_maker"), login(client, "rec_checker"), login(client, "rec_zj")

    [owed] = client.get("/api/subsidies/recoveries", headers=h).json()
    assert (owed["amount_fen"], owed["status"], owed["origin"]) == (FIXED, "open", "refund")
    assert "*" in owed["person"]["name"]  # masked
    assert client.get("/api/subsidies/recoveries", headers=hz).json() == []

    url = f"/api/subsidies/recoveries/{owed['recovery_id']}"
    body = {"amount_fen": 5_000}
    first = client.post(f"{url}/collections", json=body, headers=h | {"Idempotency-Key": "c-1"})
    assert first.status_code == 201 and first.json()["outstanding_fen"] == FIXED - 5_000
    again = client.post(f"{url}/collections", json=body, headers=h | {"Idempotency-Key": "c-1"})
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    too_much = client.post(f"{url}/collections", json={"amount_fen": FIXED}, headers=h | {"Idempotency-Key": "c-2"})
    assert too_much.status_code == 422 and too_much.json()["code"] == "E_FAMILY_RECOVERY_EXCEEDS"
    bad = client.post(f"{url}/collections", json={"amount_fen": "x"}, headers=h | {"Idempotency-Key": "c-3"})
    assert bad.status_code == 422

    assert client.post(f"{url}/write-off", json={"reason": "本人已出国定居"}, headers=h).status_code == 200
    same = client.post(f"{url}/write-off/approve", headers=h)
    assert same.status_code == 403 and same.json()["code"] == "E_FOUR_EYES"
    done = client.post(f"{url}/write-off/approve", headers=hc)
    assert done.status_code == 200 and (done.json()["status"], done.json()["written_off_fen"]) == (
        "written_off",
        FIXED - 5_000,
    )
    assert client.get("/api/subsidies/recoveries", headers=h).json() == []
