"""Customers."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    """Create the customers table."""
    op.create_table(
        "identity_customers",
        sa.Column("customer_id", sa.String(64), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("password_hash", sa.String(256), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("email", name="uq_identity_customers_email"),
    )


def downgrade() -> None:
    """Drop the customers table."""
    op.drop_table("identity_customers")
