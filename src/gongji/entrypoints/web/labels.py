"""Chinese labels for codes on pages (issue 17: no raw codes in visible text).

The labels live in ``data/labels.toml``; a page shows the label and keeps the code in a tooltip
(``title``), so a clerk can still quote it to support. Unknown codes fall back to their group's
label, never to the bare code. Registered as Jinja filters by :func:`install`.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

from jinja2 import Environment
from markupsafe import Markup, escape

from gongji.domain.registry import INCOME_KINDS, INSUTYPES
from gongji.services.family import common as family_common

OTHER = "其他"


@cache
def table() -> dict[str, dict[str, str]]:
    text = (resources.files("gongji") / "data" / "labels.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _grouped(code: str, exact: str, groups: str) -> str:
    labels = table()
    if code in labels[exact]:
        return labels[exact][code]
    group = labels[groups].get(code.split(".", 1)[0])
    return f"{group}（{OTHER}）" if group else OTHER


def insutype(code: str) -> str:
    return INSUTYPES.get(code or "", "其他险种")


def txn_kind(kind: str) -> str:
    """An account movement's kind: 个人账户入账, 共济账户划拨, 冲正（…）, 演示期初余额 …"""
    kind = kind or ""
    if kind.startswith("reversal."):
        return f"冲正（{txn_kind(kind.removeprefix('reversal.'))}）"
    if kind.startswith("income.") and kind.removeprefix("income.") in INCOME_KINDS:
        return INCOME_KINDS[kind.removeprefix("income.")]
    if kind in family_common.TXN_KIND_ZH:
        return family_common.TXN_KIND_ZH[kind]
    return _grouped(kind, "txn_kind", "txn_group")


def account(code: str) -> str:
    """A ledger account code (``personal:7:current``, ``family:1``, ``fund:620702:310`` …)."""
    parts = (code or "").split(":")
    head = parts[0]
    if head == "personal":
        return {"current": "当年账户", "past": "历年账户"}.get(parts[-1], "个人账户")
    if head == "family":
        return "共济账户"
    if head == "fund":
        return f"统筹基金（{insutype(parts[2])}）" if len(parts) > 2 else "统筹基金"
    if head == "external":
        return "外部往来"
    return "其他账户"


def error_title(status: int) -> str:
    return table()["error_title"].get(str(status)) or table()["error_title"]["400"]


def error_hint(status: int) -> str:
    return table()["error_hint"].get(str(status)) or table()["error_hint"]["400"]


def tip(label: str, code: object) -> Markup:
    """The label with its code in a tooltip."""
    return Markup('<span title="{}">{}</span>').format(escape(str(code)), escape(label))


_FILTERS = {
    "insutype_zh": insutype,
    "txn_kind_zh": txn_kind,
    "account_zh": account,
}


def install(env: Environment) -> None:
    """``{{ code|txn_kind_zh }}`` → 中文; ``{{ code|label('txn_kind_zh') }}`` → 中文 with the code as tooltip."""
    env.filters.update(_FILTERS)
    env.globals.update(error_title=error_title, error_hint=error_hint)
    env.filters["label"] = lambda code, name: tip(_FILTERS[name](code), code)
