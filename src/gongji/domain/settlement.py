"""The benefit engine for one settlement at a designated institution (SPEC §5). Pure: no I/O.

Source: ``reference/nhsa/INTERFACE.md`` §4 money identities (2206/2207/2303 notes)::

    医疗费总额 medfee_sumamt = 全自费 fulamt_ownpay_amt + 超限价 overlmt_selfpay
                             + 先行自付 preselfpay_amt + 符合政策范围 inscp_scp_amt
    医疗费总额 = 基金支付总额 fund_pay_sumamt + 个人负担总金额 psn_part_amt + 医院负担 hosp_part_amt
    个人负担总金额 = 个人账户支出 acct_pay + 个人现金支出 psn_cash_pay
    个人账户支出中包含账户共济支付金额 (acct_pay includes acct_mulaid_pay)

The steps, each a function the settle use case calls in turn:

1. :func:`split_fees` — the fee lines (2204 upload) against the catalogue → :class:`FeeSplit`;
2. :func:`fund_payment` — deductible 起付线, ratio, annual cap 封顶线 → :class:`FundResult`;
3. :func:`account_limits` — what the own account and family funds may pay, part by part;
4. :func:`compose` — own account + family fund + cash → :class:`SettlementAmounts`, checked.

Money is integer fen; ratios are integer per-mille. Every rounding is decimal ROUND_HALF_UP to
the fen (0.5 fen → 1 fen), never banker's rounding and never a float.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Context, Decimal, DecimalException, Inexact, InvalidOperation, Overflow

from gongji.domain.money import MAX_AMOUNT_FEN, yuan

KINDS = frozenset({"drug", "device", "consumable", "service", "vaccine"})
LEVEL_A = "01"  # 甲类: fully in policy scope
LEVEL_B = "02"  # 乙类: a share is paid by the person first (先行自付), the rest is in scope
LEVEL_C = "03"  # 丙类: fully self-paid
LEVELS = frozenset({LEVEL_A, LEVEL_B, LEVEL_C})  # code table chrgitm_lv 收费项目等级

# Multiplication must be exact (Inexact trapped); rounding to the fen is then the only rounding.
_EXACT = Context(prec=60, traps=[Inexact, InvalidOperation, Overflow])
_ROUND = Context(prec=60, rounding=ROUND_HALF_UP)
_FEN = Decimal(1)


def round_half_up(value: Decimal) -> int:
    """``value`` fen rounded to a whole fen, halves away from zero (ROUND_HALF_UP)."""
    return int(value.quantize(_FEN, rounding=ROUND_HALF_UP, context=_ROUND))


def _per_mille(amount_fen: int, permille: int) -> int:
    return round_half_up(Decimal(amount_fen * permille).scaleb(-3))


# --- errors (the service layer maps them to GongjiError codes) ---


class FeeLineInvalid(ValueError):
    """A fee line (or a part of the totals) the engine cannot settle: bad amount, count or price."""

    def __init__(self, message: str, *, sn: str | None = None) -> None:
        super().__init__(f"明细 {sn}：{message}" if sn is not None else message)
        self.sn = sn


class AmountsDoNotAddUp(ValueError):
    """Given totals break a money identity: ``field`` should be ``expected_fen``, is ``got_fen``."""

    def __init__(self, field: str, expected_fen: int, got_fen: int) -> None:
        super().__init__(f"{field} 应为 {yuan(expected_fen)} 元（各部分之和），实为 {yuan(got_fen)} 元")
        self.field = field
        self.expected_fen = expected_fen
        self.got_fen = got_fen


class IdentityBroken(ValueError):
    """Computed settlement amounts break an identity: a bug or inconsistent inputs, never paid out."""

    def __init__(self, identity: str) -> None:
        super().__init__(f"结算金额不平：{identity}")
        self.identity = identity


# --- 1. fee split ---


@dataclass(frozen=True, slots=True)
class CatalogueItem:
    """One item of the medical-insurance catalogue (药品/诊疗项目/耗材目录) as the engine needs it."""

    code: str
    name: str
    kind: str  # one of KINDS
    level: str  # 收费项目等级 chrgitm_lv: "01" 甲类, "02" 乙类, "03" 丙类
    selfpay_prop_permille: int  # 乙类 先行自付比例; ignored for 甲/丙
    price_cap_fen: int | None  # 限价 per unit; what is above it is 超限价
    prescription: bool  # 处方药: a pharmacy needs a prescription (SPEC §5, seed 004)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"catalogue item {self.code}: unknown kind {self.kind!r}")
        if self.level not in LEVELS:
            raise ValueError(f"catalogue item {self.code}: unknown chrgitm_lv {self.level!r}")
        if not 0 <= self.selfpay_prop_permille <= 1000:
            raise ValueError(f"catalogue item {self.code}: self-pay share must be 0‰..1000‰")
        if self.price_cap_fen is not None and self.price_cap_fen < 0:
            raise ValueError(f"catalogue item {self.code}: negative price cap")


@dataclass(frozen=True, slots=True)
class FeeLine:
    """One uploaded fee detail (2204 feedetail: feedetl_sn, med_list_codg, det_item_fee_sumamt, cnt, pric)."""

    sn: str
    item_code: str
    amount_fen: int
    count: Decimal
    price_fen: Decimal | int
    """Unit price in fen; may carry fractions of a fen (the interface sends up to 6 decimals of yuan)."""


@dataclass(frozen=True, slots=True)
class FeeSplit:
    """医疗费总额 and its four parts (INTERFACE.md §4). :attr:`adds_up` says whether they add up."""

    medfee_fen: int
    fulamt_ownpay_fen: int
    overlmt_selfpay_fen: int
    preselfpay_fen: int
    inscp_fen: int

    @property
    def parts_fen(self) -> int:
        return self.fulamt_ownpay_fen + self.overlmt_selfpay_fen + self.preselfpay_fen + self.inscp_fen

    @property
    def adds_up(self) -> bool:
        """medfee_sumamt = fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt + inscp_scp_amt."""
        return self.medfee_fen == self.parts_fen

    def __add__(self, other: FeeSplit) -> FeeSplit:
        return FeeSplit(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(FeeSplit)))


def _self_paid(amount_fen: int, overlmt_fen: int = 0) -> FeeSplit:
    return FeeSplit(amount_fen, amount_fen - overlmt_fen, overlmt_fen, 0, 0)


def _price_text(price_fen: Decimal | int) -> str:
    """A unit price in yuan as sent (up to 6 decimals), e.g. Decimal("5.67") fen → "0.0567"."""
    return f"{(Decimal(price_fen) / 100).normalize():f}"


def _check_line(line: FeeLine) -> None:
    if not isinstance(line.count, Decimal) or not line.count.is_finite() or line.count <= 0:
        raise FeeLineInvalid(f"数量必须为有限的正十进制数（{line.count!r}）", sn=line.sn)
    if line.price_fen < 0:
        raise FeeLineInvalid(f"单价不能为负（{_price_text(line.price_fen)}）", sn=line.sn)
    if not 0 < line.amount_fen <= MAX_AMOUNT_FEN:
        raise FeeLineInvalid(f"明细金额必须为正且不超过上限（{line.amount_fen} 分）", sn=line.sn)
    try:
        expected = round_half_up(_EXACT.multiply(line.count, Decimal(line.price_fen)))
    except DecimalException as exc:
        raise FeeLineInvalid(f"数量精度过高（{line.count}）", sn=line.sn) from exc
    if line.amount_fen != expected:
        raise FeeLineInvalid(
            f"明细金额≠数量×单价（{yuan(line.amount_fen)} ≠ {line.count} × {_price_text(line.price_fen)}"
            f" = {yuan(expected)}）",
            sn=line.sn,
        )


def split_line(line: FeeLine, item: CatalogueItem | None) -> FeeSplit:
    """Split one fee line into its four parts (INTERFACE.md §4; SPEC §5 benefit engine).

    The amount must equal ROUND_HALF_UP(count × price) to the fen, else :class:`FeeLineInvalid`.
    An item not in the catalogue, and any vaccine (vaccines are outside the fund catalogue), is
    fully self-paid. Otherwise the part of the price above the cap is 超限价
    (ROUND_HALF_UP((price − cap) × count)); of the rest, 丙类 is fully self-paid, 乙类 pays
    ROUND_HALF_UP(rest × share ‰) first and the remainder is in scope, 甲类 is all in scope.
    """
    _check_line(line)
    if item is not None and item.code != line.item_code:
        raise FeeLineInvalid(f"目录项目 {item.code} 与明细编码 {line.item_code} 不符", sn=line.sn)
    amount = line.amount_fen
    if item is None or item.kind == "vaccine":
        return _self_paid(amount)
    overlmt = 0
    if item.price_cap_fen is not None and line.price_fen > item.price_cap_fen:
        excess = _EXACT.multiply(Decimal(line.price_fen - item.price_cap_fen), line.count)
        overlmt = min(amount, round_half_up(excess))
    remaining = amount - overlmt
    if item.level == LEVEL_C:
        return _self_paid(amount, overlmt)
    preselfpay = _per_mille(remaining, item.selfpay_prop_permille) if item.level == LEVEL_B else 0
    return FeeSplit(amount, 0, overlmt, preselfpay, remaining - preselfpay)


def split_fees(lines: Sequence[FeeLine], catalogue: Mapping[str, CatalogueItem]) -> FeeSplit:
    """The settlement's split: the sum of :func:`split_line` over its fee lines, so 医疗费总额 is
    exactly the sum of the line amounts. No lines, or a fee-line sn twice, is refused."""
    if not lines:
        raise FeeLineInvalid("没有费用明细")
    seen: set[str] = set()
    total = FeeSplit(0, 0, 0, 0, 0)
    for line in lines:
        if line.sn in seen:
            raise FeeLineInvalid("明细流水号重复", sn=line.sn)
        seen.add(line.sn)
        total += split_line(line, catalogue.get(line.item_code))
    return total


def split_from_totals(
    *, medfee_fen: int, fulamt_ownpay_fen: int, overlmt_selfpay_fen: int, preselfpay_fen: int, inscp_fen: int
) -> FeeSplit:
    """A split from totals sent by the institution (2207 input carries the four parts).

    A negative part is :class:`FeeLineInvalid`; parts that do not add up to medfee_sumamt are
    :class:`AmountsDoNotAddUp` (field ``medfee_sumamt``, expected the sum of the parts).
    """
    split = FeeSplit(medfee_fen, fulamt_ownpay_fen, overlmt_selfpay_fen, preselfpay_fen, inscp_fen)
    for f in fields(FeeSplit):
        if getattr(split, f.name) < 0:
            raise FeeLineInvalid(f"{f.name} 不能为负（{getattr(split, f.name)} 分）")
    if not split.adds_up:
        raise AmountsDoNotAddUp("medfee_sumamt", split.parts_fen, medfee_fen)
    return split


# --- 2. fund payment (统筹基金 hifp_pay) ---


@dataclass(frozen=True, slots=True)
class BenefitParams:
    """The profile's ``[[benefit.rule]]`` for insutype × med_type × institution level."""

    deductible_fen: int  # 起付线
    fund_ratio_permille: int  # 统筹基金支付比例
    annual_cap_fen: int  # 年度最高支付限额 封顶线
    deductible_per_admission: bool  # deductible_basis = per_admission (else per_year)

    def __post_init__(self) -> None:
        if self.deductible_fen < 0 or self.annual_cap_fen < 0:
            raise ValueError("deductible and annual cap must not be negative")
        if not 0 <= self.fund_ratio_permille <= 1000:
            raise ValueError("fund ratio must be 0‰..1000‰")


