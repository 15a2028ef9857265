"""accord.sql on real databases: SQLite and a throwaway PostgreSQL, one suite for both."""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Callable
from pathlib import Path

import anyio
import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

import accord.sql
import accord.sql.engine
from accord.ports import ConcurrencyConflict
from accord.sql import (
    compare_and_set,
    create_engine,
    is_conflict,
    keyset_page,
    migrate,
    readiness,
    sync_url,
)


@pytest.fixture
def migrations(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    (folder / "versions").mkdir(parents=True)
    (folder / "env.py").write_text("from accord.sql import alembic_env\n\nalembic_env()\n")
    (folder / "versions" / "0001_initial.py").write_text(
        textwrap.dedent(
            """
            import sqlalchemy as sa
            from alembic import op

            revision = "0001"
            down_revision = None

            def upgrade() -> None:
                op.create_table(
                    "counters",
                    sa.Column("name", sa.String(20), primary_key=True),
                    sa.Column("value", sa.Integer, nullable=False),
                    sa.Column("version", sa.Integer, nullable=False),
                    sa.CheckConstraint("value >= 0", name="value_not_negative"),
                )
            """
        )
    )
    return folder


counters = sa.table("counters", sa.column("name"), sa.column("value"), sa.column("version"))


@pytest.mark.anyio
async def test_migrate_then_serve(database_url: str, migrations: Path) -> None:
    migrate(database_url, migrations, version_table="test_version")
    migrate(database_url, migrations, version_table="test_version")
    engine = create_engine(database_url)
    try:
        await readiness(engine)()
        async with engine.begin() as conn:
            await conn.execute(sa.insert(counters).values(name="a", value=1, version=0))
        async with engine.connect() as conn:
            version = await conn.scalar(sa.text("SELECT version_num FROM test_version"))
            assert version == "0001"
            with pytest.raises(sa.exc.IntegrityError) as caught:
                await conn.execute(sa.insert(counters).values(name="a", value=2, version=0))
            assert is_conflict(caught.value)
            await conn.rollback()
            with pytest.raises(sa.exc.IntegrityError) as caught:
                await conn.execute(sa.update(counters).values(value=-1))
            assert not is_conflict(caught.value)
    finally:
        await engine.dispose()


@pytest.mark.anyio
async def test_optimistic_increments_lose_nothing(database_url: str, migrations: Path) -> None:
    """30 tasks each add 1 with a version check and retry; the total is exactly 30."""
    migrate(database_url, migrations)
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.execute(sa.insert(counters).values(name="c", value=0, version=0))
    conflicts = 0

    async def increment() -> None:
        nonlocal conflicts
        while True:
            try:
                async with engine.begin() as conn:
                    row = (
                        await conn.execute(sa.select(counters).where(counters.c.name == "c"))
                    ).one()
                    result = await conn.execute(
                        sa.update(counters)
                        .where(counters.c.name == "c", counters.c.version == row.version)
                        .values(value=row.value + 1, version=row.version + 1)
                    )
                    touched = result.rowcount
                    if touched == 1:
                        return
                    conflicts += 1
            except sa.exc.DBAPIError as exc:
                if not is_conflict(exc):
                    raise
                conflicts += 1

    try:
        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:
                for _ in range(30):
                    tg.start_soon(increment)
        async with engine.connect() as conn:
            value = await conn.scalar(sa.select(counters.c.value))
        assert value == 30
    finally:
        await engine.dispose()


@pytest.mark.anyio
async def test_compare_and_set_writes_only_over_the_version_read(
    database_url: str, migrations: Path
) -> None:
    migrate(database_url, migrations)
    engine = create_engine(database_url)
    save = (
        sa.update(counters)
        .where(
            counters.c.name == sa.bindparam("w_name"), counters.c.version == sa.bindparam("w_seen")
        )
        .values(value=sa.bindparam("new_value"), version=sa.bindparam("new_version"))
    )
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.insert(counters).values(name="d", value=0, version=4))
            values = {"w_name": "d", "new_value": 7}
            assert await compare_and_set(conn, save, values, seen=4, what="counter 'd'") == 5
            with pytest.raises(ConcurrencyConflict, match=r"^counter 'd' changed since version 4$"):
                await compare_and_set(
                    conn, save, {**values, "new_value": 9}, seen=4, what="counter 'd'"
                )
            row = (await conn.execute(sa.select(counters).where(counters.c.name == "d"))).one()
        assert (row.value, row.version) == (7, 5)
    finally:
        await engine.dispose()


@dataclasses.dataclass(frozen=True)
class _Page:
    after: str | None
    limit: int
    filters: dict[str, object] = dataclasses.field(default_factory=dict)

    def where(self) -> dict[str, object]:
        return self.filters


