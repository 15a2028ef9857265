"""Idempotency keys in a service's own database: the SQL :class:`IdempotencyStore`.

One row per (scope, key): the request's fingerprint, the claim's token and lease, and
once answered the status, content type, headers and body. A claim is one transaction:
``INSERT … ON CONFLICT DO NOTHING`` either inserts the row (the key is ours) or finds it
taken; then the row decides — replay, mismatch, in flight, or a lease or retention that
ran out and may be taken over with a conditional ``UPDATE``. The primary key makes
claiming atomic across requests and processes, on SQLite and PostgreSQL alike.

The table is created by the service's own migration, with the columns of
:func:`idempotency_table`: its ``upgrade()`` calls :func:`create_idempotency_table`
(``docs/idempotency.md`` shows the revision)::

    store = SqlIdempotencyStore(engine, "orders_idempotency_keys")
    App(..., layers=[Deadlines(), IdempotencyLayer(store)])
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from accord.runtime.idempotency import (
    Claimed,
    ClaimOutcome,
    InFlight,
    Mismatch,
    StoredResponse,
)
from accord.sql.postgres_direct import DirectAsyncEngine
from accord.sql.prepared import prepared

__all__ = [
    "SqlIdempotencyStore",
    "create_idempotency_table",
    "drop_idempotency_table",
    "idempotency_migration",
    "idempotency_table",
]

_ATTEMPTS = 3


def _columns() -> list[sa.Column[Any]]:
    """The columns of a table of idempotency keys (new objects: a column has one table)."""
    return [
        sa.Column("scope", sa.String(255), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("token", sa.String(32), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("lease_until", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("status", sa.Integer),
        sa.Column("content_type", sa.String(255)),
        sa.Column("headers", sa.LargeBinary),
        sa.Column("body", sa.LargeBinary),
    ]


def idempotency_table(name: str, metadata: sa.MetaData | None = None) -> sa.Table:
    """The table of idempotency keys called ``name`` (a migration creates it)."""
    return sa.Table(name, metadata if metadata is not None else sa.MetaData(), *_columns())


def create_idempotency_table(name: str) -> None:
    """In a migration's ``upgrade()``: create the table of idempotency keys called
    ``name``, and the index the sweep of expired keys reads (``ix_<name>_expires_at``)."""
    from alembic import op

    op.create_table(name, *_columns())
    op.create_index(f"ix_{name}_expires_at", name, ["expires_at"])


def drop_idempotency_table(name: str) -> None:
    """In a migration's ``downgrade()``: drop what :func:`create_idempotency_table` made."""
    from alembic import op

    op.drop_index(f"ix_{name}_expires_at", table_name=name)
    op.drop_table(name)


def idempotency_migration(name: str) -> tuple[Callable[[], None], Callable[[], None]]:
    """A whole migration of its own for the table of idempotency keys called ``name``:
    its ``(upgrade, downgrade)``, which the migration module binds at its top level::

        revision = "0002"
        down_revision = "0001"
        upgrade, downgrade = idempotency_migration("orders_idempotency_keys")

    ``accord release check`` knows it only creates (:mod:`accord.release.migrations`).
    """

    def upgrade() -> None:
        create_idempotency_table(name)

    def downgrade() -> None:
        drop_idempotency_table(name)

    return upgrade, downgrade


_CLAIM_COLUMNS = ("scope", "key", "fingerprint", "token", "created_at", "lease_until", "expires_at")
_ANSWER_COLUMNS = ("status", "content_type", "headers", "body", "expires_at")
_encode_headers = msgspec.json.Encoder().encode
_decode_headers = msgspec.json.Decoder(list[tuple[str, str]]).decode


def _decide(row: sa.Row[Any], fingerprint: str, now: float) -> ClaimOutcome | None:
    """What a live row says to a request: replay, mismatch, in flight; ``None``: claim it."""
    if row.expires_at <= now:
        return None
    if row.fingerprint != fingerprint:
        return Mismatch()
    if row.status is not None:
        headers = tuple(
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in _decode_headers(row.headers or b"[]")
        )
        return StoredResponse(
            row.status, row.content_type.encode("latin-1"), headers, bytes(row.body)
        )
    if row.lease_until > now:
        return InFlight()
    return None