@dataclass(frozen=True, slots=True)
class Accumulated:
    """What earlier settlements already counted (yearly accumulators, 5206 cuminfo)."""

    deductible_paid_fen: int  # toward this deductible: this year, or this admission when per admission
    fund_paid_fen: int  # fund already paid this year under this accumulator (for the cap)

    def __post_init__(self) -> None:
        if self.deductible_paid_fen < 0 or self.fund_paid_fen < 0:
            raise ValueError("accumulators must not be negative")


def accumulated_for(
    params: BenefitParams,
    *,
    year_deductible_paid_fen: int,
    admission_deductible_paid_fen: int,
    year_fund_paid_fen: int,
) -> Accumulated:
    """The accumulator that counts: the deductible is met once a year, or once per admission
    when the rule says ``per_admission``; the cap always runs over the year."""
    deductible = admission_deductible_paid_fen if params.deductible_per_admission else year_deductible_paid_fen
    return Accumulated(deductible_paid_fen=deductible, fund_paid_fen=year_fund_paid_fen)


@dataclass(frozen=True, slots=True)
class FundResult:
    act_pay_dedc_fen: int  # 实际支付起付线
    hifp_pay_fen: int  # 统筹基金支出
    fund_pay_sumamt_fen: int  # 基金支付总额 (only the pooled fund so far)
    psn_part_amt_fen: int  # 个人负担总金额
    hosp_part_amt_fen: int  # 医院负担金额: always 0 here
    pool_ratio_permille: int
    cap_left_fen: int  # what the cap still allows after this settlement
    capped: bool  # the cap cut this settlement's fund payment


