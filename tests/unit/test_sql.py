"""accord.sql: URL rules, the engine on real SQLite, migrations, readiness and conflicts."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

import accord.sql
import accord.sql.engine
from accord.sql import (
    DatabaseUrlError,
    async_url,
    create_engine,
    is_conflict,
    migrate,
    readiness,
    sync_url,
)
from accord.sql.checkpoints import INLINE_CHECKPOINT_PAGES
from accord.sql.reading import writes


def test_public_api() -> None:
    assert sorted(accord.sql.__all__) == [
        "DEFAULT_VERSION_TABLE",
        "DatabaseUrlError",
        "MigrationError",
        "PageRequest",
        "PreparedResult",
        "ReadOnlyViolation",
        "Repository",
        "SQLITE_BUSY_TIMEOUT_MS",
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
    for name in accord.sql.__all__:
        assert getattr(accord.sql, name).__doc__ or name.isupper(), name


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///data/x.db", "sqlite+aiosqlite:///data/x.db"),
        ("sqlite:////abs/x.db", "sqlite+aiosqlite:////abs/x.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql://u@h:5/db", "postgresql+psycopg://u@h:5/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u:p%40ss@h/db", "postgresql+psycopg://u:p%40ss@h/db"),
    ],
)
def test_async_url(url: str, expected: str) -> None:
    assert async_url(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite+aiosqlite:///x.db", "sqlite:///x.db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)
def test_sync_url(url: str, expected: str) -> None:
    assert sync_url(url) == expected


@pytest.mark.parametrize(
    "url", ["mysql://u@h/db", "oracle://x", "not a url", "", "sqlite://", "sqlite:///:memory:"]
)
def test_other_databases_are_refused(url: str) -> None:
    with pytest.raises(DatabaseUrlError):
        async_url(url)
    with pytest.raises(DatabaseUrlError):
        create_engine(url)
    assert issubclass(DatabaseUrlError, ValueError)


@pytest.mark.anyio
async def test_sqlite_engine_creates_folder_and_sets_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "x.db"
    engine = create_engine(f"sqlite:///{path}")
    try:
        assert isinstance(engine, AsyncEngine)
        assert (engine.dialect.name, engine.dialect.driver) == ("sqlite", "aiosqlite")
        assert path.parent.is_dir()
        async with engine.connect() as conn:
            mode = (await conn.execute(sa.text("PRAGMA journal_mode"))).scalar()
            fks = (await conn.execute(sa.text("PRAGMA foreign_keys"))).scalar()
            busy = (await conn.execute(sa.text("PRAGMA busy_timeout"))).scalar()
        assert (mode, fks, busy) == ("wal", 1, accord.sql.SQLITE_BUSY_TIMEOUT_MS)
    finally:
        await engine.dispose()


@pytest.mark.anyio
async def test_sqlite_wal_is_checkpointed_by_a_thread_not_in_commits(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    engine = create_engine(f"sqlite:///{path}")

    def threads() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "sqlite-checkpoint x.db"]

    try:
        assert threads() == []  # started by the first connection, not by the engine
        async with engine.begin() as conn:
            pages = (await conn.execute(sa.text("PRAGMA wal_autocheckpoint"))).scalar()
            await conn.execute(sa.text("CREATE TABLE t (n INTEGER)"))
        assert pages == INLINE_CHECKPOINT_PAGES
        assert len(threads()) == 1
        for n in range(20):
            async with engine.begin() as conn:
                await conn.execute(sa.text("INSERT INTO t VALUES (:n)"), {"n": n})
        # Once checkpointed, the rows are in the database file itself: a copy of that
        # file alone (no WAL beside it) holds them, while the engine still has it open.
        copy = tmp_path / "copy.db"
        with anyio.fail_after(5):
            while True:
                await anyio.sleep(0.1)
                copy.write_bytes(path.read_bytes())
                with sqlite3.connect(copy) as check:
                    try:
                        count = check.execute("SELECT count(*) FROM t").fetchone()[0]
                    except sqlite3.OperationalError:  # the table is not in the file yet
                        continue
                if count == 20:
                    break
    finally:
        await engine.dispose()
    assert threads() == []  # dispose() stops it


def test_postgres_engine_is_async_psycopg_and_pings_idle_connections() -> None:
    engine = create_engine("postgresql://u@127.0.0.1:1/db")
    assert isinstance(engine, AsyncEngine)
    assert engine.dialect.driver == "psycopg"
    assert engine.dialect.is_async
    # Not on every checkout: only a connection idle over PING_AFTER_IDLE_S is pinged
    # (tests/integration/test_sql.py kills one and sees it replaced).
    assert engine.sync_engine.pool._pre_ping is False
    assert engine.sync_engine.pool._pool.use_lifo is True  # type: ignore[attr-defined]
    assert _checkout_listener(engine) is not None
    assert engine.url.drivername == "postgresql+psycopg"
    every = create_engine("postgresql://u@127.0.0.1:1/db", pool_pre_ping=True)
    assert every.sync_engine.pool._pre_ping is True
    assert _checkout_listener(every) is None


def _checkout_listener(engine: AsyncEngine) -> Any:
    listeners = list(engine.sync_engine.pool.dispatch.checkout)
    return listeners[0] if listeners else None


def _write_migrations(folder: Path) -> Path:
    (folder / "versions").mkdir(parents=True)
    (folder / "env.py").write_text("from accord.sql import alembic_env\n\nalembic_env()\n")
    (folder / "script.py.mako").write_text("")
    (folder / "versions" / "0001_initial.py").write_text(
        textwrap.dedent(
            """
            import sqlalchemy as sa
            from alembic import op

            revision = "0001"
            down_revision = None

            def upgrade() -> None:
                op.create_table(
                    "things",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("qty", sa.Integer, sa.CheckConstraint("qty >= 0"), nullable=False),
                )
            """
        )
    )
    return folder


def test_migrate_creates_schema_once_and_names_version_table(tmp_path: Path) -> None:
    migrations = _write_migrations(tmp_path / "migrations")
    db = tmp_path / "state" / "svc.db"
    url = f"sqlite:///{db}"
    migrate(url, migrations, version_table="svc_version")
    migrate(url, migrations, version_table="svc_version")  # at head: nothing to do
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        version = conn.execute("SELECT version_num FROM svc_version").fetchall()
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO things (id, qty) VALUES (1, -1)")
    assert tables == {"things", "svc_version"}
    assert version == [("0001",)]


def test_isolated_migrations_run_in_a_child_process(tmp_path: Path) -> None:
    migrations = _write_migrations(tmp_path / "migrations")
    db = tmp_path / "state" / "svc.db"
    # A child process: Alembic is loaded there, never here.
    probe = (
        "import sys\n"
        "from accord.sql import migrate\n"
        f"migrate('sqlite:///{db}', {str(migrations)!r}, version_table='v', isolated=True)\n"
        "print('alembic' in sys.modules, 'mako' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert result.stdout.split() == ["False", "False"], result.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version_num FROM v").fetchall() == [("0001",)]


def test_isolated_migrations_that_fail_raise_with_the_childs_last_line(tmp_path: Path) -> None:
    migrations = _write_migrations(tmp_path / "migrations")
    broken = migrations / "versions" / "0002_broken.py"
    broken.write_text('revision = "0002"\ndown_revision = "0001"\n\ndef upgrade():\n    1 / 0\n')
    with pytest.raises(accord.sql.MigrationError, match=r"ZeroDivisionError: division by zero$"):
        migrate(f"sqlite:///{tmp_path}/x.db", migrations, isolated=True)


def test_migrate_needs_an_env_py(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"env\.py"):
        migrate(f"sqlite:///{tmp_path}/x.db", tmp_path)


@pytest.mark.anyio
async def test_readiness_answers_and_times_out(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/x.db")
    try:
        check = readiness(engine)
        assert await check() is None
    finally:
        await engine.dispose()
    unreachable = create_engine(
        "postgresql://u@127.0.0.1:1/db", connect_args={"connect_timeout": 1}
    )
    try:
        with pytest.raises(OperationalError):
            await readiness(unreachable, timeout=3.0)()
    finally:
        await unreachable.dispose()


@pytest.mark.anyio
async def test_readiness_gives_up_in_time_on_a_server_that_never_answers() -> None:
    """A database that accepts connections and then hangs fails the probe at its timeout."""
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)

    async def hold(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            await anyio.sleep_forever()

    engine = create_engine(f"postgresql://u@127.0.0.1:{port}/db")  # connect_timeout is 5 s
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(listener.serve, hold)
            started = anyio.current_time()
            with pytest.raises(TimeoutError):
                await readiness(engine, timeout=0.5)()
            assert anyio.current_time() - started < 2
            tg.cancel_scope.cancel()
    finally:
        await listener.aclose()
        await engine.dispose()


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (IntegrityError("x", {}, _PgError("23505")), True),  # unique violation
        (OperationalError("x", {}, _PgError("40001")), True),  # serialization failure
        (OperationalError("x", {}, _PgError("40P01")), True),  # deadlock
        (IntegrityError("x", {}, _PgError("23514")), False),  # check violation
        (OperationalError("x", {}, sqlite3.OperationalError("database is locked")), True),
        (IntegrityError("x", {}, sqlite3.IntegrityError("UNIQUE constraint failed: t.id")), True),
        (IntegrityError("x", {}, sqlite3.IntegrityError("CHECK constraint failed: q")), False),
        (ValueError("database is locked"), False),
    ],
)
def test_is_conflict(exc: BaseException, expected: bool) -> None:
    assert is_conflict(exc) is expected


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An engine on a fresh SQLite file holding ``t (id, v)`` with one row (1, 10)."""
    engine = create_engine(f"sqlite:///{tmp_path}/x.db")
    async with engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY, v INT NOT NULL)"))
        await conn.execute(sa.text("INSERT INTO t VALUES (1, 10)"))
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.mark.anyio
async def test_transactions_commit_or_roll_back_ddl_included(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        assert (await conn.execute(sa.text("UPDATE t SET v = 11 WHERE id = 1"))).rowcount == 1
        assert (await conn.execute(sa.text("UPDATE t SET v = 12 WHERE id = 2"))).rowcount == 0
        await conn.execute(sa.text("CREATE TABLE u (id INTEGER PRIMARY KEY)"))
        assert conn.in_transaction()
        # left without commit: everything rolled back, the CREATE TABLE too
    with pytest.raises(RuntimeError, match="boom"):
        async with engine.begin() as conn:
            await conn.execute(sa.text("UPDATE t SET v = 13"))
            raise RuntimeError("boom")
    async with engine.connect() as conn:
        assert await conn.scalar(sa.text("SELECT v FROM t")) == 10
        tables = (await conn.execute(sa.text("SELECT name FROM sqlite_master"))).scalars()
        assert list(tables) == ["t"]


@pytest.mark.anyio
async def test_sqlite_transactions_begin_immediate_so_no_update_is_lost(
    engine: AsyncEngine,
) -> None:
    """Read-modify-write with no version check at all still loses nothing on SQLite.

    Each transaction takes the write lock at BEGIN, before its read, so the next one
    reads only after the previous committed; with a deferred BEGIN (or ``sqlite3``'s
    legacy mode, whose SELECT runs outside the transaction) two would read the same value.
    """

    async def increment() -> None:
        async with engine.begin() as conn:
            value = await conn.scalar(sa.text("SELECT v FROM t WHERE id = 1"))
            await anyio.sleep(0.005)  # let the others read meanwhile, if they could
            await conn.execute(sa.text("UPDATE t SET v = :v WHERE id = 1"), {"v": value + 1})

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            for _ in range(20):
                tg.start_soon(increment)
    async with engine.connect() as conn:
        assert await conn.scalar(sa.text("SELECT v FROM t")) == 30


@pytest.mark.anyio
async def test_a_write_lock_held_past_the_busy_timeout_is_a_conflict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accord.sql.engine, "SQLITE_BUSY_TIMEOUT_MS", 50)
    path = tmp_path / "x.db"
    engine = create_engine(f"sqlite:///{path}")
    async with engine.begin() as conn:  # the file is created, in WAL mode
        await conn.execute(sa.text("SELECT 1"))
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(OperationalError) as caught:
            async with engine.begin() as conn:
                await conn.execute(sa.text("SELECT 1"))
        assert is_conflict(caught.value)
        assert await readiness(engine)() is None  # the probe does not wait for the lock
        holder.execute("ROLLBACK")
        async with engine.begin() as conn:  # the failed BEGIN left nothing behind
            assert await conn.scalar(sa.text("SELECT 1")) == 1
    finally:
        holder.close()
        await engine.dispose()


