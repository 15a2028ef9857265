"""accord.sql on PostgreSQL: commits, rollbacks and closes awaited on psycopg without
SQLAlchemy's greenlet bridge, and statements sent alone, keep SQLAlchemy's behaviour:
each COMMIT sent once and really committed, failures raised and wrapped as SQLAlchemy
raises them, a lost connection invalidated, what is not committed rolled back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
import psycopg
import pytest
import sqlalchemy as sa
import sqlalchemy.ext.asyncio.engine as sa_async_engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import accord.sql
import accord.sql.postgres_direct
from accord.sql import create_engine, is_conflict, prepared, sync_url
from accord.sql.postgres_direct import DirectAsyncEngine

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]

metadata = sa.MetaData()
notes = sa.Table(
    "notes",
    metadata,
    sa.Column("k", sa.String(20), primary_key=True),
    sa.Column("n", sa.Integer, nullable=False),
)
_ADD = prepared(notes.insert())
_BUMP = prepared(notes.update().where(notes.c.k == sa.bindparam("w_k")).values(n=notes.c.n + 1))
_ADD_RETURNING = prepared(notes.insert().returning(notes.c.k))
_DEFERRED_TAGS = sa.text("CREATE TABLE tags (t text UNIQUE DEFERRABLE INITIALLY DEFERRED)")


@pytest.fixture
def url(postgres_url_factory: Callable[[], str]) -> str:
    return postgres_url_factory()


@pytest.fixture
async def engine(url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(url)
    assert isinstance(engine, DirectAsyncEngine)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def commands(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """``BEGIN``, ``COMMIT`` and ``ROLLBACK`` as psycopg sends them (filled in as sent)."""
    sent: list[bytes] = []
    original = psycopg.AsyncConnection._exec_command

    def recording(self: Any, command: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(command if isinstance(command, bytes) else str(command).encode())
        return original(self, command, *args, **kwargs)

    monkeypatch.setattr(psycopg.AsyncConnection, "_exec_command", recording)
    return sent


@pytest.fixture
def bridged(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The calls SQLAlchemy's ``AsyncConnection``/``AsyncTransaction`` and accord's
    direct path run in the greenlet bridge (filled in as they run)."""
    seen: list[str] = []

    def counting(original: Any) -> Any:
        async def spawn(fn: Any, *args: Any, **kwargs: Any) -> Any:
            seen.append(getattr(fn, "__name__", repr(fn)))
            return await original(fn, *args, **kwargs)

        return spawn

    for module in (sa_async_engine, accord.sql.postgres_direct):
        monkeypatch.setattr(module, "greenlet_spawn", counting(module.greenlet_spawn))
    yield seen


