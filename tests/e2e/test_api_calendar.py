"""The working-day calendar over HTTP and on the staff page, and the business clock's banner
(issue 14 §1; SPEC §7 工作日 follow the official 调休 schedule; beyond chinesecalendar's years
Mon–Fri provisional, with overrides staff keep)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gongji.adapters.db.models import AuditLog, CalendarOverride
from gongji.bootstrap import Gongji
from gongji.domain.clock import SHANGHAI, OffsetClock
from gongji.entrypoints.api.app import create_app
from tests import support
from tests.e2e.conftest import login


@pytest.fixture
def province(gj, client):
    support.staff(gj, ["620000"], username="cal_prov")
    return login(client, "cal_prov")


def test_the_api_counts_2_working_days_from_the_eve_of_national_day_to_10_09(gj, client, province):
    r = client.get("/api/calendar/add", params={"start": "2026-09-30", "n": 2}, headers=province)
    assert r.status_code == 200
    assert r.json() == {"start": "2026-09-30", "working_days": 2, "due": "2026-10-09", "provisional": False}
    between = client.get("/api/calendar/between", params={"start": "2026-09-30", "end": "2026-10-10"}, headers=province)
    assert between.json()["working_days"] == 3  # 10-08, 10-09 and the make-up Saturday 10-10
    day = client.get("/api/calendar/days/2026-10-10", headers=province).json()
    assert (day["working"], day["kind"], day["kind_zh"]) == (True, "makeup", "调休上班")


def test_provincial_staff_enter_2027_new_year_and_deadlines_move_with_it_audited(gj, client, province):
    before = client.get("/api/calendar/add", params={"start": "2026-12-31", "n": 1}, headers=province).json()
    assert (before["due"], before["provisional"]) == ("2027-01-01", True)

    r = client.put(
        "/api/calendar/overrides/2027-01-01",
        json={"working": False, "name": "元旦", "note": "国务院办公厅关于2027年部分节假日安排的通知"},
        headers=province,
    )
    assert r.status_code == 200 and r.json()["kind"] == "holiday" and r.json()["source"] == "override"
    confirmed = client.post(
        "/api/calendar/years/2027/confirmation", json={"source": "国办发明电〔2026〕演示号"}, headers=province
    )
    assert confirmed.status_code == 200 and confirmed.json()["confirmed"] and not confirmed.json()["provisional"]

    after = client.get("/api/calendar/add", params={"start": "2026-12-31", "n": 1}, headers=province).json()
    assert (after["due"], after["provisional"]) == ("2027-01-04", False)

    rows = gj.run(
        lambda uow: [
            (a.action, a.entity_id, json.loads(a.detail_json))
            for a in uow.session.scalars(
                select(AuditLog).where(AuditLog.action.like("calendar.%")).order_by(AuditLog.id)
            )
        ]
    )
    assert [(a, e) for a, e, _ in rows] == [("calendar.override.set", "2027-01-01"), ("calendar.year.confirm", "2027")]
    assert rows[0][2]["before"]["working"] is True and rows[0][2]["after"]["working"] is False

    cleared = client.request(
        "DELETE", "/api/calendar/overrides/2027-01-01", json={"note": "录入有误，撤销"}, headers=province
    )
    assert cleared.status_code == 200 and cleared.json()["working"] is True
    assert gj.run(lambda uow: uow.session.get(CalendarOverride, date(2027, 1, 1))) is None


def test_district_staff_may_read_the_calendar_but_not_change_it(gj, client):
    support.staff(gj, ["620702"], username="cal_district")
    district = login(client, "cal_district")
    assert client.get("/api/calendar/2027", headers=district).json()["provisional"] is True
    r = client.put(
        "/api/calendar/overrides/2027-01-01",
        json={"working": False, "name": "元旦", "note": "试图修改"},
        headers=district,
    )
    assert r.status_code == 403 and r.json()["code"] == "E_FORBIDDEN" and "省级" in r.json()["message"]
    assert gj.run(lambda uow: uow.session.scalars(select(CalendarOverride)).all()) == []


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("/api/calendar/overrides/2027-01-01", {"working": False, "note": "x"}, "E_VALIDATION"),
        ("/api/calendar/overrides/2027-02-30", {"working": False, "note": "依据"}, "E_VALIDATION"),
        ("/api/calendar/overrides/2027-01-01", {"working": "no", "note": "依据"}, "E_VALIDATION"),
    ],
)
def test_bad_calendar_input_is_a_4xx_with_a_code_never_a_500(gj, client, province, path, body, code):
    r = client.put(path, json=body, headers=province)
    assert 400 <= r.status_code < 500 and r.json()["code"] == code


def test_confirming_a_year_the_official_data_covers_is_refused(gj, client, province):
    r = client.post("/api/calendar/years/2026/confirmation", json={"source": "国办发明电〔2025〕7号"}, headers=province)
    assert r.status_code == 422 and r.json()["code"] == "E_VALIDATION" and "官方" in r.json()["message"]


# --- the business clock ------------------------------------------------------------------------


@pytest.fixture
def sim_client(gj: Gongji) -> Iterator[TestClient]:
    gj.clock = OffsetClock(datetime(2026, 9, 30, 9, 0, tzinfo=SHANGHAI))
    with TestClient(create_app(gj), raise_server_exceptions=False) as c:
        yield c


def test_every_page_shows_the_simulated_date_when_gongji_clock_is_set(gj, sim_client):
    login_page = sim_client.get("/login")
    assert 'data-testid="sim-clock"' in login_page.text and "2026-09-30" in login_page.text
    support.staff(gj, ["620000"], username="cal_sim")
    headers = login(sim_client, "cal_sim")
    sim_client.cookies.set("gongji_token", headers["Authorization"][7:])
    page = sim_client.get("/staff/calendar")
    assert page.status_code == 200 and "业务日期" in page.text and "2026-09-30" in page.text
    assert sim_client.get("/api/clock", headers=headers).json()["simulated"] is True


def test_no_banner_on_real_time(gj, client):
    assert 'data-testid="sim-clock"' not in client.get("/login").text


def test_the_staff_page_shows_a_provisional_year_and_province_staff_set_a_day(gj, client, province):
    client.cookies.set("gongji_token", province["Authorization"][7:])
    page = client.get("/staff/calendar?year=2027")
    assert page.status_code == 200 and "暂定" in page.text and 'data-testid="edit-day"' in page.text
    r = client.post(
        "/staff/calendar/days",
        data={"day": "2027-02-06", "working": "1", "name": "春节调休上班", "note": "国办发明电〔2026〕演示号"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "year=2027" in r.headers["location"]
    shown = client.get(r.headers["location"]).text
    assert "已保存该日期的调整" in shown
    assert 'data-testid="day-2027-02-06" data-working="1"' in shown  # a Saturday, now worked
    assert 'data-testid="day-2027-02-13" data-working="0"' in shown  # the next Saturday is not
    calc = client.get("/staff/calendar?year=2026&start=2026-09-30&n=2").text
    assert "2026-10-09" in calc
    bad = client.post("/staff/calendar/days", data={"day": "2027-02-07", "working": "1", "note": ""})
    assert bad.status_code == 422 and "E_VALIDATION" in bad.text
