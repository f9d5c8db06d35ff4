"""Schema of a policy profile: the per-province, per-year rules of Gongji as checked data.

A profile (``profiles/<code>.toml``) holds everything that differs between provinces — who may
bind whom, how the family fund is financed and what it may pay, resident premiums by benefit
year, subsidies, waiting periods, refunds, collection targets, benefit parameters and account
credits — so that no code ever branches on the province (SPEC §3).

Conventions:
- money is integer fen (``*_fen``), ratios are integer per-mille (``*_permille``, 850 = 85 %);
  floats and booleans are rejected where an integer is expected;
- every group that carries figures has ``source`` (a seed id such as ``"002 §三"``, ``"notes
  §1.2"`` or ``"demo"``) and ``demo``; a figure not found in a source is demo — either the whole
  group (``demo = true``) or the single field, listed in ``demo_keys``;
- all models are frozen and reject unknown keys, so a typo in a profile is an error, not a
  silently ignored setting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from gongji.domain.registry import INCOME_KINDS
from gongji.domain.relations import RelationKind

# --------------------------------------------------------------------------------------------
# Scalar types

Fen = Annotated[int, Field(strict=True, ge=0)]
"""Money in fen (分), never negative, never a float."""

Permille = Annotated[int, Field(strict=True, ge=0, le=1000)]
"""A ratio in per-mille: 0 … 1000."""

Flag = Annotated[bool, Field(strict=True)]
"""A true/false setting; 1 or "yes" are rejected."""

Count = Annotated[int, Field(strict=True, ge=0)]
PositiveCount = Annotated[int, Field(strict=True, ge=1)]

InsutypeCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{3,5}$")]
"""National 险种类型 code: 310 employee basic, 390 resident basic, 392 resident critical illness."""

MedTypeCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{2,6}$")]
"""National 医疗类别 code: 11 普通门诊, 14 门诊慢特病, 21 普通住院, 41 定点药店购药."""

InstitutionLevel = Annotated[int, Field(strict=True, ge=0, le=3)]
"""Institution level 1/2/3; 0 means any level (pharmacies, ungraded institutions)."""

NonEmptyText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

MonthDay = Annotated[str, StringConstraints(pattern=r"^[0-9]{2}-[0-9]{2}$")]
"""A yearly recurring date, ``"MM-DD"``."""


MedicalUseKind = Literal[
    "outpatient",  # 门诊 政策范围内自付
    "inpatient",  # 住院 政策范围内自付
    "pharmacy_drugs",  # 定点药店 药品
    "pharmacy_devices",  # 定点药店 医疗器械
    "pharmacy_consumables",  # 定点药店 医用耗材
]
MEDICAL_USE_KINDS: tuple[MedicalUseKind, ...] = (
    "outpatient",
    "inpatient",
    "pharmacy_drugs",
    "pharmacy_devices",
    "pharmacy_consumables",
)
VACCINES = "vaccines"
"""Use kind for vaccines outside the national immunization programme (Zhejiang [003])."""

FundingModel = Literal["direct", "allocation"]
DrawFrom = Literal["past_years", "family_account"]
AccountBalance = Literal["past_years", "current_year"]
PaymentOrder = Literal["binding_time", "largest_balance_first"]
PremiumPaymentMode = Literal["requires_binding", "commitment_at_payment"]
SubsidyKind = Literal["full", "fixed"]
SubsidyStandardOf = Literal["household", "insured"]
DeductibleBasis = Literal["per_year", "per_admission"]
RefundReason = Literal[
    "cross_province_duplicate",  # 跨省重复缴费
    "death",  # 死亡
    "missing",  # 失踪
    "emigration",  # 出国定居
    "joined_employee_insurance",  # 参加职工医保
    "joined_other_region_resident",  # 参加其他统筹地区居民医保
]


class PolicyLookupError(LookupError):
    """A profile has no entry for what was asked (a benefit year, a rule, a subsidy code)."""


def _month_day_ok(value: str) -> str:
    month, day = (int(part) for part in value.split("-"))
    try:
        dt.date(2024, month, day)  # a leap year, so 02-29 is a valid recurring date
    except ValueError:
        raise ValueError(f"'{value}' is not a valid month-day (MM-DD)") from None
    return value


def _unique(values: tuple[Any, ...], what: str) -> None:
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value)


# --------------------------------------------------------------------------------------------
# Base classes


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sourced(_Frozen):
    """A group of figures with its provenance.

    ``demo = true`` marks the whole group as demo; ``demo_keys`` names single demo fields in an
    otherwise sourced group.
    """

    source: NonEmptyText
    demo: Flag
    demo_keys: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _demo_keys_name_own_fields(self) -> Sourced:
        own = set(type(self).model_fields) - {"source", "demo", "demo_keys"}
        unknown = [key for key in self.demo_keys if key not in own]
        if unknown:
            raise ValueError(f"demo_keys names unknown fields {unknown}; fields: {sorted(own)}")
        if self.demo and self.demo_keys:
            raise ValueError("demo_keys is only for a group with demo = false")
        _unique(self.demo_keys, "demo key")
        return self


# --------------------------------------------------------------------------------------------
# [profile]


class ProfileInfo(_Frozen):
    code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
    name: NonEmptyText
    province_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{2}$")]
    """医保区划 prefix of the province: 62 Gansu, 33 Zhejiang, 41 Henan."""
    year: Annotated[int, Field(strict=True, ge=2000, le=2100)]
    version: NonEmptyText
    sources: tuple[NonEmptyText, ...] = Field(min_length=1)


# --------------------------------------------------------------------------------------------
# [family] and [family.uses]


class FamilyUses(Sourced):
    """What the family fund may pay for a bound relative (SPEC §4 'Use', §6 代缴)."""

    medical_kinds: tuple[MedicalUseKind, ...]
    vaccines_outside_nip: Flag
    """Vaccines outside the national immunization programme (国家扩大免疫规划以外)."""
    premium_insutypes: tuple[InsutypeCode, ...]
    """Resident premiums the fund may pay: 390; Zhejiang also 392."""
    in_province_institutions_only: Flag
    """Medical use only at designated institutions inside the province."""

    @field_validator("medical_kinds", "premium_insutypes")
    @classmethod
    def _no_duplicates(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        _unique(value, info.field_name or "value")
        return value


class BindingRule(Sourced):
    """A province's binding rule and the date it took effect (SPEC §4 item 1): Gansu's commitment
    binding from 2026-02-01 needs a balance [000], Zhejiang's from 2024-10-10 does not [003]."""

    effective_from: dt.date
    name: NonEmptyText
    authorizer_needs_balance: Flag
    """The authorizer's personal account must hold a balance (000 "有结余资金")."""


