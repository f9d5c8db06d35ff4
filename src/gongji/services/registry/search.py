"""Staff person search (人员查询, issue 17): by whole or partial ID number, name, phone or
social-security card number, within the clerk's regions, paged with a total, masked.

Every condition is an indexed one (docs/registry.md): a name is matched by its start (index on
``person.name``); a number by its start (a range on the indexes of ``cert_no``, ``phone`` and
``ssc_no``) or by its end (equality on the indexed last four characters ``cert_tail``,
``phone_tail``, ``ssc_tail``, then the whole end). Several words narrow each other ("张 1234").
The scope is an EXISTS over the person's enrollments in the clerk's regions (index on
``enrollment.person_id``), which also carries the list's region, state and date filters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from sqlalchemy import and_, or_, select

from gongji.adapters.db.models import Employer, Enrollment, Person
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.domain.errors import InvalidRequest
from gongji.domain.masking import mask_id_number, mask_name, mask_phone
from gongji.domain.registry import INSUTYPES, STATUS_ZH, EnrollmentStatus
from gongji.services import listing
from gongji.services.auth import Role
from gongji.services.registry.context import Ctx, audit_event

SPEC = listing.ListSpec(
    sorts={
        "name": ("姓名", Person.name),
        "birth": ("出生日期", Person.birth_date),
        "registered": ("登记时间", Person.created_at),
    },
    default_sort="name",
    default_desc=False,
    states={s.value: STATUS_ZH[s] for s in EnrollmentStatus},
    date_label="参保开始日期",
    state_label="参保状态",
    page_size=20,
)
SEX_ZH = {"1": "男", "2": "女", "9": "未说明"}
EXPORT_MAX = 100_000
_NUMBER = re.compile(r"[0-9A-Z]+")


def _starts(column: Any, prefix: str) -> Any:
    """``column`` starts with ``prefix``, as a range an index can serve (binary order)."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(column >= prefix, column < upper, column.startswith(prefix, autoescape=True))


def _ends(column: Any, tail_column: Any, suffix: str) -> Any:
    cond = tail_column == suffix[-4:]
    return cond if len(suffix) == 4 else and_(cond, column.endswith(suffix, autoescape=True))


def word_condition(word: str) -> Any:
    """One search word: a number (≥ 4 characters) by its start or end, else a name by its start."""
    number = word.upper()
    if _NUMBER.fullmatch(number) and any(c.isdigit() for c in number):
        if len(number) < 4:
            raise InvalidRequest("号码请至少输入4位（开头几位或末尾几位）", "Numbers: at least 4 characters", field="q")
        conds = [
            _starts(Person.cert_no, number),
            _ends(Person.cert_no, Person.cert_tail, number),
            _starts(Person.ssc_no, number),
            _ends(Person.ssc_no, Person.ssc_tail, number),
        ]
        if number.isdigit():
            conds += [_starts(Person.phone, number), _ends(Person.phone, Person.phone_tail, number)]
        return or_(*conds)
    return _starts(Person.name, word)


def _query_condition(query: str) -> Any:
    words = (query or "").split()
    if len(" ".join(words)) > 50 or len(words) > 4:
        raise InvalidRequest("查询内容过长（不超过50个字符）", "Query: at most 50 characters", field="q")
    return and_(*[word_condition(w) for w in words]) if words else None


def _select(ctx: Ctx, query: str, lq: listing.ListQuery) -> Any:
    ctx.principal.require(Role.STAFF)
    in_scope = listing.filtered(
        select(Enrollment.id).where(Enrollment.person_id == Person.id),
        lq,
        date_col=Enrollment.start_date,
        region_col=Enrollment.region_code,
        state_col=Enrollment.status,
        scope=ctx.principal.regions,
    )
    stmt = select(Person).where(in_scope.exists())
    cond = _query_condition(query)
    return stmt if cond is None else stmt.where(cond)


def find_persons(uow: UnitOfWork, ctx: Ctx, *, query: str, lq: listing.ListQuery) -> listing.Page:
    """One page of the persons in the clerk's regions matching ``query`` and the list filters,
    with the total; each row masked, with what tells people apart (birth year, sex, region,
    unit, insurance status)."""
    stmt = listing.ordered(_select(ctx, query, lq), lq, SPEC, Person.id)
    page = listing.page_of(uow.session, stmt, lq, scalars=True)
    return listing.Page(total=page.total, rows=_rows(uow, ctx, page.rows), page=page.page, size=page.size)


def iter_persons(uow: UnitOfWork, ctx: Ctx, *, query: str, lq: listing.ListQuery) -> Iterator[dict[str, Any]]:
    """Every matching person (at most ``EXPORT_MAX``), in the list's order, in batches: the export."""
    stmt = listing.ordered(_select(ctx, query, lq), lq, SPEC, Person.id).limit(EXPORT_MAX)
    batch: list[Person] = []
    for person in uow.session.scalars(stmt.execution_options(yield_per=500)):
        batch.append(person)
        if len(batch) == 500:
            yield from _rows(uow, ctx, batch)
            batch = []
    if batch:
        yield from _rows(uow, ctx, batch)


def export_rows(uow: UnitOfWork, ctx: Ctx, *, query: str, lq: listing.ListQuery) -> Iterator[list[Any]]:
    """The export's rows (one per enrollment in scope; a person without one in scope is not
    listed), masked as on the page: names, ID numbers and phones never leave whole. The export
    itself is audited (``person.export``) with its filters, not its query (it may hold digits of
    an ID number)."""
    audit_event(uow, ctx, "person.export", "person", None, has_query=bool(query.strip()), **lq.params(page=1))
    for p in iter_persons(uow, ctx, query=query, lq=lq):
        for e in p["enrollments"]:
            yield [
                p["name"],
                p["cert_no"],
                p["sex_zh"],
                p["birth_year"],
                p["phone"],
                e["insutype_name"],
                e["region_name"],
                e["unit"],
                e["status_zh"],
                e["start_date"],
            ]


def _rows(uow: UnitOfWork, ctx: Ctx, persons: list[Person]) -> list[dict[str, Any]]:
    ids = [p.id for p in persons]
    enrollments: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if ids:
        found = uow.session.execute(
            select(Enrollment, Employer.name)
            .outerjoin(Employer, Employer.id == Enrollment.employer_id)
            .where(Enrollment.person_id.in_(ids), listing.region_scope(Enrollment.region_code, ctx.principal.regions))
            .order_by(Enrollment.person_id, Enrollment.id)
        ).all()
        for e, unit in found:
            enrollments[e.person_id].append(
                {
                    "insutype": e.insutype,
                    "insutype_name": INSUTYPES.get(e.insutype, "其他险种"),
                    "region_code": e.region_code,
                    "region_name": region_table().full_name(e.region_code),
                    "status": e.status,
                    "status_zh": STATUS_ZH.get(EnrollmentStatus(e.status), "其他") if e.status in _STATES else "其他",
                    "unit": unit or "",
                    "start_date": e.start_date,
                }
            )
    return [
        {
            "person_id": p.id,
            "name": mask_name(p.name),
            "cert_no": mask_id_number(p.cert_no),
            "phone": mask_phone(p.phone),
            "birth_year": p.birth_date.year if p.birth_date else None,
            "sex_zh": SEX_ZH.get(p.sex, "未说明"),
            "enrollments": enrollments[p.id],
        }
        for p in persons
    ]


_STATES = {s.value for s in EnrollmentStatus}
