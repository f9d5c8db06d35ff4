"""Family bindings, full-subsidy rosters and off-site registrations on the list convention (issue 17:
"Every list (persons, bindings, refunds, rosters, registrations, …) filters by date, region and
state, sorts, pages, and exports to Excel with Chinese headers, yuan amounts and masked data");
each scoped to the clerk's regions. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from gongji.bootstrap import Gongji
from gongji.domain.masking import mask_id_number
from gongji.services.offsite import registration
from gongji.services.offsite.registration import Application
from tests import support
from tests.e2e.test_refund_pages import page_login

SHENZHEN = "440300"
LONG_TERM_PROOF = frozenset({"id_card", "registration_form", "residence_proof"})


def _sheet(content: bytes) -> list[tuple[Any, ...]]:
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def test_bindings_list_filters_pages_and_exports_masked_within_the_authorizers_region(
    gj: Gongji, client: TestClient
) -> None:
    office = support.staff(gj, ["620700"])
    authorizer = support.employee_citizen(gj, office, income=100_000)
    kids = [
        support.resident(gj, office, name=n, birth=date(2012 + i, 3, 3)) for i, n in enumerate(["欧阳甲", "欧阳乙"])
    ]
    for kid in kids:
        support.bind(gj, authorizer, kid, "child")
    certs = [support.person_cert(gj, p) for p in [authorizer.person_id, *kids]]

    page_login(client, office.username)
    home = client.get("/staff")
    assert 'href="/staff/family/bindings"' in home.text
    r = client.get("/staff/family/bindings", params={"state": "active", "size": "1", "region": "620702"})
    assert r.status_code == 200 and "共 2 条" in r.text and 'data-testid="page-next"' in r.text
    assert "已绑定" in r.text and "子女" in r.text and "甘州区" in r.text
    assert (
        all(c not in r.text for c in certs)
        and mask_id_number(certs[1])
        in r.text + client.get("/staff/family/bindings", params={"state": "active", "size": "1", "page": "2"}).text
    )
    assert "共 0 条" in client.get("/staff/family/bindings", params={"state": "ended"}).text
    assert "共 0 条" in client.get("/staff/family/bindings", params={"to": "2020-01-01"}).text

    x = client.get("/staff/family/bindings.xlsx", params={"state": "active"})
    rows = _sheet(x.content)
    assert rows[1][:3] == ("绑定编号", "绑定时间", "授权人") and len(rows) == 4
    assert {r[6] for r in rows[2:]} == {mask_id_number(c) for c in certs[1:]}
    assert all(c not in repr(rows) for c in certs) and "欧阳甲" not in repr(rows)
    assert {r[8] for r in rows[2:]} == {"已绑定"}

    elsewhere = support.staff(gj, ["620100"])
    page_login(client, elsewhere.username)
    assert "共 0 条" in client.get("/staff/family/bindings").text
    assert client.get("/staff/family/bindings", params={"region": "620702"}).status_code == 403
    assert len(_sheet(client.get("/staff/family/bindings.xlsx").content)) == 2  # caption + header only


def _upload(client: TestClient, cert: str, name: str) -> int:
    form = {"benefit_year": "2027", "category": "extreme_poverty", "mode": "all_or_nothing"}
    csv_file = f"姓名,身份证号码\n{name},{cert}\n".encode()
    r = client.post("/staff/resident/roster", data=form, files={"file": ("roster.csv", csv_file, "text/csv")})
    assert r.status_code == 200 and "待审核" in r.text, r.text
    return max(int(n) for n in re.findall(r'data-roster-id="(\d+)"', r.text))


def test_rosters_list_filters_by_state_pages_and_exports_yuan_within_the_region(gj: Gongji, client: TestClient) -> None:
    clerk = support.staff(gj, ["620700"])
    checker = support.staff(gj, ["620700"])
    people = [
        support.resident(gj, clerk, name=n, birth=date(1950, 5, 5 + i)) for i, n in enumerate(["郑小梅", "郑小兰"])
    ]
    certs = [support.person_cert(gj, p) for p in people]
    page_login(client, clerk.username)
    first = _upload(client, certs[0], "郑小梅")
    _upload(client, certs[1], "郑小兰")
    assert 'href="/staff/resident/rosters"' in client.get("/staff/resident/roster").text

    page_login(client, checker.username)
    done = client.post(
        f"/staff/resident/roster/{first}/approval",
        data={"decision": "approve", "note": "复核无误"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    r = client.get("/staff/resident/rosters", params={"size": "1", "sort": "uploaded", "order": "asc"})
    assert r.status_code == 200 and "共 2 份" in r.text and 'data-testid="page-next"' in r.text
    assert "已审核导入" in r.text and "400.00" in r.text and all(c not in r.text for c in certs)
    approved = client.get("/staff/resident/rosters", params={"state": "approved"})
    assert "共 1 份" in approved.text
    assert "共 1 份" in client.get("/staff/resident/rosters", params={"state": "pending"}).text

    rows = _sheet(client.get("/staff/resident/rosters.xlsx", params={"state": "approved"}).content)
    assert rows[1][0] == "花名册编号" and rows[1][10] == "代缴保费（元）" and len(rows) == 3
    assert rows[2][0] == first and float(rows[2][10]) == 400.0 and rows[2][7] == "已审核导入"
    assert all(c not in repr(rows) for c in certs)

    elsewhere = support.staff(gj, ["620100"])
    page_login(client, elsewhere.username)
    assert "共 0 份" in client.get("/staff/resident/rosters").text
    assert client.get("/staff/resident/rosters", params={"region": "620700"}).status_code == 403
    assert len(_sheet(client.get("/staff/resident/rosters.xlsx").content)) == 2


def _register(gj: Gongji, who: Any, pid: int, kind: str = "long_term_resident") -> int:
    app = Application(person_id=pid, kind=kind, destination_code=SHENZHEN, materials=LONG_TERM_PROOF)

    def go(uow: Any) -> int:
        reg = registration.register(uow, support.ctx(gj, who), gj.profile, app)
        uow.commit()
        return reg.id

    return gj.run(go)


def test_offsite_list_filters_by_kind_and_state_pages_and_exports_masked_within_the_region(
    gj: Gongji, client: TestClient
) -> None:
    office = support.staff(gj, ["620700"])
    pids = [
        support.employee(gj, office, name=n, birth=date(1970 + i, 1, 1)) for i, n in enumerate(["司马甲", "司马乙"])
    ]
    for pid in pids:
        _register(gj, office, pid)
    certs = [support.person_cert(gj, p) for p in pids]
    lanzhou = support.staff(gj, ["620100"])
    other = support.employee(gj, lanzhou, region="620102", name="司马丙")
    _register(gj, lanzhou, other)

    page_login(client, office.username)
    r = client.get("/staff/offsite", params={"kind": "long_term_resident", "state": "valid", "size": "1"})
    assert r.status_code == 200 and "共 2 件" in r.text and 'data-testid="page-next"' in r.text
    assert "异地长期居住" in r.text and "有效" in r.text and all(c not in r.text for c in certs)
    assert "司马甲" not in r.text and "司马乙" not in r.text
    assert "共 0 件" in client.get("/staff/offsite", params={"kind": "referral"}).text
    assert "共 0 件" in client.get("/staff/offsite", params={"state": "cancelled"}).text
    bad = client.get("/staff/offsite", params={"kind": "nonsense"})
    assert bad.status_code == 422 and "备案类型不存在" in bad.text
    assert client.get("/staff/offsite", params={"region": "620100"}).status_code == 403

    rows = _sheet(client.get("/staff/offsite.xlsx", params={"kind": "long_term_resident"}).content)
    assert rows[1][:4] == ("备案编号", "办理时间", "姓名", "证件号码") and len(rows) == 4
    assert {r[3] for r in rows[2:]} == {mask_id_number(c) for c in certs}
    assert {r[4] for r in rows[2:]} == {"异地长期居住"} and {r[10] for r in rows[2:]} == {"有效"}
    assert (
        "司马甲" not in repr(rows) and "司马丙" not in repr(rows) and support.person_cert(gj, other) not in repr(rows)
    )

    page_login(client, lanzhou.username)
    assert "共 1 件" in client.get("/staff/offsite").text
