"""社会保障卡: the card number a HIS reads as 就诊凭证 03 (issue 13 §1).

Recorded at enrollment (``persons.enroll(ssc_no=…)``) or later by staff when a card is issued
or replaced; one card number belongs to one person. Audited with the number masked.
"""

from __future__ import annotations

from sqlalchemy import select

from gongji.adapters.db.models import Person
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain.credentials import normalize_ssc_no
from gongji.domain.errors import DuplicateRecord, InvalidRequest
from gongji.services.auth import Role
from gongji.services.registry.context import Ctx, audit_event, get_person, person_regions


def masked_card(ssc_no: str | None) -> str | None:
    """``A12345678`` → ``A*****678``: the first character and the last three."""
    if not ssc_no:
        return None
    return ssc_no[:1] + "*" * (len(ssc_no) - 4) + ssc_no[-3:]


def record_card(uow: UnitOfWork, ctx: Ctx, *, person_id: int, ssc_no: str) -> Person:
    """Store (or replace) the person's social-security card number."""
    ctx.principal.require(Role.STAFF)
    person = get_person(uow, person_id)
    ctx.principal.require_person_access(person_id=person_id, regions=person_regions(uow, person_id))
    try:
        number = normalize_ssc_no(ssc_no)
    except ValueError:
        number = None
    if number is None:
        raise InvalidRequest(
            "社会保障卡卡号须为9-20位字母或数字", "The card number must be 9-20 letters or digits", field="ssc_no"
        )
    holder = uow.session.scalar(select(Person.id).where(Person.ssc_no == number))
    if holder is not None and holder != person.id:
        raise DuplicateRecord("该社会保障卡卡号已登记给其他人员", "This card number belongs to another person")
    previous = person.ssc_no
    person.ssc_no = number
    uow.session.flush()
    audit_event(
        uow,
        ctx,
        "person.ssc_card",
        "person",
        person.id,
        ssc_no=masked_card(number),
        replaced=masked_card(previous),
    )
    return person
