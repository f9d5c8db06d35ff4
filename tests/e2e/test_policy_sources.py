"""/policy shows its sources by document title, without internal file paths, and lists the
premium years without gaps (issue 17, "Errors and documentation")."""

from __future__ import annotations

import re

import pytest

from gongji.entrypoints.web import labels
from tests import page_walker, support

PROVINCES = ["gansu", "zhejiang", "henan"]


@pytest.fixture
def staff_client(client, gj):
    support.staff(gj, ["620000"], username="staff_policy")
    r = client.post("/login", data={"username": "staff_policy", "password": support.PASSWORD})
    assert r.status_code in (200, 303)
    return client


@pytest.mark.parametrize("province", PROVINCES)
def test_sources_are_named_by_title_never_by_file_or_number(staff_client, province):
    html = staff_client.get("/policy", params={"province": province}).text
    text = page_walker.visible_text(html)
    assert not re.search(r"\.md\b|reference/|POLICY-NOTES|\bnotes\b", text)
    assert not re.search(r"(?<![\d.§〔])00[0-4](?=\s)", text)  # "002 §四" became 《…》 §四
    listed = re.search(r'data-testid="policy-sources">(.*?)</ul>', html, re.S)
    assert listed is not None
    titles = re.findall(r"<li>(.*?)</li>", listed.group(1))
    assert titles and all("/" not in t and not t[:3].isdigit() for t in titles)
    docs = labels.table()["policy_documents"]
    cited = set(re.findall(r"《(.*?)》", text))
    assert cited and cited <= set(titles)  # every title cited inline is in the 依据文件 list
    assert any(t in docs.values() for t in titles)


@pytest.mark.parametrize("province", PROVINCES)
def test_the_premium_years_have_no_gaps(staff_client, province):
    html = staff_client.get("/policy", params={"province": province}).text
    section = re.search(r'data-section="premium">(.*?)</section>', html, re.S)
    assert section is not None
    years = [int(y) for y in re.findall(r"<h3>(\d{4})年度", section.group(1))]
    assert years and years == list(range(years[0], years[-1] + 1)), years


def test_a_year_without_a_standard_says_so(staff_client):
    """Gansu's profile has 2023 (甘州区, seed 002) and 2026–2027 (demo): 2024 and 2025 are shown
    as not configured, not silently skipped."""
    text = page_walker.visible_text(staff_client.get("/policy", params={"province": "gansu"}).text)
    assert re.search(r"2024年度 缴费标准 本配置未设该待遇年度的缴费标准", text)