def _insert_of(dialect: str) -> Any:
    """The dialect's ``INSERT … ON CONFLICT`` construct; only that dialect is imported (the
    PostgreSQL one is about 2 MiB that a service on SQLite never uses)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    from sqlalchemy.dialects import sqlite

    return sqlite.insert


class SqlIdempotencyStore:
    """An :class:`~accord.runtime.idempotency.IdempotencyStore` in table ``table``.

    Times are the wall-clock seconds the layer passes; ``engine`` is the service's own
    (:func:`accord.sql.create_engine`).
    """

    def __init__(self, engine: AsyncEngine, table: str | sa.Table) -> None:
        self._engine = engine
        self.table = t = table if isinstance(table, sa.Table) else idempotency_table(table)
        self._insert = _insert_of(engine.dialect.name)
        # The statements of every keyed request, built once: building one and computing
        # its cache key cost more than SQLAlchemy's compiled-cache hit that follows.
        # Prepared (accord.sql.prepared): run on the driver, compiled once.
        self._try_claim = prepared(
            self._insert(t)
            .values({name: sa.bindparam(name) for name in _CLAIM_COLUMNS})
            .on_conflict_do_nothing(index_elements=[t.c.scope, t.c.key])
            .returning(t.c.token)
        )
        this = (t.c.scope == sa.bindparam("w_scope")) & (t.c.key == sa.bindparam("w_key"))
        self._read = prepared(sa.select(t).where(this))
        self._answer = prepared(
            sa.update(t)
            .where(this & (t.c.token == sa.bindparam("w_token")))
            .values({name: sa.bindparam(f"new_{name}") for name in _ANSWER_COLUMNS})
        )

    async def claim(
        self, scope: str, key: str, fingerprint: str, *, now: float, lease: float, retention: float
    ) -> ClaimOutcome:
        """See :meth:`accord.runtime.idempotency.IdempotencyStore.claim`."""
        engine = self._engine
        if isinstance(engine, DirectAsyncEngine):
            # PostgreSQL: the insert that claims a new key is a transaction of its own
            # (one round trip); a key found taken goes the way below.
            fresh = self._fresh(scope, key, fingerprint, now, lease, retention)
            if (await engine.execute_alone(self._try_claim, fresh)).first() is not None:
                return Claimed(fresh["token"])
        for _ in range(_ATTEMPTS):
            async with engine.begin() as conn:
                outcome = await self._claim(conn, scope, key, fingerprint, now, lease, retention)
            if outcome is not None:
                return outcome
        # Released between our insert and our read, three times over: someone is busy.
        return InFlight()

    async def _claim(
        self,
        conn: AsyncConnection,
        scope: str,
        key: str,
        fingerprint: str,
        now: float,
        lease: float,
        retention: float,
    ) -> ClaimOutcome | None:
        t = self.table
        claim = self._fresh(scope, key, fingerprint, now, lease, retention)
        inserted = await conn.execute(self._try_claim, claim)
        token = claim["token"]
        if inserted.first() is not None:
            return Claimed(token)
        fresh = {name: claim[name] for name in _CLAIM_COLUMNS[2:]}
        this = self._this(scope, key)
        row = (await conn.execute(self._read, {"w_scope": scope, "w_key": key})).one_or_none()
        if row is None:
            return None
        if row.expires_at <= now:
            cleared = {"status": None, "content_type": None, "headers": None, "body": None}
            taken = await conn.execute(
                sa.update(t).where(this & (t.c.token == row.token)).values(**fresh, **cleared)
            )
            return Claimed(token) if taken.rowcount == 1 else None
        seen = _decide(row, fingerprint, now)
        if seen is not None:
            return seen
        taken = await conn.execute(
            sa.update(t)
            .where(this & (t.c.token == row.token) & t.c.status.is_(None))
            .values(token=token, lease_until=now + lease, expires_at=now + retention)
        )
        return Claimed(token) if taken.rowcount == 1 else None

    @staticmethod
    def _fresh(
        scope: str, key: str, fingerprint: str, now: float, lease: float, retention: float
    ) -> dict[str, Any]:
        """The row of a new claim of ``key``, with a new token."""
        return {
            "scope": scope,
            "key": key,
            "fingerprint": fingerprint,
            "token": secrets.token_hex(16),
            "created_at": now,
            "lease_until": now + lease,
            "expires_at": now + retention,
        }

    def _this(self, scope: str, key: str) -> sa.ColumnElement[bool]:
        return (self.table.c.scope == scope) & (self.table.c.key == key)

    async def complete(
        self, scope: str, key: str, token: str, response: StoredResponse, *, expires: float
    ) -> bool:
        """See :meth:`accord.runtime.idempotency.IdempotencyStore.complete`."""
        headers = [
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in response.headers
        ]
        answer = {
            "w_scope": scope,
            "w_key": key,
            "w_token": token,
            "new_status": response.status,
            "new_content_type": response.content_type.decode("latin-1"),
            "new_headers": _encode_headers(headers),
            "new_body": response.body,
            "new_expires_at": expires,
        }
        engine = self._engine
        if isinstance(engine, DirectAsyncEngine):  # PostgreSQL: one round trip
            done = await engine.execute_alone(self._answer, answer)
        else:
            async with engine.begin() as conn:
                done = await conn.execute(self._answer, answer)
        return bool(done.rowcount == 1)

    async def release(self, scope: str, key: str, token: str) -> None:
        """See :meth:`accord.runtime.idempotency.IdempotencyStore.release`."""
        t = self.table
        async with self._engine.begin() as conn:
            await conn.execute(
                sa.delete(t).where(
                    (t.c.scope == scope)
                    & (t.c.key == key)
                    & (t.c.token == token)
                    & t.c.status.is_(None)
                )
            )

    async def purge(self, now: float) -> int:
        """See :meth:`accord.runtime.idempotency.IdempotencyStore.purge`."""
        t = self.table
        async with self._engine.begin() as conn:
            purged = await conn.execute(sa.delete(t).where(t.c.expires_at <= now))
        return int(purged.rowcount)
