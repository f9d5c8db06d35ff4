"""参保证明 and 个人账户对账单 (issue 17, "Citizens (phone first)": "参保证明 (proof of insurance) and
an account statement (个人账户对账单, a period's movements with opening and closing balance) as
PDF with a verification QR that points to GONGJI_PUBLIC_URL, and the issuing office's seal").

The statement is computed from the ledger: an employee is credited 1,000.00 on 23 Nov, pays
30.00 on the 25th and 10.00 on the 26th from the personal account; the statement of 24–26 Nov
opens at 1,000.00 and closes at 960.00, the ledger's balance. The PDF text (pdftotext) states the
facts masked, its QR code is the verification URL module for module, and the code it prints
verifies the stored facts and nothing else.
"""

from __future__ import annotations

import re
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from reportlab.graphics.barcode.qr import QrCodeWidget
from sqlalchemy import update

from gongji.adapters.db.models import CitizenDocument
from gongji.adapters.pdf.documents import PAGE_HEIGHT, QR_BORDER, QR_BOX, QR_LEVEL, render_document
from gongji.domain.certificates import verification_url
from gongji.domain.errors import InvalidRequest, InvalidStateTransition, NotFound
from gongji.domain.masking import mask_id_number, mask_name
from gongji.services.registry import accounts, documents
from tests import support as S
from tests.integration.test_certificate_pdf import _pdftotext, _tool
from tests.integration.test_family_payment import _pay

OUT = Path(__file__).resolve().parents[2] / "test-output" / "documents"
BASE_URL = "https://gongji.example.org"


@pytest.fixture
def office(gj):
    return S.staff(gj, ["620000"])


def _issue(gj, who, call):
    return S.committed(gj, lambda uow: call(uow, S.ctx(gj, who)))


def _statement(gj, who, start, end):
    return _issue(
        gj,
        who,
        lambda uow, ctx: documents.issue_account_statement(uow, ctx, person_id=who.person_id, start=start, end=end),
    )


def _proof(gj, who):
    return _issue(gj, who, lambda uow, ctx: documents.issue_insurance_proof(uow, ctx, person_id=who.person_id))


def _pdf(issued, name):
    url = verification_url(BASE_URL, issued["serial"], issued["code"])
    pdf = render_document(issued["facts"], code=issued["code"], url=url)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    path.write_bytes(pdf)
    return path, url


@pytest.fixture
def spender(gj, clock, office):
    """An employee credited 1,000.00 on 23 Nov who pays 30.00 on the 25th and 10.00 on the 26th."""
    a = S.employee_citizen(gj, office, income=100_000)
    clock.advance(timedelta(days=2))
    _pay(gj, office, a.person_id, 3_000, use="pharmacy_drugs")
    clock.advance(timedelta(days=1))
    _pay(gj, office, a.person_id, 1_000, use="pharmacy_drugs")
    return a


def test_the_statement_opens_with_the_balance_before_the_period_and_closes_at_the_ledger_balance(gj, spender):
    issued = _statement(gj, spender, date(2026, 11, 24), date(2026, 11, 26))
    body = issued["facts"].body
    assert (body["opening_fen"], body["credits_fen"], body["debits_fen"]) == (100_000, 0, 4_000)
    assert body["closing_fen"] == 96_000
    with gj.uow() as uow:
        assert accounts.account_balances(uow, spender.person_id)["total_fen"] == body["closing_fen"]
    assert [line["amount_fen"] for line in body["lines"]] == [-3_000, -1_000]
    assert [line["balance_fen"] for line in body["lines"]] == [97_000, 96_000]
    assert [line["date"] for line in body["lines"]] == ["2026-11-25", "2026-11-26"]
    whole = _statement(gj, spender, date(2026, 1, 1), date(2026, 11, 26))["facts"].body
    assert (whole["opening_fen"], whole["credits_fen"], whole["closing_fen"]) == (0, 100_000, 96_000)


