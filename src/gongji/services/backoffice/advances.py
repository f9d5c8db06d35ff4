"""Cross-region family payments booked as seed 003 does [附件二(二)2, (三)2; 附件四(一)2].

When a relative's draw on an authorizer insured in another pooling region pays an institution,
the authorizer's account is debited at once (the citizen sees it at once), the relative's
(insured) region advances the family part to the institution in its normal monthly settlement —
in full, nothing held back — and the money owed between the two regions waits for the monthly
clearing (``clearing``). In the ledger, beside the authorizer's debit and the institution's
receivable, the same transaction books the pair of regions:

- ``clearing:family:advance:<relative's region>:<authorizer's region>`` — the relative's region's
  暂付款 – 家庭共济医药费用: what it advanced for the other region (negative: money out);
- ``clearing:family:held:<authorizer's region>:<relative's region>`` — the authorizer's region's
  暂收款 – 家庭共济医药费用: the authorizer's money it holds, owed to the other region.

Both return to zero when the clearing of the month is paid. Off-site care (the institution in a
third region) is advanced by the treatment place and the insured place under the off-site
settlement; the second clearing, between the relative's and the authorizer's regions, is this
pair [附件二(三)2]. A draw within one pooling region books nothing between regions [附件二(一)].
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from gongji.adapters.db.models import FamilyBinding
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import family as F
from gongji.domain import ledger as L
from gongji.services import ledger

ADVANCE_PREFIX = "clearing:family:advance:"
HELD_PREFIX = "clearing:family:held:"


def advance_account(advancing_region: str, owing_region: str) -> str:
    """暂付款 – 家庭共济医药费用 of ``advancing_region`` towards ``owing_region``."""
    return f"{ADVANCE_PREFIX}{advancing_region}:{owing_region}"


def held_account(owing_region: str, advancing_region: str) -> str:
    """暂收款 – 家庭共济医药费用 of ``owing_region``: held for ``advancing_region``."""
    return f"{HELD_PREFIX}{owing_region}:{advancing_region}"


def pair_postings(advancing_region: str, owing_region: str, amount_fen: int) -> tuple[L.Posting, L.Posting]:
    """The two postings that carry ``amount_fen`` between the regions until the clearing."""
    return (
        L.Posting(held_account(owing_region, advancing_region), amount_fen),
        L.Posting(advance_account(advancing_region, owing_region), -amount_fen),
    )


def authorizer_region(uow: UnitOfWork, binding_id: int) -> str | None:
    """Where the authorizer of a binding is insured now (their accounts move with them)."""
    authorizer_id = uow.session.scalar(select(FamilyBinding.authorizer_id).where(FamilyBinding.id == binding_id))
    return None if authorizer_id is None else ledger.region_of(uow, L.personal_past(authorizer_id))


def cross_region_postings(
    uow: UnitOfWork, draws: Iterable[F.Draw], *, insured_region: str, now: datetime
) -> tuple[L.Posting, ...]:
    """The region-pair postings for the family draws of one payment whose authorizer is insured
    in another pooling region than the relative (``insured_region``); nothing for the others.
    The pair accounts are created on first use."""
    out: list[L.Posting] = []
    for d in draws:
        if d.binding_id is None:
            continue
        region = authorizer_region(uow, d.binding_id)
        if region is None or region == insured_region:
            continue
        held, advance = pair_postings(insured_region, region, d.amount_fen)
        ledger.ensure_account(uow, code=held.account_code, kind=L.AccountKind.CLEARING, now=now, region_code=region)
        ledger.ensure_account(
            uow, code=advance.account_code, kind=L.AccountKind.CLEARING, now=now, region_code=insured_region
        )
        out += [held, advance]
    return tuple(out)
