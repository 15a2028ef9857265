"""PostgreSQL: prepared statements, commits and transaction ends awaited on psycopg
itself, not through SQLAlchemy's greenlet bridge.

:func:`accord.sql.create_engine` gives a PostgreSQL engine :class:`DirectAsyncEngine`.
SQLAlchemy's ``AsyncConnection`` runs every ``execute``, ``commit``, ``rollback``,
``close`` and every transaction's begin and end in a new greenlet, switched into and
out of, so that psycopg's coroutines deep inside its synchronous ``Connection`` can be
awaited. Here, what needs psycopg is awaited on psycopg directly, and SQLAlchemy's
synchronous ``Connection`` is called for its bookkeeping only:

- **Prepared statements** (:func:`accord.sql.prepared`, compiled once,
  :mod:`accord.sql.prepared`) run on psycopg's async cursor: no execution context, no
  cursor result. SQLAlchemy's transaction is begun first, as autobegin would; psycopg
  sends ``BEGIN`` before the first statement as it always does.
- **Commit and rollback** (of a connection or of an ``engine.begin()`` block): psycopg's
  ``COMMIT`` or ``ROLLBACK`` is awaited, then SQLAlchemy's ``Connection`` ends its
  transaction, and the dialect's ``do_commit``/``do_rollback`` (:func:`do_commit`,
  :func:`do_rollback`) find psycopg's transaction already over: they do what psycopg
  does then, nothing. A transaction's begin is SQLAlchemy's bookkeeping alone (psycopg
  sends ``BEGIN`` with the first statement).
- **Reads alone**: a connection given the execution option
  :data:`~accord.sql.reading.READ_ONLY` before its first statement (a unit of work that
  only reads) puts psycopg in autocommit, without a round trip: each statement is sent
  alone, no ``BEGIN``, no ``ROLLBACK`` (:mod:`accord.sql.reading`; a statement that may
  write is refused). The pool takes psycopg out of autocommit when the connection comes
  back (:func:`transactions_on_return`), so no other user of the connection inherits it.
- **Close** (a connection's ``async with``): what is open is rolled back on psycopg,
  then SQLAlchemy returns the connection to the pool, which puts it in its queue without
  waiting; that close cannot suspend, so it runs in place, not in a task of its own.

Whatever fails is handed back to SQLAlchemy's own path: the driver's error is raised
from ``do_commit``/``do_rollback`` inside the bridge, so SQLAlchemy wraps it
(``DBAPIError`` and its kinds), invalidates a connection that is gone, and rolls back,
as it did when it awaited psycopg itself. Unmarked statements, savepoints, taking a
connection from the pool (it may wait, connect or ping), a connection the pool will
close on its return, an invalidated one, and any engine or connection with event
listeners keep SQLAlchemy's way.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction
from sqlalchemy.util.concurrency import greenlet_spawn

from accord.sql.prepared import PreparedResult, PreparedSql, prepared_sql, raise_wrapped
from accord.sql.reading import READ_ONLY, refuse_writes

__all__ = [
    "DirectAsyncConnection",
    "DirectAsyncEngine",
    "DirectAsyncTransaction",
    "do_commit",
    "do_rollback",
    "load_driver",
    "transactions_on_return",
]


class _NoDriver:
    """What no connection is an instance of until :func:`load_driver` ran."""


# psycopg is imported when the first PostgreSQL engine is made (load_driver), not with
# this module: a service on SQLite never loads it (about 8 MiB a process).
PsycopgConnection: type[Any] = _NoDriver
#: libpq's PQTRANS_IDLE and PGRES_TUPLES_OK (replaced by psycopg's enums when loaded).
_IDLE: int = 0
_TUPLES_OK: int = 2


def load_driver() -> None:
    """Import psycopg for this module's checks; :func:`accord.sql.create_engine` calls it
    when it makes a PostgreSQL engine."""
    global PsycopgConnection, _IDLE, _TUPLES_OK
    from psycopg import AsyncConnection
    from psycopg.pq import ExecStatus, TransactionStatus

    PsycopgConnection, _IDLE, _TUPLES_OK = (
        AsyncConnection,
        TransactionStatus.IDLE,
        ExecStatus.TUPLES_OK,
    )


#: The attribute of a psycopg connection that keeps its cursor for prepared statements.
_CURSOR = "_accord_cursor"
#: A psycopg connection whose COMMIT or ROLLBACK, awaited here, failed: the error, for
#: ``do_commit``/``do_rollback`` to raise inside SQLAlchemy's bridge.
_FAILED: weakref.WeakKeyDictionary[Any, BaseException] = weakref.WeakKeyDictionary()


def _psycopg(pooled: Any) -> Any:
    """The psycopg connection under a pooled connection (or SQLAlchemy's adapter)."""
    adapted = getattr(pooled, "dbapi_connection", pooled)
    return getattr(adapted, "_connection", None)


def _over(driver: Any) -> bool:
    """Whether psycopg's ``commit()``/``rollback()`` would send nothing: no transaction
    open on the server, no pipeline, no transaction block or two-phase commit of its own."""
    return (
        isinstance(driver, PsycopgConnection)
        and driver.pgconn.transaction_status == _IDLE
        and driver._pipeline is None
        and not driver._num_transactions
        and driver._tpc is None
    )


def _ender(original: Callable[[Any], None]) -> Callable[[Any], None]:
    def end(pooled: Any) -> None:
        driver = _psycopg(pooled)
        if driver is not None:
            failed = _FAILED.pop(driver, None)
            if failed is not None:
                raise failed
            if _over(driver):
                return
        original(pooled)

    end.__doc__ = (
        f"The dialect's ``{original.__name__}``: raises the error of psycopg's own call "
        "awaited before (module docstring), does nothing when psycopg's transaction is "
        "over (as psycopg itself would), else calls SQLAlchemy's."
    )
    return end


def do_commit(original: Callable[[Any], None]) -> Callable[[Any], None]:
    """The dialect's ``do_commit`` around SQLAlchemy's ``original`` (:func:`_ender`)."""
    return _ender(original)


def do_rollback(original: Callable[[Any], None]) -> Callable[[Any], None]:
    """The dialect's ``do_rollback`` around SQLAlchemy's ``original`` (:func:`_ender`)."""
    return _ender(original)


def _direct(connection: Connection | None) -> Any:
    """The psycopg connection under ``connection`` when its calls may skip the bridge:
    valid, no event listeners; else None."""
    if (
        connection is None
        or connection.closed
        or connection.invalidated
        or connection._has_events
        or connection.engine._has_events
    ):
        return None
    driver = _psycopg(connection.connection)
    return driver if isinstance(driver, PsycopgConnection) else None


def _kept_on_return(connection: Connection) -> bool:
    """Whether the pool keeps ``connection``'s driver connection when it comes back (a
    full pool closes it instead, which awaits psycopg)."""
    pool: Any = connection.engine.pool
    size, idle = getattr(pool, "size", None), getattr(pool, "checkedin", None)
    return size is not None and idle is not None and idle() < size()


async def _end(driver: Any, commit: bool, bookkeeping: Callable[[], Any]) -> None:
    """``COMMIT`` (or ``ROLLBACK``) awaited on psycopg, then SQLAlchemy's ``bookkeeping``
    (which ends its transaction and finds psycopg's over). A failure is raised by
    ``bookkeeping`` in the bridge, as SQLAlchemy raises it when it awaits psycopg."""
    if not _over(driver):
        try:
            await (driver.commit() if commit else driver.rollback())
        except BaseException as error:
            _FAILED[driver] = error
            try:
                await greenlet_spawn(bookkeeping)
            finally:
                _FAILED.pop(driver, None)
            raise
    bookkeeping()


def _cursor(driver: Any) -> Any:
    """The psycopg cursor prepared statements run on, one per connection, kept with it:
    a cursor made and closed per statement was a sixth of a statement's CPU."""
    cursor = getattr(driver, _CURSOR, None)
    if cursor is None or cursor.closed:
        cursor = driver.cursor()
        setattr(driver, _CURSOR, cursor)
    return cursor


async def _run_prepared(connection: Connection, form: PreparedSql, given: Any) -> PreparedResult:
    sql, parameters = form.sql, given
    adapted: Any = connection.connection.dbapi_connection
    try:
        sql, parameters = form.parameters(given)
        cursor = _cursor(adapted._connection)
        await cursor.execute(sql, parameters)
        got = cursor.pgresult
        rows: Any = []
        described = None
        if got is not None and (got.nfields or got.status == _TUPLES_OK):  # as description
            rows = await cursor.fetchall()
            if not form.described:  # the columns' types, read once per form
                described = cursor.description
        rowcount = cursor.rowcount
    except Exception as error:
        dialect = connection.dialect
        if isinstance(error, dialect.loaded_dbapi.Error) and dialect.is_disconnect(
            error, adapted, None
        ):
            await greenlet_spawn(connection.invalidate, error)
        raise_wrapped(connection, sql, parameters, error)
    return PreparedResult(form, described, rows, rowcount)


def _read_alone(connection: Connection) -> None:
    """psycopg's autocommit on or off as ``connection``'s :data:`READ_ONLY` says, when
    no transaction is open (psycopg checks the same; it sends nothing either way)."""
    driver = _psycopg(connection.connection)
    if isinstance(driver, PsycopgConnection) and not connection.in_transaction() and _over(driver):
        driver._autocommit = bool(connection._execution_options.get(READ_ONLY))


def transactions_on_return(dbapi_connection: Any, _record: Any) -> None:
    """A pool ``checkin`` listener: psycopg out of autocommit (:func:`_read_alone`), so a
    connection that served reads alone begins transactions again for its next user."""
    driver = _psycopg(dbapi_connection)
    if isinstance(driver, PsycopgConnection) and driver._autocommit:
        driver._autocommit = False


class DirectAsyncConnection(AsyncConnection):
    """SQLAlchemy's ``AsyncConnection``; prepared statements, commits, rollbacks and
    closes awaited on psycopg directly (module docstring)."""

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
        refuse_writes(connection, statement)
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

    async def exec_driver_sql(
        self,
        statement: str,
        parameters: Any = None,
        execution_options: Any = None,
    ) -> CursorResult[Any]:
        """See ``AsyncConnection.exec_driver_sql`` (a write refused when read-only)."""
        refuse_writes(self._proxied, statement)
        return await super().exec_driver_sql(statement, parameters, execution_options)

    async def execution_options(self, **opt: Any) -> DirectAsyncConnection:
        """See ``AsyncConnection.execution_options``; :data:`READ_ONLY` also puts psycopg
        in autocommit (or takes it out) before the first statement (module docstring).
        That option alone is set in place, without the bridge: it sends nothing."""
        connection = self._proxied
        if opt.keys() == {READ_ONLY}:
            connection.execution_options(**opt)
        else:
            await super().execution_options(**opt)
        if READ_ONLY in opt:
            _read_alone(connection)
        return self

    async def commit(self) -> None:
        """See ``AsyncConnection.commit``."""
        connection = self._proxied
        driver = _direct(connection)
        if driver is None or connection.in_nested_transaction():
            await super().commit()
        else:
            await _end(driver, True, connection.commit)

    async def rollback(self) -> None:
        """See ``AsyncConnection.rollback``."""
        connection = self._proxied
        driver = _direct(connection)
        if driver is None or connection.in_nested_transaction():
            await super().rollback()
        else:
            await _end(driver, False, connection.rollback)

    async def close(self) -> None:
        """See ``AsyncConnection.close``: rolls back what is open, returns the
        connection to the pool."""
        connection = self._proxied
        driver = _direct(connection)
        if driver is None or connection.in_nested_transaction() or not _kept_on_return(connection):
            await super().close()
        else:
            await _end(driver, False, connection.close)

    def begin(self) -> AsyncTransaction:
        """See ``AsyncConnection.begin``."""
        assert self._proxied
        return DirectAsyncTransaction(self)

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        """See ``AsyncConnection.__aexit__``, which closes in a task of its own so that a
        cancellation cannot stop the close half-way. A close that needs no round trip
        (nothing open on the server, the connection kept by the pool) cannot suspend, so
        it runs here; any other keeps SQLAlchemy's way."""
        connection = self.sync_connection
        driver = _direct(connection)
        if (
            connection is None
            or driver is None
            or not _over(driver)
            or connection.in_nested_transaction()
            or not _kept_on_return(connection)
        ):
            await super().__aexit__(type_, value, traceback)
        else:
            connection.close()


class DirectAsyncTransaction(AsyncTransaction):
    """SQLAlchemy's ``AsyncTransaction``, begun and ended without the bridge on a
    :class:`DirectAsyncConnection` (module docstring); savepoints keep the bridge."""

    __slots__ = ()

    def _driver(self) -> Any:
        connection = self.connection._proxied
        return None if self.nested else _direct(connection)

    async def start(self, is_ctxmanager: bool = False) -> AsyncTransaction:
        """See ``AsyncTransaction.start``."""
        connection = self.connection._proxied
        if self._driver() is None or connection.in_transaction():
            return await super().start(is_ctxmanager)
        # SQLAlchemy's bookkeeping: psycopg's do_begin sends nothing.
        self.sync_transaction = self._assign_proxied(connection.begin())
        if is_ctxmanager:
            self.sync_transaction.__enter__()
        return self

    async def _finish(self, end: str, bridged: Callable[[], Awaitable[None]]) -> None:
        """``end`` (``commit``, ``rollback`` or ``close``) on psycopg (:func:`_end`), or
        SQLAlchemy's ``bridged`` way when the connection may not skip the bridge."""
        driver = self._driver()
        if driver is None:
            await bridged()
        else:
            await _end(driver, end == "commit", getattr(self._proxied, end))

    async def commit(self) -> None:
        """See ``AsyncTransaction.commit``."""
        await self._finish("commit", super().commit)

    async def rollback(self) -> None:
        """See ``AsyncTransaction.rollback``."""
        await self._finish("rollback", super().rollback)

    async def close(self) -> None:
        """See ``AsyncTransaction.close``."""
        await self._finish("close", super().close)

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        driver = self._driver()
        if driver is None:
            await super().__aexit__(type_, value, traceback)
            return
        transaction = self._proxied
        commit = type_ is None and transaction.is_active

        def bookkeeping() -> None:
            transaction.__exit__(type_, value, traceback)

        await _end(driver, commit, bookkeeping)


class DirectAsyncEngine(AsyncEngine):
    """An ``AsyncEngine`` whose connections are :class:`DirectAsyncConnection`."""

    __slots__ = ()
    _connection_cls = DirectAsyncConnection

    async def execute_alone(self, statement: Any, parameters: Any = None) -> Any:
        """Run ``statement`` as a transaction of its own, committed when this returns.

        A prepared statement (:func:`accord.sql.prepared`) is sent on its own, without
        ``BEGIN`` and ``COMMIT``: PostgreSQL runs a statement sent outside a transaction
        block as a transaction of its own, committed before it answers (as durable as
        an explicit ``COMMIT``; rolled back whole when it fails). One round trip instead
        of three. Any other statement runs in ``engine.begin()``. Returns the result
        (a :class:`~accord.sql.PreparedResult` for a prepared statement).
        """
        async with self.connect() as conn:
            connection = conn._proxied
            driver = _direct(connection)
            found = (
                None
                if driver is None or connection.in_transaction() or not _over(driver)
                else prepared_sql(connection, statement, parameters, None)
            )
            if found is None or driver._autocommit:
                async with conn.begin():
                    return await conn.execute(statement, parameters)
            # psycopg sends BEGIN before a statement unless in autocommit: this one
            # statement is sent in autocommit, set and cleared without a round trip.
            driver._autocommit = True
            try:
                return await _run_prepared(connection, *found)
            finally:
                driver._autocommit = False
