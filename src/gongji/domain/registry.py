"""Registry rules: enrollment statuses and their transitions, person types, staff scope.

An enrollment (参保) is one insurance type in one pooling region. Staff move it between
normal 正常参保, suspended 暂停, interrupted 断缴 and terminated 终止; a transfer changes its
pooling region and keeps everything else (seed 003: bindings survive an in-province move).
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

from gongji.domain.errors import InvalidAmount, InvalidRequest, InvalidStateTransition, UnknownCode
from gongji.domain.money import require_positive_fen, yuan


class EnrollmentStatus(StrEnum):
    NORMAL = "normal"  # 正常参保
    SUSPENDED = "suspended"  # 暂停参保
    INTERRUPTED = "interrupted"  # 断缴
    TERMINATED = "terminated"  # 终止参保


STATUS_ZH = {
    EnrollmentStatus.NORMAL: "正常参保",
    EnrollmentStatus.SUSPENDED: "暂停参保",
    EnrollmentStatus.INTERRUPTED: "断缴",
    EnrollmentStatus.TERMINATED: "终止参保",
}

# NHSA psn_insu_stas for answers to hospitals (1101): 1 normal, 2 suspended, 4 terminated.
STATUS_NHSA = {
    EnrollmentStatus.NORMAL: "1",
    EnrollmentStatus.SUSPENDED: "2",
    EnrollmentStatus.INTERRUPTED: "2",
    EnrollmentStatus.TERMINATED: "4",
}


class EnrollmentAction(StrEnum):
    SUSPEND = "suspend"
    INTERRUPT = "interrupt"
    RESUME = "resume"
    END = "end"
    TRANSFER = "transfer"


_ALLOWED: dict[EnrollmentAction, tuple[frozenset[EnrollmentStatus], EnrollmentStatus | None]] = {
    EnrollmentAction.SUSPEND: (frozenset({EnrollmentStatus.NORMAL}), EnrollmentStatus.SUSPENDED),
    EnrollmentAction.INTERRUPT: (
        frozenset({EnrollmentStatus.NORMAL}),
        EnrollmentStatus.INTERRUPTED,
    ),
    EnrollmentAction.RESUME: (
        frozenset({EnrollmentStatus.SUSPENDED, EnrollmentStatus.INTERRUPTED}),
        EnrollmentStatus.NORMAL,
    ),
    EnrollmentAction.END: (
        frozenset({EnrollmentStatus.NORMAL, EnrollmentStatus.SUSPENDED, EnrollmentStatus.INTERRUPTED}),
        EnrollmentStatus.TERMINATED,
    ),
    # A transfer keeps the status; only a normal enrollment can move.
    EnrollmentAction.TRANSFER: (frozenset({EnrollmentStatus.NORMAL}), None),
}


def next_status(current: EnrollmentStatus, action: EnrollmentAction) -> EnrollmentStatus:
    """The status after ``action``, or InvalidStateTransition naming both."""
    allowed_from, target = _ALLOWED[action]
    if current not in allowed_from:
        raise InvalidStateTransition(
            f"参保状态为「{STATUS_ZH[current]}」，不能执行该操作",
            f"Cannot {action.value} an enrollment that is {current.value}",
            status=current.value,
            action=action.value,
        )
    return current if target is None else target


# insutype codes this registry enrolls (NHSA code table 险种类型).
EMPLOYEE_BASIC = "310"
RESIDENT_BASIC = "390"
RESIDENT_CRITICAL = "392"
INSUTYPES = {
    EMPLOYEE_BASIC: "职工基本医疗保险",
    RESIDENT_BASIC: "城乡居民基本医疗保险",
    RESIDENT_CRITICAL: "城乡居民大病医疗保险",
}
EMPLOYEE_INSUTYPES = frozenset({EMPLOYEE_BASIC})

# Person types (NHSA 人员类别) accepted per insurance family.
EMPLOYEE_PSN_TYPES = {"11": "在职", "12": "退休"}
RESIDENT_PSN_TYPES = {
    "1401": "新生儿",
    "1402": "学龄前儿童",
    "1403": "中小学生",
    "1404": "大学生",
    "1405": "未成年（未入学）",
    "15": "居民（成年）",
    "16": "居民（老年）",
}
RETIRED = "12"


def region_in_scope(region_code: str, scopes: list[str]) -> bool:
    """Whether a staff member scoped to ``scopes`` may act on ``region_code``.

    A scope of 620000 covers the whole province, 620700 the city and its counties, a county
    code only itself (trailing ``00`` pairs are wildcards, GB/T 2260 levels).
    """
    return any(region_code.startswith(scope_prefix(scope)) for scope in scopes)


def scope_prefix(scope: str) -> str:
    """``620000`` → ``62``, ``620700`` → ``6207``, ``620702`` → ``620702``."""
    prefix = scope
    while prefix.endswith("00") and len(prefix) > 2:
        prefix = prefix[:-2]
    return prefix


# --- manual personal-account income (经办录入个人账户入账; issue 12 Part C) ----------------------

INCOME_KINDS = {"employee_contribution": "在职职工个人缴费划入", "retiree_credit": "退休人员定额划入"}
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def check_income_entry(*, kind: str, month: str, amount_fen: int, today: date, max_fen: int) -> None:
    """A month's manual income: a known kind, a month ``YYYY-MM`` not after ``today``'s month,
    and a positive amount no larger than the profile's maximum for the kind (a typo of one
    digit must not credit ten times the money)."""
    if kind not in INCOME_KINDS:
        raise UnknownCode("入账类型不存在", "Unknown income kind", field="kind", value=kind)
    parsed = _MONTH.match(month or "")
    if parsed is None:
        raise InvalidRequest("月份格式应为YYYY-MM", "Month must be YYYY-MM", field="month")
    if (int(parsed[1]), int(parsed[2])) > (today.year, today.month):
        raise InvalidRequest(
            "不能为未来月份入账", "Income cannot be posted for a future month", field="month", month=month
        )
    require_positive_fen(amount_fen)
    if amount_fen > max_fen:
        raise InvalidAmount(
            f"金额超过单月上限（{yuan(max_fen)}元）",
            f"Amount above the monthly maximum of {yuan(max_fen)} yuan",
            field="amount_fen",
            max_fen=max_fen,
        )


def income_needs_checker(amount_fen: int, approval_above_fen: int) -> bool:
    """Above the profile's threshold a second staff member approves before money moves."""
    return amount_fen > approval_above_fen
