"""Settlement pages' reads (issue 17 "Settlement pages: settlements per institution and day, their
3201/3202 reconciliation results, and one settlement's full split with its reversal"), on both
databases; scoped to the clerk's regions."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from gongji.domain.errors import OutOfRegion
from gongji.services.listing import ListQuery
from gongji.services.settlement import reconciliation as R
from gongji.services.settlement import staff_lists
from tests import support as S
from tests.integration import test_nhsa_reconciliation as N

CLINIC, DAY, HOSPITAL = N.CLINIC, N.DAY, N.HOSPITAL
_call, _cancel, _settle, _totals = N._call, N._cancel, N._settle, N._totals
office, ctx, person, institutions = N.office, N.ctx, N.person, N.institutions  # the fixtures there


def test_day_totals_per_institution_and_day_with_the_split(gj, ctx, person, institutions):
    _settle(gj, person, datetime(2026, 11, 20, 9, 0), 10_000, 6_000, 3_000)
    _settle(gj, person, datetime(2026, 11, 20, 15, 0), 5_000, 3_000, 1_000)
    _settle(gj, person, datetime(2026, 11, 21, 9, 0), 7_000, 4_000, 0)
    _settle(gj, person, datetime(2026, 11, 20, 10, 0), 2_000, 1_000, 0, code=CLINIC)

    lq = ListQuery.parse(
        {"from": "2026-11-20", "to": "2026-11-20", "sort": "institution", "order": "asc"}, staff_lists.SPEC
    )
    page = gj.run(lambda uow: staff_lists.days(uow, ctx, lq=lq))
    assert page.total == 2
    hospital = next(r for r in page.rows if r["code"] == HOSPITAL)
    assert (hospital["day"], hospital["count"], hospital["medfee_fen"]) == ("2026-11-20", 2, 15_000)
    assert (hospital["fund_fen"], hospital["own_fen"], hospital["cash_fen"]) == (9_000, 4_000, 2_000)


def test_day_page_shows_the_3201_result_covering_the_day(gj, ctx, person, institutions):
    _settle(gj, person, datetime(2026, 11, 20, 9, 0), 10_000, 6_000, 3_000)
    _call(gj, ctx, R.statement_totals, _totals(DAY, DAY, 10_000, 6_000, 3_000, 1))
    _call(gj, ctx, R.statement_totals, _totals(DAY, DAY, 11_000, 6_000, 3_000, 1))

    d = gj.run(lambda uow: staff_lists.day_detail(uow, ctx, institution=HOSPITAL, day=DAY))
    assert [r["result"] for r in d["reconciliations"]] == ["不平", "平"]  # newest first
    assert d["reconciliations"][0]["kind"] == "对总账（3201）"
    assert len(d["settlements"]) == 1 and d["settlements"][0]["name"].endswith("*")
    other_day = gj.run(lambda uow: staff_lists.day_detail(uow, ctx, institution=HOSPITAL, day=date(2026, 11, 22)))
    assert other_day["reconciliations"] == []


def test_one_settlement_shows_its_split_and_its_reversal(gj, ctx, person, institutions):
    setl = _settle(gj, person, datetime(2026, 11, 20, 9, 0), 10_000, 6_000, 3_000)
    reversal = _cancel(gj, setl, datetime(2026, 11, 20, 11, 0))

    def read(uow, setl_id):
        out = staff_lists.one(uow, ctx, setl_id=setl_id)
        uow.commit()
        return out

    s = gj.run(lambda uow: read(uow, setl))
    assert (s["fund_fen"], s["own_fen"], s["family_fen"], s["cash_fen"]) == (6_000, 3_000, 0, 1_000)
    assert s["status_zh"] == "已撤销" and s["other"]["setl_id"] == reversal
    assert s["other"]["medfee_fen"] == -10_000
    back = gj.run(lambda uow: read(uow, reversal))
    assert back["other"]["setl_id"] == setl


def test_a_clerk_of_another_region_sees_neither_the_days_nor_a_settlement(gj, person, institutions):
    setl = _settle(gj, person, datetime(2026, 11, 20, 9, 0), 10_000, 6_000, 3_000)
    lanzhou = S.ctx(gj, S.staff(gj, ["620100"]))
    lq = ListQuery.parse({}, staff_lists.SPEC)
    assert gj.run(lambda uow: staff_lists.days(uow, lanzhou, lq=lq)).total == 0
    with pytest.raises(OutOfRegion):
        gj.run(lambda uow: staff_lists.one(uow, lanzhou, setl_id=setl))
    with pytest.raises(OutOfRegion):
        gj.run(lambda uow: staff_lists.day_detail(uow, lanzhou, institution=HOSPITAL, day=DAY))
