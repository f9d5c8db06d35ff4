"""催缴 lists, contacts and the monthly village posting (issue 16 §3; seed 002 §八3 "不定期将各乡镇、街道未参保
缴费人员信息下发乡镇、街道，以便有针对性地精准进行催缴", §九5 "按月在村社（社区）粘贴公示缴费信息").

Two townships of 甘州区, one village each; each township has its own clerk (collection_staff_scope).
Runs on SQLite and PostgreSQL; clock 2026-11-23, benefit year 2027.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from gongji.adapters.db.models import AuditLog, CollectionContact
from gongji.bootstrap import Gongji
from gongji.services.auth import Principal
from gongji.services.collection import followup, posting, units
from tests import collection_support as CS
from tests import support

YEAR = CS.YEAR


class Towns:
    def __init__(self, gj: Gongji) -> None:
        self.office = support.staff(gj, ["620702"])
        self.town_a = CS.unit(gj, self.office, "梁家墩镇", "town")
        self.town_b = CS.unit(gj, self.office, "碱滩镇", "town")
        self.village_a = CS.unit(gj, self.office, "五里墩村", "village", parent=self.town_a)
        self.village_b = CS.unit(gj, self.office, "老寺庙村", "village", parent=self.town_b)
        self.a = [self._person(gj, n, self.village_a) for n in ("张三", "李四", "王五丰")]
        self.b = [self._person(gj, n, self.village_b) for n in ("赵六", "钱七")]
        CS.compute(gj, self.office)
        self.clerk_a = self._clerk(gj, self.town_a)
        self.clerk_b = self._clerk(gj, self.town_b)

    def _person(self, gj: Gongji, name: str, village: int) -> int:
        pid = support.resident(gj, self.office, name=name)
        CS.member(gj, self.office, pid, village)
        return pid

    def _clerk(self, gj: Gongji, town: int) -> Principal:
        clerk = support.staff(gj, ["620702"])
        c = support.ctx(gj, self.office)
        CS.run(gj, lambda uow: units.set_staff_township(uow, c, user_id=clerk.user_id, township_id=town))
        return clerk


@pytest.fixture
def towns(gj: Gongji) -> Towns:
    return Towns(gj)


def unpaid(gj: Gongji, who: Principal, **kw: Any) -> dict[str, Any]:
    c = support.ctx(gj, who)
    return CS.run(gj, lambda uow: followup.unpaid(uow, c, benefit_year=YEAR, **kw))


def test_clerk_sees_only_own_townships_unpaid_with_full_names_export_too(gj: Gongji, towns: Towns) -> None:
    """Issue 16 §3: the township clerk sees names and phone numbers of their own units only; the
    district sees everyone masked; the Excel export is scoped and masked the same way."""
    CS.pay_on(gj, towns.office, towns.a[1], date(2026, 11, 2))  # 李四 paid
    mine = unpaid(gj, towns.clerk_a)
    assert [i["name"] for i in mine["items"]] == ["张三", "王五丰"] and mine["total"] == 2
    assert {i["unit_name"] for i in mine["items"]} == {"五里墩村"}
    theirs = unpaid(gj, towns.clerk_b)
    assert sorted(i["name"] for i in theirs["items"]) == ["赵六", "钱七"]
    district = unpaid(gj, towns.office)
    assert sorted(i["name"] for i in district["items"]) == ["张*", "王**", "赵*", "钱*"]
    assert all(re.fullmatch(r"\d{4}\*{10}[\dX]{4}", i["id_number"]) for i in district["items"])

    c = support.ctx(gj, towns.clerk_a)
    book = load_workbook(io.BytesIO(CS.run(gj, lambda uow: followup.unpaid_xlsx(uow, c, benefit_year=YEAR))))
    cells = {str(v) for row in book.active.iter_rows(values_only=True) for v in row if v}  # type: ignore[union-attr]
    assert {"张三", "王五丰"} <= cells
    assert not cells & {"赵六", "钱七", "李四"}
    with pytest.raises(Exception) as info:
        unpaid(gj, towns.clerk_a, unit_id=towns.village_b)
    assert getattr(info.value, "code", None) == "E_OUT_OF_REGION"


def test_contacts_are_recorded_for_own_units_and_the_list_shows_the_last(gj: Gongji, towns: Towns) -> None:
    """The clerk records each contact (called, visited, refused, moved, will pay by …); the list shows
    the latest. Another township's person, a past promise date: refused, nothing written."""
    c = support.ctx(gj, towns.clerk_a)
    zhang = towns.a[0]
    CS.run(gj, lambda uow: followup.record_contact(uow, c, person_id=zhang, benefit_year=YEAR, outcome="called"))
    CS.run(
        gj,
        lambda uow: followup.record_contact(
            uow,
            c,
            person_id=zhang,
            benefit_year=YEAR,
            outcome="promised",
            promised_on=date(2026, 12, 5),
            note="月底发工资后缴",
        ),
    )
    item = next(i for i in unpaid(gj, towns.clerk_a)["items"] if i["person_id"] == zhang)
    assert (item["last_contact"]["outcome_name"], item["last_contact"]["promised_on"]) == ("承诺缴费", "2026-12-05")
    counted = (CollectionContact, AuditLog)
    err = support.refused_unchanged(
        gj,
        lambda uow: followup.record_contact(uow, c, person_id=towns.b[0], benefit_year=YEAR, outcome="visited"),
        counted,
    )
    assert err.code == "E_NOT_FOUND"
    err = support.refused_unchanged(
        gj,
        lambda uow: followup.record_contact(
            uow, c, person_id=zhang, benefit_year=YEAR, outcome="promised", promised_on=date(2026, 11, 1)
        ),
        counted,
    )
    assert err.code == "E_VALIDATION" and "承诺缴费日期" in err.message_zh


