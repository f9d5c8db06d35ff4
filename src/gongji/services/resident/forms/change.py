"""附件2 《参保信息变更登记表》: key information (姓名, 身份证件号码, 户籍所在地) and non-key
information (phone, address), before and after (seed 002 §五3)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import (
    Person,
    ResidentAddress,
    ResidentChange,
    ResidentChangeItem,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.domain.errors import (
    CertInUse,
    ChangeStale,
    FormPending,
    InvalidRequest,
    UnknownCode,
)
from gongji.domain.ids import CERT_TYPE_RESIDENT_ID, parse_id_number
from gongji.domain.masking import mask_id_number, mask_name, mask_phone
from gongji.services.registry import persons as registry
from gongji.services.registry.persons import Ctx, audit_event, require_reason, require_region_code, validate_name
from gongji.services.resident.forms.common import (
    E_CHANGE_NOOP,
    E_SIGNATURE,
    STATUS_NAMES,
    Submitted,
    _digest,
    _get,
    _pending,
    _person_by_cert,
    _person_by_row,
    _phone,
    _refuse,
    _region_name,
    _replay,
    _resident_enrollment,
    _reviewed,
    _second_clerk,
    _set_address,
    _staff,
    _text,
)

CHANGE_ITEMS: dict[str, tuple[str, bool]] = {
    "name": ("姓名", True),
    "cert_no": ("身份证件号码", True),
    "hukou_region": ("户籍所在地", True),
    "hukou_village": ("户籍所在地村(社区)", True),
    "phone": ("联系电话", False),
    "township": ("通讯地址乡/镇(街道)", False),
    "address": ("通讯地址", False),
}
"""变更项目 → (the form's wording, key information 关键信息?). 002 §五3 names 姓名、身份证号码、户籍
所在地 as key information; the rest is non-key. Derived rows (sex, birth date) follow an ID change."""
DERIVED_ITEMS = {"sex": "性别", "birth_date": "出生日期"}


@dataclass(frozen=True)
class ChangeRowIn:
    """One row of 附件2: the person as registered (ID number and name), what changes to what."""

    cert_no: str
    name: str
    item: str
    after: str
    signed_by: str = ""
    remark: str | None = None


@dataclass(frozen=True)
class ChangeIn:
    filler_name: str
    filler_phone: str
    rows: tuple[ChangeRowIn, ...]
    filled_on: date | None = None


def _current(uow: UnitOfWork, person: Person, item: str) -> str | None:
    if item in ("name", "cert_no", "hukou_region", "phone"):
        value = getattr(person, item)
        return str(value) if value is not None else None
    address = uow.session.get(ResidentAddress, person.id)
    return getattr(address, item) if address is not None else None


def _after(uow: UnitOfWork, ctx: Ctx, person: Person, item: str, raw: str, *, field: str) -> str:
    """The new value, validated as registration would (an ID number is re-validated)."""
    value = (raw or "").strip()
    if item == "name":
        return validate_name(value)
    if item == "cert_no":
        if person.cert_type == CERT_TYPE_RESIDENT_ID:
            value = parse_id_number(value, today=ctx.clock.today(), region_known=region_table().is_known).value
        elif not re.fullmatch(r"[0-9A-Z()（）\-]{4,50}", value.upper()):
            raise InvalidRequest("证件号码格式错误", "Malformed certificate number", field=field)
        other = _person_by_cert(uow, person.cert_type, value.upper())
        if other is not None and other.id != person.id:
            raise CertInUse(
                "新的证件号码已登记在其他人员名下",
                "The new number belongs to another person",
                field=field,
            )
        return value.upper()
    if item == "hukou_region":
        return require_region_code(value, field=field)
    if item == "phone":
        return _phone(value, field, required=True) or ""
    n = 200 if item == "address" else 100
    return _text(value, n, field, required=True, zh=CHANGE_ITEMS[item][0]) or ""


def submit_change(uow: UnitOfWork, ctx: Ctx, form: ChangeIn, *, idempotency_key: str | None = None) -> Submitted:
    """Record 附件2 as pending (002 §五3): each row is checked against the person's current record
    (its 变更前), the new value validated; nothing is changed until the review applies it."""
    _staff(ctx)
    digest = _digest("change", form)
    replayed = _replay(uow, ResidentChange, idempotency_key, digest)
    if replayed is not None:
        return Submitted(replayed.id, True, change_view(uow, ctx, replayed))
    today = ctx.clock.today()
    filler = _text(form.filler_name, 50, "filler_name", required=True, zh="填报人") or ""
    phone = _phone(form.filler_phone, "filler_phone", required=True) or ""
    filled_on = form.filled_on or today
    if filled_on > today:
        raise InvalidRequest("填表日期不能晚于今天", "Filled-on date is in the future", field="filled_on")
    rows = [r for r in form.rows if (r.cert_no or r.name or r.after or "").strip()]
    if not 1 <= len(rows) <= 20:
        raise InvalidRequest("请填写1-20行变更内容", "1 to 20 change rows", field="rows")
    seen: set[tuple[int, str]] = set()
    checked: list[tuple[ChangeRowIn, Person, str | None, str]] = []
    region: str | None = None
    for index, r in enumerate(rows, start=1):
        at = f"rows[{index}]"
        person = _person_by_row(uow, r.cert_no, r.name, field=f"{at}.cert_no")
        enrollment = _resident_enrollment(uow, ctx, person.id, live=False)
        region = region or enrollment.region_code
        if r.item not in CHANGE_ITEMS:
            raise UnknownCode("变更项目不存在", "Unknown change item", field=f"{at}.item", value=r.item)
        if (person.id, r.item) in seen:
            raise InvalidRequest("同一人员的同一项目只能填写一行", "One row per person and item", field=f"{at}.item")
        seen.add((person.id, r.item))
        if not (r.signed_by or "").strip() or len(r.signed_by.strip()) > 50:
            raise _refuse(E_SIGNATURE, f"第{index}行缺少签字", f"Row {index} is not signed", field=f"{at}.signed_by")
        _text(r.remark, 200, f"{at}.remark", zh="备注")
        before = _current(uow, person, r.item)
        after = _after(uow, ctx, person, r.item, r.after, field=f"{at}.after")
        if after == (before or ""):
            raise _refuse(
                E_CHANGE_NOOP, f"第{index}行变更后与变更前相同", f"Row {index} changes nothing", field=f"{at}.after"
            )
        pending = uow.session.scalar(
            select(ResidentChange.id)
            .join(ResidentChangeItem, ResidentChangeItem.change_id == ResidentChange.id)
            .where(ResidentChangeItem.person_id == person.id, ResidentChange.status == "pending")
        )
        if pending is not None:
            raise FormPending(
                "该人员已有待审核的信息变更登记表",
                "A change form for this person is pending",
                form_id=pending,
            )
        checked.append((r, person, before, after))
    assert region is not None
    change = ResidentChange(
        idempotency_key=idempotency_key,
        request_hash=digest if idempotency_key else None,
        status="pending",
        region_code=region,
        filler_name=filler,
        filler_phone=phone,
        filled_on=filled_on,
        is_key=any(CHANGE_ITEMS[r.item][1] for r, *_ in checked),
        channel=ctx.channel.name[:10],
        created_by_user_id=ctx.principal.user_id,
        created_at=ctx.clock.now(),
    )
    uow.session.add(change)
    uow.session.flush()
    for seq, (r, person, before, after) in enumerate(checked, start=1):
        uow.session.add(
            ResidentChangeItem(
                change_id=change.id,
                seq=seq,
                person_id=person.id,
                cert_no=person.cert_no,
                name=person.name,
                item=r.item,
                is_key=CHANGE_ITEMS[r.item][1],
                before_value=before,
                after_value=after,
                signed_by=r.signed_by.strip(),
                remark=(r.remark or "").strip() or None,
                derived=False,
            )
        )
    uow.session.flush()
    audit_event(
        uow,
        ctx,
        "resident.change.submit",
        "resident_change",
        change.id,
        items=[r.item for r, *_ in checked],
        persons=sorted({p.id for _, p, *_ in checked}),
    )
    return Submitted(change.id, False, change_view(uow, ctx, change))


def _items(uow: UnitOfWork, change_id: int) -> list[ResidentChangeItem]:
    return list(
        uow.session.scalars(
            select(ResidentChangeItem).where(ResidentChangeItem.change_id == change_id).order_by(ResidentChangeItem.seq)
        )
    )


def _shown(item: str, value: str | None) -> str | None:
    """A before/after value as the audit log keeps it (names and numbers masked)."""
    if value is None:
        return None
    if item == "name":
        return mask_name(value)
    if item == "cert_no":
        return mask_id_number(value)
    if item == "phone":
        return mask_phone(value)
    return value


def review_change(
    uow: UnitOfWork,
    ctx: Ctx,
    *,
    change_id: int,
    approve: bool,
    opinion: str | None = None,
    unit: str | None = None,
) -> ResidentChange:
    """经办机构意见 on 附件2: approve → every row applied to its person (the current value must
    still be the row's 变更前, a new ID number is validated again, and sex and birth date follow
    it as derived rows); reject → the opinion is kept and nothing changes."""
    change = _get(uow, ctx, ResidentChange, change_id)
    _pending(change)
    items = _items(uow, change.id)
    if approve:
        _second_clerk(change, ctx)
        seq = len(items)
        for row in items:
            person = registry.get_person(uow, row.person_id)
            field_name = f"rows[{row.seq}].after"
            if (_current(uow, person, row.item) or None) != (row.before_value or None):
                raise ChangeStale(
                    f"第{row.seq}行的变更前信息已变化，请重新填写变更登记表",
                    "The record changed since the form was filled",
                    field=field_name,
                )
            after = _after(uow, ctx, person, row.item, row.after_value, field=field_name)
            if row.item in ("hukou_village", "township", "address"):
                _set_address(uow, ctx, person.id, **{row.item: after})
            else:
                setattr(person, row.item, after)
            if row.item == "cert_no" and person.cert_type == CERT_TYPE_RESIDENT_ID:
                parsed = parse_id_number(after, today=ctx.clock.today())
                derived = {"sex": parsed.sex, "birth_date": parsed.birth_date.isoformat()}
                current = {
                    "sex": person.sex,
                    "birth_date": person.birth_date.isoformat() if person.birth_date else None,
                }
                for key, value in derived.items():
                    if current[key] != value:
                        seq += 1
                        uow.session.add(
                            ResidentChangeItem(
                                change_id=change.id,
                                seq=seq,
                                person_id=person.id,
                                cert_no=row.cert_no,
                                name=row.name,
                                item=key,
                                is_key=True,
                                before_value=current[key],
                                after_value=value,
                                signed_by=row.signed_by,
                                remark="由新身份证号码重新核定",
                                derived=True,
                            )
                        )
                person.sex = parsed.sex
                person.birth_date = parsed.birth_date
            uow.session.flush()
            audit_event(
                uow,
                ctx,
                "person.change",
                "person",
                person.id,
                change_id=change.id,
                item=row.item,
                before=_shown(row.item, row.before_value),
                after=_shown(row.item, after),
            )
        change.status = "applied"
        change.applied_at = ctx.clock.now()
        change.opinion = _text(opinion, 200, "opinion", zh="经办机构意见") or "同意变更"
    else:
        change.opinion = require_reason(opinion)
        change.status = "rejected"
    _reviewed(change, ctx, unit)
    uow.session.flush()
    audit_event(uow, ctx, f"resident.change.{'apply' if approve else 'reject'}", "resident_change", change.id)
    return change


def change_view(uow: UnitOfWork, ctx: Ctx, change: ResidentChange, *, masked: bool = True) -> dict[str, Any]:
    rows = []
    for r in _items(uow, change.id):
        label = CHANGE_ITEMS.get(r.item, (DERIVED_ITEMS.get(r.item, r.item), True))[0]
        rows.append(
            {
                "seq": r.seq,
                "person_id": r.person_id,
                "cert_no": mask_id_number(r.cert_no) if masked else r.cert_no,
                "name": mask_name(r.name) if masked else r.name,
                "item": r.item,
                "item_name": label,
                "is_key": r.is_key,
                "before": _shown(r.item, r.before_value) if masked else r.before_value,
                "after": _shown(r.item, r.after_value) if masked else r.after_value,
                "signed_by": mask_name(r.signed_by) if masked else r.signed_by,
                "remark": r.remark,
                "derived": r.derived,
            }
        )
    return {
        "kind": "change",
        "form_id": change.id,
        "status": change.status,
        "status_name": STATUS_NAMES.get(change.status, change.status),
        "region_code": change.region_code,
        "region_name": _region_name(change.region_code),
        "filler_name": mask_name(change.filler_name) if masked else change.filler_name,
        "filler_phone": mask_phone(change.filler_phone) if masked else change.filler_phone,
        "filled_on": change.filled_on.isoformat(),
        "is_key": change.is_key,
        "rows": rows,
        "created_at": change.created_at.isoformat(),
        "created_by_user_id": change.created_by_user_id,
        "reviewer_name": change.reviewer_name,
        "reviewed_at": change.reviewed_at.isoformat() if change.reviewed_at else None,
        "review_unit": change.review_unit,
        "opinion": change.opinion,
        "applied_at": change.applied_at.isoformat() if change.applied_at else None,
    }
