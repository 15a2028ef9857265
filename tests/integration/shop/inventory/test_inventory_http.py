"""Inventory over HTTP, in-process: the real app, the typed client, a real database.

The app checks tokens (signed by a test key); the clients hold every inventory scope.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from accord.config import ConfigError
from accord.config.load import from_environment
from accord.errors import ValidationFailed
from accord.kit import own_database
from accord.observability.telemetry import Telemetry
from accord.runtime import App
from shop.chaos import reads
from shop.chaos.audit import ReservationRow
from shop.inventory.bootstrap import Settings, create_app
from shop.inventory.contract import (
    Inventory,
    ListReservations,
    ListStock,
    OutOfStock,
    ReservationClosed,
    ReservationNotFound,
    ReservationRef,
    ReserveItem,
    ReserveStock,
    Restock,
    SkuRef,
    UnknownSku,
)
from tests.support.tokens import TestIssuer

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def lifespan(app: App) -> AsyncIterator[None]:
    """Run the app's ASGI lifespan: start-up hooks before, shutdown hooks after."""
    to_app, app_inbox = anyio.create_memory_object_stream[dict[str, Any]](4)
    app_outbox, from_app = anyio.create_memory_object_stream[dict[str, Any]](4)

    async def send(message: dict[str, Any]) -> None:
        await app_outbox.send(message)

    async with anyio.create_task_group() as tg:
        tg.start_soon(app, {"type": "lifespan"}, app_inbox.receive, send)
        await to_app.send({"type": "lifespan.startup"})
        assert (await from_app.receive())["type"] == "lifespan.startup.complete"
        try:
            yield
        finally:
            await to_app.send({"type": "lifespan.shutdown"})
            assert (await from_app.receive())["type"] == "lifespan.shutdown.complete"


@asynccontextmanager
async def inventory(settings: Settings) -> AsyncIterator[tuple[Inventory, httpx.AsyncClient]]:
    issuer = TestIssuer()
    app = create_app(
        settings, telemetry=Telemetry.noop("inventory"), verifier=issuer.verifier("inventory")
    )
    transport = httpx.ASGITransport(app=app)
    token = issuer.bearer("inventory:read", "inventory:admin", "inventory:reserve")
    async with (
        lifespan(app),
        Inventory.client("http://inventory", transport=transport, headers=token) as client,
        httpx.AsyncClient(transport=transport, base_url="http://inventory", headers=token) as raw,
    ):
        yield client, raw


def settings_for(url: str, tmp_path: Path, seed: str = "none") -> Settings:
    return Settings(home=str(tmp_path / "home"), database_url=url, seed=seed)  # type: ignore[arg-type]


async def test_demo_catalogue_is_seeded_once(tmp_path: Path) -> None:
    settings = settings_for(f"sqlite:///{tmp_path}/inv.db", tmp_path, seed="demo")
    async with inventory(settings) as (client, raw):
        listed = await client.list_stock(ListStock())
        assert [s.sku for s in listed.items] == [
            "SKU-APPLE",
            "SKU-COFFEE",
            "SKU-PEAR",
            "SKU-RARE-VINYL",
            "SKU-TEA",
        ]
        vinyl = await client.get_stock(SkuRef(sku="SKU-RARE-VINYL"))
        assert (vinyl.name, vinyl.unit_price_cents, vinyl.available) == ("Rare vinyl", 4999, 3)
        await client.reserve(
            ReserveStock(order_id="o1", items=[ReserveItem(sku="SKU-RARE-VINYL", quantity=1)])
        )
        assert (await raw.get("/readyz")).status_code == 200
    async with inventory(settings) as (client, _):  # a restart does not seed again
        vinyl = await client.get_stock(SkuRef(sku="SKU-RARE-VINYL"))
        assert (vinyl.available, vinyl.reserved) == (2, 1)


async def test_no_seed_means_an_empty_catalogue(tmp_path: Path) -> None:
    async with inventory(settings_for(f"sqlite:///{tmp_path}/inv.db", tmp_path)) as (client, _):
        assert (await client.list_stock(ListStock())).items == []


