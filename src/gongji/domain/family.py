"""Family mutual aid rules (家庭共济, SPEC §4; seeds 000, 001, 003). Pure: no I/O.

The use cases in ``services.family`` gather the facts (enrollments, balances, birth dates)
and ask these functions; every refusal is its own error class with a Chinese reason.

Words used here:
- *authorizer* (共济人/授权人): the employee whose personal account pays;
- *relative* (被共济人/近亲属): the close relative it pays for;
- *binding* (绑定关系): the pair, made on the authorizer's commitment (承诺制, seed 000).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from gongji.domain.errors import (
    AuthorizerAccountFrozen,
    AuthorizerInterrupted,
    AuthorizerNoBalance,
    AuthorizerNotEmployee,
    AuthorizerSuspended,
    RelationImplausible,
    RelativeNotInsured,
    RelativeOutOfProvince,
)
from gongji.domain.registry import EnrollmentStatus
from gongji.domain.relations import RelationKind

BINDING_ACTIVE = "active"
BINDING_ENDED = "ended"  # unbound by the authorizer (or staff assisting them)
BINDING_REVOKED = "revoked"  # stopped by staff for fraud (虚构家庭成员关系, seed 003)
BINDING_STOPPED = "stopped"  # another binding of a party was revoked: 停止相关当事人家庭共济待遇 (seed 003 四(四))
BINDING_STATUS_ZH = {
    BINDING_ACTIVE: "已绑定",
    BINDING_ENDED: "已解除",
    BINDING_REVOKED: "已终止（违规）",
    BINDING_STOPPED: "已停止（当事人违规案件）",
}

# A fraud case's receivable (追回应收, seed 003 四(四)): opened → part-collected → collected, or
# written off with a second staff member's approval. Open cases block new bindings of both parties.
CASE_OPEN = "open"
CASE_PART_COLLECTED = "part_collected"
CASE_COLLECTED = "collected"
CASE_WRITTEN_OFF = "written_off"
OPEN_CASE_STATUSES = (CASE_OPEN, CASE_PART_COLLECTED)
CASE_STATUS_ZH = {
    CASE_OPEN: "待追回",
    CASE_PART_COLLECTED: "部分追回",
    CASE_COLLECTED: "已追回",
    CASE_WRITTEN_OFF: "已核销",
}
LIABLE_ZH = {"both": "共济人和被共济人", "authorizer": "共济人", "relative": "被共济人"}


def case_status(amount_fen: int, collected_fen: int) -> str:
    """The receivable's status from what is owed and what was collected (never written off here)."""
    if collected_fen >= amount_fen:
        return CASE_COLLECTED
    return CASE_PART_COLLECTED if collected_fen > 0 else CASE_OPEN


PREMIUM_USE = "premium"
"""Use kind for a resident premium paid for the relative (代缴, seed 000 第四步)."""


@dataclass(frozen=True, slots=True)
class Insurance:
    """One live enrollment as the rules need it."""

    insutype: str
    region_code: str
    status: str


@dataclass(frozen=True, slots=True)
class Party:
    """A person as the rules need them."""

    person_id: int
    sex: str  # 1 male, 2 female, 9 not stated
    birth_date: date | None


def in_province(region_code: str, province_code: str) -> bool:
    return region_code.startswith(province_code)


