"""Codes on pages read as Chinese labels (issue 17): account movements, ledger accounts and
insurance types; an unknown code falls back to Chinese, never to itself; the code stays in a tooltip."""

from __future__ import annotations

from gongji.entrypoints.web import labels


def test_unknown_codes_fall_back_to_chinese_never_to_the_code() -> None:
    assert labels.txn_kind("family.something_new") == "家庭共济（其他）"
    assert labels.txn_kind("zzz.unknown") == "其他"
    assert labels.txn_kind("reversal.demo.opening") == "冲正（演示期初余额）"
    assert labels.txn_kind("income.employee_contribution") == "在职职工个人缴费划入"
    assert labels.account("family:12") == "共济账户" and labels.account("personal:3:past") == "历年账户"
    assert labels.insutype("390") == "城乡居民基本医疗保险"


def test_a_label_keeps_its_code_in_a_tooltip() -> None:
    assert str(labels.tip("共济账户划拨", "family.allocate")) == '<span title="family.allocate">共济账户划拨</span>'
