"""Inventory on a real, migrated database: once on SQLite, once on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from accord.sql import create_engine, migrate
from shop.inventory.adapters import sql as inventory_sql
from shop.inventory.application.services import InventoryService


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An inventory database migrated to head, and an engine on it."""
    migrate(database_url, inventory_sql.MIGRATIONS, version_table="inventory_alembic_version")
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def service(engine: AsyncEngine) -> InventoryService:
    """The real use cases on the real adapter."""
    return InventoryService(inventory_sql.unit_of_work(engine))
