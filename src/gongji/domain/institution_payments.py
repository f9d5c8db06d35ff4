"""Pure rules of the monthly payment of institutions (拨付, seed 003 附件 二(一), 二(二)2).

The pooling region where the care took place (就医地) settles with its designated institutions
"按正常月结流程", the family part "在本地月结中按全额予以拨付，不预留，不作年终清算". A month's
statement is prepared by one clerk and approved by another; a payment order (支付单) goes to
the bank; each line is booked when the bank confirms it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gongji.domain.errors import FourEyesRequired, InvalidStateTransition

RUN_STATE_ZH = {"prepared": "待审核", "approved": "已审核", "ordered": "已出支付单", "closed": "已全部拨付"}
LINE_STATE_ZH = {
    "pending": "待拨付",
    "ordered": "已出支付单",
    "paid": "银行已确认",
    "rejected": "银行退回（仍欠付）",
    "offset": "本月无应付（冲抵）",
}
DIFF_SOURCE_ZH = {"3201": "对总账（3201）", "3202": "对明细账（3202）", "none": "未对账"}
DIFF_STATE_ZH = {"open": "未处理", "accepted": "已说明"}

BANK_COLUMNS: tuple[str, ...] = (
    "支付单号",
    "明细号",
    "收款单位",
    "收款账号",
    "开户银行",
    "金额（元）",
    "用途",
)
"""The bank export (CSV, UTF-8 with BOM, comma-separated, one header line; docs/backoffice.md)."""
UNKNOWN_ACCOUNT = "待补录"


def order_number(region_code: str, month: str) -> str:
    """支付单号: one order per pooling region and month, e.g. ``ZF330106-202611``."""
    return f"ZF{region_code}-{month.replace('-', '')}"


def line_reference(order_no: str, seq: int, attempt: int) -> str:
    """明细号: the bank quotes it back; a line ordered again after a refusal gets a new attempt."""
    return f"{order_no}-{seq:04d}-{attempt}"


def yuan_text(fen: int) -> str:
    """Fen → yuan with two decimals, no grouping: 123456 → "1234.56"."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def require_second_clerk(prepared_by: int | None, approver: int) -> None:
    """Four eyes: whoever prepared the statement cannot approve it."""
    if prepared_by is not None and prepared_by == approver:
        raise FourEyesRequired(
            "编制人不能审核自己编制的拨付结算单，须由另一名经办人员审核",
            "The clerk who prepared the statement cannot approve it; a second clerk must",
        )


def require_no_open_differences(open_count: int) -> None:
    if open_count:
        raise InvalidStateTransition(
            f"尚有{open_count}条对账差异未处理，不能审核",
            f"{open_count} reconciliation differences are still open",
            open_differences=open_count,
        )


def line_state_after_order(total_fen: int) -> str:
    """A line the month owes something on is ordered; one that nets to nothing or less is offset
    (撤销后反向结算金额参与下次结算: left on the institution's account for a later month)."""
    return "ordered" if total_fen > 0 else "offset"


@dataclass(frozen=True)
class Totals:
    settlements: int
    fund_fen: int
    own_acct_fen: int
    family_fen: int

    @property
    def total_fen(self) -> int:
        """What the region pays the institution: the fund share and the account shares
        (own and family, the family part in full)."""
        return self.fund_fen + self.own_acct_fen + self.family_fen


def run_closed(line_states: Sequence[str]) -> bool:
    return all(state in {"paid", "offset"} for state in line_states)
