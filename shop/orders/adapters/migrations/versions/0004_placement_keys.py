"""What a placement keeps with its order: its key, its drive, its failure, a second look.

- ``idempotency_key`` and ``request_fingerprint``: the ``Idempotency-Key`` the order was
  placed under and the fingerprint of that request, unique per customer and key, so a
  re-run of the placement finds this order instead of placing another;
- ``driven_until``: the lease of the placement (or recovery) driving a pending order;
- ``failure``: what rejected the order (JSON), to answer a retry of its key the same;
- ``look_again_at``: when the recovery looks at a compensated order's holds again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    """Add the columns and their indexes."""
    with op.batch_alter_table("orders_orders") as batch:
        batch.add_column(sa.Column("idempotency_key", sa.String(255)))
        batch.add_column(sa.Column("request_fingerprint", sa.String(64)))
        batch.add_column(sa.Column("driven_until", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("failure", sa.Text))
        batch.add_column(sa.Column("look_again_at", sa.DateTime(timezone=True)))
    op.create_index(
        "uq_orders_orders_customer_key",
        "orders_orders",
        ["customer_id", "idempotency_key"],
        unique=True,
    )
    op.create_index("ix_orders_orders_look_again_at", "orders_orders", ["look_again_at"])


def downgrade() -> None:
    """Drop the columns and their indexes."""
    op.drop_index("ix_orders_orders_look_again_at", table_name="orders_orders")
    op.drop_index("uq_orders_orders_customer_key", table_name="orders_orders")
    with op.batch_alter_table("orders_orders") as batch:
        for column in (
            "look_again_at",
            "failure",
            "driven_until",
            "request_fingerprint",
            "idempotency_key",
        ):
            batch.drop_column(column)
