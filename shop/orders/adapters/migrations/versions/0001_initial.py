"""Orders and their lines."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    """Create the orders and order lines tables."""
    op.create_table(
        "orders_orders",
        sa.Column("order_id", sa.String(64), primary_key=True),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("total_cents", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(500)),
        sa.Column("reservation_id", sa.String(64)),
        sa.Column("authorization_id", sa.String(64)),
        sa.Column("rejection", sa.String(64)),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
        sa.CheckConstraint(
            "status IN ('pending', 'confirmed', 'rejected')", name="ck_orders_orders_status"
        ),
        sa.CheckConstraint("total_cents >= 0", name="ck_orders_orders_total"),
        sa.CheckConstraint(
            "status <> 'confirmed' OR reservation_id IS NOT NULL",
            name="ck_orders_orders_confirmed_holds_stock",
        ),
        sa.CheckConstraint("version >= 0", name="ck_orders_orders_version"),
    )
    op.create_index(
        "ix_orders_orders_customer_created",
        "orders_orders",
        ["customer_id", "created_at", "order_id"],
    )
    op.create_table(
        "orders_lines",
        sa.Column(
            "order_id",
            sa.String(64),
            sa.ForeignKey("orders_orders.order_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("unit_price_cents", sa.BigInteger),
        sa.CheckConstraint("quantity > 0", name="ck_orders_lines_quantity"),
        sa.CheckConstraint(
            "unit_price_cents IS NULL OR unit_price_cents >= 0", name="ck_orders_lines_price"
        ),
        sa.UniqueConstraint("order_id", "sku", name="uq_orders_lines_sku"),
    )


def downgrade() -> None:
    """Drop the orders tables."""
    op.drop_table("orders_lines")
    op.drop_index("ix_orders_orders_customer_created", table_name="orders_orders")
    op.drop_table("orders_orders")
