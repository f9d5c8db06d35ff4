"""family fraud cases and their receivables (seed 003 四(四))

Hand-written. ``family_fraud_case`` (the receivable 追回应收 of a binding revoked for fraud, with
its lifecycle and the write-off's maker and checker), ``family_fraud_collection`` (each amount
collected, with its ledger transaction), ``credit_record.case_id`` (the credit entries of both
parties name the case).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "family_fraud_case",
        sa.Column("id", BigId, nullable=False),
        sa.Column("binding_id", BigId, nullable=False),
        sa.Column("authorizer_id", BigId, nullable=False),
        sa.Column("relative_id", BigId, nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("liable", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("collected_fen", sa.BigInteger(), nullable=False),
        sa.Column("written_off_fen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=14), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by_user_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("write_off_reason", sa.String(length=200), nullable=True),
        sa.Column("write_off_requested_by_user_id", sa.Integer(), nullable=True),
        sa.Column("write_off_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("write_off_approved_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["binding_id"], ["family_binding.id"], name=op.f("fk_family_fraud_case_binding_id_family_binding")
        ),
        sa.ForeignKeyConstraint(
            ["authorizer_id"], ["person.id"], name=op.f("fk_family_fraud_case_authorizer_id_person")
        ),
        sa.ForeignKeyConstraint(["relative_id"], ["person.id"], name=op.f("fk_family_fraud_case_relative_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_fraud_case")),
        sa.UniqueConstraint("binding_id", name=op.f("uq_family_fraud_case_binding_id")),
    )
    for column in ("authorizer_id", "relative_id", "region_code", "status"):
        op.create_index(op.f(f"ix_family_fraud_case_{column}"), "family_fraud_case", [column], unique=False)
    op.create_table(
        "family_fraud_collection",
        sa.Column("id", BigId, nullable=False),
        sa.Column("case_id", BigId, nullable=False),
        sa.Column("txn_id", BigId, nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["family_fraud_case.id"], name=op.f("fk_family_fraud_collection_case_id_family_fraud_case")
        ),
        sa.ForeignKeyConstraint(
            ["txn_id"], ["ledger_txn.id"], name=op.f("fk_family_fraud_collection_txn_id_ledger_txn")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_fraud_collection")),
        sa.UniqueConstraint("txn_id", name=op.f("uq_family_fraud_collection_txn_id")),
    )
    op.create_index(op.f("ix_family_fraud_collection_case_id"), "family_fraud_collection", ["case_id"], unique=False)
    with op.batch_alter_table("credit_record") as batch:
        batch.add_column(sa.Column("case_id", BigId, nullable=True))
        batch.create_foreign_key(
            op.f("fk_credit_record_case_id_family_fraud_case"), "family_fraud_case", ["case_id"], ["id"]
        )
        batch.create_index(op.f("ix_credit_record_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("credit_record") as batch:
        batch.drop_index(op.f("ix_credit_record_case_id"))
        batch.drop_constraint(op.f("fk_credit_record_case_id_family_fraud_case"), type_="foreignkey")
        batch.drop_column("case_id")
    op.drop_index(op.f("ix_family_fraud_collection_case_id"), table_name="family_fraud_collection")
    op.drop_table("family_fraud_collection")
    for column in ("status", "region_code", "relative_id", "authorizer_id"):
        op.drop_index(op.f(f"ix_family_fraud_case_{column}"), table_name="family_fraud_case")
    op.drop_table("family_fraud_case")
