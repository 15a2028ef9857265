"""An async engine over SQLAlchemy's blocking one: every database call in a worker thread.

The drivers are the blocking ones (``sqlite3``, psycopg 3); :class:`Engine` and
:class:`Connection` give them the shape of SQLAlchemy's asyncio API, so services write::

    async with engine.begin() as conn:               # one transaction, committed at exit
        row = (await conn.execute(select(skus).where(...))).one_or_none()
        touched = await conn.affected(update(skus).where(skus.c.version == seen)...)

Each engine owns as many worker threads as its pool has connections and lets no more
callers than that wait for one, so a burst of requests queues in the event loop instead
of exhausting the threads that running transactions need to finish. A transaction that
is cancelled mid-statement finishes the statement, then rolls back.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Mapping, Sequence
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any, TypeVar

import anyio
import sqlalchemy as sa
from sqlalchemy.engine import URL
from sqlalchemy.engine.cursor import FullyBufferedCursorFetchStrategy
from sqlalchemy.sql.base import Executable

from accord.sql.urls import is_sqlite, parse, sqlite_file, sync_url

__all__ = ["Connection", "Engine", "create_engine", "readiness"]

T = TypeVar("T")
Parameters = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None

#: How long SQLite waits for another connection's write lock before failing (ms).
SQLITE_BUSY_TIMEOUT_MS = 5_000
#: Connections kept open, and how many more may be opened under load.
POOL_SIZE = 5
MAX_OVERFLOW = 15


class Engine:
    """A pool of database connections used from async code.

    Build one with :func:`create_engine`; close it with :meth:`dispose`.
    """

    def __init__(self, sync_engine: sa.Engine, *, capacity: int) -> None:
        self.sync_engine = sync_engine
        self._threads = anyio.CapacityLimiter(capacity)
        self._slots = anyio.Semaphore(capacity)

    @property
    def url(self) -> URL:
        """The engine's URL (with the blocking driver)."""
        return self.sync_engine.url

    @property
    def dialect(self) -> sa.Dialect:
        """The SQLAlchemy dialect (``dialect.name`` is ``sqlite`` or ``postgresql``)."""
        return self.sync_engine.dialect

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Call the blocking ``fn(*args)`` in one of this engine's worker threads."""
        return await anyio.to_thread.run_sync(fn, *args, limiter=self._threads)

    def connect(self) -> Connection:
        """A connection from the pool: ``async with engine.connect() as conn: ...``.

        ``conn = await engine.connect()`` works too; then ``await conn.close()`` it.
        Nothing is committed unless :meth:`Connection.commit` is called.
        """
        return Connection(self)

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[Connection]:
        """A connection in a transaction, committed at exit or rolled back on error."""
        async with self.connect() as conn:
            yield conn
            await conn.commit()

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.run(self.sync_engine.dispose)

    def __repr__(self) -> str:
        return f"<accord.sql.Engine {self.url!r}>"