@pytest.mark.anyio
async def test_a_keyset_page_filters_then_starts_after_the_key(
    database_url: str, migrations: Path
) -> None:
    migrate(database_url, migrations)
    engine = create_engine(database_url)
    table = sa.Table(
        "counters",
        sa.MetaData(),
        sa.Column("name", sa.String(20), primary_key=True),
        sa.Column("value", sa.Integer),
        sa.Column("version", sa.Integer),
    )
    try:
        async with engine.begin() as conn:
            rows = [{"name": n, "value": v, "version": 0} for n, v in zip("abcde", [1, 2, 1, 1, 2])]
            await conn.execute(sa.insert(table), rows)
            page = keyset_page(table, "name", _Page(after="a", limit=2, filters={"value": 1}))
            assert [r.name for r in await conn.execute(page)] == ["c", "d"]
            everything = keyset_page(table, "name", _Page(after=None, limit=10))
            assert [r.name for r in await conn.execute(everything)] == list("abcde")
    finally:
        await engine.dispose()


@pytest.mark.anyio
async def test_a_cancelled_transaction_lets_go_of_its_row(
    database_url: str, migrations: Path
) -> None:
    """A request cancelled mid-transaction leaves neither a lock nor a checked-out connection."""
    migrate(database_url, migrations)
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.execute(sa.insert(counters).values(name="c", value=1, version=0))
    written = anyio.Event()

    async def stuck() -> None:
        async with engine.begin() as conn:
            await conn.execute(sa.update(counters).values(value=99, version=1))
            written.set()
            await anyio.sleep_forever()

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(stuck)
            await written.wait()
            tg.cancel_scope.cancel()
        with anyio.fail_after(3):  # a row or file lock still held would block this
            async with engine.begin() as conn:
                result = await conn.execute(
                    sa.update(counters).where(counters.c.version == 0).values(value=2, version=1)
                )
                assert result.rowcount == 1
        assert engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


class _Conflict(Exception):
    pass


class _Counter(accord.sql.UnitOfWork):
    conflict = _Conflict

    def bind(self, connection: AsyncConnection) -> None:
        self.connection = connection


@pytest.mark.anyio
async def test_unit_of_work_commits_rolls_back_and_names_conflicts(database_url: str) -> None:
    engine = accord.sql.create_engine(database_url)
    table = sa.Table("uow_keys", sa.MetaData(), sa.Column("k", sa.String(10), primary_key=True))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(table.metadata.create_all)
        async with _Counter(engine) as uow:
            await uow.connection.execute(table.insert().values(k="a"))
            await uow.commit()
        async with _Counter(engine) as uow:
            await uow.connection.execute(table.insert().values(k="b"))  # never committed
        async with _Counter(engine) as uow:
            rows = (await uow.connection.execute(sa.select(table.c.k))).scalars().all()
        assert rows == ["a"]
        with pytest.raises(_Conflict):
            async with _Counter(engine) as uow, accord.sql.conflicts_as(_Conflict):
                await uow.connection.execute(table.insert().values(k="a"))
    finally:
        await engine.dispose()


@pytest.mark.anyio
@pytest.mark.postgres
async def test_a_connection_killed_while_idle_is_replaced_before_use(
    postgres_url_factory: Callable[[], str],
) -> None:
    """The pool checks a connection idle over PING_AFTER_IDLE_S; a dead one is replaced
    and the caller never sees it."""
    url = postgres_url_factory()
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            first = await conn.scalar(sa.text("SELECT pg_backend_pid()"))
        async with engine.connect() as conn:  # at once: the same connection, no ping
            again = await conn.scalar(sa.text("SELECT pg_backend_pid()"))
        assert again == first
        with psycopg.connect(sync_url(url).replace("+psycopg", ""), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (first,))
        await anyio.sleep(accord.sql.engine.PING_AFTER_IDLE_S + 0.2)
        async with engine.begin() as conn:
            replaced = await conn.scalar(sa.text("SELECT pg_backend_pid()"))
        assert replaced != first
    finally:
        await engine.dispose()


@pytest.mark.anyio
@pytest.mark.postgres
async def test_connections_opened_under_load_are_kept(
    postgres_url_factory: Callable[[], str],
) -> None:
    """Connections opened for concurrent transactions stay in the pool when they come
    back (none is closed, to be opened again by the next burst), up to POOL_SIZE."""
    engine = create_engine(postgres_url_factory())
    size = 12
    assert size <= accord.sql.engine.POOL_SIZE

    async def burst() -> set[int]:
        """``size`` connections in use at once; the server processes behind them."""
        pids: set[int] = set()
        all_in, release = anyio.Event(), anyio.Event()

        async def hold() -> None:
            async with engine.connect() as conn:
                pids.add(await conn.scalar(sa.text("SELECT pg_backend_pid()")))
                if len(pids) == size:
                    all_in.set()
                await release.wait()

        async with anyio.create_task_group() as tasks:
            for _ in range(size):
                tasks.start_soon(hold)
            await all_in.wait()
            release.set()
        return pids

    try:
        first = await burst()
        assert engine.sync_engine.pool.checkedin() == size  # type: ignore[attr-defined]
        assert await burst() == first
    finally:
        await engine.dispose()