@pytest.mark.anyio
async def test_a_real_unique_violation_is_a_conflict_and_a_check_violation_is_not(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE c (id INTEGER PRIMARY KEY, q INT CHECK (q > 0))"))
    async with engine.connect() as conn:
        with pytest.raises(IntegrityError) as unique:
            await conn.execute(sa.text("INSERT INTO t VALUES (1, 0)"))
        with pytest.raises(IntegrityError) as check:
            await conn.execute(sa.text("INSERT INTO c VALUES (1, 0)"))
    assert is_conflict(unique.value)
    assert not is_conflict(check.value)


@pytest.mark.anyio
async def test_a_cancelled_transaction_rolls_back_and_frees_the_lock(engine: AsyncEngine) -> None:
    written = anyio.Event()

    async def stuck() -> None:
        async with engine.begin() as conn:
            await conn.execute(sa.text("UPDATE t SET v = 99"))
            written.set()
            await anyio.sleep_forever()

    async with anyio.create_task_group() as tg:
        tg.start_soon(stuck)
        await written.wait()
        tg.cancel_scope.cancel()
    with anyio.fail_after(2):  # well within the busy timeout: the lock is already free
        async with engine.begin() as conn:
            assert await conn.scalar(sa.text("SELECT v FROM t")) == 10
            await conn.execute(sa.text("UPDATE t SET v = 11"))
    assert engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]


