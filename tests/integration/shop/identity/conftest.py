"""Identity on a real, migrated database: once on SQLite, once on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from accord.security import KeyStore, PasswordHasher
from accord.security.clientkeys import ClientKeys
from accord.sql import create_engine, migrate
from shop.identity.adapters import sql as identity_sql
from shop.identity.adapters.assertions import KeyAssertions
from shop.identity.adapters.passwords import ThreadedPasswords
from shop.identity.adapters.tokens import JwtIssuer
from shop.identity.application.services import IdentityService


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An identity database migrated to head, and an engine on it."""
    migrate(database_url, identity_sql.MIGRATIONS, version_table="identity_alembic_version")
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def service(engine: AsyncEngine, tmp_path: Path) -> IdentityService:
    """The real use cases on the real adapters (scrypt at a test's cost)."""
    keys = KeyStore(tmp_path / "keys.json")
    keys.ensure(token_lifetime=900)
    return IdentityService(
        identity_sql.unit_of_work(engine),
        ThreadedPasswords(PasswordHasher(log_n=10)),
        KeyAssertions(
            ClientKeys(tmp_path / "client-keys"), audience="http://identity.test/v1/token"
        ),
        JwtIssuer(keys, issuer="http://identity.test"),
    )
