"""login throttling and password reset codes (issue 13 §4)

``login_throttle`` counts failed logins per account (a hash of the user name) and per client
address, with the lock's end, so every worker sees the same lock. ``password_reset_code``
holds the one-time codes staff issue (argon2 hash only, expiry, single use).

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )
    op.create_table(
        "password_reset_code",
        sa.Column("id", BigId, nullable=False),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("code_hash", sa.String(length=200), nullable=False),
        sa.Column("issued_by", BigId, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_password_reset_code_user_id_app_user")),
        sa.ForeignKeyConstraint(["issued_by"], ["app_user.id"], name=op.f("fk_password_reset_code_issued_by_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset_code")),
    )
    op.create_index(op.f("ix_password_reset_code_user_id"), "password_reset_code", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_password_reset_code_user_id"), table_name="password_reset_code")
    op.drop_table("password_reset_code")
    op.drop_table("login_throttle")
