"""就医费用报销"一件事" (seed 001) — pure rules: the parts of the one form, the office each goes
to, the order they run in, the materials, the visits, the time limits and the case's state.

- **Parts** (001 涉及的内容, 联办事项): 职工医保个人账户家庭共济办理 and 基本医疗保险参保人员异地就医
  备案 are 即办件 of the 医保经办部门 (done at once, or refused at once with the reason); the
  五种门诊慢特病 recognition is reviewed by a second clerk (it waits); 医疗费用报销直接结算 is the
  定点医药机构's 主动服务 — it follows the registration and the recognition of the same case
  (串联) and ends when they end. The rest run side by side (并联): 串并联办理.
- **Materials** (001 联办效能): at most ``max_materials`` (3), the same one never twice — the one
  form (多表合一) stands for every part's form, the ID and one proof or the 个人承诺书.
- **Visits** (001 到场次数 0次或1次): none online; at most ``max_visits`` (1) in all, for the
  reason the seed gives (需现场提交本人有效证件办理结算).
- **Time limits** (001 承诺/法定办结时限): committed and statutory working days counted from the
  day of acceptance on the official working-day calendar (``domain.calendar``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from gongji.domain.calendar import WorkCalendar
from gongji.domain.errors import (
    InvalidRequest,
    OneThingTooManyMaterials,
    OneThingVisitLimit,
    UnknownCode,
)

FAMILY, REGISTRATION, CHRONIC, SETTLEMENT = (
    "family_binding",
    "offsite_registration",
    "chronic_recognition",
    "direct_settlement",
)
PARTS = (FAMILY, REGISTRATION, CHRONIC, SETTLEMENT)
PART_ZH = {
    FAMILY: "职工医保个人账户家庭共济办理",
    REGISTRATION: "基本医疗保险参保人员异地就医备案",
    CHRONIC: "五种门诊慢特病费用跨省直接结算（病种认定）",
    SETTLEMENT: "医疗费用报销直接结算",
}
PART_TYPE_ZH = {
    FAMILY: "即办件",
    REGISTRATION: "即办件",
    CHRONIC: "审核件（经办复核）",
    SETTLEMENT: "主动服务",
}
IMMEDIATE = frozenset({FAMILY, REGISTRATION})
"""即办件 (001 联办事项): finished at once, by the existing use case, when the case is accepted."""

# The office each part goes to (001 联办事项 受理部门), for routing and the per-office counts.
OFFICE_FAMILY, OFFICE_OFFSITE, OFFICE_CHRONIC, OFFICE_INSTITUTION = "family", "offsite", "chronic", "institution"
OFFICE_OF = {
    FAMILY: OFFICE_FAMILY,
    REGISTRATION: OFFICE_OFFSITE,
    CHRONIC: OFFICE_CHRONIC,
    SETTLEMENT: OFFICE_INSTITUTION,
}
OFFICE_ZH = {
    OFFICE_FAMILY: "医保经办部门·家庭共济",
    OFFICE_OFFSITE: "医保经办部门·异地就医备案",
    OFFICE_CHRONIC: "医保经办部门·门诊慢特病认定",
    OFFICE_INSTITUTION: "定点医药机构·直接结算",
}
AFTER = {SETTLEMENT: (REGISTRATION, CHRONIC)}
"""串联: a part waits for these parts of the same case (those the case has) to end."""

# States of a part and of a case
WAITING, PROCESSING, DONE, REFUSED = "waiting", "processing", "done", "refused"
PART_STATE_ZH = {WAITING: "等待前序事项", PROCESSING: "办理中", DONE: "已办结", REFUSED: "不予办理"}
ENDED = frozenset({DONE, REFUSED})
REVIEWING, CLOSED = "reviewing", "done"
CASE_STATE_ZH = {REVIEWING: "受理审核中", CLOSED: "已办结"}

# Materials of the one form (多表合一, 一表申报)
ID_CARD, FORM, COMMITMENT = "id_card", "application_form", "commitment"
MATERIAL_ZH = {
    ID_CARD: "有效身份证件",
    FORM: "就医费用报销一件事申请表（多表合一）",
    "residence_proof": "异地长期居住证明材料",
    "referral_proof": "转诊证明",
    COMMITMENT: "个人承诺书",
}
PROOFS = ("residence_proof", "referral_proof")
OFFSITE_FORM = "registration_form"
"""The one form stands for the 异地就医登记备案表 of the registration part."""

COMMITMENT_VERSION = "2026.1"
COMMITMENT_TEXT = (
    "本人承诺：本申请表所填信息真实、完整、有效；以承诺代替的证明材料（异地长期居住证明材料、转诊证明等）"
    "将按经办机构要求补交；如有虚假，愿承担由此产生的一切责任，包括退回医保基金已支付的费用。"
)

# Channels and visits (001 到场次数 0次或1次)
ONLINE, WINDOW, WINDOW_AGENT = "online", "window", "window_agent"
CHANNEL_ZH = {ONLINE: "网上办理（一网受理）", WINDOW: "窗口办理（本人）", WINDOW_AGENT: "窗口办理（他人代办）"}

# How a case stands against its time limits
ON_TIME, DUE_TODAY, OVERDUE, STATUTORY_OVERDUE = "on_time", "due_today", "overdue", "statutory_overdue"
TIMING_ZH = {
    ON_TIME: "未到期",
    DUE_TODAY: "今日到期",
    OVERDUE: "已超承诺时限",
    STATUTORY_OVERDUE: "已超法定时限",
}
FINISHED_IN_TIME, FINISHED_LATE = "finished_in_time", "finished_late"
TIMING_ZH |= {FINISHED_IN_TIME: "按时办结", FINISHED_LATE: "超时办结"}


def check_parts(parts: Iterable[str]) -> tuple[str, ...]:
    """The parts asked for, each once, in the form's order; unknown or none → refused."""
    asked = [p.strip() for p in parts]
    unknown = sorted({p for p in asked if p not in PARTS})
    if unknown:
        raise UnknownCode("一件事事项不存在", "Unknown one-thing part", field="parts", value=unknown)
    if not asked:
        raise InvalidRequest("请至少选择一项办理事项", "Choose at least one part", field="parts")
    return tuple(p for p in PARTS if p in asked)


