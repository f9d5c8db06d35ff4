"""Collection follow-up (issue 16 §3–§4, seed 002 §六3 双限报解, §六1): township cash receipts and
remittances, failed online payment reports, contact records of 催缴. New empty tables only.

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "collection_contact",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("benefit_year", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("promised_on", sa.Date(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_collection_contact_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_contact")),
    )
    with op.batch_alter_table("collection_contact", schema=None) as batch_op:
        batch_op.create_index("ix_collection_contact_person", ["benefit_year", "person_id"], unique=False)

    op.create_table(
        "failed_payment_report",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("township_code", sa.String(length=12), nullable=True),
        sa.Column("benefit_year", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("order_no", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("screenshot", sa.LargeBinary(), nullable=True),
        sa.Column("screenshot_type", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("resolution", sa.String(length=12), nullable=True),
        sa.Column("resolution_note", sa.String(length=200), nullable=True),
        sa.Column("checked_json", sa.Text(), nullable=True),
        sa.Column("resolved_by_user_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_failed_payment_report_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_failed_payment_report")),
    )
    with op.batch_alter_table("failed_payment_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_failed_payment_report_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_failed_payment_report_region_code"), ["region_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_failed_payment_report_township_code"), ["township_code"], unique=False)

    op.create_table(
        "township_remittance",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("township_code", sa.String(length=12), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("receipt_count", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("ledger_txn_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("remitted_by_user_id", sa.Integer(), nullable=True),
        sa.Column("remitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("treasury_method", sa.String(length=12), nullable=True),
        sa.Column("treasury_reference", sa.String(length=64), nullable=True),
        sa.Column("treasury_txn_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("treasury_by_user_id", sa.Integer(), nullable=True),
        sa.Column("treasury_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["ledger_txn_id"], ["ledger_txn.id"], name=op.f("fk_township_remittance_ledger_txn_id_ledger_txn")
        ),
        sa.ForeignKeyConstraint(
            ["treasury_txn_id"], ["ledger_txn.id"], name=op.f("fk_township_remittance_treasury_txn_id_ledger_txn")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_township_remittance")),
        sa.UniqueConstraint("reference", name=op.f("uq_township_remittance_reference")),
    )
    with op.batch_alter_table("township_remittance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_township_remittance_township_code"), ["township_code"], unique=False)

    op.create_table(
        "township_cash_receipt",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("township_code", sa.String(length=12), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("receipt_no", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("benefit_year", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("payment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ledger_txn_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("remittance_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["ledger_txn_id"], ["ledger_txn.id"], name=op.f("fk_township_cash_receipt_ledger_txn_id_ledger_txn")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["premium_payment.id"], name=op.f("fk_township_cash_receipt_payment_id_premium_payment")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_township_cash_receipt_person_id_person")),
        sa.ForeignKeyConstraint(
            ["remittance_id"],
            ["township_remittance.id"],
            name=op.f("fk_township_cash_receipt_remittance_id_township_remittance"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_township_cash_receipt")),
        sa.UniqueConstraint("receipt_no", name=op.f("uq_township_cash_receipt_receipt_no")),
    )
    with op.batch_alter_table("township_cash_receipt", schema=None) as batch_op:
        batch_op.create_index("ix_township_cash_open", ["township_code", "remittance_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_township_cash_receipt_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("township_cash_receipt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_township_cash_receipt_person_id"))
        batch_op.drop_index("ix_township_cash_open")

    op.drop_table("township_cash_receipt")
    with op.batch_alter_table("township_remittance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_township_remittance_township_code"))

    op.drop_table("township_remittance")
    with op.batch_alter_table("failed_payment_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_failed_payment_report_township_code"))
        batch_op.drop_index(batch_op.f("ix_failed_payment_report_region_code"))
        batch_op.drop_index(batch_op.f("ix_failed_payment_report_person_id"))

    op.drop_table("failed_payment_report")
    with op.batch_alter_table("collection_contact", schema=None) as batch_op:
        batch_op.drop_index("ix_collection_contact_person")

    op.drop_table("collection_contact")
