"""What every use case needs: who acts (``Ctx``), the audit row of what it did, a reason, and the
person and pooling regions a scope check is made against.

Shared by every capability; ``services.registry.persons`` re-exports these names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import Enrollment, Person
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain.clock import Clock
from gongji.domain.errors import InvalidRequest, NotFound
from gongji.services import audit
from gongji.services.audit import Channel
from gongji.services.auth import Principal


@dataclass(frozen=True)
class Ctx:
    """Who is acting, through which channel, on which clock."""

    principal: Principal
    channel: Channel
    clock: Clock


def audit_event(uow: UnitOfWork, ctx: Ctx, action: str, entity: str, entity_id: object, **detail: Any) -> None:
    """The audit row of a use case's change or read, by the acting principal (same transaction)."""
    audit.record(
        uow,
        actor=ctx.principal,
        action=action,
        entity=entity,
        entity_id=entity_id,
        now=ctx.clock.now(),
        channel=ctx.channel,
        detail=detail,
    )


def require_reason(reason: str | None) -> str:
    cleaned = (reason or "").strip()
    if not 2 <= len(cleaned) <= 200:
        raise InvalidRequest("请填写原因（2-200字）", "A reason of 2-200 characters is required", field="reason")
    return cleaned


def get_person(uow: UnitOfWork, person_id: int) -> Person:
    """The person, or NotFound."""
    person = uow.session.get(Person, person_id)
    if person is None:
        raise NotFound("人员不存在", "Person not found", person_id=person_id)
    return person


def person_regions(uow: UnitOfWork, person_id: int) -> list[str]:
    """The pooling regions a person is (or was) insured in, for scope checks."""
    return list(uow.session.scalars(select(Enrollment.region_code).where(Enrollment.person_id == person_id).distinct()))
