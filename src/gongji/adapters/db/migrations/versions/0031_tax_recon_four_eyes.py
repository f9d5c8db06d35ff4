"""tax reconciliation: a difference is settled by two clerks (four-eyes)

Hand-written. ``tax_recon_difference`` gets the proposal — who proposed which resolution, when —
so that settling a difference (and a 医保冲正 reversal through the ledger) takes a second clerk
(state ``proposed`` between ``open`` and ``settled``). Downgrade drops the columns (a proposed
difference goes back to open).

Revision ID: 0031
Revises: 0030
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tax_recon_difference") as batch:
        batch.add_column(sa.Column("proposed_resolution", sa.String(length=12), nullable=True))
        batch.add_column(sa.Column("proposed_reason", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("proposed_by_user_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.execute("UPDATE tax_recon_difference SET state = 'open' WHERE state = 'proposed'")
    with op.batch_alter_table("tax_recon_difference") as batch:
        batch.drop_column("proposed_at")
        batch.drop_column("proposed_by_user_id")
        batch.drop_column("proposed_reason")
        batch.drop_column("proposed_resolution")
