"""SQLAlchemy's asyncio engine, tuned for a service on SQLite or PostgreSQL.

:func:`create_engine` returns SQLAlchemy's own :class:`~sqlalchemy.ext.asyncio.AsyncEngine`
on the asyncio drivers (``aiosqlite``, async psycopg 3), so services write plain
SQLAlchemy::

    async with engine.begin() as conn:               # one transaction, committed at exit
        row = (await conn.execute(select(skus).where(...))).one_or_none()
        touched = (await conn.execute(update(skus).where(skus.c.version == seen))).rowcount

On SQLite every transaction starts with ``BEGIN IMMEDIATE``: it takes the database's
single write lock before its first read, so transactions that write wait for each other
instead of failing half-way, and what a transaction reads stays true until it commits.
``sqlite3``'s own "legacy" transaction control, which would run a ``SELECT`` outside any
transaction, is switched off.

A process keeps **one** connection to a SQLite file (``pool_size=1``, no overflow):
SQLite runs one write transaction at a time anyway, and connections of one process that
compete for its lock do not queue, they sleep in SQLite's busy handler (1, 2, 5, 10 …
up to 100 ms a try) and retry. Under load that sleeping, not the work, set the pace.
With one connection, transactions wait their turn in the pool's asyncio queue and start
the moment the previous one ends; a wait longer than the busy timeout fails as before.
Other processes on the same file (a migration, an admin tool) still meet the busy
timeout. ``pool_size``/``max_overflow`` given explicitly are kept. The WAL is copied back
into the file (checkpointed) by a thread of the engine's, not inside a commit on the
event loop (:mod:`accord.sql.checkpoints`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import sqlalchemy as sa
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection
from sqlalchemy.engine import URL
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from accord.sql.checkpoints import INLINE_CHECKPOINT_PAGES, checkpoint_beside
from accord.sql.postgres_direct import (
    DirectAsyncEngine,
    do_commit,
    do_rollback,
    load_driver,
    transactions_on_return,
)
from accord.sql.reading import READ_ONLY
from accord.sql.sqlite_loop import (
    SQLITE_BUSY_TIMEOUT_MS,
    InlineAsyncEngine,
    InlineConnection,
    do_begin,
)
from accord.sql.urls import async_url, is_sqlite, parse, sqlite_file

__all__ = ["SQLITE_BUSY_TIMEOUT_MS", "create_engine", "readiness"]

#: PostgreSQL: connections opened as needed up to this many, and kept once opened.
POOL_SIZE = 20
#: PostgreSQL: none beyond those. A connection beyond the kept ones is closed on its
#: return: at 16 clients the shop's services opened one (and the server forked a process
#: for it) about every other order (decision 0025).
MAX_OVERFLOW = 0
#: SQLite: one connection per process; its writes are serialized in the pool's queue.
SQLITE_POOL_SIZE = 1
#: How long a PostgreSQL connection attempt may take (s).
POSTGRES_CONNECT_TIMEOUT_S = 5
#: A pooled PostgreSQL connection idle longer than this is pinged before use (s).
PING_AFTER_IDLE_S = 0.5
_LAST_USED = "accord_last_used"


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    if type(dbapi_connection) is AsyncAdapt_aiosqlite_connection:
        dbapi_connection.__class__ = InlineConnection
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS:d}")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()
    # SQLAlchemy emits BEGIN itself (do_begin, below); the driver must not.
    dbapi_connection.isolation_level = None


def _checkpoint_beside(engine: AsyncEngine, path: Path) -> None:
    """Checkpoint the WAL of ``path`` in a thread, not in the commits of the event loop
    (:mod:`accord.sql.checkpoints`); from the engine's first connection to its
    ``dispose()``."""
    checkpointer = checkpoint_beside(engine.sync_engine, path)

    def connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA wal_autocheckpoint={INLINE_CHECKPOINT_PAGES:d}")
        finally:
            cursor.close()
        checkpointer.start()

    # A pool event: an engine event (even "engine_disposed") would make SQLAlchemy
    # dispatch events on every statement; InlineAsyncEngine.dispose stops the thread.
    sa.event.listen(engine.sync_engine, "connect", connect)


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Check a pooled connection before use, unless it was in use moments ago.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: one more round trip to the
    server per transaction (a sixth of all round trips on the shop's order path). A
    connection returned to the pool less than :data:`PING_AFTER_IDLE_S` ago was just
    talking to the server; one idle longer (a restarted server, an idle timeout, a
    dropped socket) is pinged as before and, when dead, replaced with every pooled
    connection older than it (``InvalidatePoolError``, as the pre-ping does). HikariCP
    skips its check the same way (``aliveBypassWindowMs``, 500 ms).
    """
    pool_events = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect

    def checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_LAST_USED] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        last = record.info.get(_LAST_USED)
        if last is None or time.monotonic() - last <= PING_AFTER_IDLE_S:
            return  # new (just connected), or in use moments ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise InvalidatePoolError() from error
            raise

    sa.event.listen(pool_events, "checkin", checkin)
    sa.event.listen(pool_events, "checkout", checkout)