async def _count(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        return {row.k: row.n for row in await conn.execute(sa.select(notes))}


async def test_a_transaction_sends_one_commit_and_takes_the_bridge_only_to_check_out(
    engine: AsyncEngine, commands: list[bytes], bridged: list[str]
) -> None:
    async with engine.begin() as conn:
        await conn.execute(_ADD, {"k": "a", "n": 1})
    async with engine.connect() as conn:
        await conn.execute(_BUMP, {"w_k": "a"})
        await conn.commit()
        await conn.execute(_BUMP, {"w_k": "a"})
        await conn.rollback()
        await conn.execute(_BUMP, {"w_k": "a"})  # open when the block ends: rolled back
    assert commands == [b"BEGIN", b"COMMIT", b"BEGIN", b"COMMIT", b"BEGIN", b"ROLLBACK",
                        b"BEGIN", b"ROLLBACK"]  # fmt: skip
    assert bridged == ["connect", "connect"]  # the pool's checkout, once per connection
    assert await _count(engine) == {"a": 2}
    assert engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_an_error_in_a_transaction_rolls_it_back_and_releases_its_lock(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await conn.execute(_ADD, {"k": "a", "n": 1})
    with pytest.raises(RuntimeError):
        async with engine.begin() as conn:
            await conn.execute(_BUMP, {"w_k": "a"})  # locks the row
            raise RuntimeError("the work failed")
    with anyio.fail_after(3):  # a row lock still held would block this
        async with engine.begin() as conn:
            assert (await conn.execute(_BUMP, {"w_k": "a"})).rowcount == 1
    assert await _count(engine) == {"a": 2}


async def test_a_commit_refused_by_the_server_is_raised_as_sqlalchemy_raises_it(
    engine: AsyncEngine, commands: list[bytes]
) -> None:
    """A deferred unique constraint is checked at COMMIT: the refusal comes from the
    commit itself, wrapped (IntegrityError, a conflict), and nothing is kept."""
    async with engine.begin() as conn:
        await conn.execute(_DEFERRED_TAGS)
    add = prepared(sa.text("INSERT INTO tags (t) VALUES (:t)"))
    with pytest.raises(sa.exc.IntegrityError) as refused:
        async with engine.begin() as conn:
            await conn.execute(add, {"t": "x"})
            await conn.execute(add, {"t": "x"})  # accepted until the commit
    assert is_conflict(refused.value)
    with pytest.raises(sa.exc.IntegrityError):
        async with engine.connect() as conn:
            await conn.execute(add, {"t": "y"})
            await conn.execute(add, {"t": "y"})
            await conn.commit()
    assert commands.count(b"COMMIT") == 3  # CREATE TABLE's, then each refused one once
    async with engine.connect() as conn:
        assert (await conn.execute(sa.text("SELECT count(*) FROM tags"))).scalar() == 0
    assert engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]


class _Conflict(Exception):
    pass


class _Work(accord.sql.UnitOfWork):
    conflict = _Conflict

    def bind(self, connection: AsyncConnection) -> None:
        self.connection = connection


async def test_a_unit_of_work_whose_commit_is_refused_raises_its_conflict(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await conn.execute(_DEFERRED_TAGS)
    with pytest.raises(_Conflict):
        async with _Work(engine) as work:
            await work.connection.execute(sa.text("INSERT INTO tags VALUES ('x'), ('x')"))
            await work.commit()


async def test_a_connection_lost_before_commit_is_invalidated_and_replaced(
    engine: AsyncEngine, url: str
) -> None:
    async with engine.begin() as conn:
        await conn.execute(_ADD, {"k": "a", "n": 1})
    with pytest.raises(sa.exc.DBAPIError) as lost:
        async with engine.begin() as conn:
            await conn.execute(_BUMP, {"w_k": "a"})
            pid = await conn.scalar(sa.text("SELECT pg_backend_pid()"))
            with psycopg.connect(sync_url(url).replace("+psycopg", ""), autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            await anyio.sleep(0.2)
    assert lost.value.connection_invalidated
    assert await _count(engine) == {"a": 1}  # the bump was never committed
    assert engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_commit_listeners_still_see_every_commit(engine: AsyncEngine) -> None:
    """An engine with event listeners keeps SQLAlchemy's own path, events included."""
    seen: list[str] = []
    sa.event.listen(engine.sync_engine, "commit", lambda conn: seen.append("commit"))
    sa.event.listen(engine.sync_engine, "rollback", lambda conn: seen.append("rollback"))
    async with engine.begin() as conn:
        await conn.execute(_ADD, {"k": "a", "n": 1})
    async with engine.connect() as conn:
        await conn.execute(_BUMP, {"w_k": "a"})
        await conn.rollback()
    assert seen == ["commit", "rollback"]
    assert await _count(engine) == {"a": 1}


async def test_a_statement_alone_is_committed_without_begin_or_commit(
    engine: AsyncEngine, commands: list[bytes]
) -> None:
    assert isinstance(engine, DirectAsyncEngine)
    added = await engine.execute_alone(_ADD_RETURNING, {"k": "a", "n": 1})
    assert [row.k for row in added] == ["a"]
    assert (await engine.execute_alone(_BUMP, {"w_k": "a"})).rowcount == 1
    assert commands == []
    assert await _count(engine) == {"a": 2}  # seen by another connection: committed
    with pytest.raises(sa.exc.IntegrityError) as taken:
        await engine.execute_alone(_ADD, {"k": "a", "n": 5})
    assert is_conflict(taken.value)
    assert commands == [b"BEGIN", b"ROLLBACK"]  # _count's read only
    commands.clear()
    async with engine.connect() as conn:  # the connection went back to the pool as it was
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None and driver.autocommit is False
        await conn.execute(_BUMP, {"w_k": "a"})  # in a transaction again: rolled back
    assert commands == [b"BEGIN", b"ROLLBACK"]
    assert await _count(engine) == {"a": 2}
    # an unprepared statement runs in a transaction of its own, as engine.begin() runs it
    await engine.execute_alone(notes.update().values(n=7))
    assert commands[-2:] == [b"BEGIN", b"COMMIT"]
    assert await _count(engine) == {"a": 7}
    assert engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_prepared_statements_after_a_failed_one_read_what_they_should(
    engine: AsyncEngine,
) -> None:
    """The cursor kept per connection for prepared statements: a failure, a statement
    without rows and one whose first run found no rows leave the next results right."""
    by_key = prepared(sa.select(notes.c.k, notes.c.n).where(notes.c.k == sa.bindparam("w_k")))
    async with engine.connect() as conn:
        assert (await conn.execute(by_key, {"w_k": "a"})).all() == []  # no rows yet
        await conn.execute(_ADD, {"k": "a", "n": 1})
        await conn.commit()
        with pytest.raises(sa.exc.IntegrityError):
            await conn.execute(_ADD, {"k": "a", "n": 2})
        await conn.rollback()
        assert (await conn.execute(_BUMP, {"w_k": "a"})).rowcount == 1
        assert [tuple(row) for row in await conn.execute(by_key, {"w_k": "a"})] == [("a", 2)]
        assert (await conn.execute(_ADD_RETURNING, {"k": "b", "n": 0})).scalar() == "b"
        await conn.commit()
    assert await _count(engine) == {"a": 2, "b": 0}


_BY_K = prepared(sa.select(notes.c.n).where(notes.c.k == sa.bindparam("w_k")))


async def test_a_unit_of_work_that_only_reads_sends_each_statement_alone(
    engine: AsyncEngine, commands: list[bytes], bridged: list[str]
) -> None:
    async with engine.begin() as conn:
        await conn.execute(_ADD, {"k": "a", "n": 1})
    commands.clear()
    bridged.clear()
    async with _Work(engine, read_only=True) as work:
        assert (await work.connection.execute(_BY_K, {"w_k": "a"})).scalar() == 1
        driver = (await work.connection.get_raw_connection()).driver_connection
        assert driver is not None
        # no transaction is open on the server between statements: nothing to end
        assert driver.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        rows = await work.connection.execute(sa.select(notes.c.k).order_by(notes.c.k))
        assert [row.k for row in rows] == ["a"]  # unprepared: SQLAlchemy's way, alone too
        assert (await work.connection.execute(sa.text("SELECT 2"))).scalar() == 2
    assert commands == []  # no BEGIN, no ROLLBACK: one round trip per statement
    assert "execution_options" not in bridged  # declared without the bridge
    # the connection went back to the pool in transactions again
    async with engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None and driver.autocommit is False
        await conn.execute(_BUMP, {"w_k": "a"})  # rolled back when the block ends
    assert commands == [b"BEGIN", b"ROLLBACK"]
    assert await _count(engine) == {"a": 1}
    assert engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_a_unit_of_work_that_only_reads_sees_what_is_committed_and_nothing_else(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await conn.execute(_ADD, {"k": "a", "n": 1})
    async with engine.connect() as writer:
        await writer.execute(_BUMP, {"w_k": "a"})  # not committed yet
        async with _Work(engine, read_only=True) as work:
            assert (await work.connection.execute(_BY_K, {"w_k": "a"})).scalar() == 1
            await writer.commit()
            # the next statement sees the commit, as a READ COMMITTED transaction would
            assert (await work.connection.execute(_BY_K, {"w_k": "a"})).scalar() == 2


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda c: c.execute(_ADD, {"k": "b", "n": 1}), id="prepared insert"),
        pytest.param(lambda c: c.execute(_BUMP, {"w_k": "a"}), id="prepared update"),
        pytest.param(lambda c: c.execute(notes.delete()), id="core delete"),
        pytest.param(lambda c: c.execute(sa.select(notes).with_for_update()), id="for update"),
        pytest.param(lambda c: c.execute(sa.text("UPDATE notes SET n = 9")), id="text"),
        pytest.param(lambda c: c.exec_driver_sql("DELETE FROM notes"), id="driver sql"),
        pytest.param(lambda c: c.execute(sa.text("SELECT 1 FOR SHARE")), id="text lock"),
    ],
)
async def test_a_write_in_a_unit_of_work_that_only_reads_is_refused_and_not_sent(
    engine: AsyncEngine, commands: list[bytes], write: Callable[[AsyncConnection], Any]
) -> None:
    async with engine.begin() as conn:
        await conn.execute(_ADD, {"k": "a", "n": 1})
    with pytest.raises(accord.sql.ReadOnlyViolation, match="only reads may not run"):
        async with _Work(engine, read_only=True) as work:
            await write(work.connection)
    with pytest.raises(accord.sql.ReadOnlyViolation, match="nothing to commit"):
        async with _Work(engine, read_only=True) as work:
            await work.commit()
    assert await _count(engine) == {"a": 1}  # nothing was committed on its own
    assert engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_readiness_reads_alone(engine: AsyncEngine, commands: list[bytes]) -> None:
    commands.clear()
    await accord.sql.readiness(engine)()
    assert commands == []
