"""The tax bureau's 代缴 requests sent as a batch (issue 5; SPEC §6, seed 003 附件三(二)).

``tax_family_payments_batch`` answers a stream of requests exactly as ``premiums.tax_family_payment``
answers them one at a time over HTTP — every check in the same order, the same refusals and
stored answers, the same rows, the same idempotency keys — but decides a whole chunk at once.
The requests are read ``batch_size`` at a time from any iterable (a generator over a file is
fine); each chunk runs in ONE unit of work and is committed before the next one is read. Nothing
of the whole batch is kept: the result holds counts, and the answers go to ``on_answer`` as each
chunk commits (at most one chunk of answers is in memory).

Per request, as over HTTP:

- a business refusal (``status: "refused"``, e.g. ``E_RESIDENT_INSUFFICIENT_FUNDS``) is stored
  and counted under ``refused`` with its reason code; nothing is debited;
- a request id already answered, with the same body, gets the stored answer again and moves no
  money (``replayed``) — so a batch may be sent again after a failure, whole; a request answered
  by one path (HTTP, or a batch in either mode) is replayed by the other;
- the same request id with another body is ``E_IDEMPOTENCY_MISMATCH`` (``conflicts``) and a
  malformed request is 422 (``invalid``): neither is stored, both are passed to ``on_answer``
  as ``status: "rejected"``, and the batch goes on.

**Set-based chunks** (``mode="set"``, the default). A chunk costs a dozen statements, not ~30
per request:

1. *read*: the stored answers of the chunk's request ids; the persons by ID number; their
   enrollments; the payers' personal-account status; the active bindings of the pairs; the
   relatives' premium rows (``FOR UPDATE``, in id order) and subsidy categories; then every account a request may draw
   on or credit, locked ``FOR UPDATE`` in ONE statement in id order (``ledger.lock_accounts``);
2. *decide*, in request order, in Python: the checks of ``_verify_and_pay`` and
   ``family_premiums.pay_premium`` in their order, through the same functions (``premiums.check_parties``,
   ``check_premium_terms``, ``resident_region_of``, ``check_not_paid``, ``check_not_full_subsidy``,
   ``check_commitment_relation``, ``family_payment.check_use``, ``authorizer_check``,
   ``check_no_open_case``, ``premium_funds_account``, ``check_premium_funds``). The balances are followed request by
   request, so two requests on one family account in a chunk cannot overdraw it: the second is
   refused E_RESIDENT_INSUFFICIENT_FUNDS as it would be one at a time, and a premium paid by an
   earlier request of the chunk is E_RESIDENT_ALREADY_PAID;
3. *write*, with multi-row INSERTs: ledger transactions, postings and balances
   (``ledger.post_many``: the rows ``ledger.post`` writes), family_payment, family_draw,
   premium_commitment (Henan), resident_premium (new rows ``INSERT … ON CONFLICT DO NOTHING``;
   a row a concurrent payer inserted meanwhile reruns the chunk), premium_payment, tax_request
   with the answers, audit rows (``audit.row_values``, as ``registry.audit_event`` writes
   them). Ids are drawn first (``ledger.next_ids``) and the rows inserted by executemany
   without RETURNING.

``mode="per_request"`` runs ``premiums.tax_family_payment`` for each request of the chunk (the
reference the set-based path is tested against, tests/integration/test_premium_batch_equivalence.py).

Failures: a transient conflict (deadlock, serialization failure, a concurrent twin of a request
id, a premium row inserted meanwhile by another payer) reruns the whole chunk, as
``unit_of_work.run`` does for any use case. Any other exception rolls the current chunk back and
propagates; the chunks before it stay committed, and sending the batch again replays them.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from types import SimpleNamespace
from typing import Any, Literal, cast

from sqlalchemy import Connection, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from gongji.adapters.db.models import (
    AuditLog,
    Enrollment,
    FamilyBinding,
    FamilyDraw,
    FamilyFraudCase,
    FamilyPayment,
    Person,
    PersonalAccount,
    PremiumCommitment,
    PremiumPayment,
    ResidentPremium,
    TaxRequest,
)
from gongji.adapters.db.unit_of_work import RetryableConflict, UnitOfWork, run
from gongji.domain import family as F
from gongji.domain import ledger as L
from gongji.domain.errors import (
    FamilyRefusal,
    GongjiError,
    IdempotencyConflict,
    InvalidInput,
    PremiumNoBinding,
    ResidentRefusal,
)
from gongji.domain.ids import CERT_TYPE_RESIDENT_ID
from gongji.domain.registry import EMPLOYEE_BASIC, RESIDENT_BASIC, EnrollmentStatus
from gongji.policy.schema import PremiumStandard, Profile
from gongji.services import audit, ledger
from gongji.services.auth import Role
from gongji.services.family import common as family_common
from gongji.services.family import payment as family_payment
from gongji.services.family import premiums as family_premiums
from gongji.services.registry.persons import Ctx
from gongji.services.resident import categories, premiums, waiting

DEFAULT_BATCH_SIZE = 1000  # bench/README.md: 500..2000 within a few per cent; memory grows with it
MAX_BATCH_SIZE = 10_000
REJECTED = "rejected"  # on_answer status of a request that was not stored (conflict, malformed)
Mode = Literal["set", "per_request"]
MODES: tuple[Mode, ...] = ("set", "per_request")

AnswerSink = Callable[[premiums.TaxPremiumRequest, dict[str, Any]], None]
Answers = list[tuple[premiums.TaxPremiumRequest, dict[str, Any]]]


@dataclass
class BatchResult:
    """Counts of one batch. ``paid`` + ``refused`` are the requests answered for the first time."""

    requests: int = 0
    paid: int = 0
    refused: int = 0
    replayed: int = 0
    conflicts: int = 0
    invalid: int = 0
    chunks: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    """reason_code → how many requests of this batch were refused for it (new answers only)."""

    def add(self, other: BatchResult) -> None:
        self.requests += other.requests
        self.paid += other.paid
        self.refused += other.refused
        self.replayed += other.replayed
        self.conflicts += other.conflicts
        self.invalid += other.invalid
        self.chunks += other.chunks
        self.reasons.update(other.reasons)

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "paid": self.paid,
            "refused": self.refused,
            "replayed": self.replayed,
            "conflicts": self.conflicts,
            "invalid": self.invalid,
            "chunks": self.chunks,
            "reasons": dict(sorted(self.reasons.items())),
        }

    def count(self, answer: dict[str, Any], *, replayed: bool) -> None:
        """Count one answer of ``tax_family_payment`` (not a rejection)."""
        if replayed:
            self.replayed += 1
        elif answer["status"] == premiums.PAID:
            self.paid += 1
        else:
            self.refused += 1
            self.reasons[answer["reason_code"]] += 1


def _chunks(requests: Iterable[premiums.TaxPremiumRequest], size: int) -> Iterator[list[premiums.TaxPremiumRequest]]:
    it = iter(requests)
    while chunk := list(islice(it, size)):
        yield chunk


def _rejected(req: premiums.TaxPremiumRequest, err: GongjiError) -> dict[str, Any]:
    return {
        "request_id": req.request_id,
        "status": REJECTED,
        "reason_code": err.code,
        "reason": err.message_zh,
        "reason_en": err.message_en,
        "detail": dict(err.detail),
        "http_status": err.http_status,
        "premium": None,
    }


def _reject(tally: BatchResult, err: IdempotencyConflict | InvalidInput) -> None:
    if isinstance(err, IdempotencyConflict):
        tally.conflicts += 1
    else:
        tally.invalid += 1


# --- mode "per_request": the use case of the HTTP interface, request after request ---------------------


def _claimed(uow: UnitOfWork, req: premiums.TaxPremiumRequest) -> bool:
    """Whether this transaction holds a tax_request row for the request id (a safety net: a
    rejected request must have left nothing behind). Rejections are rare, so one query each."""
    if not isinstance(req.request_id, str):
        return False
    return uow.session.scalar(select(TaxRequest.id).where(TaxRequest.request_id == req.request_id)) is not None


def _run_chunk_per_request(
    uow: UnitOfWork, ctx: Ctx, profile: Profile, chunk: list[premiums.TaxPremiumRequest], answers: Answers | None
) -> BatchResult:
    tally = BatchResult(requests=len(chunk), chunks=1)
    ids = sorted({r.request_id for r in chunk if isinstance(r.request_id, str)})
    # one query per chunk tells a replay from a first answer (the use case answers both alike)
    answered = set(uow.session.scalars(select(TaxRequest.request_id).where(TaxRequest.request_id.in_(ids))))
    for req in chunk:
        try:
            answer = premiums.tax_family_payment(uow, ctx, profile, req)
        except (IdempotencyConflict, InvalidInput) as err:  # raised before anything is written
            if _claimed(uow, req) and req.request_id not in answered:
                raise  # written after all: not safe to go on in this transaction (rolled back)
            _reject(tally, err)
            answer = _rejected(req, err)
        else:
            tally.count(answer, replayed=req.request_id in answered)
            answered.add(req.request_id)
        if answers is not None:
            answers.append((req, answer))
    uow.commit()
    return tally


# --- mode "set": a chunk decided at once --------------------------------------------------------------


@dataclass
class _Rejected:
    err: IdempotencyConflict | InvalidInput


@dataclass
class _Replay:
    answer_json: str  # answered before this chunk


@dataclass
class _New:
    """A request answered for the first time in this chunk, and what was decided for it."""

    req: premiums.TaxPremiumRequest
    digest: str
    checked: premiums.CheckedTaxRequest
    refusal: ResidentRefusal | FamilyRefusal | None = None
    view: dict[str, Any] | None = None  # a refusal's premium view, when read before the writes
    view_after: _New | None = None  # a refusal showing the premium an earlier request of the chunk paid
    # what a paid request books
    payer: Person | None = None
    relative: Person | None = None
    standard: PremiumStandard | None = None
    region: str = ""
    source: str = ""
    payee: str = ""
    binding_id: int | None = None
    pay_request: dict[str, Any] = field(default_factory=dict)
    premium_values: dict[str, Any] = field(default_factory=dict)  # the premium row once paid (no id)
    premium_id: int | None = None
    family_body: dict[str, Any] = field(default_factory=dict)
    commitment_id: int | None = None
    payment_row: dict[str, Any] = field(default_factory=dict)
    paid_on: date | None = None  # the day the window was judged on (premiums.window_day)
    answer: dict[str, Any] = field(default_factory=dict)
    answer_json: str = ""


@dataclass
class _ReplayOf:
    first: _New  # the same request earlier in this chunk


_Plan = _Rejected | _Replay | _New | _ReplayOf


def _classify(
    uow: UnitOfWork, ctx: Ctx, profile: Profile, chunk: list[premiums.TaxPremiumRequest]
) -> tuple[list[_Plan], list[_New]]:
    """What each request of the chunk is, in order: rejected, a replay, or new (schema checked)."""
    digests: list[str | InvalidInput] = []
    for req in chunk:
        try:
            premiums.check_request_id(req)
        except InvalidInput as err:
            digests.append(err)
            continue
        digests.append(L.request_hash(req.canonical()))
    ids = sorted({req.request_id for req, d in zip(chunk, digests, strict=True) if isinstance(d, str)})
    stored: dict[str, tuple[str, str]] = {}
    if ids:
        t = TaxRequest.__table__.c
        for rid, digest, answer_json in uow.session.execute(
            select(t.request_id, t.request_hash, t.answer_json).where(t.request_id.in_(ids))
        ):
            stored[rid] = (digest, answer_json)
    plan: list[_Plan] = []
    new: list[_New] = []
    first: dict[str, _New] = {}
    for req, d in zip(chunk, digests, strict=True):
        if not isinstance(d, str):
            plan.append(_Rejected(d))
        elif req.request_id in stored:
            digest, answer_json = stored[req.request_id]
            ok = digest == d
            plan.append(_Replay(answer_json) if ok else _Rejected(premiums.tax_request_conflict(req.request_id)))
        elif req.request_id in first:
            twin = first[req.request_id]
            ok = twin.digest == d
            plan.append(_ReplayOf(twin) if ok else _Rejected(premiums.tax_request_conflict(req.request_id)))
        else:
            try:
                checked = premiums.check_tax_schema(ctx, profile, req)
            except InvalidInput as err:
                plan.append(_Rejected(err))
                continue
            item = _New(req, d, checked)
            first[req.request_id] = item
            new.append(item)
            plan.append(item)
    return plan, new


@dataclass
class _Facts:
    """What the checks of a chunk read, in a few statements."""

    persons: dict[str, Person]  # by ID number (resident ID)
    insurances: dict[int, list[F.Insurance]]  # newest enrollment first, as family_common.insurances_of
    normal_390: dict[int, list[str]]  # regions of normal resident basic enrollments
    employee_spells: dict[int, list[tuple[date, date | None]]]  # 310 enrollments (start, end)
    resident_spells: dict[int, list[tuple[date, date | None]]]  # 390 enrollments (start, end)
    account_status: dict[int, str]
    bindings: dict[tuple[int, int], int]  # (authorizer, relative) → active binding
    premiums: dict[tuple[int, int, str], ResidentPremium]  # (person, year, insutype), locked
    subsidy_codes: dict[int, tuple[str, ...]]  # the relatives' subsidy categories (categories.subsidy_codes_of)
    open_case_parties: dict[int, int]  # payer or relative → an open fraud case they are a party of
    accounts: dict[str, ledger.LockedAccount]  # every source and payee a request may use, locked


def _read_facts(uow: UnitOfWork, profile: Profile, new: list[_New]) -> _Facts:
    s = uow.session
    certs = sorted({c for i in new for c in (i.checked.payer_cert_no, i.checked.relative_cert_no)})
    persons = {
        p.cert_no: p
        for p in s.scalars(select(Person).where(Person.cert_type == CERT_TYPE_RESIDENT_ID, Person.cert_no.in_(certs)))
    }
    payers = {persons[i.checked.payer_cert_no].id for i in new if i.checked.payer_cert_no in persons}
    relatives = {persons[i.checked.relative_cert_no].id for i in new if i.checked.relative_cert_no in persons}
    facts = _Facts(
        persons, defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list), {}, {}, {}, {}, {}, {}
    )
    if not persons:
        return facts
    e = Enrollment.__table__.c
    for person_id, insutype, region, status, start, end in s.execute(
        select(e.person_id, e.insutype, e.region_code, e.status, e.start_date, e.end_date)
        .where(e.person_id.in_(sorted(payers | relatives)))
        .order_by(e.id.desc())
    ):
        facts.insurances[person_id].append(F.Insurance(insutype, region, status))
        if insutype == RESIDENT_BASIC and status == EnrollmentStatus.NORMAL.value:
            facts.normal_390[person_id].append(region)
        if insutype == EMPLOYEE_BASIC:
            facts.employee_spells[person_id].append((start, end))
        elif insutype == RESIDENT_BASIC:
            facts.resident_spells[person_id].append((start, end))
    if payers:
        pa = PersonalAccount.__table__.c
        for person_id, status in s.execute(select(pa.person_id, pa.status).where(pa.person_id.in_(sorted(payers)))):
            facts.account_status[person_id] = status
    parties = sorted(payers | relatives)
    fc = FamilyFraudCase.__table__.c
    for case_id, authorizer_id, relative_id in s.execute(
        select(fc.id, fc.authorizer_id, fc.relative_id)
        .where(
            fc.status.in_(F.OPEN_CASE_STATUSES),
            or_(fc.authorizer_id.in_(parties), fc.relative_id.in_(parties)),
        )
        .order_by(fc.id)
    ):
        facts.open_case_parties.setdefault(authorizer_id, case_id)
        facts.open_case_parties.setdefault(relative_id, case_id)
    if payers and relatives:
        b = FamilyBinding.__table__.c
        for binding_id, authorizer_id, relative_id in s.execute(
            select(b.id, b.authorizer_id, b.relative_id).where(
                b.status == F.BINDING_ACTIVE, b.authorizer_id.in_(sorted(payers)), b.relative_id.in_(sorted(relatives))
            )
        ):
            facts.bindings[(authorizer_id, relative_id)] = binding_id
    if relatives:
        years = sorted({i.req.benefit_year for i in new})
        insutypes = sorted({i.req.insutype for i in new})
        for row in s.scalars(
            select(ResidentPremium)
            .where(
                ResidentPremium.person_id.in_(sorted(relatives)),
                ResidentPremium.benefit_year.in_(years),
                ResidentPremium.insutype.in_(insutypes),
            )
            .order_by(ResidentPremium.id)
            .with_for_update()
        ):
            facts.premiums[(row.person_id, row.benefit_year, row.insutype)] = row
        facts.subsidy_codes = categories.subsidy_codes_of(uow, relatives)
    # every account a request may draw on or credit: a superset of what the decisions will use
    codes: set[str] = set()
    for i in new:
        payer, relative = persons.get(i.checked.payer_cert_no), persons.get(i.checked.relative_cert_no)
        if payer is None or relative is None:
            continue
        try:
            binding_id = facts.bindings.get((payer.id, relative.id))
            codes.add(family_premiums.premium_funds_account(profile, authorizer_id=payer.id, binding_id=binding_id))
        except PremiumNoBinding:
            pass
        codes.update(premiums.premium_income_account(r, i.req.insutype) for r in facts.normal_390.get(relative.id, []))
    facts.accounts = ledger.lock_accounts(uow, codes)
    return facts


def _decide(uow: UnitOfWork, ctx: Ctx, profile: Profile, new: list[_New], facts: _Facts) -> list[_New]:
    """Run the checks of every new request in order; returns the requests to pay."""
    now = ctx.clock.now()
    balances = {code: a.balance_fen for code, a in facts.accounts.items()}
    paid_now: dict[tuple[int, int, str], _New] = {}  # premiums paid by an earlier request of the chunk
    paid: list[_New] = []
    for item in new:
        req, checked = item.req, item.checked
        relative_person = facts.persons.get(checked.relative_cert_no)
        try:
            # premiums._verify_and_pay
            payer, relative = premiums.check_parties(facts.persons.get(checked.payer_cert_no), relative_person)
            item.paid_on = premiums.window_day(profile, now, req)
            standard = premiums.check_premium_terms(profile, item.paid_on, req)
            region = premiums.resident_region_of(profile, facts.normal_390.get(relative.id, []))
            key = (relative.id, standard.benefit_year, standard.insutype)
            row = facts.premiums.get(key)
            premiums.check_not_paid(
                premiums.PAID if key in paid_now else row.status if row else premiums.UNPAID, standard
            )
            premiums.check_not_full_subsidy(profile, facts.subsidy_codes.get(relative.id, ()), standard, region)
            if checked.commitment is not None:
                premiums.check_commitment_relation(ctx, profile, checked.commitment, payer, relative)
            # family_premiums.pay_premium
            family_payment.check_use(profile, F.PREMIUM_USE, premium_insutype=req.insutype)
            family_common.authorizer_check(
                profile, facts.insurances.get(payer.id, []), account_status=facts.account_status.get(payer.id)
            )
            family_premiums.check_no_open_case(
                facts.open_case_parties.get(payer.id) or facts.open_case_parties.get(relative.id)
            )
            binding_id = facts.bindings.get((payer.id, relative.id))
            source = family_premiums.premium_funds_account(profile, authorizer_id=payer.id, binding_id=binding_id)
            family_premiums.check_premium_funds(balances.get(source, 0), req.amount_fen)
        except (ResidentRefusal, FamilyRefusal) as refusal:
            item.refusal = refusal
            # the answer shows the relative's premium as it stands now (premiums._premium_of)
            if relative_person is not None:
                view_key = (relative_person.id, req.benefit_year, req.insutype)
                if view_key in paid_now:
                    item.view_after = paid_now[view_key]  # read back once written
                elif view_key in facts.premiums:
                    item.view = premiums.premium_view(uow, facts.premiums[view_key])
            continue
        balances[source] -= req.amount_fen
        item.payer, item.relative, item.standard, item.region = payer, relative, standard, region
        item.source, item.binding_id = source, binding_id
        item.payee = premiums.premium_income_account(region, req.insutype)
        paid_now[key] = item
        paid.append(item)
    return paid


def _premium_values(uow: UnitOfWork, ctx: Ctx, profile: Profile, paid: list[_New], facts: _Facts) -> None:
    """The premium row each paid request leaves (``paid_premium_values`` + its waiting period)."""
    s = uow.session
    now, today = ctx.clock.now(), ctx.clock.today()
    relative_ids = sorted({i.relative.id for i in paid if i.relative is not None})
    rp = ResidentPremium.__table__.c
    paid_years: dict[int, set[int]] = defaultdict(set)
    for person_id, year in s.execute(
        select(rp.person_id, rp.benefit_year).where(rp.person_id.in_(relative_ids), rp.status == premiums.PAID)
    ):
        paid_years[person_id].add(year)
    for item in paid:
        assert item.relative is not None and item.standard is not None
        pid, year = item.relative.id, item.standard.benefit_year
        earlier = {y for y in paid_years[pid] if y < year}
        decision = waiting.decide_with_facts(  # waiting.record, over the facts of the chunk
            profile,
            birth_date=item.relative.birth_date,
            benefit_year=year,
            paid_on=item.paid_on or today,
            outside_window=False,
            paid_years=earlier,
            employee_spells=facts.employee_spells.get(pid, []),
            resident_spells=facts.resident_spells.get(pid, []),
        )
        item.premium_values = premiums.paid_premium_values(item.standard, item.req.amount_fen, now) | {
            "benefit_start": decision.benefit_start,
            "waiting_months": decision.waiting_months,
            "years_broken": decision.years_broken,
            "bought_back_months": 0,
        }
        paid_years[pid].add(year)  # a later request of the chunk reads it back, as one at a time


def _insert_with_ids(uow: UnitOfWork, conn: Connection, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` with the ids their inserts would have drawn (``ledger.next_ids``), by
    executemany without RETURNING (pipelined by psycopg); returns the ids in the order of ``rows``."""
    ids = ledger.next_ids(uow, model.__tablename__, len(rows))
    if rows:
        conn.execute(insert(model), [row | {"id": i} for row, i in zip(rows, ids, strict=True)])
    return ids


