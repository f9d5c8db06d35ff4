"""manual personal-account income entries, with their maker–checker state (issue 12 Part C)

Hand-written. ``account_income`` holds each month's income staff enter (pending, posted,
rejected, reversed) and lets one live entry exist per person, month and kind (a partial unique
index). The data step fills it from the income already in the ledger, so the one-entry rule
also holds against months credited before this revision: each ``income.*`` transaction becomes
a posted entry (reversed if a 冲正 undid it). A second live credit of the same person, month and
kind — possible before the rule — is kept as ``duplicate`` for staff to review and reverse.
Downgrade drops the table: every row is derived from the ledger, which is untouched.

Revision ID: 0013
Revises: 0012
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
LIVE = sa.text("status IN ('pending', 'posted')")


def upgrade() -> None:
    op.create_table(
        "account_income",
        sa.Column("id", BigId, nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("person_id", BigId, nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("entered_by_user_id", sa.Integer(), nullable=True),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reject_reason", sa.String(length=200), nullable=True),
        sa.Column("txn_id", BigId, nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_account_income_person_id_person")),
        sa.ForeignKeyConstraint(["txn_id"], ["ledger_txn.id"], name=op.f("fk_account_income_txn_id_ledger_txn")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_income")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_account_income_idempotency_key")),
        sa.UniqueConstraint("txn_id", name=op.f("uq_account_income_txn_id")),
    )
    with op.batch_alter_table("account_income") as batch:
        batch.create_index(batch.f("ix_account_income_person_id"), ["person_id"], unique=False)
        batch.create_index(batch.f("ix_account_income_region_code"), ["region_code"], unique=False)
    _fill_from_ledger()
    with op.batch_alter_table("account_income") as batch:
        batch.create_index(
            "uq_account_income_live",
            ["person_id", "month", "kind"],
            unique=True,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        )


def _fill_from_ledger() -> None:
    """One entry per income transaction already posted, oldest first."""
    conn = op.get_bind()
    reversed_ids = {
        row[0]
        for row in conn.execute(sa.text("SELECT reverses_txn_id FROM ledger_txn WHERE reverses_txn_id IS NOT NULL"))
    }
    credits = conn.execute(
        sa.text(
            "SELECT t.id, t.idempotency_key, t.kind, t.user_id, t.created_at, t.result_json,"
            " p.amount_fen, a.region_code"
            " FROM ledger_txn t"
            " JOIN ledger_posting p ON p.txn_id = t.id"
            " JOIN ledger_account a ON a.id = p.account_id"
            " WHERE t.kind LIKE 'income.%' AND t.reverses_txn_id IS NULL AND a.person_id IS NOT NULL"
            " ORDER BY t.id"
        )
    ).all()
    live: set[tuple[int, str, str]] = set()
    rows = []
    for txn_id, key, kind, user_id, at, result_json, amount, region in credits:
        body = json.loads(result_json)
        slot = (int(body["person_id"]), str(body["month"]), kind.removeprefix("income."))
        if txn_id in reversed_ids:
            status = "reversed"
        elif slot in live:
            status = "duplicate"
        else:
            status = "posted"
            live.add(slot)
        rows.append(
            {
                "idempotency_key": key,
                "person_id": slot[0],
                "region_code": region,
                "month": slot[1],
                "kind": slot[2],
                "amount_fen": int(amount),
                "status": status,
                "entered_by_user_id": user_id,
                "entered_at": at,
                "txn_id": txn_id,
            }
        )
    if rows:
        conn.execute(
            sa.text(
                "INSERT INTO account_income (idempotency_key, person_id, region_code, month, kind, amount_fen,"
                " status, entered_by_user_id, entered_at, txn_id) VALUES (:idempotency_key, :person_id,"
                " :region_code, :month, :kind, :amount_fen, :status, :entered_by_user_id, :entered_at, :txn_id)"
            ),
            rows,
        )


def downgrade() -> None:
    with op.batch_alter_table("account_income") as batch:
        batch.drop_index("uq_account_income_live", sqlite_where=LIVE, postgresql_where=LIVE)
        batch.drop_index(batch.f("ix_account_income_region_code"))
        batch.drop_index(batch.f("ix_account_income_person_id"))
    op.drop_table("account_income")
