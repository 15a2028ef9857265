"""accord.sql.prepared on real databases: a prepared statement runs on the driver, gives
what SQLAlchemy gives, in the same transaction, with the same errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from accord.sql import PreparedResult, create_engine, is_conflict, prepared

metadata = sa.MetaData()
things = sa.Table(
    "things",
    metadata,
    sa.Column("name", sa.String(20), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("fragile", sa.Boolean, nullable=False),
    sa.Column("blob", sa.LargeBinary),
    sa.Column("weight", sa.Float),
)

_ADD = prepared(things.insert())
_BY_NAME = prepared(sa.select(things).where(things.c.name == sa.bindparam("w_name")))
_BY_NAMES = prepared(
    sa.select(things.c.name, things.c.size)
    .where(things.c.name.in_(sa.bindparam("w_names", expanding=True)))
    .order_by(things.c.name)
)
_GROW = prepared(
    things.update()
    .where(things.c.size < sa.bindparam("w_below"))
    .values(size=things.c.size + 1, fragile=sa.bindparam("new_fragile"))
)
_FIRST_BIG = prepared(
    sa.select(things.c.name).where(things.c.size > 10).order_by(things.c.name).limit(1)
)
MADE = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def _row(name: str, size: int, fragile: bool = False) -> dict[str, Any]:
    return {"name": name, "size": size, "made_at": MADE, "fragile": fragile,
            "blob": b"\x00\xff", "weight": 1.5}  # fmt: skip


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


def _statements(engine: AsyncEngine) -> list[str]:
    """The statements SQLAlchemy's own execution path runs on ``engine`` (filled in as
    they run)."""
    seen: list[str] = []
    sa.event.listen(engine.sync_engine, "before_cursor_execute",
                    lambda *args: seen.append(args[2]))  # fmt: skip
    return seen


@pytest.mark.anyio
async def test_prepared_statements_read_and_write_as_sqlalchemy_does(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await conn.execute(_ADD, _row("a", 1, fragile=True))
        await conn.execute(_ADD, [_row("b", 20)])
        await conn.execute(_ADD, _row("c", 30))
    seen = _statements(engine)
    async with engine.connect() as conn:
        got = await conn.execute(_BY_NAME, {"w_name": "a"})
        assert isinstance(got, PreparedResult)
        row = got.one()
        assert (row.name, row.size, row.fragile, row.blob, row.weight) == (
            "a", 1, True, b"\x00\xff", 1.5)  # fmt: skip
        assert row.made_at.replace(tzinfo=dt.UTC) == MADE
        assert (await conn.execute(_BY_NAME, {"w_name": "zz"})).one_or_none() is None
        picked = await conn.execute(_BY_NAMES, {"w_names": ["c", "a", "q"]})
        assert [tuple(r) for r in picked] == [("a", 1), ("c", 30)]
        assert (await conn.execute(_FIRST_BIG)).scalar() == "b"
        grown = await conn.execute(_GROW, {"w_below": 25, "new_fragile": True})
        assert grown.rowcount == 2
        await conn.commit()
    assert seen == []  # none went through SQLAlchemy's execution path
    async with engine.connect() as conn:
        plain = (await conn.execute(sa.select(things).order_by(things.c.name))).all()
    assert [(r.name, r.size, r.fragile) for r in plain] == [
        ("a", 2, True), ("b", 21, True), ("c", 30, False)]  # fmt: skip
    assert seen != []


@pytest.mark.anyio
async def test_a_prepared_write_is_rolled_back_unless_committed(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(_ADD, _row("a", 1))
        assert (await conn.execute(_BY_NAME, {"w_name": "a"})).first() is not None
    async with engine.connect() as conn:
        assert (await conn.execute(_BY_NAME, {"w_name": "a"})).first() is None
        await conn.execute(_ADD, _row("a", 1))
        await conn.commit()
    async with engine.connect() as conn:
        assert (await conn.execute(_BY_NAME, {"w_name": "a"})).one().size == 1


@pytest.mark.anyio
async def test_a_prepared_statement_fails_as_sqlalchemy_fails(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(_ADD, _row("a", 1))
        await conn.execute(_ADD, _row("b", 2))
    async with engine.connect() as conn:
        with pytest.raises(sa.exc.IntegrityError) as caught:
            await conn.execute(_ADD, _row("a", 2))
        assert is_conflict(caught.value)
        assert "parameters hidden" in str(caught.value)  # as the engine says
        await conn.rollback()
        with pytest.raises(sa.exc.StatementError):
            await conn.execute(_BY_NAME, {})  # a parameter missing
        await conn.rollback()
        assert (await conn.execute(_BY_NAME, {"w_name": "a"})).one().size == 1
        with pytest.raises(sa.exc.MultipleResultsFound):
            (await conn.execute(_BY_NAMES, {"w_names": ["a", "b"]})).one()