def fund_payment(split: FeeSplit, params: BenefitParams, acc: Accumulated) -> FundResult:
    """统筹基金 pays the in-scope amount above the deductible at the ratio, up to the cap (SPEC §5).

    act_pay_dedc = min(inscp, deductible not yet met); hifp = ROUND_HALF_UP((inscp − act_pay_dedc)
    × ratio ‰), cut to what the annual cap still allows; the person bears the rest of 医疗费总额.
    """
    act_pay_dedc = min(split.inscp_fen, max(0, params.deductible_fen - acc.deductible_paid_fen))
    raw = _per_mille(split.inscp_fen - act_pay_dedc, params.fund_ratio_permille)
    cap_left_before = max(0, params.annual_cap_fen - acc.fund_paid_fen)
    hifp = min(raw, cap_left_before)
    hosp_part = 0
    return FundResult(
        act_pay_dedc_fen=act_pay_dedc,
        hifp_pay_fen=hifp,
        fund_pay_sumamt_fen=hifp,
        psn_part_amt_fen=split.medfee_fen - hifp - hosp_part,
        hosp_part_amt_fen=hosp_part,
        pool_ratio_permille=params.fund_ratio_permille,
        cap_left_fen=cap_left_before - hifp,
        capped=raw > cap_left_before,
    )


