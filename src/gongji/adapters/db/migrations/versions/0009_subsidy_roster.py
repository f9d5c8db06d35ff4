"""full-subsidy rosters waiting for a second clerk's approval (seed 002 §四(二)1, issue 12 Part C)

Hand-written: ``subsidy_roster`` keeps an uploaded roster until another clerk approves it (the
money moves then) or rejects it.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "subsidy_roster",
        sa.Column("id", BigId, nullable=False),
        sa.Column("benefit_year", sa.Integer(), nullable=False),
        sa.Column("category_code", sa.String(length=40), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("scope", sa.String(length=300), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("rows_json", sa.Text(), nullable=False),
        sa.Column("uploaded_by_user_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("review_note", sa.String(length=200), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result_json", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_roster")),
    )
    op.create_index(op.f("ix_subsidy_roster_status"), "subsidy_roster", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_subsidy_roster_status"), table_name="subsidy_roster")
    op.drop_table("subsidy_roster")