def check_materials(materials: Sequence[str], *, max_materials: int) -> tuple[str, ...]:
    """At most ``max_materials``, known, each once (相同的不重复提交); the ID is always among them."""
    unknown = sorted({m for m in materials if m not in MATERIAL_ZH})
    if unknown:
        raise UnknownCode("材料代码不存在", "Unknown material code", field="materials", value=unknown)
    if len(materials) != len(set(materials)) or len(materials) > max_materials:
        raise OneThingTooManyMaterials(
            f"一件事联办最多提交{max_materials}份材料，相同材料不重复提交",
            f"At most {max_materials} materials, none twice",
            field="materials",
            limit=max_materials,
            given=len(materials),
        )
    if ID_CARD not in materials:
        raise InvalidRequest("请提交有效身份证件", "The valid ID is required", field="materials")
    return tuple(m for m in MATERIAL_ZH if m in materials)


def proofs_to_follow(materials: Iterable[str], *, registration_proof: str | None) -> tuple[str, ...]:
    """承诺件: the proofs the commitment stands in for, to be handed in later (none if given)."""
    given = set(materials)
    if registration_proof is None or registration_proof in given:
        return ()
    return (registration_proof,)


def check_visit(*, visits: int, max_visits: int) -> None:
    """One more visit is allowed: at most ``max_visits`` in all (an online case has made none)."""
    if visits + 1 > max_visits:
        raise OneThingVisitLimit(
            f"一件事联办最多跑{max_visits}次，本件已到场{visits}次",
            f"At most {max_visits} visit(s); {visits} recorded",
            visits=visits,
            limit=max_visits,
        )


def visits_at_acceptance(channel: str) -> int:
    """Online: no visit; at the window: the one visit, made now."""
    return 0 if channel == ONLINE else 1


def ready(part: str, states: dict[str, str]) -> bool:
    """A waiting part may start: every earlier part it follows (that the case has) has ended."""
    return all(states[p] in ENDED for p in AFTER.get(part, ()) if p in states)


def case_state(states: Iterable[str]) -> str:
    """The case ends when all its parts end."""
    return CLOSED if all(s in ENDED for s in states) else REVIEWING


def step_of(state: str) -> int:
    """The step reached of 申请 (1), 受理审核 (2), 办结 (3): a stored case is accepted."""
    return 3 if state == CLOSED else 2


@dataclass(frozen=True)
class Timing:
    """A case against its limits on ``today``: the due days, working days left (negative when
    overdue), the state and whether a due day may still move (a provisional calendar year)."""

    accepted_on: date
    committed_due: date
    statutory_due: date
    remaining: int
    state: str
    provisional: bool

    @property
    def state_zh(self) -> str:
        return TIMING_ZH[self.state]

    @property
    def late(self) -> bool:
        return self.state in (OVERDUE, STATUTORY_OVERDUE, FINISHED_LATE)


def timing(
    cal: WorkCalendar,
    *,
    accepted_on: date,
    committed_days: int,
    statutory_days: int,
    today: date,
    closed_on: date | None = None,
) -> Timing:
    """Due days counted from acceptance (the day itself not counted) on the working-day calendar;
    an open case is judged on ``today``, a closed one on the day it closed."""
    committed = cal.deadline(accepted_on, committed_days)
    statutory = cal.deadline(accepted_on, statutory_days)
    provisional = committed.provisional or statutory.provisional
    if closed_on is not None:
        state = FINISHED_IN_TIME if closed_on <= committed.due else FINISHED_LATE
        return Timing(accepted_on, committed.due, statutory.due, 0, state, provisional)
    remaining = cal.working_days_between(today, committed.due)
    if today > statutory.due:
        state = STATUTORY_OVERDUE
    elif today > committed.due:
        state = OVERDUE
    elif today == committed.due:
        state = DUE_TODAY
    else:
        state = ON_TIME
    return Timing(accepted_on, committed.due, statutory.due, remaining, state, provisional)
