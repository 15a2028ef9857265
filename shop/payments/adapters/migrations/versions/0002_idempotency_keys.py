"""Idempotency keys: the first answer to each key, replayed to retries.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from accord.sql import create_idempotency_table, drop_idempotency_table

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLE = "payments_idempotency_keys"


def upgrade() -> None:
    """Create the table of idempotency keys (the columns accord.sql.idempotency_table names)."""
    create_idempotency_table(TABLE)


def downgrade() -> None:
    """Drop the table of idempotency keys."""
    drop_idempotency_table(TABLE)