def _write_premiums(uow: UnitOfWork, conn: Connection, ctx: Ctx, paid: list[_New], facts: _Facts) -> None:
    """New premium rows inserted paid (a row another payer inserted since we read them is a race:
    the unique index refuses ours and the chunk reruns, as ``claim_premium`` waits and then reads
    it); rows that existed (unpaid, refunded; locked since we read them) updated."""
    now = ctx.clock.now()
    fresh: list[_New] = []
    updates: list[dict[str, Any]] = []
    for item in paid:
        assert item.relative is not None and item.standard is not None
        key = (item.relative.id, item.standard.benefit_year, item.standard.insutype)
        row = facts.premiums.get(key)
        if row is None:
            fresh.append(item)
        else:
            item.premium_id = row.id
            updates.append({"pk": row.id} | {f"v_{k}": v for k, v in item.premium_values.items()})
    if fresh:
        rows = []
        for item in fresh:
            assert item.relative is not None and item.standard is not None
            rows.append(
                {
                    "person_id": item.relative.id,
                    "benefit_year": item.standard.benefit_year,
                    "insutype": item.standard.insutype,
                    "region_code": item.region,
                    "created_at": now,
                }
                | item.premium_values
            )
        try:
            ids = _insert_with_ids(uow, conn, ResidentPremium, rows)
        except IntegrityError as exc:
            if "uq_resident_premium" not in str(exc.orig) and "resident_premium.person_id" not in str(exc.orig):
                raise
            raise RetryableConflict() from exc  # a concurrent payment made the row since we read: decide again
        for item, premium_id in zip(fresh, ids, strict=True):
            item.premium_id = premium_id
    if updates:
        columns = [k[2:] for k in updates[0] if k != "pk"]
        stmt_u = (
            update(ResidentPremium)
            .where(ResidentPremium.id == bindparam("pk"))
            .values({c: bindparam(f"v_{c}") for c in columns})
        )
        conn.execute(stmt_u, updates)


