"""PostgreSQL: prepared statements awaited on psycopg itself, not through the bridge.

:func:`accord.sql.create_engine` gives a PostgreSQL engine :class:`DirectAsyncEngine`.
Its connections run a statement marked with :func:`accord.sql.prepared` (compiled once,
:mod:`accord.sql.prepared`) by awaiting psycopg's async cursor directly: no greenlet
made and switched into per statement, no SQLAlchemy execution context, no cursor
result. psycopg is the same connection SQLAlchemy's pool handed out, in the same
transaction (SQLAlchemy's transaction is begun first, as autobegin would; psycopg sends
``BEGIN`` before the first statement as it always does); commit, rollback, the pool and
every other statement go through SQLAlchemy as before. A driver error is raised as
SQLAlchemy wraps it, and one that means the connection is gone invalidates it, as
SQLAlchemy does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.util.concurrency import greenlet_spawn

from accord.sql.prepared import PreparedResult, PreparedSql, prepared_sql, raise_wrapped

__all__ = ["DirectAsyncConnection", "DirectAsyncEngine"]


async def _run_prepared(connection: Connection, form: PreparedSql, given: Any) -> PreparedResult:
    sql, parameters = form.sql, given
    adapted: Any = connection.connection.dbapi_connection
    try:
        sql, parameters = form.parameters(given)
        async with adapted._connection.cursor() as cursor:
            await cursor.execute(sql, parameters)
            described = cursor.description
            rows = await cursor.fetchall() if described is not None else []
            rowcount = cursor.rowcount
    except Exception as error:
        dialect = connection.dialect
        if isinstance(error, dialect.loaded_dbapi.Error) and dialect.is_disconnect(
            error, adapted, None
        ):
            await greenlet_spawn(connection.invalidate, error)
        raise_wrapped(connection, sql, parameters, error)
    return PreparedResult(form, described, rows, rowcount)


class DirectAsyncConnection(AsyncConnection):
    """SQLAlchemy's ``AsyncConnection``; prepared statements run on psycopg directly."""

    __slots__ = ()

    async def execute(
        self,
        statement: Any,
        parameters: Any = None,
        *,
        execution_options: Any = None,
    ) -> CursorResult[Any]:
        """See ``AsyncConnection.execute``."""
        connection = self._proxied
        found = (
            None
            if connection.invalidated or connection.closed
            else prepared_sql(connection, statement, parameters, execution_options)
        )
        if found is None:
            result: CursorResult[Any] = await super().execute(
                statement, parameters, execution_options=execution_options
            )
            return result
        if not connection.in_transaction():
            connection.begin()  # autobegin's bookkeeping: psycopg's do_begin sends nothing
        return await _run_prepared(connection, *found)  # type: ignore[return-value]


class DirectAsyncEngine(AsyncEngine):
    """An ``AsyncEngine`` whose connections are :class:`DirectAsyncConnection`."""

    __slots__ = ()
    _connection_cls = DirectAsyncConnection
