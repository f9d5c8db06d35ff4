"""The agreement (承诺协议 and Q&A), confirmed once per version (seed 000 第二步)."""

from __future__ import annotations

from sqlalchemy import select

from gongji.adapters.db.models import (
    FamilyAgreementAcceptance,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.family_texts import FamilyTexts, family_texts
from gongji.domain.errors import (
    InvalidRequest,
)
from gongji.policy.schema import Profile
from gongji.services.family.common import act_for
from gongji.services.registry.persons import (
    Ctx,
    audit_event,
)


def texts(profile: Profile) -> FamilyTexts:
    """The profile's own texts (each province says what it allows)."""
    return family_texts(profile.profile.code)


# --- the agreement (承诺协议 and Q&A), confirmed once per version -------------------------------


def has_accepted_agreement(uow: UnitOfWork, profile: Profile, person_id: int) -> bool:
    version = texts(profile).version
    return (
        uow.session.scalar(
            select(FamilyAgreementAcceptance.id).where(
                FamilyAgreementAcceptance.person_id == person_id, FamilyAgreementAcceptance.version == version
            )
        )
        is not None
    )


def accept_agreement(
    uow: UnitOfWork, ctx: Ctx, profile: Profile, *, person_id: int, version: str
) -> FamilyAgreementAcceptance:
    """Record that the person read and confirmed the agreement and Q&A (seed 000 第二步)."""
    act_for(uow, ctx, person_id)
    t = texts(profile)
    if version != t.version:
        raise InvalidRequest(
            "协议版本已更新，请重新阅读后确认", "The agreement changed; read the current version", field="version"
        )
    existing = uow.session.scalar(
        select(FamilyAgreementAcceptance).where(
            FamilyAgreementAcceptance.person_id == person_id, FamilyAgreementAcceptance.version == version
        )
    )
    if existing is not None:
        return existing
    row = FamilyAgreementAcceptance(
        person_id=person_id,
        version=version,
        text_sha256=t.agreement_sha256,
        accepted_at=ctx.clock.now(),
        channel=ctx.channel.name,
        client_addr=ctx.channel.client_addr,
    )
    uow.session.add(row)
    uow.session.flush()
    audit_event(uow, ctx, "family.agreement", "person", person_id, version=version)
    return row
