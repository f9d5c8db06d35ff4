"""证明与缴费记录 over HTTP (issue 17): the citizen issues a 参保证明 and a 对账单 from
/me/documents, gets PDFs whose verification URL starts with GONGJI_PUBLIC_URL, sees them listed
by year, and anyone can check them at /verify; a bad period re-shows the page with the dates typed."""

from __future__ import annotations

import re
import shutil
import subprocess
from urllib.parse import urlsplit

from tests import support
from tests.conftest import need
from tests.e2e.test_refund_pages import page_login

PUBLIC = "https://yibao.example.gov.cn"


def _text(pdf: bytes, tmp_path) -> str:
    tool = shutil.which("pdftotext")
    need(tool is not None, "pdftotext is not installed (apt-get install -y poppler-utils)")
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run([tool, str(path), "-"], capture_output=True, check=True, timeout=30).stdout.decode()


def test_a_citizen_issues_both_documents_and_a_stranger_verifies_them(gj, client, office, monkeypatch, tmp_path):
    monkeypatch.setenv("GONGJI_PUBLIC_URL", PUBLIC)
    me = support.employee_citizen(gj, office, income=50_000)
    page_login(client, me.username)
    proof = client.post("/me/documents/proof")
    assert proof.status_code == 200 and proof.headers["content-type"] == "application/pdf"
    statement = client.post("/me/documents/statement", data={"start": "2026-01-01", "end": "2026-11-23"})
    assert statement.status_code == 200 and statement.headers["content-type"] == "application/pdf"
    listed = client.get("/me/documents").text
    assert "2026年" in listed and listed.count('data-testid="issued-document"') == 2
    for pdf, fact in ((proof.content, "职工基本医疗保险"), (statement.content, "期末余额")):
        text = _text(pdf, tmp_path)
        assert fact in text
        url = re.search(r"(https://\S+/verify/\S+)", text)
        assert url is not None and url.group(1).startswith(f"{PUBLIC}/verify/")
        parts = urlsplit(url.group(1))
        client.cookies.clear()
        checked = client.get(f"{parts.path}?{parts.query}")
        assert "真实有效" in checked.text
        assert "500.00 元" in checked.text or "职工基本医疗保险" in checked.text
        page_login(client, me.username)
    client.cookies.clear()
    assert "无法核验" in client.get(f"{parts.path}?code=AAAA-AAAA-AAAA-AAAA").text


def test_a_refused_period_keeps_the_dates_typed(gj, client, office):
    me = support.employee_citizen(gj, office, income=50_000)
    page_login(client, me.username)
    r = client.post("/me/documents/statement", data={"start": "2026-11-20", "end": "2026-11-01"})
    assert r.status_code == 422
    assert 'value="2026-11-20"' in r.text and 'value="2026-11-01"' in r.text