class Family(Sourced):
    """Family mutual aid of the employee personal account (家庭共济, SPEC §4)."""

    authorizer_insutypes: tuple[InsutypeCode, ...] = Field(min_length=1)
    relative_insutypes: tuple[InsutypeCode, ...] = Field(min_length=1)
    relation_kinds: tuple[RelationKind, ...] = Field(min_length=1)
    relatives_in_province_only: Flag
    """Binding only with relatives insured in the same province."""

    max_active_relatives: PositiveCount | None = None
    """Relatives bound at one time per authorizer; absent = no limit."""
    max_lifetime_relatives: PositiveCount | None = None
    """Distinct relatives ever bound per authorizer; re-binding the same person takes no slot."""
    relative_may_have_several_authorizers: Flag
    authorizer_payment_order: PaymentOrder | None = None
    """Which authorizer pays first when a relative has several."""

    funding_model: FundingModel
    """direct: costs draw on the authorizer's balance; allocation: via a family account."""
    draw_from: DrawFrom
    """direct → past_years (历年结余); allocation → family_account (共济账户)."""
    allocation_draw_order: tuple[AccountBalance, ...] | None = None
    """allocation only: the authorizer's balances that 共济账户划拨 draws on, in order."""

    premium_payment_mode: PremiumPaymentMode
    """requires_binding: premium payment needs an existing binding; commitment_at_payment: the
    commitment is signed while paying (Henan tax flow)."""
    tax_acceptance_tolerance_minutes: PositiveCount
    """How long before the business clock's now the tax bureau's acceptance time (受理时间) of a
    代缴 request may lie: within it, the collection window is judged on the acceptance time."""

    max_failed_name_matches: PositiveCount
    """Failed name/ID matches per authorizer within the window before binding is refused."""
    name_match_window_minutes: PositiveCount

    spouse_min_age_male: Annotated[int, Field(strict=True, ge=0, le=100)]
    spouse_min_age_female: Annotated[int, Field(strict=True, ge=0, le=100)]
    """Minimum marriage ages, used to flag an implausible spouse binding."""

    binding_rules: tuple[BindingRule, ...] = Field(min_length=1)
    """In force from their dates, in increasing order; the latest one on or before a day applies."""

    uses: FamilyUses

    @field_validator("binding_rules")
    @classmethod
    def _rules_in_date_order(cls, value: tuple[BindingRule, ...]) -> tuple[BindingRule, ...]:
        dates = [r.effective_from for r in value]
        if dates != sorted(set(dates)):
            raise ValueError("binding rules need distinct dates in increasing order")
        return value

    def binding_rule_on(self, day: dt.date) -> BindingRule | None:
        """The rule in force on ``day``; None before the first one took effect."""
        in_force = [r for r in self.binding_rules if r.effective_from <= day]
        return in_force[-1] if in_force else None

    @field_validator("authorizer_insutypes", "relative_insutypes", "relation_kinds")
    @classmethod
    def _no_duplicates(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        _unique(value, info.field_name or "value")
        return value

    @field_validator("max_lifetime_relatives")
    @classmethod
    def _lifetime_not_below_active(cls, value: int | None, info: ValidationInfo) -> int | None:
        active = info.data.get("max_active_relatives")
        if value is not None and active is not None and value < active:
            raise ValueError(f"must be ≥ max_active_relatives ({active})")
        return value

    @field_validator("authorizer_payment_order")
    @classmethod
    def _order_when_several(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("relative_may_have_several_authorizers") and value is None:
            raise ValueError("required when relative_may_have_several_authorizers is true")
        return value

    @field_validator("draw_from")
    @classmethod
    def _draw_from_fits_model(cls, value: str, info: ValidationInfo) -> str:
        expected = {"direct": "past_years", "allocation": "family_account"}
        model = info.data.get("funding_model")
        if model is not None and value != expected[model]:
            raise ValueError(f"funding_model '{model}' needs draw_from = '{expected[model]}'")
        return value

    @field_validator("allocation_draw_order")
    @classmethod
    def _allocation_order_fits_model(
        cls, value: tuple[str, ...] | None, info: ValidationInfo
    ) -> tuple[str, ...] | None:
        model = info.data.get("funding_model")
        if model == "allocation" and not value:
            raise ValueError("required (non-empty) when funding_model is 'allocation'")
        if model == "direct" and value is not None:
            raise ValueError("only for funding_model 'allocation'")
        if value:
            _unique(value, "balance")
        return value

    @property
    def premium_payment_requires_binding(self) -> bool:
        return self.premium_payment_mode == "requires_binding"


# --------------------------------------------------------------------------------------------
# [resident]


class PremiumStandard(Sourced):
    """Resident premium for one benefit year, with its collection window kept apart (SPEC §3)."""

    benefit_year: Annotated[int, Field(strict=True, ge=2000, le=2100)]
    insutype: InsutypeCode = "390"
    individual_fen: Fen
    fiscal_fen: Fen
    """Fiscal subsidy per person (各级财政补助), for reports; the person pays individual_fen."""
    collection_start: dt.date | None = None
    """First day of collection; absent when the source gives only the deadline."""
    collection_end: dt.date

    @field_validator("collection_end")
    @classmethod
    def _window_ordered(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        start = info.data.get("collection_start")
        if start is not None and value < start:
            raise ValueError(f"collection_end {value} is before collection_start {start}")
        year = info.data.get("benefit_year")
        if year is not None and value > dt.date(year, 12, 31):
            raise ValueError(f"collection_end {value} is after benefit year {year}")
        return value

    @property
    def key(self) -> str:
        return f"{self.benefit_year}:{self.insutype}"

    @property
    def benefit_start(self) -> dt.date:
        return dt.date(self.benefit_year, 1, 1)

    @property
    def benefit_end(self) -> dt.date:
        return dt.date(self.benefit_year, 12, 31)

    def is_collecting(self, day: dt.date) -> bool:
        """True when ``day`` lies in this benefit year's collection window."""
        after_start = self.collection_start is None or day >= self.collection_start
        return after_start and day <= self.collection_end


class SubsidyCategory(Sourced):
    """A hardship category whose resident premium is subsidized (参保资助, SPEC §6)."""

    code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
    name: NonEmptyText
    kind: SubsidyKind
    """full: paid in full from the medical-assistance fund; fixed: pay first, subsidy later."""
    amount_fen: Fen | None = None
    """For kind = fixed only."""
    college_students_at_household: Flag = False
    """A college student (大中专学生) of this category is insured at the household region, not at
    the school (002 §五2: 特困人员、低保对象、返贫致贫人口、脱贫人口和易返贫致贫人口; not orphans)."""

    @field_validator("amount_fen")
    @classmethod
    def _amount_fits_kind(cls, value: int | None, info: ValidationInfo) -> int | None:
        kind = info.data.get("kind")
        if kind == "fixed" and value is None:
            raise ValueError("required when kind is 'fixed'")
        if kind == "full" and value is not None:
            raise ValueError("only for kind 'fixed' (a full subsidy is the whole premium)")
        return value

    @property
    def key(self) -> str:
        return self.code


class SubsidyElsewhere(Sourced):
    """A subsidized resident (参保资助对象) insured in another district than their household
    registration (户籍): whose subsidy standard and medical-assistance fund apply. ``household``:
    the household district's (002 §四(二)3: 参加异地城乡居民基本医保的参保资助对象，按我区医疗救助参保
    资助标准落实); ``insured``: the district where they are insured. A household outside the
    province always falls back to the insured district (no figures for it here)."""

    standard_of: SubsidyStandardOf


class WaitingPeriod(Sourced):
    """Waiting period for late or broken resident enrollment (待遇等待期, notes §1.2)."""

    effective_benefit_year: Annotated[int, Field(strict=True, ge=2000, le=2100)]
    fixed_months: Count
    """For enrolling outside the window or after a break."""
    extra_months_per_break_year: Count
    free_break_years: Count
    """Break years that add no variable months ('每多断保1年' → the first year is free)."""
    long_break_years: PositiveCount
    long_break_min_months: Count
    """After a break of long_break_years or more, the total after buy-back is at least this."""
    buyback_premium_years_per_month: Count
    """Individual premiums (current standard) paid to remove one variable month."""
    newborns_exempt: Flag
    records_from_benefit_year: Annotated[int, Field(strict=True, ge=2000, le=2100)]
    """The first benefit year whose premiums this system collected. For earlier years the payment
    records were not brought over, so a resident enrollment (390) in force in the year counts as
    cover; from this year on only a paid premium (or employee insurance) does."""

    @field_validator("long_break_min_months")
    @classmethod
    def _min_not_below_fixed(cls, value: int, info: ValidationInfo) -> int:
        fixed = info.data.get("fixed_months")
        if fixed is not None and value < fixed:
            raise ValueError(f"must be ≥ fixed_months ({fixed})")
        return value


class Refund(Sourced):
    """Refund of a resident premium already paid for the next benefit year (SPEC §6)."""

    reasons: tuple[RefundReason, ...] = Field(min_length=1)
    deadline_month_day: MonthDay
    """Last day to apply, in the collection year (002: 2022-12-30)."""
    subsidized_refund_own_share_only: Flag
    refund_after_benefit_start: Flag
    family_paid_refund_to_family_account: Flag
    """A premium paid from the family fund goes back there by the original route (003)."""

    @field_validator("reasons")
    @classmethod
    def _no_duplicates(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        _unique(value, "reason")
        return value

    @field_validator("deadline_month_day")
    @classmethod
    def _valid_month_day(cls, value: str) -> str:
        return _month_day_ok(value)

    def deadline_for(self, collection_year: int) -> dt.date:
        month, day = (int(part) for part in self.deadline_month_day.split("-"))
        return dt.date(collection_year, month, day)


class Resident(_Frozen):
    premium: tuple[PremiumStandard, ...] = Field(min_length=1)
    subsidy: tuple[SubsidyCategory, ...] = ()
    """The categories, with the province's default amounts."""
    subsidy_elsewhere: SubsidyElsewhere | None = None
    """Absent: the insured district's standard (as ``standard_of = "insured"``)."""
    waiting_period: WaitingPeriod
    refund: Refund
    terms: tuple[TermsOverride, ...] = ()
    """Figures of a region (province, city or district) for one benefit year or every year, over
    the defaults of ``subsidy``, ``refund`` and ``[collection]``; see ``Profile.resident_terms``."""

    @field_validator("terms")
    @classmethod
    def _terms_keys_unique(cls, value: tuple[TermsOverride, ...]) -> tuple[TermsOverride, ...]:
        _unique(tuple(item.key for item in value), "terms region:benefit_year")
        return value

    @field_validator("premium")
    @classmethod
    def _premium_keys_unique(cls, value: tuple[PremiumStandard, ...]) -> tuple[PremiumStandard, ...]:
        _unique(tuple(item.key for item in value), "benefit_year:insutype")
        return value

    @field_validator("subsidy")
    @classmethod
    def _subsidy_codes_unique(cls, value: tuple[SubsidyCategory, ...]) -> tuple[SubsidyCategory, ...]:
        _unique(tuple(item.code for item in value), "subsidy code")
        return value


# --------------------------------------------------------------------------------------------
# [collection]


class TargetFigures(_Frozen):
    """Share of the township's enrollment task to be paid by a date of the collection year."""

    by_month_day: MonthDay
    share_permille: Permille

    @field_validator("by_month_day")
    @classmethod
    def _valid_month_day(cls, value: str) -> str:
        return _month_day_ok(value)

    @property
    def key(self) -> str:
        return self.by_month_day

    def due_date(self, collection_year: int) -> dt.date:
        month, day = (int(part) for part in self.by_month_day.split("-"))
        return dt.date(collection_year, month, day)


class CollectionTarget(Sourced, TargetFigures):
    """A collection target with its provenance."""


def _targets_ascend(value: tuple[TargetFigures, ...]) -> None:
    for earlier, later in zip(value, value[1:], strict=False):
        if later.by_month_day <= earlier.by_month_day:
            raise ValueError(f"dates must ascend: {later.by_month_day} after {earlier.by_month_day}")
        if later.share_permille < earlier.share_permille:
            raise ValueError(f"shares must not fall: {later.share_permille} after {earlier.share_permille}")


class RemittanceFigures(_Frozen):
    """双限报解: remit cash once it reaches a threshold or after some working days."""

    threshold_fen: Annotated[int, Field(strict=True, ge=1)]
    max_working_days: PositiveCount


class Remittance(Sourced, RemittanceFigures):
    """The remittance rule with its provenance."""


class Collection(_Frozen):
    target: tuple[CollectionTarget, ...] = Field(min_length=1)
    remittance: Remittance

    @field_validator("target")
    @classmethod
    def _targets_in_order(cls, value: tuple[CollectionTarget, ...]) -> tuple[CollectionTarget, ...]:
        _targets_ascend(value)
        return value


# --------------------------------------------------------------------------------------------
# [[resident.terms]]: the figures of one region and benefit year

RegionPrefix = Annotated[str, StringConstraints(pattern=r"^[0-9]{2}(?:[0-9]{2}(?:[0-9]{2})?)?$")]
"""A 医保区划 code or its prefix: 62 a province, 6207 a city, 620702 a district."""


class TermsOverride(Sourced):
    """What a city or district (or the province, for a year) sets differently from the profile's
    defaults: the amount of fixed subsidies, the refund deadline, the collection targets, the
    remittance rule. Fields left out fall through to the next less specific entry."""

    region: RegionPrefix
    benefit_year: Annotated[int, Field(strict=True, ge=2000, le=2100)] | None = None
    """None: every benefit year."""
    subsidy_fen: dict[str, Fen] = Field(default_factory=dict)
    """Amount of a fixed subsidy category, by code."""
    refund_deadline_month_day: MonthDay | None = None
    collection_target: tuple[TargetFigures, ...] | None = None
    remittance: RemittanceFigures | None = None

    @field_validator("refund_deadline_month_day")
    @classmethod
    def _valid_month_day(cls, value: str | None) -> str | None:
        return None if value is None else _month_day_ok(value)

    @field_validator("collection_target")
    @classmethod
    def _targets_in_order(cls, value: tuple[TargetFigures, ...] | None) -> tuple[TargetFigures, ...] | None:
        if value is not None:
            if not value:
                raise ValueError("at least one target")
            _targets_ascend(value)
        return value

    @property
    def key(self) -> str:
        return f"{self.region}:{self.benefit_year if self.benefit_year is not None else '*'}"

    def applies(self, benefit_year: int, region_code: str) -> bool:
        return region_code.startswith(self.region) and self.benefit_year in (None, benefit_year)

    @property
    def specificity(self) -> tuple[int, bool]:
        """A longer region wins, then a named year over every year."""
        return (len(self.region), self.benefit_year is not None)


@dataclass(frozen=True)
class ResidentTerms:
    """The resident-insurance figures in force for one benefit year and region (``Profile.
    resident_terms``): each one from the most specific entry that sets it, with that entry's
    source and demo flag."""

    benefit_year: int
    region_code: str
    subsidies: tuple[SubsidyCategory, ...]
    refund: Refund
    targets: tuple[CollectionTarget, ...]
    remittance: Remittance

    def subsidy(self, code: str) -> SubsidyCategory:
        for item in self.subsidies:
            if item.code == code:
                return item
        raise PolicyLookupError(f"no subsidy category {code!r}")

    def groups(self) -> list[tuple[str, Sourced]]:
        return [
            *((f"resident.subsidy[{s.key}]", s) for s in self.subsidies),
            ("resident.refund", self.refund),
            *((f"collection.target[{t.key}]", t) for t in self.targets),
            ("collection.remittance", self.remittance),
        ]

    def demo_fields(self) -> list[str]:
        """Dotted paths of the demo figures among these terms (as ``Profile.demo_fields``)."""
        return _demo_paths(self.groups())


def _demo_paths(groups: list[tuple[str, Sourced]]) -> list[str]:
    paths: list[str] = []
    for path, group in groups:
        if group.demo:
            paths.append(path)
        paths.extend(f"{path}.{key}" for key in group.demo_keys)
    return paths


def _with_demo_key(group: Refund, key: str, demo: bool) -> tuple[str, ...]:
    kept = tuple(k for k in group.demo_keys if k != key)
    return (*kept, key) if demo and not group.demo else kept


# --------------------------------------------------------------------------------------------
# [benefit]


class BenefitRule(Sourced):
    """Fund payment parameters for insutype × med_type × institution level (SPEC §5)."""

    insutype: InsutypeCode
    med_type: MedTypeCode
    level: InstitutionLevel
    deductible_fen: Fen
    """起付线."""
    deductible_basis: DeductibleBasis
    fund_ratio_permille: Permille
    """Share of the in-scope amount above the deductible that the fund pays."""
    annual_cap_fen: Fen
    """封顶线: the fund pays at most this per person and year for this rule's accumulator."""

    @property
    def key(self) -> str:
        return f"{self.insutype}:{self.med_type}:{self.level}"


class Benefit(_Frozen):
    rule: tuple[BenefitRule, ...] = Field(min_length=1)

    @field_validator("rule")
    @classmethod
    def _keys_unique(cls, value: tuple[BenefitRule, ...]) -> tuple[BenefitRule, ...]:
        _unique(tuple(item.key for item in value), "insutype:med_type:level")
        return value


# --------------------------------------------------------------------------------------------
# [accounts]


class ManualIncome(Sourced):
    """Bounds on the personal-account income staff enter by hand (issue 12 Part C): no seed
    sets them, so they are demo figures a province replaces with its own."""

    max_fen: dict[str, Annotated[int, Field(strict=True, ge=1)]]
    """The largest single month's entry per income kind (``domain.registry.INCOME_KINDS``)."""
    approval_above_fen: Fen
    """An entry above this waits for a second staff member's approval (maker–checker)."""

    @field_validator("max_fen")
    @classmethod
    def _every_kind_bounded(cls, value: dict[str, int]) -> dict[str, int]:
        if set(value) != set(INCOME_KINDS):
            raise ValueError(f"max_fen needs exactly the income kinds {sorted(INCOME_KINDS)}")
        return value


class Accounts(Sourced):
    """Crediting of the employee personal account (notes §1.1)."""

    employee_personal_rate_permille: Permille
    """Employee's own contribution into the personal account, per-mille of the base (2 %)."""
    retiree_monthly_credit_fen: Fen
    """Fixed monthly credit from the pooled fund for a retiree."""
    manual_income: ManualIncome


# --------------------------------------------------------------------------------------------
# [settlement]

PaymentPart = Literal["in_scope_self_pay", "preselfpay", "overlmt_selfpay", "fulamt_ownpay"]
"""Parts of 个人负担: in_scope_self_pay (inscp_scp_amt less the funds' payments), preselfpay
(乙类先行自付), overlmt_selfpay (超限价), fulamt_ownpay (全自费)."""
PaymentParts = tuple[PaymentPart, ...]


class PaymentScope(Sourced):
    """Which parts of 个人负担 one source (own account, family funds) may pay, per use: at a
    hospital (outpatient, inpatient), at a pharmacy (drugs, devices, consumables), for vaccines.
    Seeds 000 (Gansu family), 001 第十六条 (Gansu own account), 003 二 (Zhejiang family)."""

    outpatient: PaymentParts
    inpatient: PaymentParts
    pharmacy: PaymentParts
    vaccines: PaymentParts

    @field_validator("outpatient", "inpatient", "pharmacy", "vaccines")
    @classmethod
    def _no_duplicates(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        _unique(value, info.field_name or "value")
        return value

    def parts_for(self, use: str) -> PaymentParts:
        """The parts for a settlement's use (``domain.settlement.use_kind``)."""
        if use.startswith("pharmacy"):
            return self.pharmacy
        if use in ("outpatient", "inpatient", "vaccines"):
            return cast(PaymentParts, getattr(self, use))
        raise ValueError(f"unknown use {use!r}")


OpspCode = Annotated[str, StringConstraints(pattern=r"^M[0-9]{5}$")]
"""National 门慢门特病种目录代码 (opsp_dise_code, INTERFACE.md: M03900 高血压病, M01600 糖尿病 …)."""


class PrescriptionPolicy(Sourced):
    """External prescriptions (外配处方, seed 004): where the 电子处方中心 is live, what a paper
    prescription needs, the over-quantity limits and the 专项检查 categories."""

    center_regions: tuple[RegionPrefix, ...]
    """Pooling regions (prefixes: 62 a province, 6201 a city) where the centre is live: there
    institutions send external prescriptions through it and paper ones are refused."""
    max_days: PositiveCount
    """Days supply one drug line may carry (超量开药 above it)."""
    max_days_chronic: PositiveCount
    """Days supply for a chronic-disease or 两病 prescription (长期处方)."""
    physician_code_pattern: NonEmptyText
    """Regular expression of the 医保医师代码 a paper prescription must carry."""
    chronic_codes: dict[OpspCode, NonEmptyText]
    """门诊慢特病 codes whose prescriptions are inspected as chronic-disease ones."""
    two_diseases_codes: dict[OpspCode, NonEmptyText]
    """城乡居民门诊“两病” (高血压、糖尿病) codes: a resident's (390) prescription for one is a 两病 one."""
    high_amount_fen: Fen
    """A prescription of at least this amount is inspected as a high-amount one."""

    @field_validator("physician_code_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        import re

        re.compile(value)
        return value


class SettlementPolicy(Sourced):
    """Settlement at designated institutions (SPEC §5; seed 004 for external prescriptions)."""

    own_account_scope: PaymentScope
    """What the person's own personal account may pay, per use (001 第十六条 in Gansu)."""
    family_scope: PaymentScope
    """What family funds (共济资金) may pay for the relative, per use (000 Gansu, 003 二 Zhejiang)."""
    med_type_aliases: dict[MedTypeCode, MedTypeCode] = Field(default_factory=dict)
    """Provincial med_type codes read as the profile's own (e.g. Hunan 2101 普通住院 → 21)."""
    prescription_valid_days: Annotated[int, Field(strict=True, ge=1, le=30)]
    """An external prescription (外配处方) may be dispensed within this many days of issue."""
    prescription_retention_years: Annotated[int, Field(strict=True, ge=2, le=30)]
    """Prescriptions are kept at least this long (seed 004: 至少保存2年)."""
    prescription_same_pooling_region: Flag
    """The issuing institution must be in the pharmacy's pooling region (seed 004)."""
    prescription: PrescriptionPolicy
    """The electronic-prescription centre, paper prescriptions, limits and inspection (seed 004)."""


# --------------------------------------------------------------------------------------------
# [offsite]: 异地就医备案 and the outpatient chronic/special diseases (seed 001 二、三; notes §6)

OffsiteKindCode = Literal[
    "retiree_resettled",  # 异地安置退休
    "long_term_resident",  # 异地长期居住
    "posted_worker",  # 常驻异地工作
    "referral",  # 转诊转院
    "emergency",  # 急诊抢救
    "other_temporary",  # 其他临时外出
]
OffsiteCategory = Literal["long_term", "temporary"]
ProofMaterial = Literal["residence_proof", "referral_proof", "commitment"]
"""The third material of 001 二 (异地长期居住证明材料、转诊证明、个人承诺书): one of these per kind."""
OrganCode = Literal["kidney", "bone_marrow", "heart", "liver", "lung", "liver_kidney"]
MonthCount = Annotated[int, Field(strict=True, ge=1, le=120)]


class OffsiteKind(Sourced):
    """One kind of off-site registration: its category, the proof it needs besides the ID and
    the registration form, and its validity (long-term: indefinite, changed or cancelled only
    after ``min_months_before_change``; temporary: ``valid_months`` from the start, at most
    ``max_months`` when the applicant asks for longer)."""

    code: OffsiteKindCode
    category: OffsiteCategory
    proof_any_of: tuple[ProofMaterial, ...] = Field(min_length=1)
    min_months_before_change: Annotated[int, Field(strict=True, ge=0, le=24)] | None = None
    valid_months: MonthCount | None = None
    max_months: MonthCount | None = None

    @model_validator(mode="after")
    def _validity_fits_the_category(self) -> OffsiteKind:
        _unique(self.proof_any_of, "proof material")
        if self.category == "long_term":
            if self.min_months_before_change is None or self.valid_months is not None or self.max_months is not None:
                raise ValueError(f"{self.code}: a long-term kind has min_months_before_change and no valid/max months")
        else:
            if self.valid_months is None or self.max_months is None or self.min_months_before_change is not None:
                raise ValueError(f"{self.code}: a temporary kind has valid_months and max_months")
            if self.max_months < self.valid_months:
                raise ValueError(f"{self.code}: max_months is below valid_months")
        return self


OpspDiseaseCode = Annotated[str, StringConstraints(pattern=r"^M[0-9]{5}$")]
"""National 门慢门特病种目录代码 (opsp_dise_code, e.g. M03900 高血压病): what a HIS sends as
``dise_codg`` (2203 病种编码) with a 门诊慢特病 claim (INTERFACE.md §6)."""


class ChronicDisease(Sourced):
    """One of the outpatient chronic/special diseases settled directly across provinces (001 三):
    ``organs`` for the anti-rejection treatment (which transplant), ``valid_months`` of a
    recognition (认定) from its start, or none for one valid until revoked; ``opsp_codes`` the
    national 门慢门特病种目录 codes a claim of it carries."""

    code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]{1,31}$")]
    name: NonEmptyText
    organs: tuple[OrganCode, ...] = ()
    valid_months: MonthCount | None = None
    opsp_codes: tuple[OpspDiseaseCode, ...] = Field(min_length=1)

    @field_validator("organs")
    @classmethod
    def _organs_unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        _unique(value, "organ")
        return value

    @field_validator("opsp_codes")
    @classmethod
    def _codes_unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        _unique(value, "opsp code")
        return value


OffsiteScope = Literal["cross_province", "outside_pooling_region"]
"""Which visits count as off-site for a settlement rule: treatment in another province only, or
anywhere outside the insured pooling region (the enrollment's city, 市级统筹)."""


class OffsiteSettlement(Sourced):
    """What 2206/2207 do with an off-site visit (issue 14 §4).

    notes §6: registered → the normal ratio; 转诊转院 or 急诊抢救 without proper registration → the
    fund ratio lowered by ``referral_emergency_points`` (不超过10个百分点); neither → lowered by
    ``unregistered_points`` (不超过20个百分点). 001 三: a 门诊慢特病 claim (``chronic_med_types``)
    across ``chronic_scope`` needs a valid registration and a valid recognition, else it is
    refused. 002 §五2: a college student in the year they enter school, treated at the school's
    place, settles off-site without the reduction (``first_year_students_exempt``)."""

    scope: OffsiteScope
    referral_emergency_points: Annotated[int, Field(strict=True, ge=0, le=10)]
    unregistered_points: Annotated[int, Field(strict=True, ge=0, le=20)]
    emergency_med_types: tuple[MedTypeCode, ...] = Field(min_length=1)
    """医疗类别 codes of an emergency visit (13 急诊, 1301 急诊抢救)."""
    chronic_scope: OffsiteScope
    chronic_med_types: tuple[MedTypeCode, ...] = Field(min_length=1)
    """医疗类别 codes of a 门诊慢特病 claim (14)."""
    first_year_students_exempt: Flag

    @model_validator(mode="after")
    def _unregistered_cut_at_least_referral(self) -> OffsiteSettlement:
        if self.unregistered_points < self.referral_emergency_points:
            raise ValueError("unregistered_points is below referral_emergency_points")
        _unique(self.emergency_med_types, "emergency med_type")
        _unique(self.chronic_med_types, "chronic med_type")
        return self


class Offsite(Sourced):
    """Off-site care registration (异地就医备案) and chronic-disease recognition (门诊慢特病认定)."""

    late_registration_before_discharge: Flag
    """补办: a registration may start on the admission day, in the past, while the patient is
    still in hospital (not after discharge)."""
    kind: tuple[OffsiteKind, ...] = Field(min_length=1)
    chronic: tuple[ChronicDisease, ...] = Field(min_length=1)
    settlement: OffsiteSettlement

    @field_validator("kind")
    @classmethod
    def _kinds_unique(cls, value: tuple[OffsiteKind, ...]) -> tuple[OffsiteKind, ...]:
        _unique(tuple(k.code for k in value), "offsite kind")
        return value

    @field_validator("chronic")
    @classmethod
    def _diseases_unique(cls, value: tuple[ChronicDisease, ...]) -> tuple[ChronicDisease, ...]:
        _unique(tuple(d.code for d in value), "chronic disease")
        _unique(tuple(c for d in value for c in d.opsp_codes), "opsp code")
        return value

    def kind_of(self, code: str) -> OffsiteKind | None:
        return next((k for k in self.kind if k.code == code), None)

    def disease(self, code: str) -> ChronicDisease | None:
        return next((d for d in self.chronic if d.code == code), None)

    def disease_of_opsp(self, opsp_code: str) -> ChronicDisease | None:
        """The disease a national 门慢门特病种 code (``dise_codg``) belongs to, if it is one of ours."""
        return next((d for d in self.chronic if opsp_code in d.opsp_codes), None)


class OneThing(Sourced):
    """就医费用报销"一件事" (seed 001): one application for family binding, off-site registration,
    chronic-disease recognition and direct settlement, with its time limits in working days from
    acceptance, its materials, visits and steps, and the answers the seed gives."""

    committed_working_days: PositiveCount
    """承诺办结时限 (001: 2个工作日)."""
    statutory_working_days: PositiveCount
    """法定办结时限 (001: 3个工作日)."""
    max_materials: PositiveCount
    """一事联办递交材料 (001: 3份材料)."""
    max_visits: Count
    """一事联办跑动次数 (001: 1次跑动; 到场次数 0次或1次, none online)."""
    steps: tuple[NonEmptyText, ...] = Field(min_length=1)
    """一事联办办理环节 (001: 3个环节)."""
    visit_reason: NonEmptyText
    """必须现场办理原因说明 (001: 需现场提交本人有效证件办理结算)."""
    family_scope_answer: NonEmptyText
    """常见问题: why a cross-province relative cannot be bound (001: 仅支持省内办理)."""

    @model_validator(mode="after")
    def _committed_within_statutory(self) -> OneThing:
        if self.committed_working_days > self.statutory_working_days:
            raise ValueError("onething: the committed limit exceeds the statutory one")
        return self


# --------------------------------------------------------------------------------------------
# The profile


class Profile(_Frozen):
    profile: ProfileInfo
    family: Family
    resident: Resident
    collection: Collection
    benefit: Benefit
    accounts: Accounts
    settlement: SettlementPolicy
    offsite: Offsite
    onething: OneThing | None = None
    """The one-thing service, where the province offers it (Gansu, seed 001)."""

    @model_validator(mode="after")
    def _terms_fit_the_profile(self) -> Profile:
        fixed = {c.code for c in self.resident.subsidy if c.kind == "fixed"}
        for o in self.resident.terms:
            if not o.region.startswith(self.profile.province_code):
                raise ValueError(f"resident.terms[{o.key}]: region outside province {self.profile.province_code}")
            unknown = sorted(set(o.subsidy_fen) - fixed)
            if unknown:
                raise ValueError(f"resident.terms[{o.key}]: subsidy_fen names no fixed category: {unknown}")
        return self

    @property
    def code(self) -> str:
        return self.profile.code

    @property
    def name(self) -> str:
        return self.profile.name

    def premium_for(self, benefit_year: int, insutype: str = "390") -> PremiumStandard:
        """The resident premium standard for a benefit year (not the year it is collected)."""
        for item in self.resident.premium:
            if item.benefit_year == benefit_year and item.insutype == insutype:
                return item
        raise PolicyLookupError(
            f"{self.code}: no resident premium for benefit year {benefit_year}, insutype {insutype}"
        )

    def premiums_collecting(self, day: dt.date) -> tuple[PremiumStandard, ...]:
        """Premium standards whose collection window contains ``day``."""
        return tuple(item for item in self.resident.premium if item.is_collecting(day))

    def benefit_rule(self, insutype: str, med_type: str, level: int) -> BenefitRule:
        """The rule for the exact level, else the rule for any level (level 0)."""
        by_key = {item.key: item for item in self.benefit.rule}
        for candidate in (level, 0):
            rule = by_key.get(f"{insutype}:{med_type}:{candidate}")
            if rule is not None:
                return rule
        raise PolicyLookupError(
            f"{self.code}: no benefit rule for insutype {insutype}, med_type {med_type}, level {level}"
        )

    def resident_terms(self, benefit_year: int, region_code: str) -> ResidentTerms:
        """Subsidy amounts, refund deadline, collection targets and remittance rule for a benefit
        year in a region: each from the most specific ``[[resident.terms]]`` entry that sets it
        (district over city over province, a named year over every year), else the profile's
        default. Each figure keeps the source and demo flag of where it came from, so a figure
        sourced for one district and year is demo everywhere else. A region outside the province
        gets the defaults (every entry is inside it)."""
        found = sorted(
            (o for o in self.resident.terms if o.applies(benefit_year, region_code)),
            key=lambda o: o.specificity,
            reverse=True,
        )

        def first(has: Callable[[TermsOverride], bool]) -> TermsOverride | None:
            return next((o for o in found if has(o)), None)

        subsidies = []
        for category in self.resident.subsidy:
            o = first(lambda o, code=category.code: code in o.subsidy_fen)  # type: ignore[misc]
            if o is not None:
                category = category.model_copy(
                    update={
                        "amount_fen": o.subsidy_fen[category.code],
                        "source": o.source,
                        "demo": o.demo,
                        "demo_keys": (),
                    }
                )
            subsidies.append(category)
        refund = self.resident.refund
        o = first(lambda o: o.refund_deadline_month_day is not None)
        if o is not None:
            refund = refund.model_copy(
                update={
                    "deadline_month_day": o.refund_deadline_month_day,
                    "source": f"{refund.source}; 申请截止: {o.source}",
                    "demo_keys": _with_demo_key(refund, "deadline_month_day", o.demo),
                }
            )
        targets = self.collection.target
        o = first(lambda o: o.collection_target is not None)
        if o is not None and o.collection_target is not None:
            targets = tuple(
                CollectionTarget(**t.model_dump(), source=o.source, demo=o.demo) for t in o.collection_target
            )
        remittance = self.collection.remittance
        o = first(lambda o: o.remittance is not None)
        if o is not None and o.remittance is not None:
            remittance = Remittance(**o.remittance.model_dump(), source=o.source, demo=o.demo)
        return ResidentTerms(benefit_year, region_code, tuple(subsidies), refund, targets, remittance)

    def allows_family_use(self, kind: str) -> bool:
        """May the family fund pay this medical kind (or ``"vaccines"``)?

        Unknown kinds raise ValueError, so a typo is not read as "not allowed".
        """
        uses = self.family.uses
        if kind == VACCINES:
            return uses.vaccines_outside_nip
        if kind not in MEDICAL_USE_KINDS:
            raise ValueError(f"unknown family use kind {kind!r}; one of {(*MEDICAL_USE_KINDS, VACCINES)}")
        return kind in uses.medical_kinds

    def allows_family_premium(self, insutype: str) -> bool:
        """May the family fund pay a relative's premium of this insurance type?"""
        return insutype in self.family.uses.premium_insutypes

    def allows_relation(self, kind: str) -> bool:
        return kind in self.family.relation_kinds

    def demo_fields(self) -> list[str]:
        """Dotted paths of demo figures: whole groups (``demo = true``) and single fields
        (``demo_keys``), e.g. ``resident.premium[2026:390]``, ``family.max_active_relatives``."""
        groups: list[tuple[str, Sourced]] = [
            ("family", self.family),
            ("family.uses", self.family.uses),
            *((f"family.binding_rules[{r.effective_from}]", r) for r in self.family.binding_rules),
            *((f"resident.premium[{p.key}]", p) for p in self.resident.premium),
            *((f"resident.subsidy[{s.key}]", s) for s in self.resident.subsidy),
            *((("resident.subsidy_elsewhere", e),) if (e := self.resident.subsidy_elsewhere) else ()),
            ("resident.waiting_period", self.resident.waiting_period),
            ("resident.refund", self.resident.refund),
            *((f"resident.terms[{o.key}]", o) for o in self.resident.terms),
            *((f"collection.target[{t.key}]", t) for t in self.collection.target),
            ("collection.remittance", self.collection.remittance),
            *((f"benefit.rule[{r.key}]", r) for r in self.benefit.rule),
            ("accounts", self.accounts),
            ("accounts.manual_income", self.accounts.manual_income),
            ("settlement", self.settlement),
            ("settlement.own_account_scope", self.settlement.own_account_scope),
            ("settlement.family_scope", self.settlement.family_scope),
            ("settlement.prescription", self.settlement.prescription),
            ("offsite", self.offsite),
            *((f"offsite.kind[{k.code}]", k) for k in self.offsite.kind),
            *((f"offsite.chronic[{d.code}]", d) for d in self.offsite.chronic),
            ("offsite.settlement", self.offsite.settlement),
        ]
        return _demo_paths(groups)
