"""The clearing API (issue 15 §6) on SQLite and PostgreSQL: provincial staff run the month, a city
confirms and raises a difference, the province resolves it and takes the run to its end; the
tables download as .xlsx; refusals are 4xx with a code (never a 500, nothing written)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from openpyxl import load_workbook

from tests import backoffice_support as B
from tests import support as S
from tests.e2e.conftest import login
from tests.e2e.test_backoffice_clearing import at, month_of_two_cities


@pytest.fixture
def zj(gj, clock) -> Iterator[B.Province]:
    yield from B.zhejiang(gj, clock)


def test_the_clearing_round_trip_through_the_api(zj, clock):
    ids = month_of_two_cities(zj)
    S.staff(zj.gj, ["330100"], username="hz_clerk")
    S.staff(zj.gj, ["330200"], username="nb_clerk")
    at(zj, clock, "2026-12-03T09:00")
    c = zj.client
    province, hz, nb = login(c, "staff_zj_province"), login(c, "hz_clerk"), login(c, "nb_clerk")

    assert c.post("/api/clearing/runs", json={"month": "2026-13x"}, headers=province).status_code == 422
    refused = c.post("/api/clearing/runs", json={"month": "2026-11"}, headers=hz)
    assert refused.status_code == 403 and refused.json()["code"] == "E_FORBIDDEN"
    made = c.post("/api/clearing/runs", json={"month": "2026-11"}, headers=province)
    assert made.status_code == 201, made.text
    run: dict[str, Any] = made.json()
    rid = run["run_id"]
    assert [(x["city_name"], x["net_fen"]) for x in run["cities"]] == [("杭州市", -70_00), ("宁波市", 70_00)]
    listed = c.get("/api/clearing/runs", params={"month": "2026-11"}, headers=nb).json()
    assert [r["run_id"] for r in listed] == [rid]  # every region of the province may query it
    only_nb = c.get(f"/api/clearing/runs/{rid}", params={"region": "330200"}, headers=nb).json()
    assert [x["city_code"] for x in only_nb["cities"]] == ["330200"]
    rows = c.get(f"/api/clearing/runs/{rid}/detail", params={"region": "330200"}, headers=nb).json()["rows"]
    assert sorted(r["amount_fen"] for r in rows) == [20_00, 30_00, 80_00]

    raised = c.post(
        f"/api/clearing/runs/{rid}/differences",
        json={"city": "330100", "settlement_id": ids["offsite_setl_id"], "reason": "温州就医未到账"},
        headers=hz,
    )
    assert raised.status_code == 201, raised.text
    diff = raised.json()["differences"][0]["id"]
    blocked = c.post(f"/api/clearing/runs/{rid}/confirm", json={"city": "330100", "kind": "offsite"}, headers=hz)
    assert blocked.status_code == 409 and blocked.json()["code"] == "E_STATE"
    kept = c.post(
        f"/api/clearing/differences/{diff}/resolve", json={"resolution": "kept", "note": "核实无误"}, headers=province
    )
    assert kept.status_code == 200 and kept.json()["differences"][0]["resolution"] == "kept"
    for who, city in ((hz, "330100"), (nb, "330200")):
        for kind in ("local", "offsite"):
            r = c.post(f"/api/clearing/runs/{rid}/confirm", json={"city": city, "kind": kind}, headers=who)
            assert r.status_code == 200, r.text
    assert c.post(f"/api/clearing/runs/{rid}/tables", headers=province).json()["state"] == "tables"
    assert c.post(f"/api/clearing/runs/{rid}/notice", headers=province).json()["state"] == "noticed"
    assert c.post(f"/api/clearing/runs/{rid}/remit", json={"city": "330100"}, headers=hz).status_code == 200
    done = c.post(f"/api/clearing/runs/{rid}/transfer", json={"city": "330200"}, headers=province).json()
    assert done["state"] == "closed"

    xlsx = c.get(f"/api/clearing/runs/{rid}/balance.xlsx", headers=nb)
    assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    assert (sheet["C4"].value, sheet["F4"].value, sheet["A6"].value) == ("杭州市", -70, "合计")
    detail = load_workbook(io.BytesIO(c.get(f"/api/clearing/runs/{rid}/detail.xlsx", headers=nb).content))
    assert detail.worksheets[0].max_row == 7
    assert c.get("/api/clearing/runs/999999", headers=nb).status_code == 404
