"""institution registry fields, hashed gateway keys, single-use nonces (issue 13 §2, §3)

Hand-written. ``institution`` gets its agreement status and dates (existing institutions are
``active`` with open dates). ``api_key`` replaces ``institution_credential``, whose secrets were
kept in clear and whose schemes (HmacSHA1 without the body, TIF) are no longer accepted: those
keys cannot be carried over — the new table never holds a secret, only its SHA-256 — so they are
dropped, and institutions get new keys with ``gongji institutions keys issue``
(docs/institution-keys.md). ``gateway_nonce`` stores each nonce for the 5-minute window under a
unique constraint. Downgrade recreates the old table empty.

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("institution", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=10), server_default="active", nullable=False))
        batch_op.add_column(sa.Column("agreement_start", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("agreement_end", sa.Date(), nullable=True))

    op.create_table(
        "api_key",
        sa.Column("id", BigId, nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=12), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=20), nullable=True),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("secret_hint", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaced_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_api_key_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("key_id", name=op.f("uq_api_key_key_id")),
    )
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_key_fixmedins_code"), ["fixmedins_code"], unique=False)

    op.create_table(
        "gateway_nonce",
        sa.Column("id", BigId, nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_nonce")),
        sa.UniqueConstraint("key_id", "nonce", name="uq_gateway_nonce_key_nonce"),
    )
    with op.batch_alter_table("gateway_nonce", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gateway_nonce_expires_at"), ["expires_at"], unique=False)

    with op.batch_alter_table("institution_credential", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_institution_credential_fixmedins_code"))
    op.drop_table("institution_credential")


def downgrade() -> None:
    op.create_table(
        "institution_credential",
        sa.Column("id", BigId, nullable=False),
        sa.Column("fixmedins_code", sa.String(length=20), nullable=False),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("scheme", sa.String(length=3), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_institution_credential_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution_credential")),
        sa.UniqueConstraint("key_id", name=op.f("uq_institution_credential_key_id")),
    )
    with op.batch_alter_table("institution_credential", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_institution_credential_fixmedins_code"), ["fixmedins_code"], unique=False)
    with op.batch_alter_table("gateway_nonce", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gateway_nonce_expires_at"))
    op.drop_table("gateway_nonce")
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_key_fixmedins_code"))
    op.drop_table("api_key")
    with op.batch_alter_table("institution", schema=None) as batch_op:
        batch_op.drop_column("agreement_end")
        batch_op.drop_column("agreement_start")
        batch_op.drop_column("status")
