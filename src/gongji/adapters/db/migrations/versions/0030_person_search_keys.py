"""Person search keys: indexes for search by the start and by the end of a number (issue 17)

Hand-written. ``person`` gets ``cert_tail``, ``phone_tail`` and ``ssc_tail`` (the last four
characters of the ID number, phone and social-security card number, kept by the model on every
write), each indexed, and plain indexes on ``cert_no`` and ``phone`` for prefix ranges. The data
step fills the tails of the persons already there. Downgrade drops the indexes and columns.

Revision ID: 0030
Revises: 0029
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

_TAILS = {"cert_tail": "cert_no", "phone_tail": "phone", "ssc_tail": "ssc_no"}


def upgrade() -> None:
    with op.batch_alter_table("person") as batch:
        for tail in _TAILS:
            batch.add_column(sa.Column(tail, sa.String(length=4), nullable=True))
    for tail, col in _TAILS.items():
        op.execute(
            f"UPDATE person SET {tail} = CASE WHEN length({col}) > 4 "
            f"THEN substr({col}, length({col}) - 3) ELSE {col} END WHERE {col} IS NOT NULL"
        )
    with op.batch_alter_table("person") as batch:
        for name in ("cert_no", "phone", *_TAILS):
            batch.create_index(batch.f(f"ix_person_{name}"), [name], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("person") as batch:
        for name in ("cert_no", "phone", *_TAILS):
            batch.drop_index(batch.f(f"ix_person_{name}"))
        for tail in _TAILS:
            batch.drop_column(tail)
