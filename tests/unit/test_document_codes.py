"""The code of a 参保证明 / 对账单 binds every fact, and the statement's arithmetic is checked
against the ledger's running balances (issue 17; ``domain.certificates``)."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from gongji.domain.certificates import (
    ACCOUNT_STATEMENT,
    DocumentFacts,
    document_code,
    statement_totals,
    verify_document,
)
from gongji.domain.clock import SHANGHAI

SECRET = b"unit-secret-0123456789"
FACTS = DocumentFacts(
    kind=ACCOUNT_STATEMENT,
    serial="DZ20261123K7QM3XPA",
    person_name="张三丰",
    cert_no="620702199001011234",
    issuer="张掖市医疗保障局",
    issued_at=datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI),
    body={"opening_fen": 100_000, "closing_fen": 96_000, "lines": [{"amount_fen": -4_000, "date": "2026-11-25"}]},
)


def test_the_same_facts_give_the_same_code_and_it_verifies():
    code = document_code(FACTS, SECRET)
    assert code == document_code(dataclasses.replace(FACTS), SECRET)
    assert verify_document(FACTS, code.lower().replace("-", " "), SECRET)


@pytest.mark.parametrize(
    "change",
    [
        {"person_name": "张三"},
        {"cert_no": "620702199001011242"},
        {"issuer": "金昌市医疗保障局"},
        {"serial": "DZ20261123K7QM3XPB"},
        {"body": {**FACTS.body, "closing_fen": 196_000}},
        {"body": {**FACTS.body, "lines": [{"amount_fen": -400, "date": "2026-11-25"}]}},
    ],
)
def test_any_changed_fact_fails_the_printed_code(change):
    code = document_code(FACTS, SECRET)
    assert not verify_document(dataclasses.replace(FACTS, **change), code, SECRET)


def test_closing_is_opening_plus_credits_less_debits_over_both_accounts():
    totals = statement_totals({"cur": 1_000, "past": 5_000}, [("cur", 500, 1_500), ("past", -2_000, 3_000)])
    assert (totals.opening_fen, totals.credits_fen, totals.debits_fen, totals.closing_fen) == (6_000, 500, 2_000, 4_500)


def test_a_running_balance_that_does_not_follow_is_never_printed():
    with pytest.raises(ValueError, match="does not follow"):
        statement_totals({"cur": 1_000}, [("cur", -300, 800)])