# --- 3. what each source may pay, part by part (seed 000; 001 第十六条; 003 二) ---

PART_IN_SCOPE = "in_scope_self_pay"
"""符合政策范围内个人自付: inscp_scp_amt less what the funds paid (deductible and the ratio part)."""
PART_PRESELFPAY = "preselfpay"  # 乙类先行自付 preselfpay_amt
PART_OVERLMT = "overlmt_selfpay"  # 超限价 overlmt_selfpay
PART_FULAMT = "fulamt_ownpay"  # 全自费 fulamt_ownpay_amt
PAYMENT_PARTS = (PART_IN_SCOPE, PART_PRESELFPAY, PART_OVERLMT, PART_FULAMT)
"""The parts of 个人负担, in the order each source pays them: the in-policy part first (001
第十六条: the account is "主要用于" the in-policy self-pay)."""
PART_ZH = {PART_IN_SCOPE: "政策范围内自付", PART_PRESELFPAY: "先行自付", PART_OVERLMT: "超限价", PART_FULAMT: "全自费"}


def personal_parts(split: FeeSplit, fund: FundResult) -> dict[str, int]:
    """个人负担 by part; they add up to psn_part_amt exactly (the hospital bears nothing here)."""
    return {
        PART_IN_SCOPE: split.inscp_fen - fund.fund_pay_sumamt_fen - fund.hosp_part_amt_fen,
        PART_PRESELFPAY: split.preselfpay_fen,
        PART_OVERLMT: split.overlmt_selfpay_fen,
        PART_FULAMT: split.fulamt_ownpay_fen,
    }


@dataclass(frozen=True, slots=True)
class PartShare:
    """Who paid one part of 个人负担: own account, family funds, cash."""

    part: str
    amount_fen: int
    own_fen: int
    family_fen: int

    @property
    def cash_fen(self) -> int:
        return self.amount_fen - self.own_fen - self.family_fen


