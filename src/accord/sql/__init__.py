"""Databases for services: URLs, SQLAlchemy's asyncio engine, migrations, readiness, conflicts.

A service names its database with a plain URL, never a driver::

    sqlite:///.accord/inventory.db           a file (its folder is created)
    postgresql://user@127.0.0.1:5432/shop    a PostgreSQL database (psycopg 3)

and its composition root does, in this order::

    migrate(url, MIGRATIONS, version_table="inventory_alembic_version")  # schema first
    engine = create_engine(url)                                          # then the pool
    App(..., readiness={"database": readiness(engine)},
        on_shutdown=[engine.dispose])

- :mod:`accord.sql.urls` — the URL rules (:func:`sync_url`, :func:`async_url`).
- :mod:`accord.sql.engine` — :func:`create_engine`, SQLAlchemy's
  :class:`~sqlalchemy.ext.asyncio.AsyncEngine` tuned for a service, and
  :func:`readiness`; statements are SQLAlchemy Core.
- :mod:`accord.sql.migrations` — :func:`migrate` and :func:`alembic_env`, the whole body
  of each service's ``migrations/env.py`` (blocking drivers, run once before serving).
- :mod:`accord.sql.conflicts` — :func:`is_conflict`, the errors that mean "retry".
- :mod:`accord.sql.unit_of_work` — :class:`UnitOfWork` (one transaction, repositories
  bound to it; or, with ``read_only=True``, reads only), :class:`Repository` (one such
  repository: the connection it runs on) and :func:`conflicts_as`.
- :mod:`accord.sql.reading` — what a connection that only reads does on each database,
  and :class:`ReadOnlyViolation`, a write it refuses.
- :mod:`accord.sql.versioned` — :func:`compare_and_set`, a write guarded by the version
  that was read.
- :mod:`accord.sql.paging` — :func:`keyset_page`, a listing's page in key order.
- :mod:`accord.sql.prepared` — :func:`prepared`, a hot statement compiled once and run
  on the driver directly (SQLite on the loop, psycopg awaited without the bridge).
- :mod:`accord.sql.idempotency` — :class:`SqlIdempotencyStore`, where the runtime's
  idempotency layer claims keys and keeps answers (``docs/idempotency.md``).
"""

from accord.sql.conflicts import is_conflict
from accord.sql.engine import SQLITE_BUSY_TIMEOUT_MS, create_engine, readiness
from accord.sql.idempotency import (
    SqlIdempotencyStore,
    create_idempotency_table,
    drop_idempotency_table,
    idempotency_migration,
    idempotency_table,
)
from accord.sql.migrations import DEFAULT_VERSION_TABLE, MigrationError, alembic_env, migrate
from accord.sql.paging import PageRequest, keyset_page
from accord.sql.prepared import PreparedResult, prepared
from accord.sql.reading import ReadOnlyViolation
from accord.sql.unit_of_work import Repository, UnitOfWork, conflicts_as
from accord.sql.urls import DatabaseUrlError, async_url, sync_url
from accord.sql.versioned import compare_and_set

__all__ = [
    "DEFAULT_VERSION_TABLE",
    "SQLITE_BUSY_TIMEOUT_MS",
    "DatabaseUrlError",
    "MigrationError",
    "PageRequest",
    "PreparedResult",
    "ReadOnlyViolation",
    "Repository",
    "SqlIdempotencyStore",
    "UnitOfWork",
    "alembic_env",
    "async_url",
    "compare_and_set",
    "conflicts_as",
    "create_engine",
    "create_idempotency_table",
    "drop_idempotency_table",
    "idempotency_migration",
    "idempotency_table",
    "is_conflict",
    "keyset_page",
    "migrate",
    "prepared",
    "readiness",
    "sync_url",
]
