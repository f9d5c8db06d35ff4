"""refund evidence entered by staff

Hand-written. ``premium_refund`` gets the evidence a staff member entered for a reason the
system cannot see for itself (跨省重复缴费: the other province's enrollment or payment record,
issue 12 Part C), and who entered it.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("premium_refund") as batch:
        batch.add_column(sa.Column("evidence", sa.String(200), nullable=True))
        batch.add_column(sa.Column("evidence_by_user_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("premium_refund") as batch:
        batch.drop_column("evidence_by_user_id")
        batch.drop_column("evidence")
