"""premium payment certificates (缴费证明)

Hand-written: the table of ``PremiumCertificate`` (one certificate per premium payment, the
facts it states kept by serial for ``/verify/{serial}``).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "premium_certificate",
        sa.Column("id", BigId, nullable=False),
        sa.Column("serial", sa.String(length=32), nullable=False),
        sa.Column("payment_id", BigId, nullable=False),
        sa.Column("facts_json", sa.Text(), nullable=False),
        sa.Column("issued_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["premium_payment.id"], name=op.f("fk_premium_certificate_payment_id_premium_payment")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_premium_certificate")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_premium_certificate_payment_id")),
        sa.UniqueConstraint("serial", name=op.f("uq_premium_certificate_serial")),
    )


def downgrade() -> None:
    op.drop_table("premium_certificate")