@dataclass(frozen=True, slots=True)
class AccountLimits:
    """How much of 个人负担 each source may pay, by the profile's scope for this use.

    The own account pays the parts of ``own_parts`` in :data:`PAYMENT_PARTS` order; family funds
    then pay what is left of the parts in ``family_parts`` (先个人后共济); cash pays the rest.
    """

    parts: tuple[tuple[str, int], ...]  # (part, amount) in PAYMENT_PARTS order
    own_parts: frozenset[str]
    family_parts: frozenset[str]

    @property
    def payable_fen(self) -> int:
        """What the accounts together may pay at most."""
        return sum(a for p, a in self.parts if p in self.own_parts or p in self.family_parts)

    @property
    def own_max_fen(self) -> int:
        return sum(a for p, a in self.parts if p in self.own_parts)

    def _own_shares(self, own_paid_fen: int) -> dict[str, int]:
        if not 0 <= own_paid_fen <= self.own_max_fen:
            raise ValueError("own account paid outside its scope")
        shares: dict[str, int] = {}
        left = own_paid_fen
        for part, amount in self.parts:
            take = min(left, amount) if part in self.own_parts else 0
            shares[part] = take
            left -= take
        return shares

    def family_max_fen(self, own_paid_fen: int) -> int:
        """What family funds may still pay once the own account paid ``own_paid_fen``."""
        own = self._own_shares(own_paid_fen)
        return sum(a - own[p] for p, a in self.parts if p in self.family_parts)

    def shares(self, own_paid_fen: int, family_paid_fen: int) -> tuple[PartShare, ...]:
        """Each part's split; refuses amounts a source may not pay (a bug, never paid out)."""
        if not 0 <= family_paid_fen <= self.family_max_fen(own_paid_fen):
            raise ValueError("family funds paid outside their scope")
        own = self._own_shares(own_paid_fen)
        out = []
        left = family_paid_fen
        for part, amount in self.parts:
            take = min(left, amount - own[part]) if part in self.family_parts else 0
            left -= take
            out.append(PartShare(part, amount, own[part], take))
        return tuple(out)

    def describe(self, own_paid_fen: int, family_paid_fen: int) -> str:
        """:func:`describe` of :meth:`shares` (the family payment service's narration)."""
        return describe(self.shares(own_paid_fen, family_paid_fen))


def describe(shares: Sequence[PartShare]) -> str:
    """Which part each source paid, as setl_proc_info and ledger narrations show it, e.g.
    "个人账户：政策范围内自付30.00；家庭共济：政策范围内自付20.00；现金：全自费30.00"."""
    text = []
    for name, attr in (("个人账户", "own_fen"), ("家庭共济", "family_fen"), ("现金", "cash_fen")):
        paid = [f"{PART_ZH[s.part]}{yuan(getattr(s, attr))}" for s in shares if getattr(s, attr)]
        if paid:
            text.append(f"{name}：{'、'.join(paid)}")
    return "；".join(text)


def account_limits(
    split: FeeSplit, fund: FundResult, *, own_parts: Collection[str], family_parts: Collection[str]
) -> AccountLimits:
    """The limits for one settlement; unknown part names raise ValueError (not read as "none")."""
    unknown = (set(own_parts) | set(family_parts)) - set(PAYMENT_PARTS)
    if unknown:
        raise ValueError(f"unknown payment parts {sorted(unknown)}")
    amounts = personal_parts(split, fund)
    return AccountLimits(tuple((p, amounts[p]) for p in PAYMENT_PARTS), frozenset(own_parts), frozenset(family_parts))


# --- 4. the settlement's amounts and their identities ---


@dataclass(frozen=True, slots=True)
class SettlementAmounts:
    """The money fields of 2206/2207 setlinfo, in fen. :meth:`check` enforces the identities."""

    medfee_fen: int
    fulamt_ownpay_fen: int
    overlmt_selfpay_fen: int
    preselfpay_fen: int
    inscp_fen: int
    act_pay_dedc_fen: int
    hifp_pay_fen: int
    fund_pay_sumamt_fen: int
    psn_part_amt_fen: int
    acct_pay_fen: int
    acct_mulaid_pay_fen: int
    psn_cash_pay_fen: int
    hosp_part_amt_fen: int
    pool_ratio_permille: int

    def check(self) -> None:
        """Raise :class:`IdentityBroken` naming the first identity (INTERFACE.md §4) that fails."""
        for f in fields(self):
            if getattr(self, f.name) < 0:
                raise IdentityBroken(f"{f.name} < 0")
        identities = (
            (
                self.medfee_fen
                == self.fulamt_ownpay_fen + self.overlmt_selfpay_fen + self.preselfpay_fen + self.inscp_fen,
                "medfee = fulamt_ownpay + overlmt_selfpay + preselfpay + inscp",
            ),
            (
                self.medfee_fen == self.fund_pay_sumamt_fen + self.psn_part_amt_fen + self.hosp_part_amt_fen,
                "medfee = fund_pay_sumamt + psn_part + hosp_part",
            ),
            (self.fund_pay_sumamt_fen == self.hifp_pay_fen, "fund_pay_sumamt = hifp_pay (no other fund yet)"),
            (self.act_pay_dedc_fen + self.hifp_pay_fen <= self.inscp_fen, "act_pay_dedc + hifp_pay <= inscp"),
            (self.psn_part_amt_fen == self.acct_pay_fen + self.psn_cash_pay_fen, "psn_part = acct_pay + psn_cash"),
            (self.acct_mulaid_pay_fen <= self.acct_pay_fen, "acct_mulaid_pay <= acct_pay (acct_pay includes it)"),
            (self.pool_ratio_permille <= 1000, "pool_ratio <= 1000‰"),
        )
        for holds, identity in identities:
            if not holds:
                raise IdentityBroken(identity)


