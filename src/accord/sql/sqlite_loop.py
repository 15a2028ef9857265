"""SQLite on the event loop: statements, transactions and commits without thread hops.

:func:`accord.sql.create_engine` gives a SQLite file's engine the classes of this module.
Two layers of SQLAlchemy's asyncio support are skipped where they only cost:

- **aiosqlite's thread** (:class:`_InlineCursor`, :class:`_InlineConnection`): each
  statement, commit and rollback runs where it is called, on the event loop (below).
- **SQLAlchemy's greenlet bridge** (:class:`InlineAsyncConnection`,
  :class:`InlineAsyncTransaction`): ``AsyncConnection`` runs every ``execute``,
  ``commit``, ``rollback``, ``close`` and every transaction's begin and end in a new
  greenlet, switched into and out of, so that a driver call deep inside may await. With
  the statements on the loop nothing awaits there, so these run SQLAlchemy's
  synchronous ``Connection`` directly. Only what may wait keeps the bridge: taking the
  connection from the pool (the one connection may be in use: the pool's asyncio queue
  waits), a ``BEGIN`` that finds the write lock taken (it waits in aiosqlite's thread,
  in SQLite's busy handler), ``PRAGMA`` statements, and any connection that was
  invalidated. A driver connection the pool closes outside the bridge (returned to a
  full pool) is closed in its own thread, which then ends, without waiting for it. A
  connection's ``async with`` closes it in place, not in a task of its own: the close
  cannot suspend, so no cancellation can stop it half-way.

On the shop's order path the bridge was about a third of the SQL adapters' CPU time:
a greenlet made, switched to and back, and a coroutine awaited, four or five times per
transaction.

Everything else is SQLAlchemy's: the same ``Connection`` executes the same compiled
statements, with the same events, results and errors; the same ``COMMIT`` ends a
transaction (WAL, ``synchronous=NORMAL``: a commit survives a crash of the process).
This leans on SQLAlchemy's adapter classes (``AsyncAdapt_aiosqlite_cursor``,
``AsyncConnection``), pinned by the locks; ``tests/unit/test_sql.py`` and
``tests/integration/test_sql.py`` cover it.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

from aiosqlite.core import _STOP_RUNNING_SENTINEL
from greenlet import getcurrent  # type: ignore[import-untyped]
from sqlalchemy import TextClause
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_, greenlet_spawn

from accord.sql.checkpoints import stop_checkpoints
from accord.sql.prepared import PreparedResult, PreparedSql, prepared_sql, raise_wrapped
from accord.sql.reading import READ_ONLY, refuse_writes

__all__ = [
    "READ_ONLY",
    "SQLITE_BUSY_TIMEOUT_MS",
    "InlineAsyncConnection",
    "InlineAsyncEngine",
    "InlineAsyncTransaction",
    "InlineConnection",
    "do_begin",
]

#: How long SQLite waits for another connection's write lock before failing (ms).
SQLITE_BUSY_TIMEOUT_MS = 5_000
#: In a pooled connection's ``info``: its ``BEGIN`` ran already (the begin event skips it).
BEGUN = "accord_begun"
#: In a pooled connection's ``info``: the ``BEGIN`` statement :func:`do_begin` is to run.
BEGIN_AS = "accord_begin_as"


def _in_greenlet() -> bool:
    """Whether this runs inside SQLAlchemy's greenlet bridge (``greenlet_spawn``)."""
    return bool(getattr(getcurrent(), "__sqlalchemy_greenlet_provider__", False))


