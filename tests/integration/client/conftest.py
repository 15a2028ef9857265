"""An in-process catalog service served by the real runtime, and clients of it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from accord import runtime
from accord.observability.context import correlation_id
from accord.observability.metrics import Metrics
from accord.observability.telemetry import Telemetry
from tests.unit.client.catalog import (
    Catalog,
    Item,
    ItemList,
    ItemRef,
    Nap,
    OrderPlaced,
    OutOfStock,
    OutOfStockInfo,
    PlaceOrder,
    Search,
    SetPrice,
    Slept,
    UnknownItem,
    UnknownItemInfo,
)


class CatalogService:
    """A tiny in-memory catalog that remembers what it saw."""

    def __init__(self) -> None:
        self.items = {"A-1": Item(sku="A-1", name="Anvil", price_cents=1999)}
        self.stock = {"A-1": 2}
        self.seen_correlation: list[str | None] = []

    def _item(self, sku: str) -> Item:
        self.seen_correlation.append(correlation_id.get())
        item = self.items.get(sku)
        if item is None:
            raise UnknownItem(f"no item {sku}", UnknownItemInfo(sku=sku))
        return item

    async def get_item(self, request: ItemRef) -> Item:
        if request.sku == "BOOM":
            raise RuntimeError("the database is on fire")
        return self._item(request.sku)

    async def search(self, request: Search) -> ItemList:
        found = [i for i in self.items.values() if request.q.lower() in i.name.lower()]
        return ItemList(items=found[: request.limit])

    async def place(self, request: PlaceOrder) -> OrderPlaced:
        for line in request.lines:
            self._item(line.sku)
            available = self.stock.get(line.sku, 0)
            if line.qty > available:
                raise OutOfStock(
                    f"only {available} of {line.sku} left",
                    OutOfStockInfo(sku=line.sku, available=available),
                )
        return OrderPlaced(order_id="o-1", items=request.lines)

    async def set_price(self, request: SetPrice) -> Item:
        item = self._item(request.sku)
        item.price_cents = request.price_cents
        return item

    async def nap(self, request: Nap) -> Slept:
        await anyio.sleep(request.seconds)
        return Slept(seconds=request.seconds)


def recording_telemetry(service: str) -> tuple[Telemetry, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return Telemetry(service, "1.0.0", provider, Metrics(process=False)), exporter


@pytest.fixture
def service() -> CatalogService:
    return CatalogService()


@pytest.fixture
def server_telemetry() -> tuple[Telemetry, InMemorySpanExporter]:
    return recording_telemetry("catalog")


@pytest.fixture
def client_telemetry() -> tuple[Telemetry, InMemorySpanExporter]:
    return recording_telemetry("shop-front")


@pytest.fixture
async def catalog(
    service: CatalogService,
    server_telemetry: tuple[Telemetry, InMemorySpanExporter],
    client_telemetry: tuple[Telemetry, InMemorySpanExporter],
) -> AsyncIterator[Catalog]:
    """A client of the catalog served in-process by ``accord.runtime.App``."""
    app = runtime.App(Catalog, service, telemetry=server_telemetry[0])
    transport = httpx.ASGITransport(app=app)
    async with Catalog.client(
        "http://catalog.internal", transport=transport, telemetry=client_telemetry[0]
    ) as client:
        yield client


@pytest.fixture(autouse=True)
def fresh_correlation() -> object:
    token = correlation_id.set(None)
    yield
    correlation_id.reset(token)
