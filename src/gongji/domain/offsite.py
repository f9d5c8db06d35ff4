"""Rules of off-site care registration (异地就医备案, seed 001 二) and of the outpatient
chronic/special diseases (门诊慢特病, 001 三), pure: no I/O, the profile passed in.

- **Kinds** (``OffsiteKind`` in the profile): long-term — 异地安置退休, 异地长期居住, 常驻异地工作 —
  valid indefinitely, changed or cancelled only ``min_months_before_change`` after the start
  (notes §6: 原则上不超过6个月); temporary — 转诊转院, 急诊抢救, 其他临时外出 — valid
  ``valid_months`` from the start (notes §6: 不少于6个月), longer on request up to ``max_months``.
- **Materials** (001 二): 有效身份证件, 异地就医登记备案表, and one of the kind's proofs — 异地长期
  居住证明材料, 转诊证明, or 个人承诺书 where the profile lets the commitment replace the proof.
- **Late registration** (补办, notes §6): the start may be the admission day in the past, only
  while the patient is not yet discharged.
- **Recognition** (认定) of a chronic disease: per person and disease, from a start date for the
  disease's ``valid_months`` (or until revoked).
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta

from gongji.domain.errors import (
    ChronicOrganInvalid,
    OffsiteChangeTooEarly,
    OffsiteDatesInvalid,
    OffsiteLateNotAllowed,
    OffsiteMaterialsMissing,
    UnknownCode,
)
from gongji.domain.registry import scope_prefix
from gongji.policy.schema import ChronicDisease, Offsite, OffsiteKind

KIND_ZH = {
    "retiree_resettled": "异地安置退休",
    "long_term_resident": "异地长期居住",
    "posted_worker": "常驻异地工作",
    "referral": "转诊转院",
    "emergency": "急诊抢救",
    "other_temporary": "其他临时外出",
}
CATEGORY_ZH = {"long_term": "长期异地就医", "temporary": "临时外出就医"}
ID_CARD, FORM = "id_card", "registration_form"
BASE_MATERIALS = (ID_CARD, FORM)
COMMITMENT = "commitment"
MATERIAL_ZH = {
    ID_CARD: "有效身份证件",
    FORM: "异地就医登记备案表",
    "residence_proof": "异地长期居住证明材料",
    "referral_proof": "转诊证明",
    COMMITMENT: "个人承诺书",
}
ORGAN_ZH = {"kidney": "肾", "bone_marrow": "骨髓", "heart": "心", "liver": "肝", "lung": "肺", "liver_kidney": "肝肾"}
COMMITMENT_TEXT = (
    "本人承诺：所填异地就医备案信息及异地居住、就医情况真实有效，以个人承诺代替相关证明材料；"
    "如有虚假，愿承担由此产生的一切责任，包括退回医保基金已支付的费用。"
)
COMMITMENT_VERSION = "2026.1"

# Channels (001: 一网受理 online, the window, and on behalf of a relative)
ONLINE_SELF, ONLINE_RELATIVE, WINDOW, WINDOW_AGENT, INSTITUTION = (
    "online_self",
    "online_relative",
    "window",
    "window_agent",
    "institution",
)
CHANNEL_ZH = {
    ONLINE_SELF: "网上办理（本人）",
    ONLINE_RELATIVE: "网上办理（绑定亲属代办）",
    WINDOW: "窗口办理（本人）",
    WINDOW_AGENT: "窗口办理（他人代办）",
    INSTITUTION: "定点医药机构主动服务",
}

# Stored states of a registration; the state shown also reads the dates (``state_on``).
ACTIVE, CHANGED, CANCELLED = "active", "changed", "cancelled"
STATE_ZH = {
    "pending_start": "待生效",
    "valid": "有效",
    "expired": "已到期",
    CHANGED: "已变更",
    CANCELLED: "已取消",
}
# States of a recognition
PENDING, APPROVED, REJECTED, REVOKED = "pending", "approved", "rejected", "revoked"
RECOGNITION_STATE_ZH = {
    PENDING: "待审核",
    "valid": "有效",
    "pending_start": "待生效",
    "expired": "已到期",
    REJECTED: "未通过",
    REVOKED: "已撤销",
}


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has fewer days)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def kind_of(rules: Offsite, code: str) -> OffsiteKind:
    kind = rules.kind_of(code)
    if kind is None:
        raise UnknownCode("备案类型不存在", "Unknown registration kind", field="kind", value=code)
    return kind


def check_materials(kind: OffsiteKind, materials: set[str], *, commitment_signed: bool) -> tuple[str, ...]:
    """The materials as kept: the ID and the form, and one of the kind's proofs; the commitment
    counts only when signed. Missing ones are named in the refusal."""
    unknown = sorted(materials - set(MATERIAL_ZH))
    if unknown:
        raise UnknownCode("材料代码不存在", "Unknown material code", field="materials", value=unknown)
    if COMMITMENT in materials and not commitment_signed:
        materials = materials - {COMMITMENT}
    missing = [MATERIAL_ZH[m] for m in BASE_MATERIALS if m not in materials]
    if not materials & set(kind.proof_any_of):
        missing.append("或".join(MATERIAL_ZH[m] for m in kind.proof_any_of))
    if missing:
        raise OffsiteMaterialsMissing(
            "办理材料不全，缺少：" + "、".join(missing),
            "Materials missing: " + ", ".join(missing),
            field="materials",
            missing=missing,
        )
    return tuple(m for m in MATERIAL_ZH if m in materials)


@dataclass(frozen=True)
class Late:
    """补办: admitted on ``admission_date``, discharged on ``discharge_date`` (None: still in)."""

    admission_date: date
    discharge_date: date | None = None


def period(
    rules: Offsite, kind: OffsiteKind, *, today: date, start: date | None, end: date | None, late: Late | None
) -> tuple[date, date | None]:
    """The registration's first and last valid day (None: indefinite) for an application today."""
    if late is not None:
        if not rules.late_registration_before_discharge:
            raise OffsiteLateNotAllowed("本地不办理补办备案", "Late registration is not offered here", field="late")
        if late.discharge_date is not None and late.discharge_date <= today:
            raise OffsiteLateNotAllowed(field="discharge_date", discharge_date=late.discharge_date.isoformat())
        if late.admission_date > today:
            raise OffsiteDatesInvalid("入院日期不能晚于今天", "Admission date is in the future", field="admission_date")
        start = late.admission_date
    start = start or today
    if start < today and late is None:
        raise OffsiteDatesInvalid(
            "备案开始日期不能早于今天；住院未出院的可选择补办备案",
            "The start is in the past; a patient not yet discharged may register late",
            field="start_date",
        )
    if kind.category == "long_term":
        if end is not None:
            raise OffsiteDatesInvalid(
                "长期异地就医备案长期有效，不填写结束日期", "A long-term registration has no end date", field="end_date"
            )
        return start, None
    assert kind.valid_months is not None and kind.max_months is not None  # the schema's rule
    shortest = add_months(start, kind.valid_months) - timedelta(days=1)
    longest = add_months(start, kind.max_months) - timedelta(days=1)
    if end is None:
        return start, shortest
    if not shortest <= end <= longest:
        raise OffsiteDatesInvalid(
            f"临时外出就医备案有效期不少于{kind.valid_months}个月、不超过{kind.max_months}个月"
            f"（结束日期须在{shortest.isoformat()}至{longest.isoformat()}之间）",
            f"A temporary registration lasts {kind.valid_months} to {kind.max_months} months",
            field="end_date",
            earliest=shortest.isoformat(),
            latest=longest.isoformat(),
        )
    return start, end


