"""Collection API (issue 16 §2, §5; seed 002 §八3, §九4): progress with the target in force, the
people behind a number within scope and masked, and the 周通报/月清理/季汇总 as JSON, Excel and a PDF
with the issuing office. Both databases."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from tests import collection_support as cs
from tests import support as S
from tests.collection_support import DISTRICT, YEAR
from tests.e2e.conftest import login


def _setup(gj):  # type: ignore[no-untyped-def]
    boss = S.staff(gj, [DISTRICT], "coll_boss")
    t1 = cs.unit(gj, boss, "新墩镇", "town")
    t2 = cs.unit(gj, boss, "长安镇", "town")
    v1 = cs.unit(gj, boss, "流泉村", "village", parent=t1)
    v2 = cs.unit(gj, boss, "南关村", "village", parent=t2)
    a = cs.residents(gj, boss, v1, 4)
    b = cs.residents(gj, boss, v2, 2)
    cs.compute(gj, boss)
    cs.pay_on(gj, boss, a[0], date(2026, 9, 15))
    cs.pay_on(gj, boss, b[0], date(2026, 9, 16))
    cs.pay_on(gj, boss, b[1], date(2026, 10, 20))
    clerk = S.staff(gj, [DISTRICT], "coll_clerk")
    c = S.ctx(gj, boss)
    from gongji.services.collection import units

    cs.run(gj, lambda uow: units.set_staff_township(uow, c, user_id=clerk.user_id, township_id=t1))
    return t1, t2, v1


def test_progress_people_and_bulletins_through_the_api(gj, client) -> None:  # type: ignore[no-untyped-def]
    t1, t2, v1 = _setup(gj)
    h = login(client, "coll_boss")
    q = f"year={YEAR}&day=2026-10-01"
    r = client.get(f"/api/collection/progress?area={DISTRICT}&{q}", headers=h).json()
    assert (r["total"]["task"], r["total"]["paid"]) == (6, 2)
    rows = {x["name"]: x for x in r["children"]}
    assert rows["新墩镇"]["behind"] and rows["新墩镇"]["required_permille"] == 350  # 1/4 < 35%
    assert not rows["长安镇"]["behind"]  # 1/2
    people = client.get(f"/api/collection/people?area=t{t1}&what=unpaid&{q}", headers=h).json()
    assert people["total"] == 3 and all(p["name"].endswith("*") and "*" in p["cert_no"] for p in people["items"])

    weekly = client.get(f"/api/collection/bulletins/weekly?area={DISTRICT}&{q}", headers=h).json()
    assert weekly["issuer"] == "甘肃省张掖市甘州区医疗保障局" and weekly["issued_on"] == "2026-10-01"
    ranking = weekly["sections"][0]["rows"]
    assert [row[1] for row in ranking] == ["长安镇", "新墩镇"] and weekly["sections"][0]["red"] == [False, True]
    assert [row[1] for row in weekly["sections"][1]["rows"]] == ["流泉村"]
    pdf = client.get(f"/api/collection/bulletins/weekly?area={DISTRICT}&{q}&format=pdf", headers=h)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = client.get(f"/api/collection/bulletins/quarterly?area={DISTRICT}&{q}&format=xlsx", headers=h)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "发文单位：甘肃省张掖市甘州区医疗保障局" in values and "合计" in values
    monthly = client.get(f"/api/collection/bulletins/monthly?area={DISTRICT}&{q}", headers=h).json()
    assert len(monthly["sections"]) == 4


def test_a_township_clerk_gets_only_their_township_through_the_api(gj, client) -> None:  # type: ignore[no-untyped-def]
    t1, t2, v1 = _setup(gj)
    h = login(client, "coll_clerk")
    q = f"year={YEAR}&day=2026-10-01"
    mine = client.get(f"/api/collection/progress?{q}", headers=h).json()
    assert mine["area"] == f"t{t1}" and [x["name"] for x in mine["children"]] == ["流泉村"]
    for area in (DISTRICT, f"t{t2}"):
        r = client.get(f"/api/collection/people?area={area}&what=task&{q}", headers=h)
        assert r.status_code == 403 and r.json()["code"] == "E_OUT_OF_REGION"
    assert client.get(f"/api/collection/people?area=u{v1}&what=task&{q}", headers=h).json()["total"] == 4
    bad = client.get(f"/api/collection/progress?area=x1&{q}", headers=h)
    assert bad.status_code == 422