def test_the_statement_pdf_states_the_facts_masked_and_its_code_verifies_only_the_stored_facts(gj, spender):
    issued = _statement(gj, spender, date(2026, 11, 24), date(2026, 11, 26))
    path, url = _pdf(issued, "statement.pdf")
    text = _pdftotext(path)
    name, cert = S.person_name(gj, spender.person_id), S.person_cert(gj, spender.person_id)
    for fact in ("个人账户对账单", "2026-11-24 至 2026-11-26", "期初余额", "1,000.00", "期末余额", "960.00", "-30.00"):
        assert fact in text, fact
    assert mask_name(name) in text and mask_id_number(cert) in text
    assert cert not in text and name not in text
    assert "医疗保障局" in text and "业务专用章" in text  # the issuing office and its seal
    printed = re.search(r"验证码：(\S+)", text)
    assert printed is not None and printed.group(1) == issued["code"]
    with gj.uow() as uow:
        good = documents.verify(uow, serial=issued["serial"], code=printed.group(1))
        assert good["result"] == "valid" and good["facts"]["closing_fen"] == 96_000
        assert good["facts"]["person_name"] == mask_name(name)
        assert documents.verify(uow, serial=issued["serial"], code="AAAA-AAAA-AAAA-AAAA")["result"] == "invalid"
    with gj.uow() as uow:  # a row changed behind the site's back no longer verifies
        row_json = issued["facts"]
        forged = documents.facts_json(row_json).replace('"closing_fen": 96000', '"closing_fen": 196000')
        uow.session.execute(
            update(CitizenDocument).where(CitizenDocument.serial == issued["serial"]).values(facts_json=forged)
        )
        uow.commit()
    with gj.uow() as uow:
        assert documents.verify(uow, serial=issued["serial"], code=issued["code"])["result"] == "invalid"


def test_the_proof_of_insurance_states_each_enrollment_and_its_qr_code_is_the_verification_url(gj, spender):
    issued = _issue(
        gj, spender, lambda uow, ctx: documents.issue_insurance_proof(uow, ctx, person_id=spender.person_id)
    )
    path, url = _pdf(issued, "proof.pdf")
    assert url.startswith(f"{BASE_URL}/verify/CB")
    text = _pdftotext(path)
    for fact in ("参保证明", "职工基本医疗保险", "正常参保", "甘肃省", issued["serial"]):
        assert fact in text, fact
    _assert_qr(path, url)


def _assert_qr(path: Path, url: str) -> None:
    """Rasterize page 1 and compare every module of the drawn QR code with the URL's matrix."""
    qr = QrCodeWidget(url, barLevel=QR_LEVEL).qr
    qr.make()
    modules = qr.getModuleCount()
    dpi, (x, y, size) = 300, QR_BOX
    scale = dpi / 72
    left, top, width = round(x * scale), round((PAGE_HEIGHT - y - size) * scale), round(size * scale)
    done = subprocess.run(
        [_tool("pdftoppm"), "-gray", "-r", str(dpi), "-f", "1", "-l", "1", "-x", str(left), "-y", str(top)]
        + ["-W", str(width), "-H", str(width), "-singlefile", str(path)],
        capture_output=True,
        check=True,
        timeout=30,
    )
    header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+255\s", done.stdout)
    assert header is not None
    columns, pixels = int(header.group(1)), done.stdout[header.end() :]
    module = size * scale / (modules + 2 * QR_BORDER)

    def dark(px: float, py: float) -> bool:
        return pixels[int(py) * columns + int(px)] < 128

    drawn = [
        [
            dark(x * scale - left + (QR_BORDER + c + 0.5) * module, (QR_BORDER + r + 0.5) * module)
            for c in range(modules)
        ]
        for r in range(modules)
    ]
    assert drawn == [[bool(m) for m in row] for row in qr.modules]


def test_a_statement_needs_a_past_period_of_at_most_a_year_and_a_personal_account(gj, office, spender):
    with pytest.raises(InvalidRequest):
        _statement(gj, spender, date(2026, 11, 1), date(2026, 12, 31))  # after today
    with pytest.raises(InvalidRequest):
        _statement(gj, spender, date(2025, 1, 1), date(2026, 11, 1))  # longer than a year
    with pytest.raises(InvalidRequest):
        _statement(gj, spender, date(2026, 11, 20), date(2026, 11, 1))
    resident = S.citizen(gj, S.resident(gj, office))
    with pytest.raises(InvalidStateTransition):
        _statement(gj, resident, date(2026, 1, 1), date(2026, 11, 1))


def test_a_document_is_downloaded_again_only_by_its_owner(gj, office, spender):
    issued = _issue(
        gj, spender, lambda uow, ctx: documents.issue_insurance_proof(uow, ctx, person_id=spender.person_id)
    )
    again = S.committed(
        gj,
        lambda uow: documents.stored_document(
            uow, S.ctx(gj, spender), person_id=spender.person_id, serial=issued["serial"]
        ),
    )
    assert again["code"] == issued["code"]
    other = S.employee_citizen(gj, office, income=10_000)
    with pytest.raises(NotFound):
        S.committed(
            gj,
            lambda uow: documents.stored_document(
                uow, S.ctx(gj, other), person_id=other.person_id, serial=issued["serial"]
            ),
        )
    listed = S.committed(gj, lambda uow: documents.documents_of(uow, S.ctx(gj, spender), person_id=spender.person_id))
    assert [d["serial"] for d in listed] == [issued["serial"]]
