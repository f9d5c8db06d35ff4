"""The citizen's documents: 参保证明 (proof of insurance) and 个人账户对账单 (account statement), issue 17.

Each is issued on request, its facts fixed once in ``citizen_document`` under a fresh serial, and
printed with the HMAC verification code of those facts (``domain.certificates``) and a QR code of
``/verify/{serial}?code=…`` — the same check as the premium certificate (缴费证明), which stays in
``services.resident.views``. The statement is computed from the ledger: each personal account's
balance before the period, its postings in the period in order (running balances checked), the
closing balance. Narrations are masked (``mask_text``); names and ID numbers appear masked on
the PDF and on the verify page.
"""

from __future__ import annotations

import json
import secrets
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from gongji.adapters.db.models import (
    CitizenDocument,
    Enrollment,
    LedgerAccount,
    LedgerPosting,
    LedgerTxn,
    PremiumPayment,
    ResidentPremium,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.domain import certificates as C
from gongji.domain import ledger as L
from gongji.domain.clock import SHANGHAI, local_date
from gongji.domain.errors import InvalidRequest, InvalidStateTransition, NotFound
from gongji.domain.masking import mask_id_number, mask_name, mask_text
from gongji.domain.registry import INSUTYPES, STATUS_ZH, EnrollmentStatus
from gongji.services.registry.persons import Ctx, audit_event, enrollment_view, get_person, person_regions
from gongji.services.resident.premiums import PAID
from gongji.services.resident.premiums import STATUS_ZH as PREMIUM_STATUS_ZH
from gongji.services.resident.views import CERT_CHANNEL, certificate_secret

SERIAL_PREFIX = {C.INSURANCE_PROOF: "CB", C.ACCOUNT_STATEMENT: "DZ"}
MAX_STATEMENT_DAYS = 366
MAX_STATEMENT_LINES = 500
ACCOUNT_NAMES = {"current": "当年账户", "past": "历年账户"}
_SERIAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _serial(kind: str, day: date) -> str:
    """``CB20261123K7QM3XPA``: kind, issue date, 8 random symbols (unguessable, never reused)."""
    return f"{SERIAL_PREFIX[kind]}{day:%Y%m%d}" + "".join(secrets.choice(_SERIAL_ALPHABET) for _ in range(8))


def is_document_serial(serial: str) -> bool:
    return serial[:2] in SERIAL_PREFIX.values()


def _issuer(uow: UnitOfWork, person_id: int) -> str:
    """The medical security office of the person's insured city (出具机构; its seal on the PDF)."""
    regions = person_regions(uow, person_id)
    if not regions:
        return "医疗保障经办机构"
    city = regions[0][:4] + "00"
    return f"{region_table().name(city)}医疗保障局"


def _store(uow: UnitOfWork, ctx: Ctx, person_id: int, facts: C.DocumentFacts) -> dict[str, Any]:
    row = CitizenDocument(
        serial=facts.serial,
        kind=facts.kind,
        person_id=person_id,
        facts_json=facts_json(facts),
        issued_by_user_id=ctx.principal.user_id,
        created_at=facts.issued_at,
    )
    uow.session.add(row)
    uow.session.flush()
    audit_event(uow, ctx, f"document.issue.{facts.kind}", "citizen_document", row.id)
    return {"facts": facts, "serial": facts.serial, "code": C.document_code(facts, certificate_secret())}


def facts_json(facts: C.DocumentFacts) -> str:
    return json.dumps(
        {
            "kind": facts.kind,
            "serial": facts.serial,
            "person_name": facts.person_name,
            "cert_no": facts.cert_no,
            "issuer": facts.issuer,
            "issued_at": facts.issued_at.isoformat(),
            "body": facts.body,
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def facts_from_json(text: str) -> C.DocumentFacts:
    body = json.loads(text)
    body["issued_at"] = datetime.fromisoformat(body["issued_at"])
    return C.DocumentFacts(**body)


def _subject(uow: UnitOfWork, ctx: Ctx, person_id: int) -> Any:
    person = get_person(uow, person_id)
    ctx.principal.require_person_access(person_id=person_id, regions=person_regions(uow, person_id))
    return person


def issue_insurance_proof(uow: UnitOfWork, ctx: Ctx, *, person_id: int) -> dict[str, Any]:
    """参保证明 as of today: every enrollment of the person (insurance, place, category, status,
    dates). A person with no enrollment gets none (nothing to prove)."""
    person = _subject(uow, ctx, person_id)
    enrollments = list(
        uow.session.scalars(select(Enrollment).where(Enrollment.person_id == person_id).order_by(Enrollment.id))
    )
    if not enrollments:
        raise InvalidStateTransition("暂无参保记录，不能开具参保证明", "No enrollment: no proof of insurance")
    now = ctx.clock.now().replace(microsecond=0)
    rows = []
    for e in enrollments:
        v = enrollment_view(e)
        rows.append(
            {
                "insutype_name": v["insutype_name"],
                "region_name": v["region_name"],
                "psn_type_name": v["psn_type_name"],
                "status_name": STATUS_ZH.get(EnrollmentStatus(e.status), e.status),
                "start_date": v["start_date"],
                "end_date": v["end_date"] or "",
            }
        )
    facts = C.DocumentFacts(
        kind=C.INSURANCE_PROOF,
        serial=_serial(C.INSURANCE_PROOF, local_date(now)),
        person_name=person.name,
        cert_no=person.cert_no,
        issuer=_issuer(uow, person_id),
        issued_at=now,
        body={"as_of": local_date(now).isoformat(), "enrollments": rows},
    )
    return _store(uow, ctx, person_id, facts)


def _account_of(code: str) -> str:
    return ACCOUNT_NAMES.get(code.rsplit(":", 1)[-1], "个人账户")


def issue_account_statement(uow: UnitOfWork, ctx: Ctx, *, person_id: int, start: date, end: date) -> dict[str, Any]:
    """个人账户对账单 for ``start``–``end`` (Beijing days, at most a year, not after today): the
    opening balance (postings before the period), each posting in the period with its running
    balance, the credits, the debits and the closing balance — all read from the ledger."""
    person = _subject(uow, ctx, person_id)
    today = ctx.clock.today()
    if start > end:
        raise InvalidRequest("开始日期不能晚于结束日期", "start must not be after end", field="start")
    if end > today:
        raise InvalidRequest("结束日期不能晚于今天", "end must not be after today", field="end")
    if (end - start).days + 1 > MAX_STATEMENT_DAYS:
        raise InvalidRequest("对账期间最长一年", "The period is at most one year", field="start")
    codes = [L.personal_current(person_id), L.personal_past(person_id)]
    accounts = dict(
        uow.session.execute(select(LedgerAccount.code, LedgerAccount.id).where(LedgerAccount.code.in_(codes))).all()
    )
    if not accounts:
        raise InvalidStateTransition("您没有职工医保个人账户，无对账单", "No personal account: no statement")
    begin = datetime.combine(start, time(), SHANGHAI)
    finish = datetime.combine(end + timedelta(days=1), time(), SHANGHAI)
    openings = {
        code: int(
            uow.session.scalar(
                select(func.coalesce(func.sum(LedgerPosting.amount_fen), 0))
                .join(LedgerTxn, LedgerTxn.id == LedgerPosting.txn_id)
                .where(LedgerPosting.account_id == account_id, LedgerTxn.created_at < begin)
            )
            or 0
        )
        for code, account_id in accounts.items()
    }
    by_id = {account_id: code for code, account_id in accounts.items()}
    postings = uow.session.execute(
        select(
            LedgerPosting.account_id,
            LedgerPosting.amount_fen,
            LedgerPosting.balance_after_fen,
            LedgerTxn.created_at,
            LedgerTxn.narration,
        )
        .join(LedgerTxn, LedgerTxn.id == LedgerPosting.txn_id)
        .where(LedgerPosting.account_id.in_(by_id), LedgerTxn.created_at >= begin, LedgerTxn.created_at < finish)
        .order_by(LedgerPosting.id)
        .limit(MAX_STATEMENT_LINES + 1)
    ).all()
    if len(postings) > MAX_STATEMENT_LINES:
        raise InvalidRequest(
            f"该期间账户明细超过{MAX_STATEMENT_LINES}笔，请缩短对账期间",
            f"More than {MAX_STATEMENT_LINES} movements: choose a shorter period",
            field="start",
        )
    totals = C.statement_totals(openings, [(by_id[a], int(amt), int(after)) for a, amt, after, _, _ in postings])
    now = ctx.clock.now().replace(microsecond=0)
    lines = [
        {
            "date": local_date(at).isoformat(),
            "account": _account_of(by_id[a]),
            "narration": mask_text(narration or "")[:60],
            "amount_fen": int(amt),
        }
        for a, amt, _after, at, narration in postings
    ]
    running = totals.opening_fen
    for line, (_a, amt, _after, _at, _n) in zip(lines, postings, strict=True):
        running += int(amt)
        line["balance_fen"] = running  # the person's total across both accounts after the line
    facts = C.DocumentFacts(
        kind=C.ACCOUNT_STATEMENT,
        serial=_serial(C.ACCOUNT_STATEMENT, local_date(now)),
        person_name=person.name,
        cert_no=person.cert_no,
        issuer=_issuer(uow, person_id),
        issued_at=now,
        body={
            "period_start": start.isoformat(),
            "period_end": end.isoformat(),
            "opening_fen": totals.opening_fen,
            "credits_fen": totals.credits_fen,
            "debits_fen": totals.debits_fen,
            "closing_fen": totals.closing_fen,
            "lines": lines,
        },
    )
    return _store(uow, ctx, person_id, facts)


def documents_of(uow: UnitOfWork, ctx: Ctx, *, person_id: int) -> list[dict[str, Any]]:
    """The documents issued to the person, newest first (for 证明与缴费记录)."""
    _subject(uow, ctx, person_id)
    rows = uow.session.scalars(
        select(CitizenDocument).where(CitizenDocument.person_id == person_id).order_by(CitizenDocument.id.desc())
    )
    out = []
    for row in rows.all()[:100]:
        facts = facts_from_json(row.facts_json)
        out.append(
            {
                "serial": row.serial,
                "kind": row.kind,
                "title": C.DOCUMENT_TITLES[row.kind],
                "issued_at": facts.issued_at,
                "year": local_date(facts.issued_at).year,
                "period": (
                    f"{facts.body['period_start']} 至 {facts.body['period_end']}"
                    if row.kind == C.ACCOUNT_STATEMENT
                    else f"截至 {facts.body['as_of']}"
                ),
            }
        )
    return out


def stored_document(uow: UnitOfWork, ctx: Ctx, *, person_id: int, serial: str) -> dict[str, Any]:
    """A document issued before, to download again (the same facts and code)."""
    _subject(uow, ctx, person_id)
    row = uow.session.scalar(select(CitizenDocument).where(CitizenDocument.serial == serial[:32]))
    if row is None or row.person_id != person_id:
        raise NotFound("证明不存在", "Document not found")
    facts = facts_from_json(row.facts_json)
    return {"facts": facts, "serial": facts.serial, "code": C.document_code(facts, certificate_secret())}


def verify(uow: UnitOfWork, *, serial: str, code: str) -> dict[str, Any]:
    """Public check: ``valid`` with the masked facts when the code matches the stored facts;
    ``invalid`` and nothing else for a wrong code, an unknown serial or a tampered row."""
    nothing: dict[str, Any] = {"result": "invalid", "facts": None}
    if not 1 <= len(serial) <= 32 or C.normalize_code(code or "") is None:
        return nothing
    row = uow.session.scalar(select(CitizenDocument).where(CitizenDocument.serial == serial))
    if row is None:
        return nothing
    try:
        facts = facts_from_json(row.facts_json)
    except (ValueError, KeyError, TypeError):
        return nothing
    if facts.serial != serial or not C.verify_document(facts, code, certificate_secret()):
        return nothing
    return {"result": "valid", "facts": masked(facts)}


def masked(facts: C.DocumentFacts) -> dict[str, Any]:
    """What anyone holding the document sees on the verify page: names and ID number masked, the
    statement as its totals (the lines stay on the paper)."""
    issued = facts.issued_at.astimezone(SHANGHAI)
    view: dict[str, Any] = {
        "kind": facts.kind,
        "title": C.DOCUMENT_TITLES[facts.kind],
        "serial": facts.serial,
        "person_name": mask_name(facts.person_name),
        "cert_no": mask_id_number(facts.cert_no),
        "issuer": facts.issuer,
        "issued_at": f"{issued.year}年{issued.month}月{issued.day}日 {issued:%H:%M}",
    }
    if facts.kind == C.ACCOUNT_STATEMENT:
        b = facts.body
        view |= {k: b[k] for k in ("period_start", "period_end", "opening_fen", "credits_fen", "debits_fen")}
        view |= {"closing_fen": b["closing_fen"], "line_count": len(b["lines"])}
    else:
        view |= {"as_of": facts.body["as_of"], "enrollments": facts.body["enrollments"]}
    return view


def premium_records(uow: UnitOfWork, ctx: Ctx, *, person_id: int) -> list[dict[str, Any]]:
    """缴费记录 by benefit year, newest first: the person's own resident premiums and those they
    paid for relatives from the family account, each with what its 缴费证明 needs."""
    _subject(uow, ctx, person_id)
    rows = uow.session.execute(
        select(PremiumPayment, ResidentPremium)
        .join(ResidentPremium, ResidentPremium.id == PremiumPayment.premium_id)
        .where(
            PremiumPayment.reverses_id.is_(None),
            PremiumPayment.amount_fen > 0,
            or_(ResidentPremium.person_id == person_id, PremiumPayment.payer_person_id == person_id),
        )
        .order_by(ResidentPremium.benefit_year.desc(), PremiumPayment.id.desc())
        .limit(200)
    ).all()
    out = []
    for payment, premium in rows:
        mine = premium.person_id == person_id
        out.append(
            {
                "payment_id": payment.id,
                "benefit_year": premium.benefit_year,
                "insutype_name": INSUTYPES.get(premium.insutype, "城乡居民医疗保险"),
                "for_whom": "本人" if mine else mask_name(get_person(uow, premium.person_id).name),
                "amount_fen": payment.amount_fen,
                "paid_on": local_date(payment.created_at).isoformat(),
                "channel_name": C.CHANNELS.get(CERT_CHANNEL.get(payment.channel, payment.channel), "其他渠道"),
                "status_name": PREMIUM_STATUS_ZH.get(payment.status, payment.status),
                "paid": payment.status == PAID,
            }
        )
    return out
