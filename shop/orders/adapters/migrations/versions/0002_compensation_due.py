"""Orders that still owe a compensation (a hold to let go) after they were rejected."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    """Add ``compensation_due`` and an index to find those orders."""
    with op.batch_alter_table("orders_orders") as batch:
        batch.add_column(
            sa.Column("compensation_due", sa.Boolean, nullable=False, server_default=sa.false())
        )
    op.create_index(
        "ix_orders_orders_compensation_due", "orders_orders", ["compensation_due", "status"]
    )


def downgrade() -> None:
    """Drop the column and its index."""
    op.drop_index("ix_orders_orders_compensation_due", table_name="orders_orders")
    with op.batch_alter_table("orders_orders") as batch:
        batch.drop_column("compensation_due")
