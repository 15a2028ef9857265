"""Inventory's first schema: SKUs, reservations and their lines.

Stock columns carry CHECK constraints, a second line of defence behind the versioned
updates: no count is ever negative, whatever a bug or a race might try.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "inventory_skus",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("unit_price_cents", sa.BigInteger, nullable=False),
        sa.Column("available", sa.BigInteger, nullable=False),
        sa.Column("reserved", sa.BigInteger, nullable=False),
        sa.Column("sold", sa.BigInteger, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.CheckConstraint("unit_price_cents >= 0", name="ck_inventory_skus_price"),
        sa.CheckConstraint("available >= 0", name="ck_inventory_skus_available"),
        sa.CheckConstraint("reserved >= 0", name="ck_inventory_skus_reserved"),
        sa.CheckConstraint("sold >= 0", name="ck_inventory_skus_sold"),
    )
    op.create_table(
        "inventory_reservations",
        sa.Column("reservation_id", sa.String(64), primary_key=True),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("order_id", name="uq_inventory_reservations_order"),
        sa.CheckConstraint(
            "status IN ('held', 'committed', 'released')",
            name="ck_inventory_reservations_status",
        ),
    )
    op.create_table(
        "inventory_reservation_lines",
        sa.Column(
            "reservation_id",
            sa.String(64),
            sa.ForeignKey("inventory_reservations.reservation_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("sku", sa.String(64), sa.ForeignKey("inventory_skus.code"), nullable=False),
        sa.Column("quantity", sa.BigInteger, nullable=False),
        sa.Column("unit_price_cents", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("reservation_id", "sku", name="uq_inventory_lines_sku"),
        sa.CheckConstraint("quantity > 0", name="ck_inventory_lines_quantity"),
        sa.CheckConstraint("unit_price_cents >= 0", name="ck_inventory_lines_price"),
    )


def downgrade() -> None:
    op.drop_table("inventory_reservation_lines")
    op.drop_table("inventory_reservations")
    op.drop_table("inventory_skus")
