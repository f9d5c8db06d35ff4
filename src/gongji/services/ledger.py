"""Posting ledger transactions: balanced, append-only, idempotent, never below zero.

``post`` is the only way money moves. It runs inside the caller's unit of work so a use
case's registry change and its money move commit together. Its steps:

1. the idempotency key is looked up: a stored transaction with the same request hash is
   replayed (its stored answer, nothing moves); a different hash is IdempotencyConflict;
2. postings are validated (Σ = 0, 2..64 postings, whole fen), and personal or family money is
   never paid to a cash payout account or the assistance fund (which pays cash) except by an
   invoiced reimbursement (``check_no_cash_out``);
3. each account is changed by one conditional UPDATE, in account-id order (no deadlocks):
   ``balance_fen = balance_fen + Δ WHERE id = ? AND (NOT non_negative OR balance_fen + Δ >= 0)``.
   No row updated means the balance would go negative: InsufficientBalance, and the whole
   unit of work rolls back. The database serializes concurrent debits of one account
   (PostgreSQL row lock; SQLite's BEGIN IMMEDIATE), so no update is lost;
4. the transaction row and its postings are inserted (a concurrent twin of the key hits the
   unique index; the unit of work reruns it and it replays the first answer).

``post_many`` records many transactions as if ``post`` were called for each in turn (same rows,
same answers, same idempotency), with a few statements for all of them: the accounts locked
``FOR UPDATE`` in id order in one statement (``lock_accounts``), the balances followed in
Python transaction by transaction, then multi-row inserts and one UPDATE per 500 accounts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, DateTime, TextClause, and_, bindparam, func, insert, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gongji.adapters.db.models import LedgerAccount, LedgerPosting, LedgerTxn, PersonalAccount
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain.errors import (
    AccountFrozen,
    IdempotencyConflict,
    InsufficientBalance,
    InvalidRequest,
    InvalidStateTransition,
    NotFound,
)
from gongji.domain.ledger import (
    CASH_SIDE_PREFIXES,
    MAX_POSTINGS,
    NON_NEGATIVE_KINDS,
    AccountKind,
    Posting,
    TransactionDraft,
    check_no_cash_out,
    is_invoiced_reimbursement,
    request_hash,
    reversal_of,
    validate_postings,
)

MAX_KEY_LENGTH = 255

# The hot path runs plain SQL through the session's connection: building ORM statements on
# every debit cost more CPU than the database spent on them (bench/README.md). The SQL is the
# same on SQLite and PostgreSQL.
_FIND_TXN = text("SELECT id, request_hash, result_json FROM ledger_txn WHERE idempotency_key = :key")
_FIND_ACCOUNTS = text(
    "SELECT a.code, a.id, p.status FROM ledger_account a"
    " LEFT JOIN personal_account p ON p.person_id = a.person_id AND a.kind = 'personal' WHERE a.code IN :codes"
).bindparams(bindparam("codes", expanding=True))
_APPLY_DELTA = text(
    "UPDATE ledger_account SET balance_fen = balance_fen + :delta"
    " WHERE id = :id AND (NOT non_negative OR balance_fen + :delta >= 0) RETURNING balance_fen"
)
_INSERT_TXN = text(
    "INSERT INTO ledger_txn (idempotency_key, request_hash, kind, narration, reverses_txn_id, user_id,"
    " created_at, result_json) VALUES (:idempotency_key, :request_hash, :kind, :narration, :reverses_txn_id,"
    " :user_id, :created_at, :result_json) RETURNING id"
).bindparams(bindparam("created_at", type_=DateTime(timezone=True)))
_FIND_TXNS = text(
    "SELECT id, idempotency_key, request_hash, result_json FROM ledger_txn WHERE idempotency_key IN :keys"
).bindparams(bindparam("keys", expanding=True))
_APPLY_MANY_ROWS = 500  # accounts per UPDATE of post_many (2 parameters each)
_NEXT_IDS = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)")


@lru_cache(maxsize=MAX_POSTINGS)
def _insert_postings(count: int) -> TextClause:
    rows = ", ".join(f"(:txn, :a{i}, :m{i}, :b{i})" for i in range(count))
    return text(f"INSERT INTO ledger_posting (txn_id, account_id, amount_fen, balance_after_fen) VALUES {rows}")


@lru_cache(maxsize=8)
def _apply_deltas(count: int) -> TextClause:
    """Add a delta to each of ``count`` accounts, under the same guard as _APPLY_DELTA (the same
    SQL on SQLite ≥ 3.35 and PostgreSQL: UPDATE … FROM (VALUES …) … RETURNING)."""
    rows = ", ".join(f"(CAST(:i{i} AS BIGINT), CAST(:d{i} AS BIGINT))" for i in range(count))
    return text(
        "UPDATE ledger_account SET balance_fen = ledger_account.balance_fen + v.column2"
        f" FROM (VALUES {rows}) AS v WHERE ledger_account.id = v.column1"
        " AND (NOT ledger_account.non_negative OR ledger_account.balance_fen + v.column2 >= 0)"
        " RETURNING ledger_account.id, ledger_account.balance_fen"
    )


def require_idempotency_key(key: str) -> None:
    """A client's idempotency key: 1..255 characters (the ledger's and other stores' column)."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidRequest(
            "幂等键（Idempotency-Key）必填，且不超过255个字符",
            "An idempotency key of 1..255 characters is required",
            field="idempotency_key",
        )


