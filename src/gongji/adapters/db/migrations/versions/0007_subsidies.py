"""resident premium subsidies (参保资助, seed 002 §四)

Hand-written: ``PersonSubsidy`` (categories recognized after registration) and ``SubsidyGrant``
(each subsidy movement: roster batch, payout, 先缴后补, top-up).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "person_subsidy",
        sa.Column("person_id", BigId, nullable=False),
        sa.Column("subsidy_codes", sa.String(length=300), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_person_subsidy_person_id_person")),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_person_subsidy")),
    )
    op.create_table(
        "subsidy_grant",
        sa.Column("id", BigId, nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("person_id", BigId, nullable=False),
        sa.Column("benefit_year", sa.Integer(), nullable=False),
        sa.Column("category_code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("premium_id", BigId, nullable=True),
        sa.Column("ledger_txn_id", BigId, nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_subsidy_grant_person_id_person")),
        sa.ForeignKeyConstraint(
            ["premium_id"], ["resident_premium.id"], name=op.f("fk_subsidy_grant_premium_id_resident_premium")
        ),
        sa.ForeignKeyConstraint(
            ["ledger_txn_id"], ["ledger_txn.id"], name=op.f("fk_subsidy_grant_ledger_txn_id_ledger_txn")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_grant")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_subsidy_grant_idempotency_key")),
    )
    op.create_index(op.f("ix_subsidy_grant_person_id"), "subsidy_grant", ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_subsidy_grant_person_id"), table_name="subsidy_grant")
    op.drop_table("subsidy_grant")
    op.drop_table("person_subsidy")
