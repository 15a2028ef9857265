"""The service kit assembles a tiny service of the test's own: a counter kept in SQLite.

Its migrations create its table and its idempotency keys (``create_idempotency_table``);
the kit opens the database, stacks the standard layers and serves the app in-process.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Annotated, ClassVar

import httpx
import msgspec
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from accord import Contract, Idempotency, operation
from accord.config import setting
from accord.config.common import ServiceSettings
from accord.errors import TooManyRequests
from accord.kit import ServiceKit
from accord.runtime import App, Deadlines, IdempotencyLayer, LoadShedding
from accord.runtime.ratelimit import RateLimit

pytestmark = pytest.mark.anyio


class Bump(msgspec.Struct, kw_only=True):
    by: int


class Count(msgspec.Struct, kw_only=True):
    value: int


class Counter(Contract, name="counter", version="1.0.0"):
    """One counter, bumped with an idempotency key."""

    bump = operation(Bump, Count, method="POST", path="/bump", idempotency=Idempotency.REQUIRES_KEY)


class Settings(ServiceSettings, frozen=True, kw_only=True, forbid_unknown_fields=True):
    schema_version: ClassVar[str] = "1.0.0"
    database_url: Annotated[str, setting("The counter's database", pinned=True)] = ""


class Implementation:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def bump(self, request: Bump) -> Count:
        async with self.engine.begin() as conn:
            await conn.execute(
                sa.text("UPDATE counter SET value = value + :by"), {"by": request.by}
            )
            value = await conn.scalar(sa.text("SELECT value FROM counter"))
        return Count(value=int(value))


def write_migrations(folder: Path, keys: str = "counter_keys") -> Path:
    (folder / "versions").mkdir(parents=True)
    (folder / "env.py").write_text("from accord.sql import alembic_env\n\nalembic_env()\n")
    (folder / "versions" / "0001_initial.py").write_text(
        textwrap.dedent(
            """
            import sqlalchemy as sa
            from alembic import op

            from accord.sql import create_idempotency_table

            revision = "0001"
            down_revision = None

            def upgrade() -> None:
                op.create_table("counter", sa.Column("value", sa.Integer, nullable=False))
                op.execute("INSERT INTO counter (value) VALUES (0)")
                create_idempotency_table("KEYS")
            """
        ).replace("KEYS", keys)
    )
    return folder


def create_app(home: Path, **settings: object) -> tuple[App, ServiceKit[Settings]]:
    kit = ServiceKit.open(
        Settings,
        "counter",
        Settings(home=str(home), **settings),  # type: ignore[arg-type]
        contract=Counter,
        migrations=write_migrations(home / "migrations"),
        version_table="counter_alembic_version",
    )
    auth = kit.authentication(Counter.name)
    layers = kit.layers(auth, idempotency_table="counter_keys")
    return kit.app(Counter, Implementation(kit.engine), auth=auth, layers=layers), kit


async def test_the_kit_serves_a_service_of_its_own_over_its_database(tmp_path: Path) -> None:
    app, kit = create_app(tmp_path, rate_limits={"bump": "2/1m"})
    stack = [type(layer) for layer in kit.layers(None, idempotency_table="counter_keys")]
    assert stack[1:3] == [LoadShedding, Deadlines]
    assert stack[-2:] == [IdempotencyLayer, RateLimit]
    transport = httpx.ASGITransport(app=app)
    async with Counter.client("http://counter.internal", transport=transport) as counter:
        assert await counter.bump(Bump(by=2), idempotency_key="k-1") == Count(value=2)
        # the same key is answered from the database, and spends none of the rate
        assert await counter.bump(Bump(by=2), idempotency_key="k-1") == Count(value=2)
        assert await counter.bump(Bump(by=3), idempotency_key="k-2") == Count(value=5)
        with pytest.raises(TooManyRequests):
            await counter.bump(Bump(by=1), idempotency_key="k-3")
    async with httpx.AsyncClient(transport=transport, base_url="http://counter.internal") as raw:
        ready = await raw.get("/readyz")
        admin = await raw.get("/admin/config")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready", "checks": {"database": "ok"}}
    assert admin.status_code == 401  # served, behind admin.scope as auth is on
    await kit.engine.dispose()
    # no database_url: SQLite under home, named after the service
    assert (tmp_path / "counter.db").is_file()


async def test_the_tables_are_named_after_the_service_unless_given(tmp_path: Path) -> None:
    kit = ServiceKit.open(
        Settings,
        "counter",
        Settings(home=str(tmp_path)),
        contract=Counter,
        migrations=write_migrations(tmp_path / "migrations", keys="counter_idempotency_keys"),
    )
    # No layers given: the kit's standard stack, whose idempotency layer stores the key.
    app = kit.app(Counter, Implementation(kit.engine), auth=None)
    async with Counter.client(
        "http://counter.internal", transport=httpx.ASGITransport(app=app)
    ) as counter:
        assert await counter.bump(Bump(by=4), idempotency_key="k-1") == Count(value=4)
    async with kit.engine.connect() as conn:
        version = await conn.scalar(sa.text("SELECT version_num FROM counter_alembic_version"))
        keys = await conn.scalar(sa.text("SELECT count(*) FROM counter_idempotency_keys"))
    await kit.engine.dispose()
    assert (version, keys) == ("0001", 1)


def test_settings_without_a_database_are_refused(tmp_path: Path) -> None:
    class NoDatabase(ServiceSettings, frozen=True, kw_only=True):
        schema_version: ClassVar[str] = "1.0.0"

    with pytest.raises(TypeError, match="NoDatabase has no 'database_url'"):
        ServiceKit.open(
            NoDatabase,
            "counter",
            NoDatabase(home=str(tmp_path)),
            contract=Counter,
            migrations=tmp_path,
            version_table="v",
        )
