"""零星报销 (small reimbursements, issue 15 §2; seed 003 附件二(四)): claims, their invoices (a
number claimed once among live invoices), fee lists, and the family draws of paid claims with the
authorizer's region. Four new tables; downgrade drops them.

Revision ID: 0032
Revises: 0031
"""

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "reimbursement_claim",
        sa.Column("id", ID, nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("insutype", sa.String(length=6), nullable=False),
        sa.Column("med_type", sa.String(length=10), nullable=False),
        sa.Column("institution_kind", sa.String(length=12), nullable=False),
        sa.Column("institution_level", sa.Integer(), nullable=False),
        sa.Column("treatment_region", sa.String(length=6), nullable=False),
        sa.Column("begin_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("acct_used_flag", sa.String(length=1), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("hifp_pay_fen", sa.BigInteger(), nullable=True),
        sa.Column("own_fen", sa.BigInteger(), nullable=True),
        sa.Column("family_fen", sa.BigInteger(), nullable=True),
        sa.Column("cash_fen", sa.BigInteger(), nullable=True),
        sa.Column("figures_json", sa.Text(), nullable=True),
        sa.Column("registered_by_user_id", sa.Integer(), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("computed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by_user_id", sa.Integer(), nullable=True),
        sa.Column("approve_key", sa.String(length=255), nullable=True),
        sa.Column("paid_time", sa.DateTime(), nullable=True),
        sa.Column("fund_txn_id", ID, nullable=True),
        sa.Column("account_txn_id", ID, nullable=True),
        sa.Column("reject_reason", sa.String(length=200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_reimbursement_claim_person_id_person")),
        sa.ForeignKeyConstraint(
            ["fund_txn_id"], ["ledger_txn.id"], name=op.f("fk_reimbursement_claim_fund_txn_id_ledger_txn")
        ),
        sa.ForeignKeyConstraint(
            ["account_txn_id"], ["ledger_txn.id"], name=op.f("fk_reimbursement_claim_account_txn_id_ledger_txn")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reimbursement_claim")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_reimbursement_claim_idempotency_key")),
    )
    with op.batch_alter_table("reimbursement_claim", schema=None) as b:
        b.create_index(b.f("ix_reimbursement_claim_person_id"), ["person_id"], unique=False)
        b.create_index(b.f("ix_reimbursement_claim_region_code"), ["region_code"], unique=False)
        b.create_index(b.f("ix_reimbursement_claim_state"), ["state"], unique=False)
        b.create_index(b.f("ix_reimbursement_claim_paid_time"), ["paid_time"], unique=False)
    op.create_table(
        "reimbursement_invoice",
        sa.Column("id", ID, nullable=False),
        sa.Column("claim_id", ID, nullable=False),
        sa.Column("invoice_no", sa.String(length=40), nullable=False),
        sa.Column("institution_name", sa.String(length=100), nullable=False),
        sa.Column("institution_code", sa.String(length=30), nullable=True),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["reimbursement_claim.id"], name=op.f("fk_reimbursement_invoice_claim_id_reimbursement_claim")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reimbursement_invoice")),
    )
    with op.batch_alter_table("reimbursement_invoice", schema=None) as b:
        b.create_index(b.f("ix_reimbursement_invoice_claim_id"), ["claim_id"], unique=False)
        b.create_index(
            "uq_reimbursement_invoice_live",
            ["invoice_no"],
            unique=True,
            sqlite_where=sa.text("live"),
            postgresql_where=sa.text("live"),
        )
    op.create_table(
        "reimbursement_fee",
        sa.Column("id", ID, nullable=False),
        sa.Column("claim_id", ID, nullable=False),
        sa.Column("sn", sa.String(length=10), nullable=False),
        sa.Column("item_code", sa.String(length=50), nullable=False),
        sa.Column("count", sa.String(length=20), nullable=False),
        sa.Column("price", sa.String(length=24), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["reimbursement_claim.id"], name=op.f("fk_reimbursement_fee_claim_id_reimbursement_claim")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reimbursement_fee")),
    )
    with op.batch_alter_table("reimbursement_fee", schema=None) as b:
        b.create_index(b.f("ix_reimbursement_fee_claim_id"), ["claim_id"], unique=False)
    op.create_table(
        "reimbursement_draw",
        sa.Column("id", ID, nullable=False),
        sa.Column("claim_id", ID, nullable=False),
        sa.Column("binding_id", ID, nullable=False),
        sa.Column("authorizer_id", ID, nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["reimbursement_claim.id"], name=op.f("fk_reimbursement_draw_claim_id_reimbursement_claim")
        ),
        sa.ForeignKeyConstraint(
            ["binding_id"], ["family_binding.id"], name=op.f("fk_reimbursement_draw_binding_id_family_binding")
        ),
        sa.ForeignKeyConstraint(
            ["authorizer_id"], ["person.id"], name=op.f("fk_reimbursement_draw_authorizer_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reimbursement_draw")),
    )
    with op.batch_alter_table("reimbursement_draw", schema=None) as b:
        b.create_index(b.f("ix_reimbursement_draw_claim_id"), ["claim_id"], unique=False)


def downgrade() -> None:
    for table in ("reimbursement_draw", "reimbursement_fee", "reimbursement_invoice", "reimbursement_claim"):
        op.drop_table(table)
