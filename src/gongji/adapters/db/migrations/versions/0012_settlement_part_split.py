"""settlement: 个人负担 by part and source

Hand-written. Eight nullable columns on ``settlement``: what the own account and family funds paid
of each part of 个人负担 (in-policy self-pay, 先行自付, 超限价, 全自费), so 5203 and the citizen's
history show which part each source paid (seed 000 一是就医购药). Rows settled before stay NULL.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

COLUMNS = tuple(
    f"{source}_{part}_fen" for source in ("own", "family") for part in ("in_scope", "preselfpay", "overlmt", "fulamt")
)


def upgrade() -> None:
    with op.batch_alter_table("settlement") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("settlement") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
