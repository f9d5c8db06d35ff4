"""/api/policy with a benefit year and region: the resident figures in force there, demo flagged."""

from __future__ import annotations


def test_api_policy_marks_zhangye_figures_demo_outside_620702_and_2023_seed002(client):
    """Seed 002 (张掖市甘州区 620702, 区医保发〔2022〕69号, benefit year 2023): its subsidy amounts,
    refund deadline, collection targets and 双限报解 are sourced there and then only."""
    sourced = client.get("/api/policy", params={"benefit_year": 2023, "region": "620702"}).json()
    terms = sourced["resident_terms"]
    assert {s["code"]: s["amount_fen"] for s in terms["subsidies"]}["dibao_full"] == 250_00
    assert terms["refund"]["deadline_month_day"] == "12-30"
    assert terms["remittance"]["threshold_fen"] == 10_000_00
    assert not [p for p in terms["demo_fields"] if not p.endswith("family_paid_refund_to_family_account")]

    elsewhere = client.get("/api/policy", params={"benefit_year": 2023, "region": "620102"}).json()["resident_terms"]
    assert "resident.subsidy[dibao_full].amount_fen" in elsewhere["demo_fields"]
    assert "resident.refund.deadline_month_day" in elsewhere["demo_fields"]
    assert "collection.remittance" in elsewhere["demo_fields"]

    later = client.get("/api/policy", params={"benefit_year": 2026, "region": "620702"}).json()["resident_terms"]
    lifted = {s["code"]: s for s in later["subsidies"]}["lifted_from_poverty"]
    assert lifted["amount_fen"] < 100_00 and lifted["demo"] is True  # 过渡期内逐步下调 (002 §四(一)5)


def test_api_policy_terms_refuse_a_region_outside_the_province(client):
    """A Zhejiang district, or only one of year and region: a clear refusal, not a 500."""
    for params in ({"benefit_year": 2023, "region": "330102"}, {"benefit_year": 2023}, {"region": "620702"}):
        r = client.get("/api/policy", params=params)
        assert r.status_code == 422 and r.json()["code"] == "E_VALIDATION", r.text