@pytest.mark.anyio
async def test_more_callers_than_connections_queue_instead_of_failing(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/x.db", pool_size=1, max_overflow=1)
    async with engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE n (k INTEGER PRIMARY KEY AUTOINCREMENT)"))

    async def insert() -> None:
        async with engine.begin() as conn:
            await conn.execute(sa.text("INSERT INTO n DEFAULT VALUES"))
            await anyio.sleep(0.001)
            await conn.execute(sa.text("SELECT count(*) FROM n"))

    try:
        with anyio.fail_after(20):
            async with anyio.create_task_group() as tg:
                for _ in range(60):
                    tg.start_soon(insert)
        async with engine.connect() as conn:
            assert await conn.scalar(sa.text("SELECT count(*) FROM n")) == 60
    finally:
        await engine.dispose()


@pytest.mark.anyio
async def test_types_round_trip_through_aiosqlite(tmp_path: Path) -> None:
    meta = sa.MetaData()
    events = sa.Table(
        "events",
        meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("cents", sa.BigInteger, nullable=False),
    )
    engine = create_engine(f"sqlite:///{tmp_path}/x.db")
    when = dt.datetime(2026, 1, 2, 3, 4, 5, 6)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(meta.create_all)
            await conn.execute(
                events.insert(),
                [{"id": 1, "at": when, "cents": 10**15}, {"id": 2, "at": when, "cents": -1}],
            )
            result = await conn.execute(events.update().values(at=when).where(events.c.id > 0))
            assert result.rowcount == 2
            rows = (await conn.execute(sa.select(events).order_by(events.c.id))).all()
        assert [(r.id, r.at, r.cents) for r in rows] == [(1, when, 10**15), (2, when, -1)]
    finally:
        await engine.dispose()


@pytest.mark.anyio
async def test_a_database_error_names_no_parameter(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'p.db'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text("CREATE TABLE t (v TEXT NOT NULL UNIQUE)"))
            await conn.execute(sa.text("INSERT INTO t (v) VALUES (:v)"), {"v": "tok_secret"})
        with pytest.raises(IntegrityError) as caught:
            async with engine.begin() as conn:
                await conn.execute(sa.text("INSERT INTO t (v) VALUES (:v)"), {"v": "tok_secret"})
        assert "tok_secret" not in str(caught.value)
    finally:
        await engine.dispose()


@pytest.mark.anyio
async def test_a_sqlite_file_gets_one_connection_and_writers_take_turns(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/x.db")
    async with engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE n (k INTEGER PRIMARY KEY, at INTEGER)"))
    pool = engine.sync_engine.pool
    assert pool.size() == 1  # type: ignore[attr-defined]
    order: list[int] = []

    async def write(n: int) -> None:
        async with engine.begin() as conn:
            order.append(n)
            await conn.execute(sa.text("INSERT INTO n (k, at) VALUES (:k, 0)"), {"k": n})
            await anyio.sleep(0.002)
            order.append(n)

    try:
        with anyio.fail_after(20):
            async with anyio.create_task_group() as tg:
                for n in range(20):
                    tg.start_soon(write, n)
        # One transaction at a time: each one's start and end are next to each other.
        assert all(order[i] == order[i + 1] for i in range(0, len(order), 2))
        assert pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


def _in_bridge() -> bool:
    """Whether the caller runs inside SQLAlchemy's greenlet bridge."""
    from greenlet import getcurrent  # type: ignore[import-untyped]

    return bool(getattr(getcurrent(), "__sqlalchemy_greenlet_provider__", False))


@pytest.mark.anyio
async def test_sqlite_statements_and_commits_skip_the_greenlet_bridge(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/x.db")
    seen: list[tuple[str, bool]] = []

    def statement(_c: Any, _cur: Any, text: str, *_: Any) -> None:
        seen.append((text.split()[0].upper(), _in_bridge()))

    def ended(_conn: Any) -> None:
        seen.append(("END", _in_bridge()))

    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text("CREATE TABLE n (k INTEGER PRIMARY KEY)"))
        sa.event.listen(engine.sync_engine, "before_cursor_execute", statement)
        sa.event.listen(engine.sync_engine, "commit", ended)
        sa.event.listen(engine.sync_engine, "rollback", ended)
        async with engine.begin() as conn:  # begun, committed at exit
            await conn.execute(sa.text("INSERT INTO n (k) VALUES (1)"))
        async with engine.connect() as conn:  # autobegun, committed, then rolled back
            assert await conn.scalar(sa.text("SELECT count(*) FROM n")) == 1
            await conn.commit()
            await conn.execute(sa.text("INSERT INTO n (k) VALUES (2)"))
            await conn.rollback()
        async with engine.connect() as conn:  # a PRAGMA runs in the driver's thread
            assert await conn.scalar(sa.text("PRAGMA busy_timeout")) == 5000
        assert seen == [
            ("INSERT", False), ("END", False),
            ("SELECT", False), ("END", False),
            ("INSERT", False), ("END", False),
            ("PRAGMA", True), ("END", False),
        ]  # fmt: skip
        async with engine.connect() as conn:
            assert await conn.scalar(sa.text("SELECT count(*) FROM n")) == 1
    finally:
        await engine.dispose()


@pytest.mark.anyio
async def test_a_begin_that_must_wait_for_the_lock_waits_off_the_event_loop(
    tmp_path: Path,
) -> None:
    path = tmp_path / "x.db"
    engine = create_engine(f"sqlite:///{path}")
    async with engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE n (k INTEGER PRIMARY KEY)"))
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process's writer, say
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await anyio.sleep(0.01)
            ticks += 1

    async def write() -> None:
        async with engine.begin() as conn:
            await conn.execute(sa.text("INSERT INTO n (k) VALUES (1)"))

    try:
        with anyio.fail_after(20):
            async with anyio.create_task_group() as tg:
                tg.start_soon(tick)
                tg.start_soon(write)
                await anyio.sleep(0.3)
                assert ticks >= 5  # the loop ran while the BEGIN waited
                other.execute("COMMIT")
                while True:  # the writer goes on once the lock is free
                    async with engine.connect() as conn:
                        if await conn.scalar(sa.text("SELECT count(*) FROM n")) == 1:
                            break
                    await anyio.sleep(0.01)
                tg.cancel_scope.cancel()
    finally:
        other.close()
        await engine.dispose()


def _driver_threads() -> int:
    import threading

    return sum("_connection_worker_thread" in t.name for t in threading.enumerate())


async def _eventually(check: Any, seconds: float = 10.0) -> None:
    with anyio.fail_after(seconds):
        while True:
            if check():
                return
            await anyio.sleep(0.01)


@pytest.mark.anyio
async def test_a_connection_closed_outside_the_bridge_ends_its_driver_thread(
    tmp_path: Path,
) -> None:
    """Two connections, room in the pool for one: the second is closed when returned."""
    before = _driver_threads()
    engine = create_engine(f"sqlite:///{tmp_path}/x.db", pool_size=1, max_overflow=1)
    async with engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE n (k INTEGER PRIMARY KEY)"))
    both_open = anyio.Event()
    held = 0

    async def read() -> None:
        nonlocal held
        async with engine.connect() as conn:
            await conn.execution_options(accord_read_only=True)
            await conn.execute(sa.text("SELECT count(*) FROM n"))
            held += 1
            if held == 2:
                both_open.set()
            await both_open.wait()

    try:
        with anyio.fail_after(20):
            async with anyio.create_task_group() as tg:
                tg.start_soon(read)
                tg.start_soon(read)
            await _eventually(lambda: _driver_threads() - before <= 1)  # the second's ends
            async with engine.connect() as conn:  # the first one still serves
                assert await conn.scalar(sa.text("SELECT count(*) FROM n")) == 0
    finally:
        await engine.dispose()
    await _eventually(lambda: _driver_threads() <= before)


@pytest.mark.anyio
async def test_a_transaction_on_the_loop_ends_without_a_task_of_its_own(tmp_path: Path) -> None:
    """SQLAlchemy closes an ``async with`` connection in a task of its own (a guard
    against cancellation mid-close); on the loop the close cannot suspend and runs in
    place. The transaction's work is committed all the same."""
    import asyncio

    engine = create_engine(f"sqlite:///{tmp_path}/x.db")
    loop = asyncio.get_running_loop()
    made: list[str] = []

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        made.append(getattr(coro, "__qualname__", repr(coro)))
        return asyncio.Task(coro, loop=loop, **kwargs)

    try:
        async with engine.begin() as conn:  # the connection is opened here
            await conn.execute(sa.text("CREATE TABLE t (v INTEGER)"))
        loop.set_task_factory(factory)
        async with engine.begin() as conn:
            await conn.execute(sa.text("INSERT INTO t (v) VALUES (1)"))
        async with engine.connect() as conn:
            assert await conn.scalar(sa.text("SELECT count(*) FROM t")) == 1
        loop.set_task_factory(None)
        assert made == []
    finally:
        loop.set_task_factory(None)
        await engine.dispose()


def test_a_sqlite_engine_and_its_idempotency_store_never_load_psycopg(tmp_path: Path) -> None:
    # psycopg (and libpq) cost a process about 8 MiB: only a PostgreSQL engine loads it.
    probe = (
        "import sys\n"
        "from accord.sql import create_engine\n"
        "import accord.sql.idempotency\n"
        f"create_engine('sqlite:///{tmp_path / 'x.db'}')\n"
        "print('psycopg' in sys.modules)\n"
        "create_engine('postgresql://u@127.0.0.1:1/db')\n"
        "print('psycopg' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert result.stdout.split() == ["False", "True"], result.stderr


class _Reads(accord.sql.UnitOfWork):
    def bind(self, connection: Any) -> None:
        self.connection = connection


class _Values(accord.sql.Repository):
    async def value(self) -> int:
        return int(await self._connection.scalar(sa.text("SELECT v FROM t WHERE id = 1")))


class _WithValues(accord.sql.UnitOfWork):
    values: _Values

    def bind(self, connection: Any) -> None:
        self.values = _Values(connection)


@pytest.mark.anyio
async def test_a_repository_runs_on_its_unit_of_works_transaction(engine: AsyncEngine) -> None:
    async with _WithValues(engine) as work:
        await work.values._connection.execute(sa.text("UPDATE t SET v = 42 WHERE id = 1"))
        assert await work.values.value() == 42  # its own write, in the same transaction
    async with _WithValues(engine, read_only=True) as work:
        assert await work.values.value() == 10  # never committed: rolled back


@pytest.mark.anyio
async def test_a_unit_of_work_that_only_reads_takes_no_write_lock_on_sqlite(
    tmp_path: Path,
) -> None:
    """Another process holds the write lock: a reading unit of work reads at once (a
    plain BEGIN, a snapshot); one that may write would wait for the lock and fail."""
    path = tmp_path / "x.db"
    engine = create_engine(f"sqlite:///{path}")
    async with engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY, v INT NOT NULL)"))
        await conn.execute(sa.text("INSERT INTO t VALUES (1, 10)"))
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("UPDATE t SET v = 11")  # not committed: not seen
        with anyio.fail_after(2):  # the busy timeout is 5 s: no waiting for the lock
            async with _Reads(engine, read_only=True) as work:
                assert await work.connection.scalar(sa.text("SELECT v FROM t")) == 10
                rows = await work.connection.execute(
                    sa.select(sa.column("v")).select_from(sa.table("t"))
                )
                assert [row.v for row in rows] == [10]
        holder.execute("COMMIT")
        async with _Reads(engine, read_only=True) as work:
            assert await work.connection.scalar(sa.text("SELECT v FROM t")) == 11
    finally:
        holder.close()
        await engine.dispose()


@pytest.mark.anyio
async def test_a_write_or_a_commit_in_a_unit_of_work_that_only_reads_is_refused(
    engine: AsyncEngine,
) -> None:
    t = sa.table("t", sa.column("id"), sa.column("v"))
    for write in (
        lambda c: c.execute(sa.text("UPDATE t SET v = 99")),
        lambda c: c.execute(accord.sql.prepared(t.update().values(v=99))),
        lambda c: c.execute(t.insert().values(id=2, v=1)),
        lambda c: c.exec_driver_sql("DELETE FROM t"),
    ):
        with pytest.raises(accord.sql.ReadOnlyViolation, match="only reads may not run"):
            async with _Reads(engine, read_only=True) as work:
                await write(work.connection)
    with pytest.raises(accord.sql.ReadOnlyViolation, match="nothing to commit"):
        async with _Reads(engine, read_only=True) as work:
            await work.commit()
    async with _Reads(engine) as work:  # a unit of work that writes still does
        await work.connection.execute(sa.text("UPDATE t SET v = 12"))
        await work.commit()
    async with engine.connect() as conn:
        assert await conn.scalar(sa.text("SELECT v FROM t")) == 12


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (sa.select(sa.literal(1)), False),
        (sa.select(sa.literal(1)).union_all(sa.select(sa.literal(2))), False),
        (sa.text("  select 1"), False),
        ("VALUES (1)", False),
        ("SHOW server_version", False),
        (sa.select(sa.table("t", sa.column("v"))).with_for_update(), True),
        (sa.text("SELECT v FROM t FOR NO KEY UPDATE"), True),
        (sa.text("WITH x AS (DELETE FROM t RETURNING v) SELECT * FROM x"), True),
        (sa.table("t", sa.column("v")).update().values(v=1), True),
        (sa.text("INSERT INTO t VALUES (1)"), True),
        ("CREATE TABLE u (id INT)", True),
        ("selectivity", True),
    ],
)
def test_what_a_connection_that_only_reads_may_run(statement: Any, expected: bool) -> None:
    assert writes(statement) is expected