class Connection:
    """One pooled connection, used by one task at a time.

    A transaction begins with the first statement; :meth:`commit` ends it, and leaving
    the ``async with`` block rolls back whatever was not committed.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sync: sa.Connection | None = None

    def __await__(self) -> Generator[Any, None, Connection]:
        return self.__aenter__().__await__()

    async def __aenter__(self) -> Connection:
        if self._sync is not None:
            return self
        await self.engine._slots.acquire()
        try:
            self._sync = await self.engine.run(self.engine.sync_engine.connect)
        except BaseException:
            self.engine._slots.release()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def sync_connection(self) -> sa.Connection:
        """The underlying SQLAlchemy connection (use it only inside :meth:`run_sync`)."""
        if self._sync is None:
            raise RuntimeError("the connection is not open: use `async with engine.connect()`")
        return self._sync

    async def execute(
        self, statement: Executable, parameters: Parameters = None
    ) -> sa.CursorResult[Any]:
        """Run ``statement``; rows it returns are all fetched before this returns.

        The result is SQLAlchemy's: ``.one()``, ``.first()``, ``.scalars()``, and
        ``.rowcount`` for an ``UPDATE`` or ``DELETE``.
        """
        return await self.run_sync(_execute_buffered, statement, parameters)

    async def affected(self, statement: Executable, parameters: Parameters = None) -> int:
        """Run an ``INSERT``/``UPDATE``/``DELETE`` and return how many rows it touched."""
        return await self.run_sync(_execute_rowcount, statement, parameters)

    async def scalar(self, statement: Executable, parameters: Parameters = None) -> Any:
        """The first column of the first row, or None when there is no row."""
        return (await self.execute(statement, parameters)).scalar()

    async def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """Call ``fn(sync_connection, *args)`` in a worker thread (ORM sessions, bulk work)."""
        return await self.engine.run(functools.partial(fn, self.sync_connection), *args)

    def in_transaction(self) -> bool:
        """True when statements have run since the last commit or rollback."""
        return self._sync is not None and self._sync.in_transaction()

    async def commit(self) -> None:
        """Commit the current transaction (nothing happens when none is open)."""
        await self.engine.run(self.sync_connection.commit)

    async def rollback(self) -> None:
        """Roll the current transaction back."""
        await self.engine.run(self.sync_connection.rollback)

    async def close(self) -> None:
        """Roll back what is uncommitted and give the connection back to the pool."""
        sync, self._sync = self._sync, None
        if sync is None:
            return
        try:
            with anyio.CancelScope(shield=True):
                await self.engine.run(sync.close)
        finally:
            self.engine._slots.release()


def _execute_buffered(
    conn: sa.Connection, statement: Executable, parameters: Parameters
) -> sa.CursorResult[Any]:
    result = conn.execute(statement, parameters)
    if result.returns_rows:
        # Fetch every row here, in the worker thread: the caller reads them in the event
        # loop. This is how SQLAlchemy itself buffers rows it cannot fetch later.
        result.cursor_strategy = FullyBufferedCursorFetchStrategy(
            result.cursor, result.cursor_strategy.alternate_cursor_description
        )
    return result


def _execute_rowcount(conn: sa.Connection, statement: Executable, parameters: Parameters) -> int:
    return int(conn.execute(statement, parameters).rowcount)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS:d}")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def create_engine(
    url: str | URL,
    *,
    pool_size: int = POOL_SIZE,
    max_overflow: int = MAX_OVERFLOW,
    **options: Any,
) -> Engine:
    """An :class:`Engine` for ``url``, tuned for a service.

    SQLite: the database's folder is created; connections run in WAL mode with
    ``foreign_keys=ON`` and a busy timeout, so concurrent writers wait for each other
    instead of failing. PostgreSQL: connections are checked before use
    (``pool_pre_ping``) and give up connecting after 5 s. ``options`` go to
    :func:`sqlalchemy.create_engine` unchanged.
    """
    parsed = parse(url)
    options.setdefault("pool_size", pool_size)
    options.setdefault("max_overflow", max_overflow)
    if is_sqlite(parsed):
        path = sqlite_file(parsed)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        options.setdefault("poolclass", sa.pool.QueuePool)
        sync = sa.create_engine(sync_url(parsed), **options)
        sa.event.listen(sync, "connect", _sqlite_pragmas)
    else:
        options.setdefault("pool_pre_ping", True)
        connect_args = options.setdefault("connect_args", {})
        connect_args.setdefault("connect_timeout", 5)
        sync = sa.create_engine(sync_url(parsed), **options)
    return Engine(sync, capacity=pool_size + max_overflow)


def readiness(engine: Engine, *, timeout: float = 2.0) -> Callable[[], Awaitable[None]]:
    """A readiness check: ``SELECT 1`` through ``engine``'s pool within ``timeout`` seconds.

    The returned coroutine function returns None when the database answers, and raises
    ``TimeoutError`` or the driver's error when it does not.
    """

    def ping() -> None:
        with engine.sync_engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    async def database_ready() -> None:
        with anyio.fail_after(timeout):
            # A hung ping is left to finish on its own; the probe answers in time.
            await anyio.to_thread.run_sync(ping, abandon_on_cancel=True)

    return database_ready