@dataclass(frozen=True)
class PostResult:
    body: dict[str, Any]
    replayed: bool


def ensure_account(
    uow: UnitOfWork,
    *,
    code: str,
    kind: AccountKind,
    now: datetime,
    person_id: int | None = None,
    region_code: str | None = None,
) -> LedgerAccount:
    """Return the account with ``code``, creating it (balance 0) if it does not exist.

    Safe under concurrency: the insert is ``ON CONFLICT DO NOTHING`` (PostgreSQL waits for a
    concurrent creator to commit), then the row is read back.
    """
    found = uow.session.scalar(select(LedgerAccount).where(LedgerAccount.code == code))
    if found is not None:
        return found
    values = {
        "code": code,
        "kind": kind.value,
        "person_id": person_id,
        "region_code": region_code,
        "non_negative": kind in NON_NEGATIVE_KINDS,
        "opening_fen": 0,
        "balance_fen": 0,
        "created_at": now,
    }
    dialect = uow.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    uow.session.execute(insert(LedgerAccount).values(**values).on_conflict_do_nothing(index_elements=["code"]))
    return uow.session.scalars(select(LedgerAccount).where(LedgerAccount.code == code)).one()


_LOCK_ONE = (
    select(LedgerAccount.__table__.c.balance_fen)
    .where(LedgerAccount.__table__.c.code == bindparam("code"))
    .with_for_update()
)


def lock_or_create(
    uow: UnitOfWork, *, code: str, kind: AccountKind, now: datetime, region_code: str | None = None
) -> int:
    """The balance of account ``code``, locked until the unit of work ends (as ``lock_balances``),
    the account created first (as ``ensure_account``) when missing: one statement when it exists."""
    conn = uow.session.connection()
    balance = conn.execute(_LOCK_ONE, {"code": code}).scalar()
    if balance is None:
        ensure_account(uow, code=code, kind=kind, now=now, region_code=region_code)
        balance = conn.execute(_LOCK_ONE, {"code": code}).scalar_one()
    return int(balance)


