"""medical credentials at the counter (issue 13 §1): 社保卡 number, 医保码 tokens, read history

Hand-written. ``person.ssc_no`` (社会保障卡卡号, unique, recorded at enrollment) lets a HIS find
the person by 就诊凭证 03; ``visit.mdtrt_cert_type`` keeps the credential a visit was opened
with; ``ec_token`` holds the short-lived 医保电子凭证 tokens of the citizens' 医保码;
``person_read`` records every 1101 (and every refused use of someone else's credential): which
institution, whom, when, with which kind of credential. Existing rows stay as they are.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("ssc_no", sa.String(length=20), nullable=True))
        batch.create_unique_constraint(batch.f("uq_person_ssc_no"), ["ssc_no"])
    with op.batch_alter_table("visit") as batch:
        batch.add_column(sa.Column("mdtrt_cert_type", sa.String(length=3), nullable=True))
    op.create_table(
        "ec_token",
        sa.Column("id", BigId, nullable=False),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("person_id", BigId, nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fixmedins_code", sa.String(length=20), nullable=True),
        sa.Column("visit_id", BigId, nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_ec_token_person_id_person")),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"], name=op.f("fk_ec_token_visit_id_visit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ec_token")),
        sa.UniqueConstraint("nonce", name=op.f("uq_ec_token_nonce")),
    )
    with op.batch_alter_table("ec_token") as batch:
        batch.create_index(batch.f("ix_ec_token_person_id"), ["person_id"], unique=False)
    op.create_table(
        "person_read",
        sa.Column("id", BigId, nullable=False),
        sa.Column("person_id", BigId, nullable=False),
        sa.Column("fixmedins_code", sa.String(length=20), nullable=False),
        sa.Column("infno", sa.String(length=6), nullable=False),
        sa.Column("mdtrt_cert_type", sa.String(length=3), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("opter", sa.String(length=30), nullable=True),
        sa.Column("msgid", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_person_read_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_read")),
    )
    with op.batch_alter_table("person_read") as batch:
        batch.create_index(batch.f("ix_person_read_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_table("person_read")
    op.drop_table("ec_token")
    with op.batch_alter_table("visit") as batch:
        batch.drop_column("mdtrt_cert_type")
    with op.batch_alter_table("person") as batch:
        batch.drop_constraint("uq_person_ssc_no", type_="unique")
        batch.drop_column("ssc_no")