def test_village_posting_masks_names_and_ids_and_lists_amount_and_date(gj: Gongji, towns: Towns) -> None:
    """002 §九5 monthly posting: who has paid by the month's end, ``张*`` and ``6207**********1234``, the
    amount and day — never a full name or ID number, on the page or in the printable PDF."""
    CS.pay_on(gj, towns.office, towns.a[0], date(2026, 10, 20))
    CS.pay_on(gj, towns.office, towns.a[2], date(2026, 11, 3))
    c = support.ctx(gj, towns.clerk_a)
    october = CS.run(
        gj, lambda uow: posting.posting(uow, c, unit_id=towns.village_a, benefit_year=YEAR, month="2026-10")
    )
    assert [(i["name"], i["paid_on"]) for i in october["items"]] == [("张*", "2026-10-20")]
    november = CS.run(
        gj, lambda uow: posting.posting(uow, c, unit_id=towns.village_a, benefit_year=YEAR, month="2026-11")
    )
    assert [i["name"] for i in november["items"]] == ["张*", "王**"]
    certs = [support.person_cert(gj, p) for p in (towns.a[0], towns.a[2])]
    for item, cert in zip(november["items"], certs, strict=True):
        assert item["id_number"] == cert[:4] + "*" * 10 + cert[-4:]
        assert item["amount_fen"] == gj.profile.premium_for(YEAR).individual_fen
    pdf = CS.run(
        gj, lambda uow: posting.posting_pdf(uow, c, unit_id=towns.village_a, benefit_year=YEAR, month="2026-11")
    )
    assert pdf.startswith(b"%PDF")
    tool = shutil.which("pdftotext")
    if tool:
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "p.pdf"
            path.write_bytes(pdf)
            text = subprocess.run(
                [tool, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
            ).stdout.decode()
        assert "张*" in text and certs[0][:4] + "*" * 10 + certs[0][-4:] in text and "梁家墩镇" in text
        assert "张三" not in text and certs[0] not in text and "400.00" in text
    err = support.refused_unchanged(
        gj,
        lambda uow: posting.posting(uow, c, unit_id=towns.village_b, benefit_year=YEAR, month="2026-11"),
        (AuditLog,),
    )
    assert err.code == "E_OUT_OF_REGION"
    err = support.refused_unchanged(
        gj,
        lambda uow: posting.posting(uow, c, unit_id=towns.village_a, benefit_year=YEAR, month="2026-13"),
        (AuditLog,),
    )
    assert err.code == "E_VALIDATION"