def post(
    uow: UnitOfWork,
    draft: TransactionDraft,
    *,
    request: Mapping[str, Any],
    now: datetime,
    user_id: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> PostResult:
    """Record ``draft`` (or replay it); see the module docstring for the guarantees."""
    key = draft.idempotency_key
    require_idempotency_key(key)
    digest = request_hash(request)
    conn = uow.session.connection()
    existing = conn.execute(_FIND_TXN, {"key": key}).first()
    if existing is not None:
        if existing.request_hash != digest:
            raise IdempotencyConflict(idempotency_key=key)
        return PostResult(json.loads(existing.result_json) | {"txn_id": existing.id}, replayed=True)

    postings = validate_postings(draft.postings)
    check_no_cash_out(draft, extra)
    rows = conn.execute(_FIND_ACCOUNTS, {"codes": sorted({p.account_code for p in postings})}).all()
    account_ids = {code: account_id for code, account_id, _ in rows}
    _check_accounts(postings, account_ids, {code for code, _, status in rows if status == "frozen"})

    deltas = _deltas(postings, account_ids)
    balances: dict[int, int] = {}
    for account_id in sorted(deltas):  # id order: concurrent transactions cannot deadlock
        balance = conn.execute(_APPLY_DELTA, {"delta": deltas[account_id], "id": account_id}).scalar()
        if balance is None:
            code = next(c for c, a in account_ids.items() if a == account_id)
            raise InsufficientBalance(account=code, requested_fen=-deltas[account_id])
        balances[account_id] = int(balance)

    lines = _lines(postings, account_ids, {a: balances[a] - deltas[a] for a in deltas})
    body = _body(draft, now, lines, extra)
    # The stored answer leaves out txn_id (not known before the insert); replays add it back.
    # A concurrent twin of this key fails on the unique index here; the unit of work reruns
    # it, and then it finds this transaction and replays it.
    txn_id = conn.execute(_INSERT_TXN, _txn_row(draft, digest, now, user_id, body)).scalar_one()
    params: dict[str, Any] = {"txn": txn_id}
    for i, line in enumerate(lines):
        params |= {f"a{i}": account_ids[line["account"]], f"m{i}": line["amount_fen"], f"b{i}": line["balance_fen"]}
    conn.execute(_insert_postings(len(lines)), params)
    return PostResult(body | {"txn_id": txn_id}, replayed=False)


# --- the steps post and post_many share ---------------------------------------------------------------


def _check_accounts(postings: Sequence[Posting], account_ids: Mapping[str, int], frozen: set[str]) -> None:
    missing = sorted({p.account_code for p in postings} - set(account_ids))
    if missing:
        raise NotFound("账户不存在", "Ledger account not found", accounts=missing)
    if any(p.amount_fen < 0 and p.account_code in frozen for p in postings):
        raise AccountFrozen()


def _deltas(postings: Sequence[Posting], account_ids: Mapping[str, int]) -> dict[int, int]:
    deltas: dict[int, int] = {}
    for p in postings:
        account_id = account_ids[p.account_code]
        deltas[account_id] = deltas.get(account_id, 0) + p.amount_fen
    return deltas


def _lines(
    postings: Sequence[Posting], account_ids: Mapping[str, int], before: Mapping[int, int]
) -> list[dict[str, Any]]:
    """The answer's postings: the balance after each one, in posting order, starting from the
    balances ``before`` the transaction (ending at the stored balance)."""
    running: dict[int, int] = {}
    lines = []
    for p in postings:
        account_id = account_ids[p.account_code]
        running[account_id] = running.get(account_id, before[account_id]) + p.amount_fen
        lines.append({"account": p.account_code, "amount_fen": p.amount_fen, "balance_fen": running[account_id]})
    return lines


def _body(
    draft: TransactionDraft, now: datetime, lines: list[dict[str, Any]], extra: Mapping[str, Any] | None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "idempotency_key": draft.idempotency_key,
        "kind": draft.kind,
        "narration": draft.narration,
        "created_at": now.isoformat(),
        "postings": lines,
    }
    if draft.reverses_txn_id is not None:
        body["reverses_txn_id"] = draft.reverses_txn_id
    if extra:
        body.update(extra)
    return body


def _txn_row(
    draft: TransactionDraft, digest: str, now: datetime, user_id: int | None, body: Mapping[str, Any]
) -> dict[str, Any]:
    """The ledger_txn row (column → value); its stored answer leaves out txn_id."""
    return {
        "idempotency_key": draft.idempotency_key,
        "request_hash": digest,
        "kind": draft.kind,
        "narration": draft.narration[:200],
        "reverses_txn_id": draft.reverses_txn_id,
        "user_id": user_id,
        "created_at": now,
        "result_json": json.dumps(body, ensure_ascii=False, sort_keys=True),
    }


# --- many transactions at once -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LockedAccount:
    """An account read by ``lock_accounts``: locked until the unit of work ends."""

    id: int
    code: str
    balance_fen: int
    non_negative: bool
    frozen: bool  # a personal account whose owner's account is frozen: no debits


def lock_accounts(uow: UnitOfWork, codes: Iterable[str]) -> dict[str, LockedAccount]:
    """The accounts of ``codes`` that exist, locked ``FOR UPDATE`` in ONE statement in id order
    (concurrent callers cannot deadlock; SQLite's BEGIN IMMEDIATE already serializes). Pass the
    result to ``post_many`` (it then reads them no more) or decide on the balances first."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    a, pa = LedgerAccount.__table__.c, PersonalAccount.__table__.c
    rows = uow.session.execute(
        select(a.id, a.code, a.balance_fen, a.non_negative, pa.status)
        .select_from(
            LedgerAccount.__table__.outerjoin(
                PersonalAccount.__table__, and_(pa.person_id == a.person_id, a.kind == AccountKind.PERSONAL.value)
            )
        )
        .where(a.code.in_(wanted))
        .order_by(a.id)
        .with_for_update(of=LedgerAccount.__table__)
    )
    return {
        code: LockedAccount(int(account_id), code, int(balance), bool(non_negative), status == "frozen")
        for account_id, code, balance, non_negative, status in rows
    }


@dataclass(frozen=True, slots=True)
class PostEntry:
    """One transaction for ``post_many``: what ``post`` takes, less ``now`` and ``user_id``."""

    draft: TransactionDraft
    request: Mapping[str, Any]
    extra: Mapping[str, Any] | None = None


def post_many(
    uow: UnitOfWork,
    entries: Sequence[PostEntry],
    *,
    now: datetime,
    user_id: int | None = None,
    accounts: Mapping[str, LockedAccount] | None = None,
) -> list[PostResult]:
    """Record ``entries`` as ``post`` would record them one after the other, in a few statements.

    Same rows (transaction, postings, balance after each posting, stored answer, request hash),
    same answers and the same idempotency: a key already recorded is replayed (or is
    IdempotencyConflict), a key twice in ``entries`` is recorded once and replayed after. The
    balances are followed in entry order, so an entry that would take a never-negative account
    below zero raises InsufficientBalance exactly where ``post`` would, and nothing is written
    (the caller's unit of work rolls back). ``accounts``: the result of ``lock_accounts`` over
    (at least) every account of the entries, in this unit of work; read and locked here if None.
    """
    if not entries:
        return []
    conn = uow.session.connection()
    digests = [request_hash(e.request) for e in entries]
    for e in entries:
        require_idempotency_key(e.draft.idempotency_key)
    stored: dict[str, tuple[str, dict[str, Any]]] = {}  # key → (hash, answer) of recorded transactions
    for txn_id, key, digest, result in conn.execute(
        _FIND_TXNS, {"keys": sorted({e.draft.idempotency_key for e in entries})}
    ):
        stored[key] = (digest, json.loads(result) | {"txn_id": txn_id})

    # the new transactions in order; a replay is answered from ``stored`` (filled as we go)
    fresh: list[tuple[int, tuple[Posting, ...]]] = []
    pending: dict[str, int] = {}  # key → index in entries of its first (new) occurrence
    for i, e in enumerate(entries):
        key = e.draft.idempotency_key
        if key in stored or key in pending:
            first = stored[key][0] if key in stored else digests[pending[key]]
            if first != digests[i]:
                raise IdempotencyConflict(idempotency_key=key)
            continue
        pending[key] = i
        fresh.append((i, validate_postings(e.draft.postings)))
        check_no_cash_out(e.draft, e.extra)

    if accounts is None:
        accounts = lock_accounts(uow, {p.account_code for _, postings in fresh for p in postings})
    account_ids = {code: a.id for code, a in accounts.items()}
    frozen = {code for code, a in accounts.items() if a.frozen}
    balance = {a.id: a.balance_fen for a in accounts.values()}
    non_negative = {a.id for a in accounts.values() if a.non_negative}
    start = dict(balance)
    bodies: dict[int, dict[str, Any]] = {}
    txn_rows: list[dict[str, Any]] = []
    for i, postings in fresh:
        e = entries[i]
        _check_accounts(postings, account_ids, frozen)
        deltas = _deltas(postings, account_ids)
        for account_id in sorted(deltas):
            if account_id in non_negative and balance[account_id] + deltas[account_id] < 0:
                code = next(c for c, a in account_ids.items() if a == account_id)
                raise InsufficientBalance(account=code, requested_fen=-deltas[account_id])
        lines = _lines(postings, account_ids, balance)
        for account_id, delta in deltas.items():
            balance[account_id] += delta
        bodies[i] = _body(e.draft, now, lines, e.extra)
        txn_rows.append(_txn_row(e.draft, digests[i], now, user_id, bodies[i]))

    if txn_rows:
        # ids drawn first, then executemany without RETURNING (pipelined by psycopg): far less
        # client work than one huge multi-row INSERT … RETURNING (bench/README.md)
        ids = next_ids(uow, "ledger_txn", len(txn_rows))
        for row, txn_id in zip(txn_rows, ids, strict=True):
            row["id"] = txn_id
        conn.execute(insert(LedgerTxn), txn_rows)
        posting_rows = []
        for (i, _), txn_id in zip(fresh, ids, strict=True):
            stored[entries[i].draft.idempotency_key] = (digests[i], bodies[i] | {"txn_id": int(txn_id)})
            for line in bodies[i]["postings"]:
                posting_rows.append(
                    {
                        "txn_id": txn_id,
                        "account_id": account_ids[line["account"]],
                        "amount_fen": line["amount_fen"],
                        "balance_after_fen": line["balance_fen"],
                    }
                )
        conn.execute(insert(LedgerPosting), posting_rows)
        _apply_many(conn, {a: balance[a] - start[a] for a in balance if balance[a] != start[a]}, balance, account_ids)
    return [
        PostResult(stored[e.draft.idempotency_key][1], replayed=pending.get(e.draft.idempotency_key) != i)
        for i, e in enumerate(entries)
    ]


def next_ids(uow: UnitOfWork, table: str, count: int) -> list[int]:
    """``count`` new ids for ``table``, ascending, as its own inserts would draw them: PostgreSQL
    takes them from the table's sequence; SQLite continues after the largest id (safe: the
    transaction holds the database's write lock from BEGIN IMMEDIATE; insert the rows before
    asking again for the same table). For multi-row inserts that need the ids and no RETURNING."""
    if count <= 0:
        return []
    conn = uow.session.connection()
    if conn.dialect.name == "postgresql":
        rows = conn.execute(_NEXT_IDS, {"table": table, "n": count}).scalars().all()
        return sorted(int(x) for x in rows)
    top = int(conn.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar_one())
    return list(range(top + 1, top + 1 + count))


def _apply_many(
    conn: Connection, deltas: dict[int, int], expected: Mapping[int, int], account_ids: Mapping[str, int]
) -> None:
    """Apply the net delta of each account (guarded as in ``post``); every account must end at
    the balance followed in Python — it was locked, so anything else is a bug, not a race."""
    ordered = sorted(deltas)
    for at in range(0, len(ordered), _APPLY_MANY_ROWS):
        part = ordered[at : at + _APPLY_MANY_ROWS]
        params: dict[str, Any] = {}
        for n, account_id in enumerate(part):
            params[f"i{n}"] = account_id
            params[f"d{n}"] = deltas[account_id]
        got = {int(a): int(b) for a, b in conn.execute(_apply_deltas(len(part)), params)}
        for account_id in part:
            if account_id not in got:
                code = next(c for c, a in account_ids.items() if a == account_id)
                raise InsufficientBalance(account=code, requested_fen=-deltas[account_id])
            if got[account_id] != expected[account_id]:
                raise RuntimeError(f"ledger account {account_id} changed although locked (post_many)")


def lock_balances(uow: UnitOfWork, codes: list[str]) -> dict[str, int]:
    """Balances of ``codes``, locked until the unit of work ends (PostgreSQL: FOR UPDATE, in id
    order so concurrent callers cannot deadlock; SQLite's BEGIN IMMEDIATE already serializes).
    Use it to decide a split that ``post`` will then apply without a race. Missing codes are 0."""
    rows = uow.session.execute(
        select(LedgerAccount.code, LedgerAccount.balance_fen)
        .where(LedgerAccount.code.in_(codes))
        .order_by(LedgerAccount.id)
        .with_for_update()
    )
    found = {code: int(balance) for code, balance in rows}
    return {code: found.get(code, 0) for code in codes}


def region_of(uow: UnitOfWork, code: str) -> str | None:
    """The pooling region an account belongs to now (a person's accounts move on a transfer)."""
    return uow.session.scalar(select(LedgerAccount.region_code).where(LedgerAccount.code == code))


def balances_of(uow: UnitOfWork, codes: list[str]) -> dict[str, int]:
    rows = uow.session.execute(
        select(LedgerAccount.code, LedgerAccount.balance_fen).where(LedgerAccount.code.in_(codes))
    )
    found = {code: int(balance) for code, balance in rows}
    return {code: found.get(code, 0) for code in codes}


@dataclass(frozen=True)
class LedgerCheck:
    """The result of checking the whole ledger; ``ok`` when every list is empty."""

    transactions: int
    postings: int
    total_fen: int
    unbalanced_txns: list[int]
    drifted_accounts: list[tuple[str, int, int]]  # code, stored balance, opening + postings
    negative_accounts: list[tuple[str, int]]
    cash_out_txns: list[tuple[int, str]]
    """(txn id, kind) of transactions paying personal or family money to a cash payout account or
    to the assistance fund, that are not an invoiced reimbursement (``domain.ledger.check_no_cash_out``)."""

    @property
    def ok(self) -> bool:
        return (
            self.total_fen == 0
            and not self.unbalanced_txns
            and not self.drifted_accounts
            and not self.negative_accounts
            and not self.cash_out_txns
        )


def check_ledger(uow: UnitOfWork, *, limit: int = 100) -> LedgerCheck:
    """Σ postings = 0 overall and per transaction; balance = opening + Σ postings; none < 0; no
    personal or family money paid to a cash payout account or to the assistance fund that pays
    cash (except invoiced reimbursements)."""
    s = uow.session
    txns = s.scalar(select(func.count()).select_from(LedgerTxn)) or 0
    n_postings = s.scalar(select(func.count()).select_from(LedgerPosting)) or 0
    total = s.scalar(select(func.coalesce(func.sum(LedgerPosting.amount_fen), 0))) or 0
    unbalanced = list(
        s.scalars(
            select(LedgerPosting.txn_id)
            .group_by(LedgerPosting.txn_id)
            .having(func.sum(LedgerPosting.amount_fen) != 0)
            .limit(limit)
        )
    )
    sums = (
        select(LedgerPosting.account_id, func.sum(LedgerPosting.amount_fen).label("total"))
        .group_by(LedgerPosting.account_id)
        .subquery()
    )
    expected = LedgerAccount.opening_fen + func.coalesce(sums.c.total, 0)
    drifted = [
        (code, int(bal), int(exp))
        for code, bal, exp in s.execute(
            select(LedgerAccount.code, LedgerAccount.balance_fen, expected)
            .outerjoin(sums, sums.c.account_id == LedgerAccount.id)
            .where(LedgerAccount.balance_fen != expected)
            .limit(limit)
        )
    ]
    negative = [
        (code, int(bal))
        for code, bal in s.execute(
            select(LedgerAccount.code, LedgerAccount.balance_fen)
            .where(LedgerAccount.non_negative.is_(True), LedgerAccount.balance_fen < 0)
            .limit(limit)
        )
    ]
    return LedgerCheck(int(txns), int(n_postings), int(total), unbalanced, drifted, negative, _cash_out(uow, limit))


def _cash_out(uow: UnitOfWork, limit: int) -> list[tuple[int, str]]:
    """Transactions where a personal or family account pays and a cash payout account or the
    assistance fund receives,
    less the invoiced reimbursements (the exception is read from the stored answer)."""
    paid = (
        select(LedgerPosting.txn_id)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .where(
            LedgerAccount.kind.in_((AccountKind.PERSONAL.value, AccountKind.FAMILY.value)),
            LedgerPosting.amount_fen < 0,
        )
    )
    cashed = (
        select(LedgerPosting.txn_id)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .where(
            or_(*(LedgerAccount.code.startswith(prefix) for prefix in CASH_SIDE_PREFIXES)),
            LedgerPosting.amount_fen > 0,
        )
    )
    found: list[tuple[int, str]] = []
    rows = uow.session.execute(
        select(LedgerTxn.id, LedgerTxn.kind, LedgerTxn.result_json)
        .where(LedgerTxn.id.in_(paid), LedgerTxn.id.in_(cashed))
        .order_by(LedgerTxn.id)
    )
    for txn_id, kind, result_json in rows:
        if not is_invoiced_reimbursement(kind, json.loads(result_json)):
            found.append((int(txn_id), str(kind)))
            if len(found) >= limit:
                break
    return found


def reverse(
    uow: UnitOfWork,
    *,
    txn_id: int,
    idempotency_key: str,
    reason: str,
    now: datetime,
    user_id: int | None = None,
) -> PostResult:
    """Undo transaction ``txn_id`` with a reversing transaction; history keeps both.

    A transaction is reversed at most once, and a reversal is not itself reversed (post the
    original again instead). The reversal needs the money to still be there: a personal
    account already spent cannot be pushed below zero by it.
    """
    original = uow.session.get(LedgerTxn, txn_id)
    if original is None:
        raise NotFound("交易不存在", "Transaction not found", txn_id=txn_id)
    request = {"op": "reverse", "txn_id": txn_id, "reason": reason}
    replay = uow.session.scalar(select(LedgerTxn).where(LedgerTxn.idempotency_key == idempotency_key))
    if replay is None:
        if original.reverses_txn_id is not None:
            raise InvalidStateTransition("冲正交易不能再冲正", "A reversal cannot be reversed", txn_id=txn_id)
        if uow.session.scalar(select(LedgerTxn.id).where(LedgerTxn.reverses_txn_id == txn_id)) is not None:
            raise InvalidStateTransition("该交易已冲正", "This transaction was already reversed", txn_id=txn_id)
    rows = uow.session.execute(
        select(LedgerAccount.code, LedgerPosting.amount_fen)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .where(LedgerPosting.txn_id == txn_id)
        .order_by(LedgerPosting.id)
    ).all()
    return post(
        uow,
        TransactionDraft(
            idempotency_key=idempotency_key,
            kind=f"reversal.{original.kind}"[:40],
            narration=f"冲正：{reason}"[:200],
            postings=reversal_of(Posting(code, int(amount)) for code, amount in rows),
            reverses_txn_id=txn_id,
        ),
        request=request,
        now=now,
        user_id=user_id,
    )


def account_codes_of(uow: UnitOfWork, txn_id: int) -> list[tuple[str, str | None, int | None]]:
    """(code, region, person) of every account a transaction touched, for scope checks."""
    return [
        (code, region, person)
        for code, region, person in uow.session.execute(
            select(LedgerAccount.code, LedgerAccount.region_code, LedgerAccount.person_id)
            .join(LedgerPosting, LedgerPosting.account_id == LedgerAccount.id)
            .where(LedgerPosting.txn_id == txn_id)
        )
    ]


def movements(
    uow: UnitOfWork,
    *,
    person_id: int,
    limit: int = 50,
    before_id: int | None = None,
    kind_prefixes: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """A person's account movements, newest first (postings on their ledger accounts).

    ``reversed`` tells whether a later transaction reversed the row's transaction;
    ``kind_prefixes`` keeps only transactions whose kind starts with one of them.
    """
    q = (
        select(
            LedgerPosting.id,
            LedgerTxn.id,
            LedgerTxn.kind,
            LedgerTxn.narration,
            LedgerTxn.created_at,
            LedgerTxn.reverses_txn_id,
            LedgerAccount.code,
            LedgerPosting.amount_fen,
            LedgerPosting.balance_after_fen,
        )
        .join(LedgerTxn, LedgerTxn.id == LedgerPosting.txn_id)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .where(LedgerAccount.person_id == person_id)
        .order_by(LedgerPosting.id.desc())
        .limit(max(1, min(limit, 200)))
    )
    if before_id is not None:
        q = q.where(LedgerPosting.id < before_id)
    if kind_prefixes:
        q = q.where(or_(*[LedgerTxn.kind.startswith(prefix) for prefix in kind_prefixes]))
    rows = uow.session.execute(q).all()
    txn_ids = {row[1] for row in rows}
    reversed_ids = set(
        uow.session.scalars(select(LedgerTxn.reverses_txn_id).where(LedgerTxn.reverses_txn_id.in_(txn_ids)))
    )
    return [
        {
            "posting_id": pid,
            "txn_id": tid,
            "kind": kind,
            "narration": narration,
            "at": at.isoformat() if at else None,
            "reverses_txn_id": rev,
            "account": code,
            "amount_fen": int(amount),
            "balance_fen": int(after),
            "reversed": tid in reversed_ids,
        }
        for pid, tid, kind, narration, at, rev, code, amount, after in rows
    ]