def create_engine(
    url: str | URL,
    *,
    pool_size: int | None = None,
    max_overflow: int | None = None,
    **options: Any,
) -> AsyncEngine:
    """An :class:`~sqlalchemy.ext.asyncio.AsyncEngine` for ``url``, tuned for a service.

    SQLite (``aiosqlite``): the database's folder is created; one connection (unless
    ``pool_size``/``max_overflow`` say otherwise), in WAL mode with ``foreign_keys=ON``
    and a busy timeout, and each transaction begins with ``BEGIN IMMEDIATE``; waiting
    for the connection longer than the busy timeout raises SQLAlchemy's ``TimeoutError``;
    a thread checkpoints the WAL from the first connection to ``dispose()``.
    PostgreSQL (async psycopg 3): up to :data:`POOL_SIZE` connections, opened as needed
    and kept, unless said otherwise; the most recently used handed out
    first (``pool_use_lifo``), each checked before use when it was idle over
    :data:`PING_AFTER_IDLE_S` (``pool_pre_ping=True`` checks every use), and give up
    connecting after 5 s; commits, rollbacks and closes are awaited on psycopg, not
    through SQLAlchemy's greenlet bridge (:mod:`accord.sql.postgres_direct`). Either way
    statements marked with :func:`accord.sql.prepared` run on the driver directly
    (:mod:`accord.sql.prepared`), and a database error's
    text names no bound parameter (``hide_parameters``): it reaches logs and spans, and
    parameters carry what callers sent, secrets included. ``options`` go to
    :func:`sqlalchemy.ext.asyncio.create_async_engine` unchanged. Raises
    :class:`~accord.sql.DatabaseUrlError` for a URL accord does not run on.
    """
    parsed = parse(url)
    options.setdefault("hide_parameters", True)
    if is_sqlite(parsed):
        path = sqlite_file(parsed)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            options.setdefault("pool_size", SQLITE_POOL_SIZE if pool_size is None else pool_size)
            options.setdefault("max_overflow", 0 if max_overflow is None else max_overflow)
            options.setdefault("pool_timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
            # Statements run on the event loop's thread, commits on aiosqlite's.
            options.setdefault("connect_args", {}).setdefault("check_same_thread", False)
        engine = create_async_engine(async_url(parsed), **options)
        # Its connections skip SQLAlchemy's greenlet bridge (accord.sql.sqlite_loop).
        engine.__class__ = InlineAsyncEngine
        sa.event.listen(engine.sync_engine, "connect", _sqlite_connect)
        # BEGIN IMMEDIATE in the dialect's do_begin, not in a "begin" event: any event
        # listener on the connection makes SQLAlchemy dispatch events on every statement.
        engine.sync_engine.dialect.do_begin = do_begin  # type: ignore[method-assign,assignment]
        if path is not None:
            _checkpoint_beside(engine, path)
        return engine
    options.setdefault("pool_size", POOL_SIZE if pool_size is None else pool_size)
    options.setdefault("max_overflow", MAX_OVERFLOW if max_overflow is None else max_overflow)
    # The most recently returned connection first: under light load one connection stays
    # warm (its prepared statements reused, no idle ping) and the rest may time out.
    options.setdefault("pool_use_lifo", True)
    connect_args = options.setdefault("connect_args", {})
    connect_args.setdefault("connect_timeout", POSTGRES_CONNECT_TIMEOUT_S)
    engine = create_async_engine(async_url(parsed), **options)
    # Statements marked prepared (accord.sql.prepared) await psycopg directly.
    load_driver()
    engine.__class__ = DirectAsyncEngine
    # Commits and rollbacks are awaited on psycopg first; SQLAlchemy's then find its
    # transaction over (accord.sql.postgres_direct).
    dialect = engine.sync_engine.dialect
    dialect.do_commit = do_commit(dialect.do_commit)  # type: ignore[method-assign,assignment]
    dialect.do_rollback = do_rollback(dialect.do_rollback)  # type: ignore[method-assign,assignment]
    # A connection that read alone (autocommit, accord.sql.reading) goes back to
    # transactions when the pool takes it back; a pool event, not an engine one.
    sa.event.listen(engine.sync_engine.pool, "checkin", transactions_on_return)
    if not options.get("pool_pre_ping"):
        _ping_when_idle(engine)
    return engine


def readiness(engine: AsyncEngine, *, timeout: float = 2.0) -> Callable[[], Awaitable[None]]:
    """A readiness check: ``SELECT 1`` through ``engine``'s pool within ``timeout`` seconds.

    The returned coroutine function returns None when the database answers, and raises
    ``TimeoutError`` or SQLAlchemy's error when it does not. The connection only reads
    (:data:`~accord.sql.reading.READ_ONLY`): on SQLite the check does not wait for the
    write lock (a long write does not make the service look unready), on PostgreSQL it
    is one statement sent alone.
    """

    async def database_ready() -> None:
        with anyio.fail_after(timeout):
            async with engine.connect() as conn:
                await conn.execution_options(**{READ_ONLY: True})
                await conn.execute(sa.text("SELECT 1"))

    return database_ready
