"""Orders' idempotency keys: the first answer to each key, replayed to retries."""

from __future__ import annotations

from accord.sql import idempotency_migration

revision = "0003"
down_revision = "0002"
upgrade, downgrade = idempotency_migration("orders_idempotency_keys")
