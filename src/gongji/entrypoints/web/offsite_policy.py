"""The ``[offsite]`` part of the policy page (政策参数): off-site registration kinds with their
proofs and validity, late registration, the chronic diseases — demo figures badged per field."""

from __future__ import annotations

from typing import Any

from gongji.domain import offsite as O
from gongji.entrypoints.web.pages import _join, _kv_group, _table_group, _yes
from gongji.policy.schema import OffsiteKind, Profile


def _validity(k: OffsiteKind) -> str:
    if k.category == "long_term":
        return f"长期有效；满{k.min_months_before_change}个月后可变更或取消"
    return f"{k.valid_months}个月（申请延长最长{k.max_months}个月），有效期内可多次就诊"


def _validity_fields(k: OffsiteKind) -> tuple[str, ...]:
    """The cell's fields, the one a demo badge points at first (data-path)."""
    return ("min_months_before_change",) if k.category == "long_term" else ("max_months", "valid_months")


def offsite_section(profile: Profile, demo: set[str]) -> dict[str, Any]:
    off = profile.offsite
    late = _kv_group(
        "异地就医备案",
        "offsite",
        off,
        demo,
        [("late_registration_before_discharge", "出院前可补办备案", _yes(off.late_registration_before_discharge))],
    )
    kinds = _table_group(
        "备案类型、材料与有效期（另须有效身份证件、异地就医登记备案表）",
        ["备案类型", "证明材料（任一）", "有效期"],
        [
            (
                f"offsite.kind[{k.code}]",
                k,
                [
                    ("category", O.KIND_ZH[k.code], O.CATEGORY_ZH[k.category]),
                    ("proof_any_of", _join(k.proof_any_of, O.MATERIAL_ZH)),
                    (_validity_fields(k), _validity(k)),
                ],
            )
            for k in off.kind
        ],
        demo,
    )
    diseases = _table_group(
        "门诊慢特病（跨省直接结算病种）",
        ["病种", "认定有效期"],
        [
            (
                f"offsite.chronic[{d.code}]",
                d,
                [
                    ("name", d.name, "、".join(O.ORGAN_ZH[o] for o in d.organs) + "移植" if d.organs else ""),
                    ("valid_months", f"{d.valid_months}个月" if d.valid_months else "长期有效"),
                ],
            )
            for d in off.chronic
        ],
        demo,
    )
    st = off.settlement
    scope_zh = {"cross_province": "跨省", "outside_pooling_region": "统筹区外"}
    settlement = _kv_group(
        "异地就医结算（2206/2207）",
        "offsite.settlement",
        st,
        demo,
        [
            ("scope", "调减比例适用范围", scope_zh.get(st.scope, st.scope)),
            (
                "referral_emergency_points",
                "转诊转院或急诊抢救未按规定备案：统筹基金支付比例降低",
                f"{st.referral_emergency_points}个百分点",
            ),
            ("unregistered_points", "未备案且非转诊、急诊：降低", f"{st.unregistered_points}个百分点"),
            ("chronic_scope", "门诊慢特病须备案并认定的范围", scope_zh.get(st.chronic_scope, st.chronic_scope)),
            ("first_year_students_exempt", "大中专学生入学当年在学籍地就医不调减", _yes(st.first_year_students_exempt)),
        ],
    )
    return {"id": "offsite", "title": "异地就医与门诊慢特病", "groups": [late, kinds, diseases, settlement]}