def _audit_row(ctx: Ctx, action: str, entity: str, entity_id: int, detail: dict[str, Any]) -> dict[str, Any]:
    """The audit_log row ``registry.audit_event`` adds for one request, as a row for a multi-row
    insert (an ORM object per row cost more than the rest of its request)."""
    return audit.row_values(
        actor=ctx.principal,
        action=action,
        entity=entity,
        entity_id=entity_id,
        now=ctx.clock.now(),
        channel=ctx.channel,
        detail=detail,
    )


def _write(uow: UnitOfWork, ctx: Ctx, new: list[_New], paid: list[_New], facts: _Facts) -> None:
    """Write what was decided, a statement (or a few) per table; then the answers."""
    conn = uow.session.connection()
    now = ctx.clock.now()
    user_id = ctx.principal.user_id
    if paid:
        missing = sorted({i.payee for i in paid} - set(facts.accounts))
        for code in missing:  # the income account of a region's first paid premium
            region = next(i.region for i in paid if i.payee == code)
            ledger.ensure_account(uow, code=code, kind=L.AccountKind.EXTERNAL, now=now, region_code=region)
        if missing:
            facts.accounts |= ledger.lock_accounts(uow, missing)

        # ledger: family_premiums.pay_premium's transaction for every paid request, in request order
        entries = []
        for item in paid:
            assert item.payer is not None and item.relative is not None
            item.pay_request = family_premiums.premium_pay_request(
                authorizer_id=item.payer.id,
                relative_id=item.relative.id,
                amount_fen=item.req.amount_fen,
                insutype=item.req.insutype,
                payee_account=item.payee,
                reference=item.req.request_id,
            )
            draft = family_premiums.premium_draft(
                idempotency_key=premiums.tax_payment_key(item.req.request_id),
                insutype=item.req.insutype,
                source=item.source,
                payee_account=item.payee,
                amount_fen=item.req.amount_fen,
            )
            extra = family_premiums.premium_txn_extra(relative_id=item.relative.id, authorizer_id=item.payer.id)
            entries.append(ledger.PostEntry(draft, item.pay_request, extra))
        posted = ledger.post_many(uow, entries, now=now, user_id=user_id, accounts=facts.accounts)
        if any(p.replayed for p in posted):
            # the key of a request never answered was used: a state the per-request path never leaves
            raise RuntimeError("a ledger transaction exists for a tax request that has no answer")

        # family_payment (+ family_draw): family_premiums.pay_premium's rows
        family_rows = []
        for item, result in zip(paid, posted, strict=True):
            assert item.payer is not None and item.relative is not None
            item.family_body = family_premiums.premium_payment_body(
                idempotency_key=premiums.tax_payment_key(item.req.request_id),
                relative_id=item.relative.id,
                authorizer_id=item.payer.id,
                insutype=item.req.insutype,
                amount_fen=item.req.amount_fen,
                binding_id=item.binding_id,
                source=item.source,
                txn_id=int(result.body["txn_id"]),
                now=now,
            )
            digest = L.request_hash(item.pay_request)
            family_rows.append(family_premiums.premium_payment_row(item.family_body, request_hash=digest, now=now))
        for item, payment_id in zip(paid, _insert_with_ids(uow, conn, FamilyPayment, family_rows), strict=True):
            item.family_body["payment_id"] = payment_id
        draws = [
            family_premiums.premium_draw_row(i.family_body, payment_id=i.family_body["payment_id"], now=now)
            for i in paid
            if i.binding_id is not None
        ]
        if draws:
            conn.execute(insert(FamilyDraw), draws)

        # premium_commitment (Henan), resident_premium, premium_payment: _verify_and_pay's rows
        signed = [i for i in paid if i.checked.commitment is not None]
        commitment_rows = []
        for item in signed:
            assert item.checked.commitment and item.payer and item.relative and item.standard
            commitment_rows.append(
                premiums.commitment_row(
                    item.checked.commitment,
                    payer_id=item.payer.id,
                    relative_id=item.relative.id,
                    benefit_year=item.standard.benefit_year,
                    request_id=item.req.request_id,
                    now=now,
                )
            )
        for item, commitment_id in zip(
            signed, _insert_with_ids(uow, conn, PremiumCommitment, commitment_rows), strict=True
        ):
            item.commitment_id = commitment_id
        _write_premiums(uow, conn, ctx, paid, facts)
        for item in paid:
            assert item.premium_id is not None and item.payer is not None
            item.payment_row = premiums.premium_payment_row(
                premium_id=item.premium_id,
                amount_fen=item.req.amount_fen,
                payer_id=item.payer.id,
                family=item.family_body,
                commitment_id=item.commitment_id,
                request_id=item.req.request_id,
                now=now,
            )
        payment_ids = _insert_with_ids(uow, conn, PremiumPayment, [i.payment_row for i in paid])

        # the paid answers: premiums.premium_view over the rows just written
        for item, payment_id in zip(paid, payment_ids, strict=True):
            assert item.relative is not None and item.standard is not None and item.premium_id is not None
            stored = facts.premiums.get((item.relative.id, item.standard.benefit_year, item.standard.insutype))
            columns = {a.key: getattr(stored, a.key) for a in ResidentPremium.__mapper__.column_attrs} if stored else {}
            if not stored:
                columns = {
                    "person_id": item.relative.id,
                    "benefit_year": item.standard.benefit_year,
                    "insutype": item.standard.insutype,
                    "region_code": item.region,
                    "created_at": now,
                }
            # the rows as the per-request path holds them after writing (plain objects: the view
            # reads attributes only, and an ORM instance per row cost more than the view)
            premium = SimpleNamespace(**(columns | item.premium_values | {"id": item.premium_id}))
            payment = SimpleNamespace(**(item.payment_row | {"id": payment_id}))
            view = premiums.premium_view(uow, cast(ResidentPremium, premium), payment=cast(PremiumPayment, payment))
            item.answer = premiums.tax_answer_body(item.req.request_id, premiums.PAID, premium=view)

    # the refusals showing a premium paid earlier in this chunk: the row as stored now
    after = {i.view_after.premium_id for i in new if i.view_after is not None and i.view_after.premium_id}
    if after:
        reread = uow.session.scalars(
            select(ResidentPremium).where(ResidentPremium.id.in_(after)).execution_options(populate_existing=True)
        )
        views = {p.id: premiums.premium_view(uow, p) for p in reread}
        for item in new:
            if item.view_after is not None and item.view_after.premium_id is not None:
                item.view = views[item.view_after.premium_id]
    for item in new:
        if item.refusal is not None:
            item.answer = premiums.tax_answer_body(
                item.req.request_id, premiums.REFUSED, refusal=item.refusal, premium=item.view
            )
        item.answer_json = premiums.tax_answer_json(item.answer)

    # tax_request: the answers under their request ids (a concurrent twin: the chunk reruns, replays)
    tax_rows = [
        {
            "request_id": i.req.request_id,
            "request_hash": i.digest,
            "kind": premiums.TAX_KIND,
            "status": i.answer["status"],
            "answer_json": i.answer_json,
            "user_id": user_id,
            "created_at": now,
        }
        for i in new
    ]
    try:
        tax_ids = _insert_with_ids(uow, conn, TaxRequest, tax_rows)
    except IntegrityError as exc:
        raise RetryableConflict() from exc
    audit = []
    for item, tax_id in zip(new, tax_ids, strict=True):
        if item.refusal is None:
            detail = family_premiums.premium_audit_detail(item.family_body)
            audit.append(_audit_row(ctx, "family.pay", "family_payment", item.family_body["payment_id"], detail))
        detail = premiums.tax_audit_detail(item.req, item.answer)
        audit.append(_audit_row(ctx, "tax.family_premium", "tax_request", tax_id, detail))
    conn.execute(insert(AuditLog), audit)


