"""The premium payment certificate PDF: Chinese text as pdftotext reads it, masking, code and QR code.

Needs poppler-utils (pdftotext, pdftoppm) and fonts-wqy-zenhei, both installed by
scripts/ensure_services.sh; locally a missing tool skips, under CI=true it fails (``need``).
No QR decoder (zbarimg) is installed, so the QR code is not decoded: the test rasterizes it with
pdftoppm and checks every module against the QR matrix of the verification URL instead.
"""

from __future__ import annotations

import base64
import dataclasses
import re
import shutil
import subprocess
import zlib
from datetime import date, datetime
from pathlib import Path

import pytest
from reportlab.graphics.barcode.qr import QrCodeWidget

from gongji.adapters.pdf.certificate import (
    PAGE_HEIGHT,
    QR_BORDER,
    QR_BOX,
    QR_LEVEL,
    VERIFY_NOTE,
    render_premium_certificate,
)
from gongji.adapters.pdf.fonts import CANDIDATES, CjkFontMissing, FontCandidate, cjk_font_file, find_cjk_font
from gongji.domain.certificates import CertificateFacts, verification_code, verification_url, verify
from gongji.domain.clock import SHANGHAI
from gongji.domain.masking import mask_id_number, mask_name
from tests.conftest import need

OUT = Path(__file__).resolve().parents[2] / "test-output" / "certificates"
SECRET = b"integration-secret-0123456789"
BASE_URL = "https://gongji.example.org"
NAME, ID_NUMBER, PAYER = "张三丰", "620702199001011234", "李四光"

FACTS = CertificateFacts(
    serial="GJ2026-000123",
    person_name=NAME,
    cert_no=ID_NUMBER,
    benefit_year=2027,
    insutype="390",
    amount_fen=40000,
    paid_on=date(2026, 11, 20),
    channel="family_account",
    payer_name=PAYER,
    issued_at=datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI),
)


def _render(facts: CertificateFacts, filename: str) -> tuple[Path, bytes, str, str]:
    need(
        any(c.path.is_file() for c in CANDIDATES),
        "no CJK TrueType font (apt-get install -y fonts-wqy-zenhei; make services)",
    )
    code = verification_code(facts, SECRET)
    url = verification_url(BASE_URL, facts.serial, code)
    pdf = render_premium_certificate(facts, code=code, url=url)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / filename
    path.write_bytes(pdf)
    return path, pdf, code, url


def _tool(name: str) -> str:
    found = shutil.which(name)
    need(found is not None, f"{name} is not installed (apt-get install -y poppler-utils; make services)")
    assert found is not None
    return found