def compose(split: FeeSplit, fund: FundResult, *, own_fen: int, family_fen: int) -> SettlementAmounts:
    """The settlement's amounts: ``own_fen`` from the person's own account and ``family_fen`` from
    family funds make acct_pay (which includes acct_mulaid_pay = family_fen); cash pays the rest.
    Checked before it is returned."""
    amounts = SettlementAmounts(
        medfee_fen=split.medfee_fen,
        fulamt_ownpay_fen=split.fulamt_ownpay_fen,
        overlmt_selfpay_fen=split.overlmt_selfpay_fen,
        preselfpay_fen=split.preselfpay_fen,
        inscp_fen=split.inscp_fen,
        act_pay_dedc_fen=fund.act_pay_dedc_fen,
        hifp_pay_fen=fund.hifp_pay_fen,
        fund_pay_sumamt_fen=fund.fund_pay_sumamt_fen,
        psn_part_amt_fen=fund.psn_part_amt_fen,
        acct_pay_fen=own_fen + family_fen,
        acct_mulaid_pay_fen=family_fen,
        psn_cash_pay_fen=fund.psn_part_amt_fen - own_fen - family_fen,
        hosp_part_amt_fen=fund.hosp_part_amt_fen,
        pool_ratio_permille=fund.pool_ratio_permille,
    )
    amounts.check()
    return amounts


# --- 5. what the settlement was for (family fund uses, SPEC §4) ---

USE_OUTPATIENT = "outpatient"
USE_INPATIENT = "inpatient"
USE_PHARMACY_DRUGS = "pharmacy_drugs"
USE_PHARMACY_DEVICES = "pharmacy_devices"
USE_PHARMACY_CONSUMABLES = "pharmacy_consumables"
USE_VACCINES = "vaccines"

PHARMACY_MED_TYPE = "41"  # 定点药店购药
INPATIENT_MED_TYPES = frozenset({"21", "2101", "2102", "2105", "2106", "2107", "2109", "22", "28", "52", "21303"})
"""med_type codes that are admissions (code table med_type: 住院, 外伤住院, 日间手术, 生育住院 …)."""


def canonical_med_type(med_type: str, aliases: Mapping[str, str]) -> str:
    """The profile's med_type for a local code (e.g. ``{"2101": "21"}``); unknown codes stay."""
    return aliases.get(med_type, med_type)


def use_kind(*, med_type: str, institution_kind: str, item_kinds: Collection[str]) -> str:
    """What a settlement paid for, as the family-fund rules name uses.

    Any vaccine → vaccines; at a pharmacy (or med_type 41) → devices or consumables when every
    item is one, else drugs; an admission med_type → inpatient; anything else → outpatient.
    """
    if "vaccine" in item_kinds:
        return USE_VACCINES
    if institution_kind == "pharmacy" or med_type == PHARMACY_MED_TYPE:
        kinds = set(item_kinds)
        if kinds == {"device"}:
            return USE_PHARMACY_DEVICES
        if kinds == {"consumable"}:
            return USE_PHARMACY_CONSUMABLES
        return USE_PHARMACY_DRUGS
    if med_type in INPATIENT_MED_TYPES:
        return USE_INPATIENT
    return USE_OUTPATIENT


def needs_prescription(lines: Sequence[FeeLine], catalogue: Mapping[str, CatalogueItem]) -> bool:
    """Whether any line is a prescription drug (外配处方 needed at a pharmacy, SPEC §5, seed 004)."""
    for line in lines:
        item = catalogue.get(line.item_code)
        if item is not None and item.prescription:
            return True
    return False
