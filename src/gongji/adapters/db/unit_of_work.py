"""Unit of work: one database transaction per use case; only ``commit()`` persists.

``run`` executes a use case, retrying the whole of it on a serialization failure, a
deadlock, SQLite's busy lock, or a concurrent insert of the same idempotency key (the retry
then finds the first request's answer and replays it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from gongji.adapters.db.engine import is_retryable

T = TypeVar("T")
MAX_ATTEMPTS = 8


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


class UnitOfWork:
    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        return self

    def __exit__(self, *exc: object) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def flush(self) -> None:
        self.session.flush()


class RetryableConflict(Exception):
    """Raised by a use case that lost a race it can win by running again."""


def run(uow_factory: Callable[[], UnitOfWork], use_case: Callable[[UnitOfWork], T]) -> T:
    """Run ``use_case`` in a fresh unit of work, retrying transient conflicts."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with uow_factory() as uow:
                return use_case(uow)
        except (OperationalError, IntegrityError, RetryableConflict) as exc:
            transient = isinstance(exc, RetryableConflict) or is_retryable(exc)
            if isinstance(exc, IntegrityError) and _is_idempotency_race(exc):
                transient = True
            if not transient or attempt == MAX_ATTEMPTS:
                raise
            time.sleep(0.002 * attempt)
    raise AssertionError("unreachable")


def _is_idempotency_race(exc: IntegrityError) -> bool:
    text = str(exc.orig)
    return (
        "idempotency_key" in text
        or "uq_ledger_txn" in text
        or "uq_nhsa_message_msgid" in text
        or "nhsa_message.msgid" in text
        or "uq_account_income_live" in text  # a twin month's income: the rerun answers E_DUPLICATE
        or "account_income.person_id, account_income.month" in text
        or "uq_settlement_in_force" in text  # a twin settlement: the rerun answers E_SETL_SETTLED
        or "settlement.visit_id, settlement.chrg_bchno" in text
    )
