"""The ledger's core: immutable postings and the rule that every transaction balances.

A transaction is a list of postings of signed integer fen; its postings sum to zero
(借=贷). An account's balance is its opening balance plus the sum of its postings, and an
account that may not go negative (every personal and family account) is checked by the
database at write time, not here. Mistakes are fixed by a reversing transaction, never by
editing: ``reversal_of`` builds one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from gongji.domain.errors import PersonalMoneyToCash, UnbalancedTransaction
from gongji.domain.money import MAX_AMOUNT_FEN

MAX_POSTINGS = 64


class AccountKind(StrEnum):
    PERSONAL = "personal"  # 个人账户 (current year or past years), never negative
    FAMILY = "family"  # 家庭共济账户 (allocation model), never negative
    FUND = "fund"  # 统筹基金 / pools; never negative
    CLEARING = "clearing"  # 清算 between pooling regions; may be negative
    EXTERNAL = "external"  # the world outside the ledger (employers, banks, opening); may be negative


NON_NEGATIVE_KINDS = frozenset({AccountKind.PERSONAL, AccountKind.FAMILY, AccountKind.FUND})


@dataclass(frozen=True, slots=True)
class Posting:
    account_code: str
    amount_fen: int  # + increases the account's balance, − decreases it


@dataclass(frozen=True, slots=True)
class TransactionDraft:
    """What a use case asks the ledger to record."""

    idempotency_key: str
    kind: str
    narration: str
    postings: tuple[Posting, ...]
    reverses_txn_id: int | None = None


def validate_postings(postings: Iterable[Posting]) -> tuple[Posting, ...]:
    """Reject empty, oversize, zero-amount or unbalanced posting lists ("cannot be skipped")."""
    items = tuple(postings)
    if not 2 <= len(items) <= MAX_POSTINGS:
        raise UnbalancedTransaction(reason="a transaction needs 2..64 postings")
    for p in items:
        if isinstance(p.amount_fen, bool) or not isinstance(p.amount_fen, int):
            raise UnbalancedTransaction(reason="amounts are whole fen")
        if p.amount_fen == 0 or abs(p.amount_fen) > MAX_AMOUNT_FEN:
            raise UnbalancedTransaction(reason="zero or oversize posting")
    if sum(p.amount_fen for p in items) != 0:
        raise UnbalancedTransaction(reason="postings do not sum to zero")
    return items


def transfer(source: str, target: str, amount_fen: int) -> tuple[Posting, Posting]:
    """The common two-posting case: ``amount_fen`` leaves ``source`` and reaches ``target``."""
    return (Posting(source, -amount_fen), Posting(target, amount_fen))


def reversal_of(postings: Iterable[Posting]) -> tuple[Posting, ...]:
    """The postings that undo ``postings`` exactly."""
    return tuple(Posting(p.account_code, -p.amount_fen) for p in postings)


def request_hash(body: Mapping[str, Any]) -> str:
    """A stable digest of a request body, to tell a replay from a different request."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# Account codes: one obvious name per account, readable in journals and exports.
def personal_current(person_id: int) -> str:
    return f"personal:{person_id}:current"


def personal_past(person_id: int) -> str:
    return f"personal:{person_id}:past"


def employee_contribution_source(region: str) -> str:
    """Where monthly employee contributions come from (the employer remits them)."""
    return f"external:contrib:{region}"


def pool_fund(region: str, insutype: str) -> str:
    return f"fund:{region}:{insutype}"


OPENING_ACCOUNT = "external:opening"


def family_account(binding_id: int) -> str:
    """共济账户: what an authorizer has moved aside for one bound relative (allocation model)."""
    return f"family:{binding_id}"


CASH_PAYOUT_PREFIX = "external:payout:"
ASSISTANCE_PREFIX = "external:assistance:"
CASH_SIDE_PREFIXES = (CASH_PAYOUT_PREFIX, ASSISTANCE_PREFIX)
"""Where personal or family money must never go: a card (cash), or the medical-assistance fund,
which pays cash to cards (先缴后补, roster payouts) and premiums of persons who pay nothing — family
money paid to it stands in for a subsidy already paid to someone's card (issue 12)."""
PERSONAL_MONEY_PREFIXES = ("personal:", "family:")
REIMBURSEMENT_KIND_PREFIX = "reimburse."
"""零星报销 (back office, seed 003 附件 二(四)): the only transactions that may pay personal or family money to a card,
and only with the invoices they reimburse in their answer (``extra={"invoices": [...]}``)."""


def cash_payout(person_id: int) -> str:
    """Money paid out to a person's 一卡通 or bank card: it leaves the ledger as cash."""
    return f"{CASH_PAYOUT_PREFIX}{person_id}"


def assistance_fund(region_code: str) -> str:
    """The medical-assistance fund (医疗救助资金) of a pooling region: it bears every subsidy."""
    return f"{ASSISTANCE_PREFIX}{region_code}"


def moves_personal_money_to_cash(postings: Iterable[Posting]) -> bool:
    """A personal or family account pays and, in the same transaction, a cash payout account or
    the assistance fund (which pays cash, ``CASH_SIDE_PREFIXES``) receives."""
    lines = list(postings)
    paid = any(p.amount_fen < 0 and p.account_code.startswith(PERSONAL_MONEY_PREFIXES) for p in lines)
    cashed = any(p.amount_fen > 0 and p.account_code.startswith(CASH_SIDE_PREFIXES) for p in lines)
    return paid and cashed


def is_invoiced_reimbursement(kind: str, body: Mapping[str, Any] | None) -> bool:
    """The explicit exception: a ``reimburse.*`` transaction naming at least one invoice."""
    invoices = (body or {}).get("invoices")
    return (
        kind.startswith(REIMBURSEMENT_KIND_PREFIX)
        and isinstance(invoices, list)
        and bool(invoices)
        and all(isinstance(i, str) and i.strip() for i in invoices)
    )


def check_no_cash_out(draft: TransactionDraft, extra: Mapping[str, Any] | None) -> None:
    """Personal-account money never becomes cash: the account pays medical costs (seed 001 第十六条)
    and premiums; what reaches a card is the assistance fund's (002 §四(二)1-2). The one exception
    is 就医共济零星报销 (003 附件 二(四)), a reimbursement of invoiced medical costs."""
    if moves_personal_money_to_cash(draft.postings) and not is_invoiced_reimbursement(draft.kind, extra):
        raise PersonalMoneyToCash(kind=draft.kind)


def recovery_receivable(region: str) -> str:
    """Where money collected from the parties of a family fraud case comes in (追回, seed 003 四(四))."""
    return f"external:recovery:{region}"


def scoped_key(scope: str, key: str, *, max_length: int = 255) -> str:
    """A client's idempotency key inside a scope (a user, an institution, a use case), so two
    clients' keys never meet. A key too long to fit is replaced by its SHA-256, never cut."""
    scoped = f"{scope}:{key}"
    if len(scoped) <= max_length:
        return scoped
    return f"{scope}:#{hashlib.sha256(key.encode()).hexdigest()}"
