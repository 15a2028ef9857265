"""Inventory's idempotency keys: the first answer to each key, replayed to retries."""

from __future__ import annotations

from accord.sql import idempotency_migration

revision = "0002"
down_revision = "0001"
upgrade, downgrade = idempotency_migration("inventory_idempotency_keys")