def check_authorizer(
    insurances: Sequence[Insurance],
    *,
    authorizer_insutypes: Sequence[str],
    province_code: str,
    account_status: str | None,
    balance_fen: int | None,
    need_balance: bool = True,
) -> Insurance:
    """The authorizer's employee enrollment, or the refusal that applies (seed 000 谁能办).

    Insured in the province in employee insurance, status normal (not suspended, not
    interrupted), personal account normal and — when binding — with a balance.
    """
    candidates = [
        i for i in insurances if i.insutype in authorizer_insutypes and in_province(i.region_code, province_code)
    ]
    live = [i for i in candidates if i.status != EnrollmentStatus.TERMINATED.value]
    if not live:
        raise AuthorizerNotEmployee()
    enrollment = live[0]
    if enrollment.status == EnrollmentStatus.SUSPENDED.value:
        raise AuthorizerSuspended()
    if enrollment.status == EnrollmentStatus.INTERRUPTED.value:
        raise AuthorizerInterrupted()
    if enrollment.status != EnrollmentStatus.NORMAL.value:
        raise AuthorizerNotEmployee(status=enrollment.status)
    if account_status is None:
        raise AuthorizerNotEmployee("共济人没有职工医保个人账户", "The authorizer has no personal account")
    if account_status != "normal":
        raise AuthorizerAccountFrozen()
    if need_balance and (balance_fen or 0) <= 0:
        raise AuthorizerNoBalance()
    return enrollment


def check_relative_insured(
    insurances: Sequence[Insurance],
    *,
    relative_insutypes: Sequence[str],
    province_code: str,
    in_province_only: bool,
) -> Insurance:
    """The relative's basic enrollment in normal status, in the province when required (000, 001)."""
    live = [i for i in insurances if i.insutype in relative_insutypes and i.status != EnrollmentStatus.TERMINATED.value]
    if not live:
        raise RelativeNotInsured()
    if in_province_only:
        inside = [i for i in live if in_province(i.region_code, province_code)]
        if not inside:
            raise RelativeOutOfProvince()
        live = inside
    normal = [i for i in live if i.status == EnrollmentStatus.NORMAL.value]
    if not normal:
        raise RelativeNotInsured(status=live[0].status)
    return normal[0]


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# Which side must be older: +1 the relative is older than the authorizer, -1 younger.
_OLDER_SIDE: dict[str, int] = {
    "parent": +1,
    "paternal_grandparent": +1,
    "maternal_grandparent": +1,
    "child": -1,
    "grandchild": -1,
    "maternal_grandchild": -1,
}
_IMPLAUSIBLE_ZH = {
    +1: "登记的出生日期显示该亲属不比您年长，与所选关系（{rel}）不符",
    -1: "登记的出生日期显示该亲属不比您年轻，与所选关系（{rel}）不符",
}


def check_plausible(
    relation: RelationKind,
    authorizer: Party,
    relative: Party,
    *,
    today: date,
    spouse_min_age_male: int,
    spouse_min_age_female: int,
    relation_zh: str,
) -> None:
    """Refuse what the registry's birth dates make impossible (no paper proof is asked, seed 000).

    A parent or grandparent must be born before the authorizer, a child or grandchild after;
    both spouses must have reached the legal marriage age. Unknown birth dates pass: the
    commitment is the proof.
    """
    a, r = authorizer.birth_date, relative.birth_date
    side = _OLDER_SIDE.get(relation)
    if side is not None and a is not None and r is not None:
        relative_older = r < a
        if (side > 0 and not relative_older) or (side < 0 and r <= a):
            raise RelationImplausible(
                _IMPLAUSIBLE_ZH[side].format(rel=relation_zh),
                "The registered birth dates contradict the chosen relation",
                reason="relative_not_older" if side > 0 else "relative_not_younger",
            )
    if relation == "spouse":
        for who, party in (("authorizer", authorizer), ("relative", relative)):
            if party.birth_date is None:
                continue
            minimum = {"1": spouse_min_age_male, "2": spouse_min_age_female}.get(
                party.sex, min(spouse_min_age_male, spouse_min_age_female)
            )
            if age_on(party.birth_date, today) < minimum:
                subject = "您" if who == "authorizer" else "该亲属"
                raise RelationImplausible(
                    f"登记的出生日期显示{subject}未达法定婚龄（{minimum}周岁），与“配偶”关系不符",
                    f"The {who} is under the legal marriage age ({minimum})",
                    reason=f"{who}_under_marriage_age",
                )


