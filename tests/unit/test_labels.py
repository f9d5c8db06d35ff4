"""Every audit action and entity the services record has a Chinese label of its own (issue 17:
the audit page shows 绑定共济亲属, not family.bind; the code stays in the tooltip)."""

from __future__ import annotations

import ast
from pathlib import Path

from gongji.entrypoints.web import labels

SRC = Path(labels.__file__).resolve().parents[2]


def _recorded() -> tuple[set[str], set[str]]:
    """The literal action and entity names passed to audit.record / audit_event / _audit_row."""
    actions: set[str] = set()
    entities: set[str] = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = ast.unparse(node.func).rsplit(".", 1)[-1]
            values: list[tuple[str, ast.expr]] = []
            if name == "audit_event" and len(node.args) >= 4:
                values += [("a", node.args[2]), ("e", node.args[3])]
            elif name == "_audit_row" and len(node.args) >= 3:
                values += [("a", node.args[1]), ("e", node.args[2])]
            elif name == "record":
                keywords = [k for k in node.keywords if k.arg in ("action", "entity")]
                values += [("a" if k.arg == "action" else "e", k.value) for k in keywords]
            for kind, value in values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    (actions if kind == "a" else entities).add(value.value)
    return actions, entities


def test_every_recorded_audit_action_and_entity_has_its_own_label() -> None:
    actions, entities = _recorded()
    assert len(actions) > 100  # the scan found the services' calls
    assert sorted(a for a in actions if a not in labels.table()["audit_action"]) == []
    assert sorted(e for e in entities if e not in labels.table()["entity"]) == []


def test_unknown_codes_fall_back_to_chinese_never_to_the_code() -> None:
    assert labels.audit_action("family.something_new") == "家庭共济（其他）"
    assert labels.audit_action("zzz.unknown") == "其他"
    assert labels.txn_kind("reversal.demo.opening") == "冲正（演示期初余额）"
    assert labels.txn_kind("income.employee_contribution") == "在职职工个人缴费划入"
    assert labels.account("family:12") == "共济账户" and labels.account("personal:3:past") == "历年账户"
    assert labels.detail('{"amount_fen": 40000, "txn_id": 147}') == "金额（元）=400.00，交易号=147"


def test_a_label_keeps_its_code_in_a_tooltip() -> None:
    assert str(labels.tip("绑定共济亲属", "family.bind")) == '<span title="family.bind">绑定共济亲属</span>'
