"""The audit log as a list for the auditor (issue 17 "Audit page"): by person, staff member,
action and period, newest first, paged, exported.

Indexed: the period (``ix_audit_log_at``) and the action (``ix_audit_log_action``, exact or an
area prefix such as ``person.``). The person filter takes a person number (人员编号) or a whole
ID number (looked up exactly) and matches the rows about that person (``entity = 'person'``);
the staff filter is an exact user name.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from gongji.adapters.db.models import AuditLog, Person
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain.errors import InvalidRequest
from gongji.services import listing
from gongji.services.auth import Principal, Role

SPEC = listing.ListSpec(
    sorts={"at": ("时间", AuditLog.at)},
    default_sort="at",
    default_desc=True,
    date_label="时间",
    page_size=50,
)
EXPORT_MAX = 100_000


@dataclass(frozen=True)
class AuditFilter:
    person: str = ""
    staff: str = ""
    action: str = ""


def _select(uow: UnitOfWork, principal: Principal, f: AuditFilter, lq: listing.ListQuery) -> Any:
    principal.require(Role.AUDITOR)
    stmt = listing.filtered(select(AuditLog), lq, date_col=AuditLog.at)
    if f.staff:
        stmt = stmt.where(AuditLog.username == f.staff[:50])
    if f.action:
        if not all(c.isalnum() or c in "._" for c in f.action):
            raise InvalidRequest("操作类型不存在", "Unknown action", field="action")
        stmt = stmt.where(or_(AuditLog.action == f.action, AuditLog.action.startswith(f"{f.action}.", autoescape=True)))
    if f.person:
        stmt = stmt.where(AuditLog.entity == "person", AuditLog.entity_id == str(_person_id(uow, f.person)))
    return listing.ordered(stmt, lq, SPEC, AuditLog.id)


def _person_id(uow: UnitOfWork, value: str) -> int:
    value = value.strip().upper()
    if value.isdigit() and len(value) <= 12:
        return int(value)
    found = uow.session.scalar(select(Person.id).where(Person.cert_no == value))
    if found is None:
        raise InvalidRequest(
            "请输入人员编号或完整的证件号码", "Person: a person number or a whole ID number", field="person"
        )
    return int(found)


def page(uow: UnitOfWork, principal: Principal, f: AuditFilter, lq: listing.ListQuery) -> listing.Page:
    return listing.page_of(uow.session, _select(uow, principal, f, lq), lq, scalars=True)


def every(uow: UnitOfWork, principal: Principal, f: AuditFilter, lq: listing.ListQuery) -> Iterator[AuditLog]:
    stmt = _select(uow, principal, f, lq).limit(EXPORT_MAX)
    yield from uow.session.scalars(stmt.execution_options(yield_per=1000))
