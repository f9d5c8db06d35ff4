"""monthly payment of institutions (拨付, issue 15 §2; seed 003 附件 二(一)(二)2)

Hand-written. ``nhsa_statement`` / ``nhsa_statement_line``: each 3201/3202 reconciliation of an
institution as answered (and the settlements a 3202 found different); ``institution_payment_run``
(one per pooling region and month), ``institution_payment_line`` (what is owed to each
institution and its payment), ``institution_payment_diff`` (differences per institution and per
settlement). Downgrade drops them.

Revision ID: 0033
Revises: 0032
"""

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "nhsa_statement",
        sa.Column("id", BigId, nullable=False),
        sa.Column("infno", sa.String(length=4), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=20), nullable=False),
        sa.Column("insutype", sa.String(length=6), nullable=True),
        sa.Column("clr_type", sa.String(length=6), nullable=False),
        sa.Column("setl_optins", sa.String(length=6), nullable=False),
        sa.Column("period_start", sa.DateTime(), nullable=False),
        sa.Column("period_stop", sa.DateTime(), nullable=False),
        sa.Column("includes_refunds", sa.Boolean(), nullable=False),
        sa.Column("declared_medfee_fen", sa.BigInteger(), nullable=False),
        sa.Column("declared_fund_fen", sa.BigInteger(), nullable=False),
        sa.Column("declared_acct_fen", sa.BigInteger(), nullable=True),
        sa.Column("declared_count", sa.Integer(), nullable=False),
        sa.Column("stmt_rslt", sa.String(length=1), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nhsa_statement")),
    )
    op.create_index(
        "ix_nhsa_statement_institution_period", "nhsa_statement", ["fixmedins_code", "period_start"], unique=False
    )
    op.create_table(
        "nhsa_statement_line",
        sa.Column("id", BigId, nullable=False),
        sa.Column("statement_id", BigId, nullable=False),
        sa.Column("setl_id", sa.String(length=30), nullable=False),
        sa.Column("settlement_id", BigId, nullable=True),
        sa.Column("memo", sa.String(length=500), nullable=False),
        sa.Column("inst_medfee_fen", sa.BigInteger(), nullable=True),
        sa.Column("inst_fund_fen", sa.BigInteger(), nullable=True),
        sa.Column("inst_acct_fen", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["statement_id"], ["nhsa_statement.id"], name=op.f("fk_nhsa_statement_line_statement_id_nhsa_statement")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nhsa_statement_line")),
    )
    op.create_index(op.f("ix_nhsa_statement_line_statement_id"), "nhsa_statement_line", ["statement_id"], unique=False)
    op.create_table(
        "institution_payment_run",
        sa.Column("id", BigId, nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("institutions", sa.Integer(), nullable=False),
        sa.Column("settlements", sa.BigInteger(), nullable=False),
        sa.Column("fund_fen", sa.BigInteger(), nullable=False),
        sa.Column("own_acct_fen", sa.BigInteger(), nullable=False),
        sa.Column("family_fen", sa.BigInteger(), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("prepared_by_user_id", sa.Integer(), nullable=True),
        sa.Column("prepared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by_user_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("order_no", sa.String(length=40), nullable=True),
        sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution_payment_run")),
        sa.UniqueConstraint("order_no", name=op.f("uq_institution_payment_run_order_no")),
        sa.UniqueConstraint("region_code", "month", name=op.f("uq_institution_payment_run_region_code")),
    )
    op.create_table(
        "institution_payment_line",
        sa.Column("id", BigId, nullable=False),
        sa.Column("run_id", BigId, nullable=False),
        sa.Column("fixmedins_code", sa.String(length=20), nullable=False),
        sa.Column("settlements", sa.BigInteger(), nullable=False),
        sa.Column("reversals", sa.BigInteger(), nullable=False),
        sa.Column("medfee_fen", sa.BigInteger(), nullable=False),
        sa.Column("fund_fen", sa.BigInteger(), nullable=False),
        sa.Column("own_acct_fen", sa.BigInteger(), nullable=False),
        sa.Column("family_fen", sa.BigInteger(), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("bank_ref", sa.String(length=60), nullable=True),
        sa.Column("request_key", sa.String(length=100), nullable=True),
        sa.Column("reject_reason", sa.String(length=200), nullable=True),
        sa.Column("txn_id", BigId, nullable=True),
        sa.Column("confirmed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["institution_payment_run.id"],
            name=op.f("fk_institution_payment_line_run_id_institution_payment_run"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution_payment_line")),
        sa.UniqueConstraint("run_id", "fixmedins_code", name=op.f("uq_institution_payment_line_run_id")),
    )
    op.create_index(op.f("ix_institution_payment_line_run_id"), "institution_payment_line", ["run_id"], unique=False)
    op.create_table(
        "institution_payment_diff",
        sa.Column("id", BigId, nullable=False),
        sa.Column("run_id", BigId, nullable=False),
        sa.Column("fixmedins_code", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("setl_id", sa.String(length=30), nullable=True),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("inst_fen", sa.BigInteger(), nullable=True),
        sa.Column("centre_fen", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("resolved_by_user_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["institution_payment_run.id"],
            name=op.f("fk_institution_payment_diff_run_id_institution_payment_run"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution_payment_diff")),
    )
    op.create_index(op.f("ix_institution_payment_diff_run_id"), "institution_payment_diff", ["run_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_institution_payment_diff_run_id"), table_name="institution_payment_diff")
    op.drop_table("institution_payment_diff")
    op.drop_index(op.f("ix_institution_payment_line_run_id"), table_name="institution_payment_line")
    op.drop_table("institution_payment_line")
    op.drop_table("institution_payment_run")
    op.drop_index(op.f("ix_nhsa_statement_line_statement_id"), table_name="nhsa_statement_line")
    op.drop_table("nhsa_statement_line")
    op.drop_index("ix_nhsa_statement_institution_period", table_name="nhsa_statement")
    op.drop_table("nhsa_statement")
