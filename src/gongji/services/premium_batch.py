"""The tax bureau's 代缴 requests sent as a batch (issue 5; SPEC §6, seed 003 附件三(二)).

``tax_family_payments_batch`` streams requests through the same use case as the HTTP interface,
``premiums.tax_family_payment``: every check, refusal and stored answer is the same, only the
transactions are bigger. The requests are read ``batch_size`` at a time from any iterable (a
generator over a file is fine); each chunk runs in ONE unit of work and is committed before the
next one is read. Nothing of the whole batch is kept: the result holds counts, and the answers
go to ``on_answer`` as each chunk commits (at most one chunk of answers is in memory).

Per request, as over HTTP:

- a business refusal (``status: "refused"``, e.g. ``E_RESIDENT_INSUFFICIENT_FUNDS``) is stored
  and counted under ``refused`` with its reason code; nothing is debited;
- a request id already answered, with the same body, gets the stored answer again and moves no
  money (``replayed``) — so a batch may be sent again after a failure, whole;
- the same request id with another body is ``E_IDEMPOTENCY_MISMATCH`` (``conflicts``) and a
  malformed request is 422 (``invalid``): neither is stored, both are passed to ``on_answer``
  as ``status: "rejected"``, and the batch goes on. ``tax_family_payment`` raises both before it
  writes anything, so the chunk's transaction is untouched.

Failures: a transient conflict (deadlock, serialization failure, a concurrent twin of a request
id) reruns the whole chunk, as ``unit_of_work.run`` does for any use case. Any other exception
rolls the current chunk back and propagates; the chunks before it stay committed, and sending
the batch again replays them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import TaxRequest
from gongji.adapters.db.unit_of_work import UnitOfWork, run
from gongji.domain.errors import GongjiError, IdempotencyConflict, InvalidInput
from gongji.policy.schema import Profile
from gongji.services import premiums
from gongji.services.auth import Role
from gongji.services.registry import Ctx

DEFAULT_BATCH_SIZE = 500
MAX_BATCH_SIZE = 10_000
REJECTED = "rejected"  # on_answer status of a request that was not stored (conflict, malformed)

AnswerSink = Callable[[premiums.TaxPremiumRequest, dict[str, Any]], None]


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


def _claimed(uow: UnitOfWork, req: premiums.TaxPremiumRequest) -> bool:
    """Whether this transaction holds a tax_request row for the request id (a safety net: a
    rejected request must have left nothing behind). Rejections are rare, so one query each."""
    if not isinstance(req.request_id, str):
        return False
    return uow.session.scalar(select(TaxRequest.id).where(TaxRequest.request_id == req.request_id)) is not None


def _run_chunk(
    uow: UnitOfWork,
    ctx: Ctx,
    profile: Profile,
    chunk: list[premiums.TaxPremiumRequest],
    answers: list[tuple[premiums.TaxPremiumRequest, dict[str, Any]]] | None,
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
            if isinstance(err, IdempotencyConflict):
                tally.conflicts += 1
            else:
                tally.invalid += 1
            answer = _rejected(req, err)
        else:
            if req.request_id in answered:
                tally.replayed += 1
            elif answer["status"] == premiums.PAID:
                tally.paid += 1
            else:
                tally.refused += 1
                tally.reasons[answer["reason_code"]] += 1
            answered.add(req.request_id)
        if answers is not None:
            answers.append((req, answer))
    uow.commit()
    return tally


def tax_family_payments_batch(
    uow_factory: Callable[[], UnitOfWork],
    ctx: Ctx,
    profile: Profile,
    requests: Iterable[premiums.TaxPremiumRequest],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_answer: AnswerSink | None = None,
    on_chunk: Callable[[BatchResult], None] | None = None,
) -> BatchResult:
    """Answer the tax bureau's requests of a batch, ``batch_size`` per transaction.

    ``requests`` is read lazily, one chunk at a time. ``on_answer(request, answer)`` is called
    for every request once its chunk is committed (a rejected request gets ``status:
    "rejected"`` with the error's code); ``on_chunk(total)`` after each chunk with the running
    counts. Returns the counts of the whole batch. The caller must be the tax bureau (Forbidden
    before anything is read otherwise).
    """
    ctx.principal.require(Role.TAX)
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(f"batch_size must be 1..{MAX_BATCH_SIZE}")
    total = BatchResult()
    for chunk in _chunks(requests, batch_size):

        def go(
            uow: UnitOfWork, chunk: list[premiums.TaxPremiumRequest] = chunk
        ) -> tuple[BatchResult, list[tuple[premiums.TaxPremiumRequest, dict[str, Any]]] | None]:
            answers: list[tuple[premiums.TaxPremiumRequest, dict[str, Any]]] | None = (
                [] if on_answer is not None else None
            )  # a rerun of the chunk starts afresh
            return _run_chunk(uow, ctx, profile, chunk, answers), answers

        tally, answers = run(uow_factory, go)
        total.add(tally)
        if on_answer is not None and answers is not None:
            for req, answer in answers:
                on_answer(req, answer)
        if on_chunk is not None:
            on_chunk(total)
    return total
