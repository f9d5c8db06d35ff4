"""Which off-site rule a settlement falls under (issue 14 §4), pure: the facts passed in, the
profile's ``[offsite.settlement]`` deciding.

- **Off-site** (``is_offsite``): the treatment place is in another province (``cross_province``),
  or outside the insured pooling region, the enrollment's city (``outside_pooling_region``).
- **Ratio** (notes §6), in this order: a registration valid on the visit day covering the place
  → the normal ratio (``registered``); a college student in the year they enter school, treated
  at the school's place → the normal ratio (``student``, 002 §五2); an emergency visit, or a
  转诊转院 / 急诊抢救 registration that does not cover this visit (another place, or not in
  force that day) → lowered by ``referral_emergency_points`` (``referral_emergency``); anything
  else → lowered by ``unregistered_points`` (``unregistered``).
- **门诊慢特病 across provinces** (001 三): needs the disease's code, a valid registration and a
  valid recognition; ``chronic_refusal`` names what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from gongji.policy.schema import OffsiteScope, OffsiteSettlement

LOCAL, REGISTERED, STUDENT, REFERRAL_EMERGENCY, UNREGISTERED = (
    "local",
    "registered",
    "student",
    "referral_emergency",
    "unregistered",
)
RULE_ZH = {
    LOCAL: "本地就医",
    REGISTERED: "异地就医已备案",
    STUDENT: "大中专学生入学当年学籍地就医",
    REFERRAL_EMERGENCY: "转诊转院或急诊抢救未按规定备案",
    UNREGISTERED: "异地就医未备案",
}
REDUCING_KINDS = ("referral", "emergency")
"""Registration kinds (转诊转院, 急诊抢救) that, not covering the visit, still mark it as a
referral or an emergency without proper registration."""


def is_offsite(scope: OffsiteScope, *, treatment_region: str, insured_region: str) -> bool:
    if scope == "cross_province":
        return treatment_region[:2] != insured_region[:2]
    return treatment_region[:4] != insured_region[:4]


@dataclass(frozen=True)
class RegistrationSeen:
    """A registration as the ruling needs it: kind and serial for the text, and whether it
    covers the visit (valid on the day and its destination covers the place)."""

    kind: str
    kind_zh: str
    serial: str
    late: bool
    covers_visit: bool


@dataclass(frozen=True)
class Ruling:
    rule: str
    points: int
    """Percentage points taken off the fund's ratio (0 for local, registered, student)."""
    text_zh: str

    def ratio(self, permille: int) -> int:
        """The fund's ratio after the cut (never below 0 ‰)."""
        return max(0, permille - self.points * 10)


def _pct(permille: int) -> str:
    return f"{permille / 10:g}%"


def rule_for(
    rules: OffsiteSettlement,
    *,
    offsite: bool,
    ratio_permille: int,
    registrations: tuple[RegistrationSeen, ...],
    student_school: str | None,
    emergency_visit: bool,
) -> Ruling:
    """The rule of one settlement. ``registrations`` are the person's not cancelled ones touching
    the visit (covering it, or of a reducing kind); ``student_school`` the school when the person
    is a first-year college student treated at its place (and the profile exempts them)."""
    if not offsite:
        return Ruling(LOCAL, 0, "")
    covering = next((r for r in registrations if r.covers_visit), None)
    if covering is not None:
        late = "（补办）" if covering.late else ""
        return Ruling(
            REGISTERED,
            0,
            f"异地就医已备案{late}（{covering.kind_zh}，备案编号{covering.serial}），按参保地规定比例{_pct(ratio_permille)}支付",
        )
    if student_school is not None and rules.first_year_students_exempt:
        return Ruling(
            STUDENT,
            0,
            f"大中专学生入学当年在学籍地（{student_school}）就医，按异地就医直接结算，"
            f"报销比例不受转外就医调减比例限制（{_pct(ratio_permille)}）",
        )
    reducing = next((r for r in registrations if r.kind in REDUCING_KINDS), None)
    if emergency_visit or reducing is not None:
        why = "急诊" if emergency_visit else f"{reducing.kind_zh}备案不含本次就医" if reducing else ""
        return _lowered(REFERRAL_EMERGENCY, rules.referral_emergency_points, ratio_permille, why)
    return _lowered(UNREGISTERED, rules.unregistered_points, ratio_permille, "且非转诊转院或急诊抢救")


def _lowered(rule: str, points: int, ratio_permille: int, why: str) -> Ruling:
    after = max(0, ratio_permille - points * 10)
    detail = f"（{why}）" if why and rule == REFERRAL_EMERGENCY else why
    return Ruling(
        rule,
        points,
        f"{RULE_ZH[rule]}{detail}，统筹基金支付比例降低{points}个百分点（{_pct(ratio_permille)}→{_pct(after)}）",
    )


# --- 门诊慢特病 across provinces (001 三) ------------------------------------------------------


def chronic_refusal(
    *, disease_name: str | None, dise_codg: str | None, registered: bool, recognized: bool, listed: str
) -> str | None:
    """Why a cross-province 门诊慢特病 claim is refused (None: it may settle). ``disease_name`` is
    the profile's disease for ``dise_codg`` (None: not one of the listed ones); ``listed`` names
    the diseases the profile settles across provinces."""
    if not dise_codg:
        return "跨省门诊慢特病结算须上传病种编码（dise_codg，门慢门特病种目录代码）"
    if disease_name is None:
        return f"病种编码{dise_codg}不在跨省直接结算的门诊慢特病范围内（{listed}）"
    needed = (("异地就医备案", registered), (f"{disease_name}门诊慢特病认定", recognized))
    missing = [what for what, ok in needed if not ok]
    if missing:
        return (
            f"跨省门诊慢特病费用直接结算须同时具备有效的异地就医备案和门诊慢特病认定，"
            f"该参保人就诊当日无有效的{'和'.join(missing)}，不予结算"
        )
    return None
