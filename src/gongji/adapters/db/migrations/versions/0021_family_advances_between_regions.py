"""cross-region family payments booked between the two regions (issue 15 §1, seed 003 附件二(二)2)

Hand-written data migration, no schema change. Before it, a relative's draw on an authorizer
insured in another pooling region was booked as a direct transfer from the authorizer's account to
the institution. Seed 003 has the relative's (insured) region advance the family part and carry it
between the regions under 暂付款/暂收款 – 家庭共济医药费用 until the monthly clearing
(``services.backoffice.advances``). For every settlement row (originals, cancelled ones and their
negative cancellation rows alike) whose authorizer parties are insured elsewhere and whose
account transaction did not already book the pair, one balanced ledger transaction
``migration-0021:setl:<id>`` adds, per authorizer region A and insured region R,
``clearing:family:held:A:R`` +amount and ``clearing:family:advance:R:A`` −amount (a cancellation
row's amounts are negative, so a cancelled settlement nets to zero as its ledger did). The
authorizer's debit and the institution's receivable are untouched: they were already right.

Downgrade removes exactly those transactions (postings first), takes their amounts back out of the
balances and drops pair accounts left without postings; the ledger checks hold on both sides.

Revision ID: 0021
Revises: 0020
"""

import hashlib
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

KEY_PREFIX = "migration-0021:setl:"

_TO_BOOK = sa.text(
    "SELECT s.id, s.insured_region, p.region_code, SUM(p.amount_fen), s.created_at"
    " FROM settlement_party p JOIN settlement s ON s.id = p.settlement_id"
    " WHERE p.role = 'authorizer' AND p.region_code <> s.insured_region"
    " AND NOT EXISTS (SELECT 1 FROM ledger_posting lp JOIN ledger_account la ON la.id = lp.account_id"
    "   WHERE lp.txn_id = COALESCE(s.account_txn_id,"
    "     (SELECT o.account_txn_id FROM settlement o WHERE o.id = s.reverses_id))"
    "   AND la.code LIKE 'clearing:family:%')"
    " AND NOT EXISTS (SELECT 1 FROM ledger_txn t WHERE t.idempotency_key = :prefix || CAST(s.id AS VARCHAR(20)))"
    " GROUP BY s.id, s.insured_region, p.region_code, s.created_at"
    " HAVING SUM(p.amount_fen) <> 0"
    " ORDER BY s.id, p.region_code"
)


def _account(conn: sa.Connection, code: str, region: str, now: datetime) -> tuple[int, int]:
    row = conn.execute(sa.text("SELECT id, balance_fen FROM ledger_account WHERE code = :c"), {"c": code}).first()
    if row is not None:
        return int(row[0]), int(row[1])
    new_id = conn.execute(
        sa.text(
            "INSERT INTO ledger_account (code, kind, person_id, region_code, non_negative, opening_fen,"
            " balance_fen, created_at) VALUES (:c, 'clearing', NULL, :r, :nn, 0, 0, :t) RETURNING id"
        ).bindparams(sa.bindparam("t", type_=sa.DateTime(timezone=True))),
        {"c": code, "r": region, "nn": False, "t": now},
    ).scalar_one()
    return int(new_id), 0


def upgrade() -> None:
    conn = op.get_bind()
    now = datetime.now(UTC)
    by_settlement: dict[int, list[tuple[str, str, int, datetime]]] = {}
    for setl_id, insured, authorizer, amount, created in conn.execute(_TO_BOOK, {"prefix": KEY_PREFIX}):
        if isinstance(created, str):  # SQLite hands plain SQL its stored text
            created = datetime.fromisoformat(created)
        by_settlement.setdefault(int(setl_id), []).append((str(insured), str(authorizer), int(amount), created))
    balances: dict[int, int] = {}
    for setl_id, pairs in by_settlement.items():
        lines: list[tuple[str, str, int]] = []  # code, region, amount
        for insured, authorizer, amount, _ in pairs:
            lines.append((f"clearing:family:held:{authorizer}:{insured}", authorizer, amount))
            lines.append((f"clearing:family:advance:{insured}:{authorizer}", insured, -amount))
        key = f"{KEY_PREFIX}{setl_id}"
        request = {"op": "migration.0021.advance", "settlement_id": setl_id}
        digest = hashlib.sha256(
            json.dumps(request, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
        ).hexdigest()
        created = pairs[0][3] or now
        postings = []
        for code, region, amount in lines:
            account_id, balance = _account(conn, code, region, now)
            balance = balances.get(account_id, balance) + amount
            balances[account_id] = balance
            postings.append(
                {"account_id": account_id, "amount_fen": amount, "balance_after_fen": balance, "code": code}
            )
        body = {
            "idempotency_key": key,
            "kind": "backoffice.advance",
            "narration": f"跨统筹区家庭共济垫付（结算 {setl_id}，迁移补记）",
            "created_at": created.isoformat(),
            "postings": [
                {"account": p["code"], "amount_fen": p["amount_fen"], "balance_fen": p["balance_after_fen"]}
                for p in postings
            ],
            "settlement_id": setl_id,
        }
        txn_id = conn.execute(
            sa.text(
                "INSERT INTO ledger_txn (idempotency_key, request_hash, kind, narration, reverses_txn_id, user_id,"
                " created_at, result_json) VALUES (:k, :h, 'backoffice.advance', :n, NULL, NULL, :t, :j) RETURNING id"
            ).bindparams(sa.bindparam("t", type_=sa.DateTime(timezone=True))),
            {"k": key, "h": digest, "n": body["narration"], "t": created, "j": json.dumps(body, ensure_ascii=False)},
        ).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO ledger_posting (txn_id, account_id, amount_fen, balance_after_fen)"
                " VALUES (:txn, :account_id, :amount_fen, :balance_after_fen)"
            ),
            [{k: v for k, v in p.items() if k != "code"} | {"txn": txn_id} for p in postings],
        )
    for account_id, balance in balances.items():
        conn.execute(
            sa.text("UPDATE ledger_account SET balance_fen = :b WHERE id = :i"), {"b": balance, "i": account_id}
        )


def downgrade() -> None:
    conn = op.get_bind()
    mine = "SELECT id FROM ledger_txn WHERE idempotency_key LIKE :p"
    params = {"p": KEY_PREFIX + "%"}
    conn.execute(
        sa.text(
            "UPDATE ledger_account SET balance_fen = balance_fen - (SELECT COALESCE(SUM(lp.amount_fen), 0)"
            f" FROM ledger_posting lp WHERE lp.account_id = ledger_account.id AND lp.txn_id IN ({mine}))"
            f" WHERE id IN (SELECT account_id FROM ledger_posting WHERE txn_id IN ({mine}))"
        ),
        params,
    )
    conn.execute(sa.text(f"DELETE FROM ledger_posting WHERE txn_id IN ({mine})"), params)
    conn.execute(sa.text("DELETE FROM ledger_txn WHERE idempotency_key LIKE :p"), params)
    conn.execute(
        sa.text(
            "DELETE FROM ledger_account WHERE code LIKE 'clearing:family:%'"
            " AND NOT EXISTS (SELECT 1 FROM ledger_posting lp WHERE lp.account_id = ledger_account.id)"
        )
    )
