"""The roster upload's Excel (issue 17 "an Excel template for each upload (rosters), with the
upload's validation report downloadable as Excel with row numbers"). SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import date

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from gongji.adapters.db.models import SubsidyRoster
from gongji.bootstrap import Gongji
from gongji.domain.masking import mask_id_number
from gongji.services.resident import roster
from tests import support
from tests.e2e.test_refund_pages import page_login


def test_the_template_is_what_the_upload_reads(gj: Gongji, client: TestClient) -> None:
    clerk = support.staff(gj, ["620700"])
    page_login(client, clerk.username)
    r = client.get("/staff/resident/roster/template.xlsx")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(r.content))
    assert [c.value for c in book["花名册"][1]] == ["身份证号码", "姓名"]
    assert book["花名册"].column_dimensions["A"].number_format == "@"  # ID numbers kept as text
    assert "填写说明" in book.sheetnames
    # filled in, the template is read by the upload's parser with the sheet's row numbers
    sheet = book["花名册"]
    cert = support.new_id("620702", date(1950, 5, 5))
    sheet.append([cert, "郑小梅"])
    out = io.BytesIO()
    book.save(out)
    lines = roster.parse_roster_file(out.getvalue())
    assert [(x.row_no, x.id_number, x.name) for x in lines] == [(2, cert, "郑小梅")]


def test_the_validation_report_downloads_as_excel_with_row_numbers_and_keeps_nothing(
    gj: Gongji, client: TestClient
) -> None:
    clerk = support.staff(gj, ["620700"])
    pid = support.resident(gj, clerk, name="郑小梅", birth=date(1950, 5, 5))
    cert = support.person_cert(gj, pid)
    page_login(client, clerk.username)
    form = {"benefit_year": "2027", "category": "extreme_poverty", "mode": "all_or_nothing"}
    csv_file = f"姓名,身份证号码\n郑小梅,{cert}\n,\n王五,123\n".encode()
    r = client.post(
        "/staff/resident/roster/report.xlsx", data=form, files={"file": ("roster.csv", csv_file, "text/csv")}
    )
    assert r.status_code == 200, r.text[:500]
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert "共2行" in rows[0][0] and "错误1行" in rows[0][0]
    assert rows[1][:5] == ("行号", "姓名（已脱敏）", "身份证号码（已脱敏）", "结果", "原因")
    good, bad = rows[2], rows[3]
    assert good[0] == 2 and good[2] == mask_id_number(cert) and float(good[5]) == 400.0
    assert bad[0] == 4 and bad[4]  # the empty row 3 is skipped; row 4's reason in Chinese
    assert cert not in repr(rows) and "郑小梅" not in repr(rows)
    assert gj.run(lambda uow: uow.session.query(SubsidyRoster).count()) == 0

    empty = client.post("/staff/resident/roster/report.xlsx", data=form)
    assert empty.status_code == 422 and "请选择花名册文件" in empty.text
