"""Payments on a real, migrated database: once on SQLite, once on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

import shop.payments.adapters.sql as payments_sql
from accord.sql import create_engine, migrate

MIGRATIONS = Path(payments_sql.__file__).parent / "migrations"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A payments database migrated to head, and an engine on it."""
    migrate(database_url, MIGRATIONS, version_table="payments_alembic_version")
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()
