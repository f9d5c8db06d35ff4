"""subsidy recoveries: a cash subsidy owed back to the medical-assistance fund (issue 12)

Hand-written. ``subsidy_recovery`` holds the receivable opened when a family-paid premium of a
person who was paid a subsidy in cash is refunded (the family account gets its whole 代缴 back),
or when the full-subsidy roster pays a premium a family account had paid after a fixed subsidy
was paid out. Nothing existing changes; downgrade drops the table.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "subsidy_recovery",
        sa.Column("id", BigId, nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("person_id", BigId, nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("benefit_year", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("refund_id", BigId, nullable=True),
        sa.Column("premium_id", BigId, nullable=True),
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
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_subsidy_recovery_person_id_person")),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["premium_refund.id"], name=op.f("fk_subsidy_recovery_refund_id_premium_refund")
        ),
        sa.ForeignKeyConstraint(
            ["premium_id"], ["resident_premium.id"], name=op.f("fk_subsidy_recovery_premium_id_resident_premium")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_recovery")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_subsidy_recovery_idempotency_key")),
    )
    with op.batch_alter_table("subsidy_recovery") as batch:
        batch.create_index(batch.f("ix_subsidy_recovery_person_id"), ["person_id"], unique=False)
        batch.create_index(batch.f("ix_subsidy_recovery_region_code"), ["region_code"], unique=False)
        batch.create_index(batch.f("ix_subsidy_recovery_status"), ["status"], unique=False)


def downgrade() -> None:
    op.drop_table("subsidy_recovery")