def check_may_end(kind: OffsiteKind, *, start: date, today: date) -> None:
    """A long-term registration in force is changed or cancelled only after its minimum period;
    one not yet started, and any temporary one, at any time."""
    if kind.category != "long_term" or start > today:
        return
    months = kind.min_months_before_change or 0
    allowed = add_months(start, months)
    if today < allowed:
        raise OffsiteChangeTooEarly(
            f"长期异地就医备案自{start.isoformat()}起须满{months}个月（{allowed.isoformat()}起）才能变更或取消",
            f"Long-term registration: change or cancel from {allowed.isoformat()}",
            allowed_from=allowed.isoformat(),
        )


def ended_on(*, start: date, end: date | None, today: date) -> date:
    """The last valid day of a registration changed or cancelled today: yesterday (one not yet
    started never becomes valid: the day before its start)."""
    last = max(today, start) - timedelta(days=1)
    return last if end is None else min(end, last)


def state_on(status: str, start: date, end: date | None, day: date) -> str:
    """The state shown: 已变更 / 已取消 as stored, else 待生效, 有效 or 已到期 on ``day``."""
    if status in (CHANGED, CANCELLED):
        return status
    if day < start:
        return "pending_start"
    if end is not None and day > end:
        return "expired"
    return "valid"


def valid_on(start: date, end: date | None, day: date) -> bool:
    return start <= day and (end is None or day <= end)


def covers(destination: str, place: str) -> bool:
    """Does a registration for ``destination`` (province, city or county code) cover care in
    ``place``? A province covers its cities and counties, a city its counties."""
    return place.startswith(scope_prefix(destination))


def outside(destination: str, insured_region: str) -> bool:
    """Off-site: the destination and the insured pooling region do not contain each other."""
    return not (covers(destination, insured_region) or covers(insured_region, destination))


# --- chronic diseases ------------------------------------------------------------------------


def disease_of(rules: Offsite, code: str) -> ChronicDisease:
    disease = rules.disease(code)
    if disease is None:
        raise UnknownCode("门诊慢特病病种不在本地病种目录内", "Unknown chronic disease", field="disease", value=code)
    return disease


def check_organ(disease: ChronicDisease, organ: str | None) -> str | None:
    if disease.organs and organ not in disease.organs:
        raise ChronicOrganInvalid(field="organ", allowed=list(disease.organs))
    if not disease.organs and organ:
        raise ChronicOrganInvalid(field="organ")
    return organ or None


def recognition_until(disease: ChronicDisease, start: date) -> date | None:
    """The last valid day of a recognition starting ``start`` (None: until revoked)."""
    if disease.valid_months is None:
        return None
    return add_months(start, disease.valid_months) - timedelta(days=1)


def disease_name(disease: ChronicDisease, organ: str | None) -> str:
    """器官移植抗排异治疗 with its organ: ``器官移植抗排异治疗（肾移植）``."""
    return f"{disease.name}（{ORGAN_ZH[organ]}移植）" if organ else disease.name
