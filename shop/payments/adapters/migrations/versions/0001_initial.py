"""Authorizations."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    """Create the authorizations table."""
    op.create_table(
        "payments_authorizations",
        sa.Column("authorization_id", sa.String(64), primary_key=True),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("amount_cents", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("processor_reference", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
        sa.UniqueConstraint("order_id", name="uq_payments_authorizations_order_id"),
        sa.CheckConstraint("amount_cents > 0", name="ck_payments_authorizations_amount"),
        sa.CheckConstraint(
            "status IN ('authorized', 'captured', 'voided')",
            name="ck_payments_authorizations_status",
        ),
        sa.CheckConstraint("version >= 0", name="ck_payments_authorizations_version"),
    )


def downgrade() -> None:
    """Drop the authorizations table."""
    op.drop_table("payments_authorizations")
