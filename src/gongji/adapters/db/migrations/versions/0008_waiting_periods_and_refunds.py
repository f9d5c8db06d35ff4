"""waiting periods on resident premiums, refund amounts on refund requests

Hand-written. ``resident_premium`` gets the waiting period decided when the premium was paid
(notes §1.2: ``benefit_start``, ``waiting_months``, ``years_broken``, ``bought_back_months``);
``premium_refund`` (now any channel, not only the family account) gets what an approved refund
paid back (``refund_fen``) and what it withheld for the subsidy (``withheld_fen``, seed 002 §七).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("resident_premium") as batch:
        batch.add_column(sa.Column("benefit_start", sa.Date(), nullable=True))
        batch.add_column(sa.Column("waiting_months", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("years_broken", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("bought_back_months", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("premium_refund") as batch:
        batch.add_column(sa.Column("refund_fen", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("withheld_fen", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("premium_refund") as batch:
        batch.drop_column("withheld_fen")
        batch.drop_column("refund_fen")
    with op.batch_alter_table("resident_premium") as batch:
        batch.drop_column("bought_back_months")
        batch.drop_column("years_broken")
        batch.drop_column("waiting_months")
        batch.drop_column("benefit_start")
