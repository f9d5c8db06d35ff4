"""零星报销 (small reimbursements): the rules of a claim, pure (seed 003 附件二(四); SPEC §7).

A person who paid a designated institution in cash — off-site without direct settlement, an
emergency, … — claims afterwards with the invoices (number, issuing institution, date, amount) and
the fee list (catalogue items, quantities, unit prices). Staff compute the benefit with the same
engine as a 2207 settlement (``domain.settlement``: fee split, fund, what the own account and
family funds may pay), a second clerk approves, and what the fund and the accounts pay goes to
the claimant's bank card; the cash part stays the claimant's.

Same pooling region: paid by the original channel. Authorizer and relative insured in different
pooling regions of the province: "先由近亲属参保地垫付，后按期生成个人账户家庭共济垫付资金清算表，
由授权人参保地医保经办机构完成拨付" [附件二(四)] — booked like a cross-region direct settlement
(``services.backoffice.advances``) and cleared in the monthly run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from gongji.domain import settlement as S
from gongji.domain.errors import (
    FourEyesRequired,
    ReimbursementAmountsMismatch,
    ReimbursementFeesInvalid,
    ReimbursementInvoiceDuplicate,
    ReimbursementInvoiceInvalid,
)
from gongji.domain.money import MAX_AMOUNT_FEN, yuan

REGISTERED, COMPUTED, PAID, REJECTED = "registered", "computed", "paid", "rejected"
STATE_ZH = {REGISTERED: "已受理", COMPUTED: "已核算待审核", PAID: "已支付", REJECTED: "已退回"}
REASON_ZH = {
    "offsite": "异地就医未直接结算",
    "emergency": "急诊抢救",
    "no_card": "未持医保凭证就医",
    "other": "其他原因现金支付",
}
INSTITUTION_KINDS = {"hospital": "定点医疗机构", "pharmacy": "定点零售药店"}
ACCT_FLAGS = {"0": "不使用个人账户", "1": "使用本人个人账户", "2": "使用本人个人账户及家庭共济"}
MAX_INVOICES = 20
MAX_FEE_LINES = 200


@dataclass(frozen=True, slots=True)
class Invoice:
    number: str
    institution_name: str
    institution_code: str | None
    invoice_date: date
    amount_fen: int


def check_invoices(invoices: Sequence[Invoice], *, today: date) -> tuple[Invoice, ...]:
    """At least one invoice, each complete, dated no later than today, with a positive amount;
    a number twice in the claim is a duplicate (a number claimed before is checked by the service)."""
    items = tuple(invoices)
    if not 1 <= len(items) <= MAX_INVOICES:
        raise ReimbursementInvoiceInvalid(
            f"须提供1至{MAX_INVOICES}张发票", f"1 to {MAX_INVOICES} invoices are required", field="invoices"
        )
    seen: set[str] = set()
    for n, inv in enumerate(items, start=1):
        number = inv.number.strip()
        if not number or len(number) > 40 or not inv.institution_name.strip():
            raise ReimbursementInvoiceInvalid(field=f"invoices[{n}]")
        if inv.invoice_date > today:
            raise ReimbursementInvoiceInvalid(
                f"第{n}张发票的开票日期晚于今天", f"Invoice {n} is dated in the future", field=f"invoices[{n}]"
            )
        if not 0 < inv.amount_fen <= MAX_AMOUNT_FEN:
            raise ReimbursementInvoiceInvalid(
                f"第{n}张发票金额须为正数", f"Invoice {n} needs a positive amount", field=f"invoices[{n}]"
            )
        if number in seen:
            raise ReimbursementInvoiceDuplicate(invoice_no=number)
        seen.add(number)
    return items


def fee_line(sn: str, item_code: str, count: str, price_yuan: str, amount_fen: int) -> S.FeeLine:
    """A fee-list line as the engine reads it; a count or price that is not a decimal is refused."""
    try:
        qty, price = Decimal(count), Decimal(price_yuan)
    except (InvalidOperation, ValueError) as exc:
        raise ReimbursementFeesInvalid(
            f"第{sn}行数量或单价不是数字", f"Line {sn}: quantity or price is not a number", field="fees"
        ) from exc
    if not qty.is_finite() or not price.is_finite() or price < 0 or price.as_tuple().exponent < -6:  # type: ignore[operator]
        raise ReimbursementFeesInvalid(f"第{sn}行单价有误", f"Line {sn}: bad unit price", field="fees")
    return S.FeeLine(sn=sn, item_code=item_code.strip(), amount_fen=amount_fen, count=qty, price_fen=price * 100)


def fee_split(
    lines: Sequence[S.FeeLine], catalogue: dict[str, S.CatalogueItem], invoices: Sequence[Invoice]
) -> S.FeeSplit:
    """The engine's fee split of the fee list (甲/乙/丙, caps), which must add up to the invoices."""
    if not 1 <= len(lines) <= MAX_FEE_LINES:
        raise ReimbursementFeesInvalid(
            f"费用清单须有1至{MAX_FEE_LINES}行", f"1 to {MAX_FEE_LINES} fee lines", field="fees"
        )
    try:
        split = S.split_fees(lines, catalogue)
    except S.FeeLineInvalid as exc:
        raise ReimbursementFeesInvalid(f"费用清单有误：{exc}", "A fee line is invalid", field="fees") from exc
    invoiced = sum(i.amount_fen for i in invoices)
    if split.medfee_fen != invoiced:
        raise ReimbursementAmountsMismatch(
            f"费用清单合计 {yuan(split.medfee_fen)} 元与发票合计 {yuan(invoiced)} 元不符",
            "The fee list's total differs from the invoices' total",
            fees_fen=split.medfee_fen,
            invoices_fen=invoiced,
        )
    return split


def account_request_fen(limits: S.AccountLimits, acct_used_flag: str) -> int:
    """What to ask the accounts for, as 2207 does: nothing (0), the own account's scope (1), own
    account and family funds (2)."""
    if acct_used_flag == "0":
        return 0
    return limits.own_max_fen if acct_used_flag == "1" else limits.payable_fen


def payout_fen(amounts: S.SettlementAmounts) -> int:
    """What reaches the bank card: the fund's share and what the accounts pay; the cash part
    (psn_cash_pay) was the claimant's and stays so."""
    return amounts.fund_pay_sumamt_fen + amounts.acct_pay_fen


def check_approver(*, approver_id: int | None, registered_by: int | None, computed_by: int | None) -> None:
    """Four-eyes: neither the clerk who registered the claim nor the one who computed it approves."""
    if approver_id is None or approver_id in {registered_by, computed_by}:
        raise FourEyesRequired()


def crosses_regions(claimant_region: str, authorizer_region: str) -> bool:
    """Different pooling regions: the relative's region advances, the authorizer's pays back."""
    return claimant_region != authorizer_region
