"""Binding a relative on a signed commitment (承诺制, seed 000 第三步) and unbinding (seed 003 附件一(二))."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from gongji.adapters.db.models import (
    FamilyBinding,
    FamilyMatchFailure,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import family as F
from gongji.domain import ledger as L
from gongji.domain.errors import (
    AgreementRequired,
    BindingLimit,
    CommitmentInvalid,
    DuplicateBinding,
    FraudCaseOpen,
    IdentityMismatch,
    InvalidRequest,
    InvalidStateTransition,
    PairRevoked,
    RelationNotAllowed,
    RelativeHasAuthorizer,
    SelfBinding,
    TooManyAttempts,
    UnknownCode,
)
from gongji.domain.relations import RELATION_KINDS, RELATION_ZH, RelationKind
from gongji.policy.schema import Profile
from gongji.services import ledger
from gongji.services.family.agreement import has_accepted_agreement, texts
from gongji.services.family.common import (
    act_for,
    check_binding_authorizer,
    insurances_of,
    lock_persons,
    own_binding,
    person_by_id_number,
    return_family_balance,
)
from gongji.services.family.fraud import open_case_of
from gongji.services.family.views import binding_view
from gongji.services.registry.persons import (
    Ctx,
    audit_event,
    get_person,
    validate_name,
)

# --- binding -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BindRequest:
    authorizer_id: int
    relative_name: str
    relative_cert_no: str
    relation: str
    commitment_version: str
    commitment_signed: bool
    signature: str


def _recent_failures(uow: UnitOfWork, ctx: Ctx, profile: Profile, authorizer_id: int) -> int:
    since = ctx.clock.now() - timedelta(minutes=profile.family.name_match_window_minutes)
    return int(
        uow.session.scalar(
            select(func.count())
            .select_from(FamilyMatchFailure)
            .where(FamilyMatchFailure.authorizer_id == authorizer_id, FamilyMatchFailure.at >= since)
        )
        or 0
    )


def bind(uow: UnitOfWork, ctx: Ctx, profile: Profile, req: BindRequest) -> FamilyBinding:
    """Bind a relative on the authorizer's commitment (承诺制, seed 000); see ``bind_relative``.

    Checks, each with its own refusal: who acts; agreement confirmed; commitment signed with
    the authorizer's own name; relation kind; failed-match rate limit; authorizer eligible;
    ID number well formed; name matches the registry (the answer never tells whether the ID
    number exists or what name it has); not oneself; not revoked for fraud before; not bound
    already; relative insured in the province; birth dates plausible; one authorizer per
    relative if the profile says so; the profile's limits.
    """
    fam = profile.family
    aid = req.authorizer_id
    act_for(uow, ctx, aid)  # before the lookup: staff out of region learn nothing about ids
    authorizer = get_person(uow, aid)
    if not has_accepted_agreement(uow, profile, aid):
        raise AgreementRequired()
    t = texts(profile)
    if (
        req.commitment_version != t.version
        or not req.commitment_signed
        or not F.names_match(req.signature, authorizer.name)
    ):
        raise CommitmentInvalid()
    if req.relation not in RELATION_KINDS:
        raise UnknownCode("亲属关系代码不存在", "Unknown relation code", field="relation", value=req.relation)
    if not profile.allows_relation(req.relation):
        raise RelationNotAllowed(relation=req.relation)
    if _recent_failures(uow, ctx, profile, aid) >= fam.max_failed_name_matches:
        raise TooManyAttempts(window_minutes=fam.name_match_window_minutes)
    enrollment = check_binding_authorizer(uow, profile, aid, ctx.clock.today())

    relative_name = validate_name(req.relative_name)
    relative = person_by_id_number(uow, ctx, req.relative_cert_no)
    if relative is not None and relative.id == aid:
        raise SelfBinding()
    if relative is None or not F.names_match(relative_name, relative.name):
        raise IdentityMismatch()

    lock_persons(uow, aid, relative.id)
    pair = select(FamilyBinding).where(FamilyBinding.authorizer_id == aid, FamilyBinding.relative_id == relative.id)
    earlier = list(uow.session.scalars(pair))
    if any(b.status == F.BINDING_REVOKED for b in earlier):
        raise PairRevoked()
    if any(b.status == F.BINDING_ACTIVE for b in earlier):
        raise DuplicateBinding()
    if open_case_of(uow, aid, relative.id) is not None:  # seed 003 四(四): aid stopped while the case is open
        raise FraudCaseOpen()
    F.check_relative_insured(
        insurances_of(uow, relative.id),
        relative_insutypes=fam.relative_insutypes,
        province_code=profile.profile.province_code,
        in_province_only=fam.relatives_in_province_only,
    )
    relation: RelationKind = req.relation  # type: ignore[assignment]
    F.check_plausible(
        relation,
        F.Party(authorizer.id, authorizer.sex, authorizer.birth_date),
        F.Party(relative.id, relative.sex, relative.birth_date),
        today=ctx.clock.today(),
        spouse_min_age_male=fam.spouse_min_age_male,
        spouse_min_age_female=fam.spouse_min_age_female,
        relation_zh=RELATION_ZH[relation],
    )
    if not fam.relative_may_have_several_authorizers:
        other = uow.session.scalar(
            select(FamilyBinding.id).where(
                FamilyBinding.relative_id == relative.id,
                FamilyBinding.status == F.BINDING_ACTIVE,
                FamilyBinding.authorizer_id != aid,
            )
        )
        if other is not None:
            raise RelativeHasAuthorizer()
    mine = select(FamilyBinding).where(FamilyBinding.authorizer_id == aid)
    active = [b for b in uow.session.scalars(mine) if b.status == F.BINDING_ACTIVE]
    if fam.max_active_relatives is not None and len(active) >= fam.max_active_relatives:
        raise BindingLimit(limit=fam.max_active_relatives, kind="active")
    if fam.max_lifetime_relatives is not None and not earlier:
        ever = uow.session.scalar(
            select(func.count(func.distinct(FamilyBinding.relative_id))).where(FamilyBinding.authorizer_id == aid)
        )
        if int(ever or 0) >= fam.max_lifetime_relatives:
            raise BindingLimit(
                "累计绑定的共济亲属人数已达上限",
                "The lifetime number of bound relatives has reached the limit",
                limit=fam.max_lifetime_relatives,
                kind="lifetime",
            )

    now = ctx.clock.now()
    signature = hashlib.sha256(
        "|".join(
            [
                t.version,
                t.commitment_sha256,
                str(aid),
                str(relative.id),
                relation,
                req.signature.strip(),
                now.isoformat(),
            ]
        ).encode()
    ).hexdigest()
    binding = FamilyBinding(
        authorizer_id=aid,
        relative_id=relative.id,
        relation=relation,
        status=F.BINDING_ACTIVE,
        created_at=now,
        commitment_version=t.version,
        commitment_sha256=t.commitment_sha256,
        signature_sha256=signature,
        signed_at=now,
        channel=ctx.channel.name,
        client_addr=ctx.channel.client_addr,
        created_by_user_id=ctx.principal.user_id,
    )
    uow.session.add(binding)
    uow.session.flush()
    if fam.funding_model == "allocation":
        ledger.ensure_account(
            uow,
            code=L.family_account(binding.id),
            kind=L.AccountKind.FAMILY,
            now=now,
            person_id=aid,
            region_code=enrollment.region_code,
        )
    audit_event(
        uow,
        ctx,
        "family.bind",
        "family_binding",
        binding.id,
        authorizer_id=aid,
        relative_id=relative.id,
        relation=relation,
        commitment_version=t.version,
    )
    return binding


def bind_relative(
    run: Callable[[Callable[[UnitOfWork], Any]], Any], ctx: Ctx, profile: Profile, req: BindRequest
) -> dict[str, Any]:
    """Run ``bind`` and commit; a name/ID mismatch is counted (in its own transaction) for
    the rate limit, and nothing else is written. Returns the binding's view."""

    def go(uow: UnitOfWork) -> dict[str, Any]:
        binding = bind(uow, ctx, profile, req)
        view = binding_view(uow, profile, binding, side="authorizer")
        uow.commit()
        return view

    try:
        view: dict[str, Any] = run(go)
        return view
    except IdentityMismatch:

        def count(uow: UnitOfWork) -> None:
            uow.session.add(FamilyMatchFailure(authorizer_id=req.authorizer_id, at=ctx.clock.now()))
            audit_event(uow, ctx, "family.bind_mismatch", "person", req.authorizer_id)
            uow.commit()

        run(count)
        raise


def unbind(uow: UnitOfWork, ctx: Ctx, *, binding_id: int, reason: str | None = None) -> FamilyBinding:
    """End a binding (解除绑定); a change of relation is unbind then bind (seed 003 附件一(二))."""
    binding = own_binding(uow, ctx, binding_id)
    if binding.status != F.BINDING_ACTIVE:
        raise InvalidStateTransition(
            f"该共济关系{F.BINDING_STATUS_ZH.get(binding.status, '已结束')}，不能再解除",
            "This binding is no longer active",
            status=binding.status,
        )
    reason = (reason or "").strip() or "共济人申请解除"
    if len(reason) > 200:
        raise InvalidRequest("原因不超过200字", "Reason: at most 200 characters", field="reason")
    binding.status = F.BINDING_ENDED
    binding.ended_at = ctx.clock.now()
    binding.end_reason = reason
    binding.ended_by_user_id = ctx.principal.user_id
    uow.session.flush()
    returned = return_family_balance(uow, ctx, binding, after="unbind")
    audit_event(uow, ctx, "family.unbind", "family_binding", binding.id, returned_fen=returned)
    return binding
