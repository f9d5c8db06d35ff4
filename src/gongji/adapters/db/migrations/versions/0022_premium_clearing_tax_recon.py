"""premium clearing (保险费划扣明细表) and the weekly reconciliation with tax (seed 003 附件三)

Hand-written. Main schema: ``premium_clearing_month`` / ``_line`` / ``_region`` / ``_transfer``
(the monthly 明细表, confirmations, 用款计划, 全额清算 transfers) and ``tax_recon_week`` /
``tax_recon_difference`` (what was published, the differences tax wrote back and how staff
settled them). On PostgreSQL also the schema ``tax_exchange`` with the intermediate tables the tax
side reads and writes (on SQLite they live in the attached file and are created on first use,
``adapters.db.tax_exchange.ensure``). Downgrade drops them all.

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "premium_clearing_month",
        sa.Column("id", BigId, nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("within_fen", sa.BigInteger(), nullable=False),
        sa.Column("across_fen", sa.BigInteger(), nullable=False),
        sa.Column("generated_at", TS, nullable=False),
        sa.Column("generated_by_user_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_premium_clearing_month")),
        sa.UniqueConstraint("month", name=op.f("uq_premium_clearing_month_month")),
    )
    op.create_table(
        "premium_clearing_line",
        sa.Column("id", BigId, nullable=False),
        sa.Column("month_id", BigId, nullable=False),
        sa.Column("premium_payment_id", BigId, nullable=False),
        sa.Column("paid_at", TS, nullable=False),
        sa.Column("movement", sa.String(length=8), nullable=False),
        sa.Column("benefit_year", sa.Integer(), nullable=False),
        sa.Column("insutype", sa.String(length=6), nullable=False),
        sa.Column("relative_id", BigId, nullable=False),
        sa.Column("authorizer_id", BigId, nullable=True),
        sa.Column("relative_region", sa.String(length=6), nullable=False),
        sa.Column("authorizer_region", sa.String(length=6), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("across", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["month_id"], ["premium_clearing_month.id"],
            name=op.f("fk_premium_clearing_line_month_id_premium_clearing_month"),
        ),
        sa.ForeignKeyConstraint(
            ["premium_payment_id"], ["premium_payment.id"],
            name=op.f("fk_premium_clearing_line_premium_payment_id_premium_payment"),
        ),
        sa.ForeignKeyConstraint(
            ["relative_id"], ["person.id"], name=op.f("fk_premium_clearing_line_relative_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["authorizer_id"], ["person.id"], name=op.f("fk_premium_clearing_line_authorizer_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_premium_clearing_line")),
        sa.UniqueConstraint("month_id", "premium_payment_id", name="uq_premium_clearing_line"),
    )  # fmt: skip
    op.create_index(op.f("ix_premium_clearing_line_month_id"), "premium_clearing_line", ["month_id"])
    op.create_index(op.f("ix_premium_clearing_line_relative_region"), "premium_clearing_line", ["relative_region"])
    op.create_index(op.f("ix_premium_clearing_line_authorizer_region"), "premium_clearing_line", ["authorizer_region"])
    op.create_table(
        "premium_clearing_region",
        sa.Column("id", BigId, nullable=False),
        sa.Column("month_id", BigId, nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("within_count", sa.Integer(), nullable=False),
        sa.Column("within_fen", sa.BigInteger(), nullable=False),
        sa.Column("pay_count", sa.Integer(), nullable=False),
        sa.Column("pay_fen", sa.BigInteger(), nullable=False),
        sa.Column("receive_count", sa.Integer(), nullable=False),
        sa.Column("receive_fen", sa.BigInteger(), nullable=False),
        sa.Column("confirm_due", sa.Date(), nullable=False),
        sa.Column("confirmed_at", TS, nullable=True),
        sa.Column("confirmed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("plan_fen", sa.BigInteger(), nullable=True),
        sa.Column("plan_submitted_at", TS, nullable=True),
        sa.Column("plan_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["month_id"], ["premium_clearing_month.id"],
            name=op.f("fk_premium_clearing_region_month_id_premium_clearing_month"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_premium_clearing_region")),
        sa.UniqueConstraint("month_id", "region_code", name="uq_premium_clearing_region"),
    )  # fmt: skip
    op.create_index(op.f("ix_premium_clearing_region_month_id"), "premium_clearing_region", ["month_id"])
    op.create_table(
        "premium_clearing_transfer",
        sa.Column("id", BigId, nullable=False),
        sa.Column("month_id", BigId, nullable=False),
        sa.Column("payer_region", sa.String(length=6), nullable=False),
        sa.Column("payee_region", sa.String(length=6), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("bank_ref", sa.String(length=60), nullable=True),
        sa.Column("recorded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["month_id"], ["premium_clearing_month.id"],
            name=op.f("fk_premium_clearing_transfer_month_id_premium_clearing_month"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_premium_clearing_transfer")),
        sa.UniqueConstraint("month_id", "payer_region", "payee_region", name="uq_premium_clearing_transfer"),
    )  # fmt: skip
    op.create_index(op.f("ix_premium_clearing_transfer_month_id"), "premium_clearing_transfer", ["month_id"])
    op.create_table(
        "tax_recon_week",
        sa.Column("id", BigId, nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("week_end", sa.Date(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("paid_fen", sa.BigInteger(), nullable=False),
        sa.Column("published_at", TS, nullable=False),
        sa.Column("published_by_user_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_recon_week")),
        sa.UniqueConstraint("week", name=op.f("uq_tax_recon_week_week")),
    )
    op.create_table(
        "tax_recon_difference",
        sa.Column("id", BigId, nullable=False),
        sa.Column("week_id", BigId, nullable=False),
        sa.Column("diff_no", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("movement", sa.String(length=8), nullable=False),
        sa.Column("premium_payment_id", BigId, nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=True),
        sa.Column("relative_cert_no", sa.String(length=32), nullable=True),
        sa.Column("mi_amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("tax_amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("mi_status", sa.String(length=8), nullable=True),
        sa.Column("tax_status", sa.String(length=8), nullable=True),
        sa.Column("tax_note", sa.String(length=200), nullable=True),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("resolution", sa.String(length=12), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("reversal_txn_id", BigId, nullable=True),
        sa.Column("imported_at", TS, nullable=False),
        sa.Column("settled_by_user_id", sa.Integer(), nullable=True),
        sa.Column("settled_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["week_id"], ["tax_recon_week.id"], name=op.f("fk_tax_recon_difference_week_id_tax_recon_week")
        ),
        sa.ForeignKeyConstraint(
            ["premium_payment_id"], ["premium_payment.id"],
            name=op.f("fk_tax_recon_difference_premium_payment_id_premium_payment"),
        ),
        sa.ForeignKeyConstraint(
            ["reversal_txn_id"], ["ledger_txn.id"], name=op.f("fk_tax_recon_difference_reversal_txn_id_ledger_txn")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_recon_difference")),
        sa.UniqueConstraint("week_id", "diff_no", name="uq_tax_recon_difference"),
    )  # fmt: skip
    op.create_index(op.f("ix_tax_recon_difference_week_id"), "tax_recon_difference", ["week_id"])
    op.create_index(op.f("ix_tax_recon_difference_region_code"), "tax_recon_difference", ["region_code"])
    op.create_index(op.f("ix_tax_recon_difference_state"), "tax_recon_difference", ["state"])
    if op.get_bind().dialect.name == "postgresql":
        _exchange_schema()


def _exchange_schema() -> None:
    """The intermediate tables the tax side is granted (layout: docs/tax-reconciliation.md)."""
    s = "tax_exchange"
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {s}")
    op.create_table(
        "recon_batch",
        sa.Column("batch_no", sa.String(8), primary_key=True),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("week_end", sa.Date(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("paid_fen", sa.BigInteger(), nullable=False),
        sa.Column("published_at", TS, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("compared_at", TS),
        sa.Column("diff_count", sa.Integer()),
        sa.Column("tax_row_count", sa.Integer()),
        sa.Column("tax_total_fen", sa.BigInteger()),
        sa.Column("tax_paid_fen", sa.BigInteger()),
        sa.Column("balanced_at", TS),
        schema=s,
    )
    op.create_table(
        "recon_detail",
        sa.Column("batch_no", sa.String(8), primary_key=True),
        sa.Column("line_no", sa.Integer(), primary_key=True),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("movement", sa.String(8), nullable=False),
        sa.Column("mi_payment_id", sa.BigInteger(), nullable=False),
        sa.Column("payer_cert_no", sa.String(32), nullable=False),
        sa.Column("relative_cert_no", sa.String(32), nullable=False),
        sa.Column("relative_region", sa.String(6), nullable=False),
        sa.Column("benefit_year", sa.Integer(), nullable=False),
        sa.Column("insutype", sa.String(6), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("event_at", TS, nullable=False),
        schema=s,
    )
    op.create_table(
        "recon_diff",
        sa.Column("batch_no", sa.String(8), primary_key=True),
        sa.Column("diff_no", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("movement", sa.String(8), nullable=False),
        sa.Column("relative_cert_no", sa.String(32)),
        sa.Column("relative_region", sa.String(6)),
        sa.Column("mi_amount_fen", sa.BigInteger()),
        sa.Column("tax_amount_fen", sa.BigInteger()),
        sa.Column("mi_status", sa.String(8)),
        sa.Column("tax_status", sa.String(8)),
        sa.Column("note", sa.String(200)),
        sa.Column("written_at", TS, nullable=False),
        sa.Column("resolution", sa.String(12)),
        sa.Column("final_amount_fen", sa.BigInteger()),
        sa.Column("final_status", sa.String(8)),
        sa.Column("resolution_note", sa.String(200)),
        sa.Column("resolved_at", TS),
        sa.Column("applied_at", TS),
        schema=s,
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SCHEMA IF EXISTS tax_exchange CASCADE")
    for table in ("tax_recon_difference", "tax_recon_week"):
        op.drop_table(table)
    for table in ("premium_clearing_transfer", "premium_clearing_region", "premium_clearing_line"):
        op.drop_table(table)
    op.drop_table("premium_clearing_month")