async def test_the_whole_contract_over_http(database_url: str, tmp_path: Path) -> None:
    async with inventory(settings_for(database_url, tmp_path)) as (client, raw):
        with pytest.raises(UnknownSku) as unknown:
            await client.restock(Restock(sku="SKU-NEW", quantity=5))
        assert unknown.value.info is not None and unknown.value.info.sku == "SKU-NEW"
        created = await client.restock(
            Restock(sku="SKU-NEW", quantity=5, name="New", unit_price_cents=250)
        )
        assert (created.available, created.reserved, created.sold) == (5, 0, 0)

        r = await client.reserve(
            ReserveStock(
                order_id="order-1",
                items=[
                    ReserveItem(sku="SKU-NEW", quantity=2),
                    ReserveItem(sku="SKU-NEW", quantity=1),
                ],
            )
        )
        assert (r.status, r.total_cents, len(r.lines)) == ("held", 750, 1)
        assert r.lines[0].unit_price_cents == 250
        ref = ReservationRef(reservation_id=r.reservation_id)
        assert (await client.get_reservation(ref)).status == "held"

        with pytest.raises(OutOfStock) as short:
            await client.reserve(
                ReserveStock(order_id="order-2", items=[ReserveItem(sku="SKU-NEW", quantity=3)])
            )
        info = short.value.info
        assert info is not None and (info.sku, info.requested, info.available) == (
            "SKU-NEW",
            3,
            2,
        )
        with pytest.raises(UnknownSku):
            await client.reserve(
                ReserveStock(order_id="order-2", items=[ReserveItem(sku="SKU-NOPE", quantity=1)])
            )

        assert (await client.commit(ref)).status == "committed"
        assert (await client.commit(ref)).status == "committed"
        with pytest.raises(ReservationClosed):
            await client.release(ref)
        stock = await client.get_stock(SkuRef(sku="SKU-NEW"))
        assert (stock.available, stock.reserved, stock.sold) == (2, 0, 3)

        with pytest.raises(ReservationNotFound):
            await client.commit(ReservationRef(reservation_id="res_nope"))

        # Bad input is a problem document pointing at the field, never a traceback.
        answer = await raw.post("/v1/reservations", json={"order_id": "o", "items": []})
        assert answer.status_code == 400
        assert answer.json()["code"] == "idempotency_key_required"
        answer = await raw.post(
            "/v1/reservations",
            json={"order_id": "o", "items": []},
            headers={"idempotency-key": "k-1"},
        )
        assert answer.status_code == 422
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "items" in answer.json()["detail"]
        answer = await raw.get("/v1/skus/lower-case")
        assert answer.status_code == 422
        assert answer.json()["code"] == "validation_failed"
        with pytest.raises(ValidationFailed):
            await client.restock(Restock(sku="SKU-NEW", quantity=0))


async def test_reservations_are_listed_by_status_and_order_a_page_at_a_time(
    database_url: str, tmp_path: Path
) -> None:
    async with inventory(settings_for(database_url, tmp_path)) as (client, _):
        await client.restock(Restock(sku="SKU-L", quantity=9, name="L", unit_price_cents=1))
        made = [
            await client.reserve(
                ReserveStock(order_id=f"o-{n}", items=[ReserveItem(sku="SKU-L", quantity=1)])
            )
            for n in range(4)
        ]
        await client.commit(ReservationRef(reservation_id=made[1].reservation_id))
        ids = sorted(r.reservation_id for r in made)

        async def listed(**asked: Any) -> list[str]:
            found = await client.list_reservations(ListReservations(**asked))
            return [r.reservation_id for r in found.reservations]

        assert await listed() == ids
        assert await listed(limit=2) == ids[:2]
        assert await listed(after=ids[1]) == ids[2:]
        assert await listed(status="committed") == [made[1].reservation_id]
        held = sorted(r.reservation_id for r in made if r is not made[1])
        assert await listed(status="held", after=held[0]) == held[1:]
        assert await listed(order_id="o-2") == [made[2].reservation_id]
        assert await listed(order_id="o-2", status="committed") == []


async def test_fifty_concurrent_orders_over_http(database_url: str, tmp_path: Path) -> None:
    async with inventory(settings_for(database_url, tmp_path)) as (client, _):
        await client.restock(Restock(sku="SKU-LAST", quantity=5, name="Last", unit_price_cents=1))
        outcomes: list[str] = []

        async def order(n: int) -> None:
            request = ReserveStock(
                order_id=f"order-{n}", items=[ReserveItem(sku="SKU-LAST", quantity=1)]
            )
            try:
                await client.reserve(request)
                outcomes.append("held")
            except OutOfStock:
                outcomes.append("out")

        with anyio.fail_after(120):
            async with anyio.create_task_group() as tg:
                for n in range(50):
                    tg.start_soon(order, n)
        assert sorted(outcomes).count("held") == 5
        assert outcomes.count("out") == 45
        stock = await client.get_stock(SkuRef(sku="SKU-LAST"))
        assert (stock.available, stock.reserved) == (0, 5)


def test_settings_from_the_environment() -> None:
    def env(**values: str) -> Settings:
        return from_environment(Settings, "inventory", values)

    assert env() == Settings()
    assert own_database(env(), "inventory") == "sqlite:///.accord/inventory.db"
    assert env().seed == "demo"
    s = env(ACCORD_HOME="/srv/x", INVENTORY_SEED="none", OTHER="ignored")
    assert (own_database(s, "inventory"), s.seed) == ("sqlite:////srv/x/inventory.db", "none")
    url = env(INVENTORY_DATABASE_URL="postgresql://u@h/db")
    assert own_database(url, "inventory") == "postgresql://u@h/db"
    with pytest.raises(ConfigError, match="INVENTORY_SEED"):
        env(INVENTORY_SEED="lots")


async def test_the_chaos_audit_reads_every_reservation_page_after_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reads, "_PAGE", 2)  # five reservations: three pages
    settings = settings_for(f"sqlite:///{tmp_path}/inv.db", tmp_path, seed="demo")
    async with inventory(settings) as (client, raw):
        made = [
            await client.reserve(
                ReserveStock(order_id=f"o{n}", items=[ReserveItem(sku="SKU-TEA", quantity=1)])
            )
            for n in range(5)
        ]
        await client.commit(ReservationRef(reservation_id=made[0].reservation_id))
        every = await reads.reservations(raw, "http://inventory")
        held = await reads.reservations(raw, "http://inventory", status="held")
    expected = sorted(
        (
            ReservationRow(r.reservation_id, r.order_id, "committed" if r is made[0] else "held")
            for r in made
        ),
        key=lambda row: row.reservation_id,
    )
    assert every == expected  # in id order, across the three pages
    assert held == [row for row in expected if row.status == "held"] and len(held) == 4