def normalize_name(name: str) -> str:
    """Names compare after NFKC (full-width letters), without spaces, with one middle dot."""
    text = unicodedata.normalize("NFKC", name or "")
    text = "".join(text.split())
    for dot in ("•", "．", ".", "・", "‧"):
        text = text.replace(dot, "·")
    return text.upper()


def names_match(given: str, registered: str) -> bool:
    return bool(given) and normalize_name(given) == normalize_name(registered)


# --- paying: own account first, then family funds, then cash (先个人后共济, seeds 000, 003) ---


@dataclass(frozen=True, slots=True)
class Source:
    """A ledger account that may pay, with what it holds now."""

    account: str
    balance_fen: int
    binding_id: int | None = None  # None: the relative's own personal account


@dataclass(frozen=True, slots=True)
class Draw:
    account: str
    amount_fen: int
    binding_id: int | None


@dataclass(frozen=True, slots=True)
class Split:
    own: tuple[Draw, ...]
    family: tuple[Draw, ...]
    cash_fen: int

    @property
    def own_fen(self) -> int:
        return sum(d.amount_fen for d in self.own)

    @property
    def family_fen(self) -> int:
        return sum(d.amount_fen for d in self.family)

    @property
    def total_fen(self) -> int:
        return self.own_fen + self.family_fen + self.cash_fen


def _take(remaining: int, sources: Sequence[Source]) -> tuple[tuple[Draw, ...], int]:
    draws = []
    for s in sources:
        if remaining == 0:
            break
        amount = min(remaining, max(s.balance_fen, 0))
        if amount > 0:
            draws.append(Draw(s.account, amount, s.binding_id))
            remaining -= amount
    return tuple(draws), remaining


class Limits(Protocol):
    """What each source may pay of an amount, when not all of it (settlement's scope per part of
    个人负担, ``domain.settlement.AccountLimits``; seeds 000, 001 第十六条, 003 二)."""

    @property
    def own_max_fen(self) -> int: ...

    def family_max_fen(self, own_paid_fen: int) -> int: ...

    def describe(self, own_paid_fen: int, family_paid_fen: int) -> str:
        """Which part of the cost each source paid, for the payment's narration."""
        ...


def split_payment(
    amount_fen: int, own: Sequence[Source], family: Sequence[Source], limits: Limits | None = None
) -> Split:
    """Split an eligible amount: the relative's own accounts in order, then family sources in
    order, then cash. With ``limits`` each source pays no more than its scope allows. Sums are
    exact: own + family + cash = amount."""
    if amount_fen <= 0:
        raise ValueError("amount must be positive")
    own_cap = amount_fen if limits is None else min(amount_fen, limits.own_max_fen)
    own_draws, own_left = _take(own_cap, own)
    own_paid = own_cap - own_left
    remaining = amount_fen - own_paid
    family_cap = remaining if limits is None else min(remaining, limits.family_max_fen(own_paid))
    family_draws, family_left = _take(family_cap, family)
    remaining -= family_cap - family_left
    return Split(own=own_draws, family=family_draws, cash_fen=remaining)


@dataclass(frozen=True, slots=True)
class Payer:
    """An authorizer that may pay for the relative, and when the binding was made."""

    binding_id: int
    bound_at_key: tuple[object, ...]  # (created_at, binding id): earlier binding first
    source: Source


def order_payers(payers: Sequence[Payer], order: str | None) -> list[Payer]:
    """Profile ``authorizer_payment_order``: ``binding_time`` (earliest binding pays first) or
    ``largest_balance_first`` (then binding time)."""
    if order == "largest_balance_first":
        return sorted(payers, key=lambda p: (-p.source.balance_fen, p.bound_at_key))
    return sorted(payers, key=lambda p: p.bound_at_key)


def allocation_draws(amount_fen: int, sources: Sequence[Source]) -> tuple[Draw, ...] | None:
    """共济账户划拨: take ``amount_fen`` from the authorizer's balances in profile order, or None
    if they do not hold enough."""
    draws, remaining = _take(amount_fen, sources)
    return None if remaining else draws
