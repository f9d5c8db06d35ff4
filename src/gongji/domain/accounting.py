"""Fund accounting (会计核算) over the ledger: which subject each posting is booked to, and how a
business event becomes the lines of a journal voucher (记账凭证) that balance [seed 003 附件四].

The chart of subjects (``Subject``) and the mapping from ledger accounts to subjects (``Rule``) are
data (``gongji/data/accounting/*.csv``), parsed here. A rule names a ledger account pattern, a
transaction kind pattern (``*`` wildcards; the first matching rule wins), the subject the account
stands for and the bank subject its money sits in (``cash``). A posting of ``amount`` fen on the
account, in the account's pooling region, is booked as

    Dr cash  amount / Cr subject amount      (money reaching the account; the mirror when it leaves)

so every posting is balanced in its own region's books, and a voucher — the postings of one event
in one region — nets each subject to one side. Money moving between two accounts of one region and
one bank cancels on the bank subject: a personal account paying an institution (the institution is
outside the fund) gives Dr 社会保险待遇支出/个人账户, Cr 支出户存款 [附件四(一)1]; the authorizer's
region holding it for the relative's region gives Dr 社会保险待遇支出/个人账户, Cr 暂收款/家庭共济医药费用
and the relative's region Dr 暂付款/家庭共济医药费用, Cr 支出户存款 [附件四(一)2]. A rule without a
subject marks an account outside the fund's books (the world: channels, cards, institutions); its
postings give no line. A reversal (``reversal.<kind>``) is mapped as its original kind, mirrored.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from gongji.domain.errors import AccountingUnmapped, InvalidRequest

REVERSAL_PREFIX = "reversal."
CLASSES = {
    "asset": "资产类",
    "liability": "负债类",
    "net_assets": "净资产类",
    "income": "收入类",
    "expenditure": "支出类",
}
SEPARATOR = "/"


@dataclass(frozen=True, slots=True)
class Subject:
    code: str
    name: str  # the full path, 社会保险待遇支出/个人账户
    cls: str
    side: str  # normal balance: debit or credit
    confidence: str  # secondary / unverified (ACCOUNTING.md) or local (a detail subject set here)

    @property
    def parent(self) -> str | None:
        return self.name.rsplit(SEPARATOR, 1)[0] if SEPARATOR in self.name else None

    @property
    def level(self) -> int:
        return self.name.count(SEPARATOR) + 1


@dataclass(frozen=True, slots=True)
class Rule:
    account: str  # glob over ledger account codes
    kind: str  # glob over transaction kinds (reversals matched as their original)
    subject: str  # "" = outside the fund's books
    cash: str

    @property
    def outside(self) -> bool:
        return not self.subject


@dataclass(frozen=True, slots=True)
class Chart:
    subjects: dict[str, Subject]  # by name
    rules: tuple[Rule, ...]
    summaries: tuple[tuple[str, str], ...]  # (kind glob, 摘要)

    def rule_for(self, account_code: str, kind: str) -> Rule | None:
        base = base_kind(kind)
        return next((r for r in self.rules if fnmatchcase(account_code, r.account) and fnmatchcase(base, r.kind)), None)

    def summary(self, kind: str) -> str:
        base = base_kind(kind)
        text = next((s for pattern, s in self.summaries if fnmatchcase(base, pattern)), base)
        return f"冲正：{text}" if kind.startswith(REVERSAL_PREFIX) else text

    def code(self, name: str) -> str:
        return self.subjects[name].code


def base_kind(kind: str) -> str:
    return kind[len(REVERSAL_PREFIX) :] if kind.startswith(REVERSAL_PREFIX) else kind


def glob_to_like(pattern: str) -> str:
    """``personal:*`` → ``personal:%`` for SQL ``LIKE … ESCAPE '\\'`` (``%`` and ``_`` taken literally)."""
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


def _rows(text: str) -> list[dict[str, str]]:
    return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(io.StringIO(text))]


def parse_chart(subjects_csv: str, mapping_csv: str, summaries_csv: str) -> Chart:
    """The chart from its three files; every subject a rule names, and every parent of a detail
    subject, must be in the chart (a typo in the data fails here, not in a voucher)."""
    subjects = {
        r["name"]: Subject(r["code"], r["name"], r["class"], r["side"], r["confidence"]) for r in _rows(subjects_csv)
    }
    rules = tuple(Rule(r["account"], r["kind"], r["subject"], r["cash_subject"]) for r in _rows(mapping_csv))
    summaries = tuple((r["kind"], r["summary"]) for r in _rows(summaries_csv))
    problems = [
        f"subject {s.name}: parent {s.parent} missing"
        for s in subjects.values()
        if s.parent and s.parent not in subjects
    ]
    problems += [f"subject {s.name}: class {s.cls}" for s in subjects.values() if s.cls not in CLASSES]
    problems += [f"subject {s.name}: side {s.side}" for s in subjects.values() if s.side not in {"debit", "credit"}]
    for r in rules:
        if not r.outside and (r.subject not in subjects or r.cash not in subjects):
            problems.append(f"rule {r.account} {r.kind}: unknown subject {r.subject} / {r.cash}")
    if len({s.code for s in subjects.values()}) != len(subjects):
        problems.append("duplicate subject codes")
    if problems:
        raise ValueError("accounting data: " + "; ".join(problems))
    return Chart(subjects, rules, summaries)


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a voucher: a subject and its amount on one side (fen)."""

    subject: str
    debit_fen: int
    credit_fen: int


def voucher_lines(chart: Chart, kind: str, postings: Iterable[tuple[str, int]]) -> list[Line]:
    """The lines of one voucher from its postings ``(account code, amount fen)`` in one region:
    each subject netted to one side, debits first. The reference for the SQL in the service."""
    net: dict[str, int] = {}
    for code, amount in postings:
        rule = chart.rule_for(code, kind)
        if rule is None:
            raise AccountingUnmapped(accounts=[f"{code} ({kind})"])
        if rule.outside:
            continue
        net[rule.cash] = net.get(rule.cash, 0) + amount
        net[rule.subject] = net.get(rule.subject, 0) - amount
    lines = [Line(s, max(n, 0), max(-n, 0)) for s, n in net.items() if n]
    return sorted(lines, key=lambda ln: (ln.debit_fen == 0, chart.code(ln.subject)))


def split_balance(net_fen: int) -> tuple[int, int]:
    """A balance as (借方, 贷方): a debit balance is positive."""
    return max(net_fen, 0), max(-net_fen, 0)


def parse_month(text: str) -> tuple[int, int]:
    """``2026-12`` → (2026, 12); anything else is a 4xx."""
    parts = (text or "").split("-")
    if len(parts) == 2 and len(parts[0]) == 4 and len(parts[1]) == 2 and all(p.isdigit() for p in parts):
        year, month = int(parts[0]), int(parts[1])
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    raise InvalidRequest("月份格式应为 YYYY-MM", "month must be YYYY-MM", field="month", value=(text or "")[:20])
