"""Staff person search (issue 17 "Clerks": search by whole or partial ID number, name, phone or
social-security card, paged with a total, scoped to the clerk's regions, masked, exported)."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from gongji.adapters.db.models import AuditLog
from gongji.adapters.xlsx_list import write
from gongji.domain.errors import InvalidRequest, OutOfRegion
from gongji.domain.masking import mask_id_number, mask_phone
from gongji.entrypoints.web.person_list_pages import EXPORT_COLS
from gongji.services.listing import ListQuery
from gongji.services.registry import cards, search
from gongji.services.registry import persons as registry
from tests import support


def person(gj, by, *, name, region="620702", phone=None, card=None, birth=date(1980, 5, 4), male=True) -> dict:
    cert = support.new_id(region, birth, male=male)

    def go(uow: Any) -> int:
        c = support.ctx(gj, by)
        p = registry.register_person(uow, c, cert_no=cert, name=name, phone=phone)
        registry.enroll(
            uow, c, person_id=p.id, insutype="390", region_code=region, psn_type="1403", start_date=date(2026, 1, 1)
        )
        if card:
            cards.record_card(uow, c, person_id=p.id, ssc_no=card)
        uow.commit()
        return p.id

    return {"id": gj.run(go), "cert": cert}


def find(gj, by, query: str, **lq: Any) -> Any:
    q = ListQuery.parse({k: str(v) for k, v in lq.items()}, search.SPEC)
    return gj.run(lambda uow: search.find_persons(uow, support.ctx(gj, by), query=query, lq=q))


def ids(page) -> set[int]:
    return {r["person_id"] for r in page.rows}


@pytest.fixture
def people(gj):
    clerk = support.staff(gj, ["620702"])
    other = support.staff(gj, ["620102"])
    mine = person(gj, clerk, name="欧阳锋", phone="13912345678", card="A62070212")
    twin = person(gj, clerk, name="欧阳克", phone="13800005678", birth=date(1999, 1, 2), male=False)
    away = person(gj, other, name="欧阳修", region="620102", phone="13912349999", card="B62010299")
    return {"clerk": clerk, "other": other, "mine": mine, "twin": twin, "away": away}


def test_search_by_partial_id_number_start_or_end_finds_the_person(gj, people):
    cert = people["mine"]["cert"]
    assert ids(find(gj, people["clerk"], cert)) == {people["mine"]["id"]}
    assert people["mine"]["id"] in ids(find(gj, people["clerk"], cert[:10]))
    assert ids(find(gj, people["clerk"], cert[-6:])) == {people["mine"]["id"]}
    assert ids(find(gj, people["clerk"], cert[-4:].lower())) >= {people["mine"]["id"]}


def test_search_by_phone_start_or_end_and_by_card_number(gj, people):
    clerk, mine, twin = people["clerk"], people["mine"]["id"], people["twin"]["id"]
    assert ids(find(gj, clerk, "5678")) >= {mine, twin}
    assert ids(find(gj, clerk, "13912345678")) == {mine}
    assert ids(find(gj, clerk, "1391234")) == {mine}  # the other 139 1234 phone is out of scope
    assert ids(find(gj, clerk, "A620")) == {mine}
    assert ids(find(gj, clerk, "a62070212")) == {mine}
    assert ids(find(gj, clerk, "0212")) >= {mine}


def test_search_never_finds_a_person_outside_the_clerks_regions(gj, people):
    away = people["away"]
    for query in (away["cert"], away["cert"][-6:], "13912349999", "B62010299", "欧阳修"):
        assert away["id"] not in ids(find(gj, people["clerk"], query)), query
    assert ids(find(gj, people["other"], "欧阳")) == {away["id"]}


def test_name_start_and_words_narrow_each_other(gj, people):
    clerk = people["clerk"]
    assert ids(find(gj, clerk, "欧阳")) == {people["mine"]["id"], people["twin"]["id"]}
    assert ids(find(gj, clerk, "欧阳 5678")) == {people["mine"]["id"], people["twin"]["id"]}
    assert ids(find(gj, clerk, "欧阳 1391")) == {people["mine"]["id"]}


def test_a_number_shorter_than_four_is_refused_in_chinese(gj, people):
    with pytest.raises(InvalidRequest) as err:
        find(gj, people["clerk"], "139")
    assert "至少输入4位" in err.value.message_zh


def test_results_are_masked_but_tell_people_apart(gj, people):
    page = find(gj, people["clerk"], "欧阳")
    by_id = {r["person_id"]: r for r in page.rows}
    mine, twin = by_id[people["mine"]["id"]], by_id[people["twin"]["id"]]
    assert mine["name"] == "欧**" and mine["cert_no"] == mask_id_number(people["mine"]["cert"])
    assert mine["phone"] == mask_phone("13912345678")
    assert (mine["birth_year"], mine["sex_zh"]) == (1980, "男")
    assert (twin["birth_year"], twin["sex_zh"]) == (1999, "女")
    assert mine["enrollments"][0]["region_name"] == "甘肃省张掖市甘州区"
    assert mine["enrollments"][0]["status_zh"] == "正常参保"


def test_paging_gives_the_total_and_never_caps_silently(gj):
    clerk = support.staff(gj, ["620702"])
    made = {person(gj, clerk, name=f"慕容{c}")["id"] for c in "甲乙丙丁戊己庚辛壬癸子丑"}
    first = find(gj, clerk, "慕容", size=5)
    assert (first.total, first.pages, len(first.rows)) == (12, 3, 5)
    seen = set()
    for n in (1, 2, 3):
        seen |= ids(find(gj, clerk, "慕容", size=5, page=n))
    assert seen == made
    beyond = find(gj, clerk, "慕容", size=5, page=99)
    assert beyond.page == 3 and len(beyond.rows) == 2


def test_filters_by_region_and_state_stay_inside_the_scope(gj, people):
    wide = support.staff(gj, ["620700"])
    assert ids(find(gj, wide, "欧阳", region="620702")) == {people["mine"]["id"], people["twin"]["id"]}
    assert ids(find(gj, wide, "欧阳", state="suspended")) == set()
    with pytest.raises(OutOfRegion):
        find(gj, people["clerk"], "欧阳", region="620102")


def test_export_is_masked_has_chinese_headers_and_is_audited(gj, people):
    clerk = people["clerk"]
    q = ListQuery.parse({}, search.SPEC)

    def go(uow: Any) -> bytes:
        rows = search.export_rows(uow, support.ctx(gj, clerk), query="欧阳", lq=q)
        data = write("人员", EXPORT_COLS, rows).read()
        uow.commit()
        return data

    sheet = load_workbook(io.BytesIO(gj.run(go))).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:4] == ("姓名", "证件号码", "性别", "出生年份")
    body = values[1:]
    assert len(body) == 2
    text = repr(body)
    for p in (people["mine"], people["twin"]):
        assert p["cert"] not in text and mask_id_number(p["cert"]) in text
    assert "欧阳锋" not in text and "13912345678" not in text and "欧**" in text
    mine = select(AuditLog.action).where(AuditLog.username == clerk.username)
    actions = gj.run(lambda uow: list(uow.session.scalars(mine)))
    assert "person.export" in actions
