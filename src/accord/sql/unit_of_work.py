"""A unit of work on SQLAlchemy's asyncio engine: one transaction, conflicts named.

A service's adapter subclasses :class:`UnitOfWork` (which implements the protocol of
:class:`accord.ports.UnitOfWork`), says which exception of its application layer means
"a concurrent transaction won" (``conflict``: :class:`accord.ports.ConcurrencyConflict`
unless it says otherwise), and attaches its repositories to the connection in
:meth:`UnitOfWork.bind`::

    class SqlUnitOfWork(UnitOfWork):
        conflict = ConcurrencyConflict          # the application's port exception

        def bind(self, connection: AsyncConnection) -> None:
            self.orders = SqlOrderRepository(connection)

A repository extends :class:`Repository`, which keeps that connection as
``self._connection``. Repositories wrap their statements in
``async with conflicts_as(ConcurrencyConflict):`` so a taken unique key or a
serialization failure reaches the use case as a conflict it retries, never as a driver
error.

A unit of work that only reads says so: ``SqlUnitOfWork(engine, read_only=True)`` (a
service's factory passes ``read_only`` through, :class:`accord.ports.UnitOfWorkFactory`).
Its connection gets :data:`~accord.sql.reading.READ_ONLY`: on PostgreSQL each statement
is sent alone (autocommit: no ``BEGIN``, no ``ROLLBACK``), on SQLite its transaction
takes no write lock; a statement that may write, and :meth:`UnitOfWork.commit`, raise
:class:`~accord.sql.ReadOnlyViolation` (:mod:`accord.sql.reading`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import ClassVar, Self

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from accord.ports import ConcurrencyConflict
from accord.sql.conflicts import is_conflict
from accord.sql.reading import READ_ONLY, ReadOnlyViolation

__all__ = ["Repository", "UnitOfWork", "conflicts_as"]


@asynccontextmanager
async def conflicts_as(error: type[Exception]) -> AsyncIterator[None]:
    """Raise ``error`` for a database error that :func:`is_conflict` says means "retry"."""
    try:
        yield
    except DBAPIError as exc:
        if is_conflict(exc):
            raise error(str(exc.orig)) from exc
        raise


class Repository:
    """A repository on the connection of the unit of work that binds it
    (:meth:`UnitOfWork.bind`): its statements run on ``self._connection``, in that unit
    of work's transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection


class UnitOfWork:
    """One transaction on ``engine``; rolled back unless :meth:`commit` is called.

    With ``read_only``, reads only (module docstring): no transaction on PostgreSQL,
    no write lock on SQLite, writes and :meth:`commit` refused.
    """

    #: The application's exception for a write lost to a concurrent transaction.
    conflict: ClassVar[type[Exception]] = ConcurrencyConflict

    def __init__(self, engine: AsyncEngine, *, read_only: bool = False) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        #: Whether this unit of work only reads.
        self.read_only = read_only

    def bind(self, connection: AsyncConnection) -> None:
        """Attach the repositories of this unit of work to ``connection``."""
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        connection = await self._engine.connect()
        if self.read_only:
            try:
                await connection.execution_options(**{READ_ONLY: True})
            except BaseException:
                await connection.close()
                raise
        self._connection = connection
        self.bind(connection)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            # Rolls back whatever was not committed and returns the connection to the
            # pool, carried through to the end even when the request is being cancelled.
            await connection.__aexit__(exc_type, exc, tb)

    async def commit(self) -> None:
        """Commit; a write lost to a concurrent transaction raises ``conflict``."""
        if self._connection is None:
            raise RuntimeError("commit() outside 'async with'")
        if self.read_only:
            raise ReadOnlyViolation("a unit of work that only reads has nothing to commit")
        async with conflicts_as(type(self).conflict):
            await self._connection.commit()
