"""Idempotency keys: the first answer to each key, replayed to retries.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLE = "identity_idempotency_keys"


def upgrade() -> None:
    """Create the table of idempotency keys (the columns accord.sql.idempotency_table names)."""
    op.create_table(
        TABLE,
        sa.Column("scope", sa.String(255), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("token", sa.String(32), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("lease_until", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("status", sa.Integer),
        sa.Column("content_type", sa.String(255)),
        sa.Column("headers", sa.LargeBinary),
        sa.Column("body", sa.LargeBinary),
    )
    op.create_index(f"ix_{TABLE}_expires_at", TABLE, ["expires_at"])


def downgrade() -> None:
    """Drop the table of idempotency keys."""
    op.drop_index(f"ix_{TABLE}_expires_at", table_name=TABLE)
    op.drop_table(TABLE)