def _run_statement(
    conn: Any, operation: str, parameters: Any, many: bool
) -> tuple[Any, list[Any], int, int | None]:
    """One statement, whole, in the connection's thread: description, rows, counts."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


async def _nothing() -> None:
    return None


_EMPTY: tuple[Any, list[Any], int, int | None] = (None, [], -1, None)
_NO_WAIT = "PRAGMA busy_timeout=0"
_WAIT = f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS:d}"


def _begin_at_once(conn: Any, begin: str) -> bool:
    """Run ``BEGIN …`` unless it would have to wait for the write lock: False then,
    and nothing began."""
    conn.execute(_NO_WAIT)
    try:
        conn.execute(begin)
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY:
            raise
        return False
    finally:
        conn.execute(_WAIT)
    return True


class _InlineCursor(AsyncAdapt_aiosqlite_cursor):
    """SQLAlchemy's aiosqlite cursor, each statement run where it is called.

    SQLAlchemy's own makes four trips to aiosqlite's thread per statement (open a
    cursor, execute, fetch the rows, close it), each a queue put, a thread wake-up and a
    hand-over of the GIL (on a busy two-core machine, about a millisecond each) and a
    future resolved on the event loop: on the shop's order path those trips were most of
    the services' time. A statement on a local SQLite file takes microseconds, and once
    its transaction holds the write lock (``BEGIN IMMEDIATE``), or only reads (WAL), it
    never waits for another connection: it runs here, on the event loop, and so does the
    commit (WAL, ``synchronous=NORMAL``: a commit syncs nothing; the checkpoints that
    copy the WAL back and sync the file run in a thread, :mod:`accord.sql.checkpoints`).
    Only waiting leaves the loop: a
    ``BEGIN`` that finds the write lock taken by another connection (another process,
    or an engine with more than one connection) is run again in aiosqlite's thread,
    where the busy handler waits; so are ``PRAGMA`` statements. The connection is used
    by one task at a time (the pool hands it out whole), so the two threads never use
    it at once.
    Server-side cursors (``stream_results``) keep SQLAlchemy's class.
    """

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass

    async def _async_soft_close(self) -> None:
        return None

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        self._run(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        self._run(operation, seq_of_parameters, many=True)

    def _run(self, operation: Any, parameters: Any, *, many: bool) -> None:
        driver = self._connection
        try:
            if operation.startswith("BEGIN") and not _begin_at_once(driver._conn, operation):
                # Another connection holds the write lock: wait for it in the busy
                # handler, in aiosqlite's thread, not on the event loop.
                result = await_(driver._execute(_run_statement, driver._conn, operation,
                                                parameters, many))  # fmt: skip
            elif operation.startswith("PRAGMA"):
                result = await_(driver._execute(_run_statement, driver._conn, operation,
                                                parameters, many))  # fmt: skip
            else:
                if _in_greenlet():
                    # SQLAlchemy's greenlet bridge requires each statement to await once;
                    # this await completes at once, without a turn of the event loop.
                    await_(_nothing())
                result = _EMPTY if operation.startswith("BEGIN") else _run_statement(
                    driver._conn, operation, parameters, many
                )  # fmt: skip
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self._description, rows, self._rowcount, self._lastrowid = result
        self._rows = collections.deque(rows)

    def setinputsizes(self, *inputsizes: Any) -> None:
        return None


def _close_in_thread(driver: Any) -> None:
    """aiosqlite's ``stop()`` without its future: the driver's thread closes the
    connection and ends, and calls nothing on the event loop, which may have closed
    meanwhile (the future's result would have been set there, from the thread)."""
    driver._running = False

    def close_and_stop() -> object:
        if driver._connection is not None:
            driver._connection.close()
            driver._connection = None
        return _STOP_RUNNING_SENTINEL

    driver._tx.put_nowait((None, close_and_stop))


class _InlineConnection(AsyncAdapt_aiosqlite_connection):
    """Statements, commits and rollbacks on the event loop (see :class:`_InlineCursor`)."""

    __slots__ = ()
    _cursor_cls = _InlineCursor

    def begin_at_once(self, statement: str) -> bool:
        """Run ``BEGIN …`` unless it would wait for another connection's write lock."""
        try:
            return _begin_at_once(self._connection._conn, statement)
        except Exception as error:
            self._handle_exception(error)
            raise  # not reached: the handler raises

    def begin(self, statement: str) -> None:
        """Run ``BEGIN …`` through this connection's cursor, the way a statement runs."""
        cursor = self.cursor()
        try:
            cursor.execute(statement)
        finally:
            cursor.close()

    def close(self) -> None:
        """Close the driver's connection; outside the bridge (a connection returned to a
        full pool, by :class:`InlineAsyncConnection`), in its thread without waiting."""
        if _in_greenlet():
            super().close()
        else:
            _close_in_thread(self._connection)

    def commit(self) -> None:
        try:
            self._connection._conn.commit()
        except Exception as error:
            self._handle_exception(error)

    def rollback(self) -> None:
        try:
            self._connection._conn.rollback()
        except Exception as error:
            self._handle_exception(error)


InlineConnection = _InlineConnection


def _inline(connection: Connection) -> _InlineConnection | None:
    """The driver connection under ``connection`` when its statements run on the loop."""
    if connection.invalidated:
        return None
    driver: Any = connection.connection.dbapi_connection
    return driver if type(driver) is _InlineConnection else None


def _begin_statement(connection: Connection) -> str:
    read_only = connection.get_execution_options().get(READ_ONLY)
    return "BEGIN" if read_only else "BEGIN IMMEDIATE"


async def _begin(connection: Connection, driver: _InlineConnection) -> Any:
    """Begin ``connection``'s transaction: at once on the loop, or, when another
    connection holds the write lock, through the bridge (waiting in the driver's
    thread)."""
    statement = _begin_statement(connection)
    dialect = connection.dialect
    try:
        begun = driver.begin_at_once(statement)
    except dialect.loaded_dbapi.Error as error:  # wrapped as SQLAlchemy wraps it
        raise DBAPIError.instance(
            statement, None, error, dialect.loaded_dbapi.Error, dialect=dialect
        ) from error
    info = connection.connection.info
    try:
        if begun:
            info[BEGUN] = True
            return connection.begin()  # SQLAlchemy's bookkeeping; the BEGIN ran
        info[BEGIN_AS] = statement
        return await greenlet_spawn(connection.begin)
    finally:
        info.pop(BEGUN, None)
        info.pop(BEGIN_AS, None)


def do_begin(pooled: Any) -> None:
    """The SQLite dialect's ``do_begin`` on accord's engines: ``BEGIN IMMEDIATE`` (or
    the statement :func:`_begin` chose), unless it ran on the loop already.

    Called by SQLAlchemy for every transaction with the pooled connection. It replaces
    a ``begin`` event listener, which would turn on SQLAlchemy's event dispatch for
    every statement, commit and rollback of the engine.
    """
    info = pooled.info
    if info.pop(BEGUN, False):
        return
    statement = info.pop(BEGIN_AS, "BEGIN IMMEDIATE")
    driver = pooled.dbapi_connection
    if type(driver) is _InlineConnection:
        driver.begin(statement)  # waits, when it must, in the driver's thread
        return
    cursor = driver.cursor()
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


def _bridged(connection: Connection, statement: Any, options: Any) -> bool:
    """Whether a statement goes through the bridge: a ``PRAGMA`` (it runs in the
    driver's thread) or one that streams its rows (a server-side cursor awaits)."""
    text = statement.text if isinstance(statement, TextClause) else statement
    if isinstance(text, str) and text.lstrip()[:6].upper() == "PRAGMA":
        return True
    return bool(
        (options and options.get("stream_results"))
        or connection.get_execution_options().get("stream_results")
        or getattr(statement, "_execution_options", EMPTY_DICT).get("stream_results")
    )


def _run_prepared(
    connection: Connection, driver: _InlineConnection, form: PreparedSql, given: Any
) -> PreparedResult:
    """A prepared statement (:mod:`accord.sql.prepared`) on the ``sqlite3`` connection."""
    sql, parameters = form.sql, given
    try:
        sql, parameters = form.parameters(given)
        described, rows, rowcount, _ = _run_statement(
            driver._connection._conn, sql, parameters, False
        )
    except Exception as error:
        raise_wrapped(connection, sql, parameters, error)
    return PreparedResult(form, described, rows, rowcount)


def _kept_on_return(connection: Connection) -> bool:
    """Whether the pool will keep ``connection``'s driver connection when it comes back
    (a full pool closes it instead: in the driver's thread, which then calls the loop)."""
    pool: Any = connection.engine.pool
    size, idle = getattr(pool, "size", None), getattr(pool, "checkedin", None)
    return size is not None and idle is not None and idle() < size()


class InlineAsyncConnection(AsyncConnection):
    """SQLAlchemy's ``AsyncConnection``, its calls made without the greenlet bridge
    when the connection's statements run on the loop (module docstring)."""

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
        driver = _inline(connection)
        result: CursorResult[Any]
        if driver is None or _bridged(connection, statement, execution_options):
            result = await super().execute(
                statement, parameters, execution_options=execution_options
            )
            return result
        if not connection.in_transaction():
            await _begin(connection, driver)  # what autobegin would do, without waiting
        found = prepared_sql(connection, statement, parameters, execution_options)
        if found is not None:
            return _run_prepared(connection, driver, *found)  # type: ignore[return-value]
        result = connection.execute(statement, parameters, execution_options=execution_options)
        return result

    async def exec_driver_sql(
        self,
        statement: str,
        parameters: Any = None,
        execution_options: Any = None,
    ) -> CursorResult[Any]:
        """See ``AsyncConnection.exec_driver_sql``."""
        connection = self._proxied
        refuse_writes(connection, statement)
        driver = _inline(connection)
        if driver is None or _bridged(connection, statement, execution_options):
            return await super().exec_driver_sql(statement, parameters, execution_options)
        if not connection.in_transaction():
            await _begin(connection, driver)
        return connection.exec_driver_sql(statement, parameters, execution_options)

    async def commit(self) -> None:
        """See ``AsyncConnection.commit``."""
        connection = self._proxied
        if _inline(connection) is None:
            await super().commit()
        else:
            connection.commit()

    async def rollback(self) -> None:
        """See ``AsyncConnection.rollback``."""
        connection = self._proxied
        if _inline(connection) is None:
            await super().rollback()
        else:
            connection.rollback()

    async def close(self) -> None:
        """See ``AsyncConnection.close``: rolls back what is open, returns the
        connection to the pool (which puts it in its queue without waiting)."""
        connection = self._proxied
        if _inline(connection) is None:
            await super().close()
        else:
            connection.close()

    def begin(self) -> AsyncTransaction:
        """See ``AsyncConnection.begin``."""
        assert self._proxied
        return InlineAsyncTransaction(self)

    async def execution_options(self, **opt: Any) -> InlineAsyncConnection:
        """See ``AsyncConnection.execution_options``; accord's :data:`READ_ONLY` alone is
        set in place, without the bridge (it sends nothing)."""
        if opt.keys() == {READ_ONLY}:
            self._proxied.execution_options(**opt)
            return self
        await super().execution_options(**opt)
        return self

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        """See ``AsyncConnection.__aexit__``, which closes in a task of its own so that a
        cancellation cannot stop the close half-way. On the loop the close never
        suspends, so nothing can interrupt it: it runs here, without the task (a task
        made and two turns of the event loop per transaction). A connection the pool
        will close on its return (an overflow connection) keeps SQLAlchemy's way."""
        connection = self.sync_connection
        if (
            connection is None
            or connection.closed
            or _inline(connection) is None
            or not _kept_on_return(connection)
        ):
            await super().__aexit__(type_, value, traceback)
        else:
            connection.close()


class InlineAsyncTransaction(AsyncTransaction):
    """SQLAlchemy's ``AsyncTransaction``, begun and ended without the greenlet bridge
    when its connection's statements run on the loop."""

    __slots__ = ()

    async def start(self, is_ctxmanager: bool = False) -> AsyncTransaction:
        """See ``AsyncTransaction.start``."""
        connection = self.connection._proxied
        driver = _inline(connection)
        if driver is None or self.nested or connection.in_transaction():
            return await super().start(is_ctxmanager)
        self.sync_transaction = self._assign_proxied(await _begin(connection, driver))
        if is_ctxmanager:
            self.sync_transaction.__enter__()
        return self

    async def commit(self) -> None:
        """See ``AsyncTransaction.commit``."""
        if _inline(self.connection._proxied) is None:
            await super().commit()
        else:
            self._proxied.commit()

    async def rollback(self) -> None:
        """See ``AsyncTransaction.rollback``."""
        if _inline(self.connection._proxied) is None:
            await super().rollback()
        else:
            self._proxied.rollback()

    async def close(self) -> None:
        """See ``AsyncTransaction.close``."""
        if _inline(self.connection._proxied) is None:
            await super().close()
        else:
            self._proxied.close()

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        if _inline(self.connection._proxied) is None:
            await super().__aexit__(type_, value, traceback)
        else:
            self._proxied.__exit__(type_, value, traceback)


class InlineAsyncEngine(AsyncEngine):
    """An ``AsyncEngine`` whose connections are :class:`InlineAsyncConnection`."""

    __slots__ = ()
    _connection_cls = InlineAsyncConnection

    async def dispose(self, close: bool = True) -> None:
        """Close the pool's connections and stop the WAL checkpointer
        (:mod:`accord.sql.checkpoints`); the engine may be used again after."""
        await super().dispose(close)
        stop_checkpoints(self.sync_engine)