def _run_chunk_set(
    uow: UnitOfWork, ctx: Ctx, profile: Profile, chunk: list[premiums.TaxPremiumRequest], answers: Answers | None
) -> BatchResult:
    tally = BatchResult(requests=len(chunk), chunks=1)
    plan, new = _classify(uow, ctx, profile, chunk)
    if new:
        facts = _read_facts(uow, profile, new)
        paid = _decide(uow, ctx, profile, new, facts)
        if paid:
            _premium_values(uow, ctx, profile, paid, facts)
        _write(uow, ctx, new, paid, facts)
    uow.commit()
    for req, entry in zip(chunk, plan, strict=True):
        if isinstance(entry, _Rejected):
            _reject(tally, entry.err)
            answer = _rejected(req, entry.err)
        elif isinstance(entry, _New):
            answer = entry.answer
            tally.count(answer, replayed=False)
        else:  # the stored answer, read back as the use case reads it
            answer = json.loads(entry.answer_json if isinstance(entry, _Replay) else entry.first.answer_json)
            tally.count(answer, replayed=True)
        if answers is not None:
            answers.append((req, answer))
    return tally


# --- the entry point -------------------------------------------------------------------------------------


def tax_family_payments_batch(
    uow_factory: Callable[[], UnitOfWork],
    ctx: Ctx,
    profile: Profile,
    requests: Iterable[premiums.TaxPremiumRequest],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_answer: AnswerSink | None = None,
    on_chunk: Callable[[BatchResult], None] | None = None,
    mode: Mode = "set",
) -> BatchResult:
    """Answer the tax bureau's requests of a batch, ``batch_size`` per transaction.

    ``requests`` is read lazily, one chunk at a time. ``on_answer(request, answer)`` is called
    for every request once its chunk is committed (a rejected request gets ``status:
    "rejected"`` with the error's code); ``on_chunk(total)`` after each chunk with the running
    counts. ``mode``: "set" (default) decides a chunk at once; "per_request" calls
    ``premiums.tax_family_payment`` for each request — the same answers and rows, ~30 statements
    per request. Returns the counts of the whole batch. The caller must be the tax bureau
    (Forbidden before anything is read otherwise).
    """
    ctx.principal.require(Role.TAX)
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(f"batch_size must be 1..{MAX_BATCH_SIZE}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    run_chunk = _run_chunk_set if mode == "set" else _run_chunk_per_request
    total = BatchResult()
    for chunk in _chunks(requests, batch_size):

        def go(uow: UnitOfWork, chunk: list[premiums.TaxPremiumRequest] = chunk) -> tuple[BatchResult, Answers | None]:
            answers: Answers | None = [] if on_answer is not None else None  # a rerun starts afresh
            return run_chunk(uow, ctx, profile, chunk, answers), answers

        tally, answers = run(uow_factory, go)
        total.add(tally)
        if on_answer is not None and answers is not None:
            for req, answer in answers:
                on_answer(req, answer)
        if on_chunk is not None:
            on_chunk(total)
    return total