def _pdftotext(path: Path) -> str:
    done = subprocess.run(
        [_tool("pdftotext"), "-layout", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
        timeout=30,
    )
    return done.stdout.decode("utf-8")


def _page_content(pdf: bytes) -> bytes:
    """The page's content stream (reportlab writes it ASCII85 + Flate encoded)."""
    streams = re.findall(rb"/Filter \[ /ASCII85Decode /FlateDecode \][^>]*>>\s*stream\r?\n(.*?)endstream", pdf, re.S)
    assert len(streams) == 1
    return zlib.decompress(base64.a85decode(streams[0].strip().removesuffix(b"~>")))


def test_the_certificate_states_the_facts_masked_with_code_and_note():
    path, pdf, code, url = _render(FACTS, "premium_family_account.pdf")
    text = _pdftotext(path)
    assert pdf.startswith(b"%PDF-")
    for expected in (
        "城乡居民基本医疗保险缴费证明",
        mask_name(NAME),  # 张**
        mask_id_number(ID_NUMBER),  # 6207**********1234
        "2027年度",
        "城乡居民基本医疗保险",
        "400.00 元",
        "人民币肆佰元整",
        "2026年11月20日",
        "家庭共济账户代缴",
        mask_name(PAYER),
        "GJ2026-000123",
        f"验证码：{code}",
        url,
        VERIFY_NOTE,
        "2026年11月23日 10:00",
        "医疗保障经办机构",
    ):
        assert expected in text, expected
    assert mask_name(NAME) == "张**" and mask_id_number(ID_NUMBER) == "6207**********1234"
    for whole in (ID_NUMBER, NAME, PAYER, ID_NUMBER[4:14]):
        assert whole not in text
        assert whole.encode() not in pdf


def test_the_printed_code_verifies_the_stored_facts_and_not_forged_ones():
    path, _, _, _ = _render(FACTS, "premium_family_account.pdf")
    printed = re.search(r"验证码：(\S+)", _pdftotext(path))
    assert printed is not None
    assert verify(FACTS, printed.group(1), SECRET)
    assert not verify(dataclasses.replace(FACTS, amount_fen=400000), printed.group(1), SECRET)
    assert not verify(dataclasses.replace(FACTS, person_name="王五"), printed.group(1), SECRET)


def test_a_bank_payment_of_the_critical_illness_premium():
    facts = dataclasses.replace(
        FACTS, serial="GJ2026-000124", insutype="392", amount_fen=100560, channel="bank", payer_name=None
    )
    path, _, _, _ = _render(facts, "premium_bank_392.pdf")
    text = _pdftotext(path)
    assert "城乡居民大病医疗保险" in text
    assert "1,005.60 元" in text and "壹仟零伍元陆角" in text
    assert "银行" in text
    assert "代缴人" not in text and "家庭共济" not in text


def test_the_same_input_gives_the_same_bytes():
    _, first, code, url = _render(FACTS, "premium_family_account.pdf")
    assert render_premium_certificate(FACTS, code=code, url=url) == first
    other = dataclasses.replace(FACTS, amount_fen=40001)
    assert render_premium_certificate(other, code=code, url=url) != first


def test_the_font_is_embedded_and_the_qr_code_is_drawn():
    _, pdf, _, _ = _render(FACTS, "premium_family_account.pdf")
    assert b"/FontFile2" in pdf  # the TrueType subset travels with the PDF
    assert cjk_font_file().is_file()
    content = _page_content(pdf)
    assert content.count(b" re f") > 100  # the QR modules: one filled rectangle per run of dark modules


def test_the_qr_code_holds_the_verification_url_module_for_module():
    path, _, _, url = _render(FACTS, "premium_family_account.pdf")
    qr = QrCodeWidget(url, barLevel=QR_LEVEL).qr
    qr.make()
    modules = qr.getModuleCount()
    dpi = 300
    scale = dpi / 72
    x, y, size = QR_BOX
    left, top, width = round(x * scale), round((PAGE_HEIGHT - y - size) * scale), round(size * scale)
    done = subprocess.run(
        [_tool("pdftoppm"), "-gray", "-r", str(dpi), "-x", str(left), "-y", str(top), "-W", str(width)]
        + ["-H", str(width), "-singlefile", str(path)],
        capture_output=True,
        check=True,
        timeout=30,
    )
    header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+255\s", done.stdout)
    assert header is not None
    columns = int(header.group(1))
    pixels = done.stdout[header.end() :]
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
    # The quiet zone is white.
    assert not any(dark(x * scale - left + (0.5 + i) * module, 0.5 * module) for i in range(modules))


def test_a_missing_cjk_font_names_the_debian_package():
    gone = (FontCandidate(Path("/nonexistent/wqy-zenhei.ttc"), 0, "fonts-wqy-zenhei"),)
    with pytest.raises(CjkFontMissing, match="fonts-wqy-zenhei"):
        find_cjk_font(gone)
    assert find_cjk_font(CANDIDATES).path == cjk_font_file()


@pytest.mark.parametrize(
    "change, message",
    [({"kind": "other_certificate"}, "premium payment"), ({"insutype": "310"}, "insutype")],
)
def test_only_resident_premium_certificates_are_drawn(change, message):
    with pytest.raises(ValueError, match=message):
        render_premium_certificate(dataclasses.replace(FACTS, **change), code="X", url="https://x")
