"""A typed client against the real runtime, in-process: what one raises, the other gets."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from accord.errors import InternalError, NotFound, Timeout, ValidationFailed
from accord.observability.context import correlation_id
from accord.observability.telemetry import Telemetry
from tests.integration.client.conftest import CatalogService
from tests.unit.client.catalog import (
    Catalog,
    Item,
    ItemRef,
    Line,
    Nap,
    OutOfStock,
    OutOfStockInfo,
    PlaceOrder,
    Search,
    SetPrice,
    UnknownItem,
    UnknownItemInfo,
)

pytestmark = pytest.mark.anyio


async def test_success_round_trips(catalog: Catalog) -> None:
    assert await catalog.get_item(ItemRef(sku="A-1")) == Item(
        sku="A-1", name="Anvil", price_cents=1999
    )
    found = await catalog.search(Search(q="anv", tags=["x", "y"], in_stock=True))
    assert [i.sku for i in found.items] == ["A-1"]
    placed = await catalog.place(PlaceOrder(lines=[Line(sku="A-1", qty=2)]))
    assert placed.items == [Line(sku="A-1", qty=2)]
    repriced = await catalog.set_price(SetPrice(sku="A-1", price_cents=2500))
    assert repriced.price_cents == 2500


async def test_a_declared_error_is_raised_again_with_its_info(catalog: Catalog) -> None:
    with pytest.raises(OutOfStock) as caught:
        await catalog.place(PlaceOrder(lines=[Line(sku="A-1", qty=3)]))
    assert caught.value.detail == "only 2 of A-1 left"
    assert caught.value.info == OutOfStockInfo(sku="A-1", available=2)
    with pytest.raises(UnknownItem) as unknown:
        await catalog.get_item(ItemRef(sku="Z/9"))
    assert unknown.value.info == UnknownItemInfo(sku="Z/9")


async def test_a_request_the_server_rejects_is_validation_failed(catalog: Catalog) -> None:
    # msgspec checks constraints when decoding, not when constructing: the server does.
    with pytest.raises(ValidationFailed) as caught:
        await catalog.place(PlaceOrder(lines=[Line(sku="A-1", qty=0)]))
    assert caught.value.info is not None
    assert [e.path for e in caught.value.info.errors] == ["$.lines[0].qty"]


async def test_a_crash_in_the_service_is_an_internal_error(catalog: Catalog) -> None:
    with pytest.raises(InternalError) as caught:
        await catalog.get_item(ItemRef(sku="BOOM"))
    assert "fire" not in str(caught.value)
    assert caught.value.problem["status"] == 500  # type: ignore[attr-defined]


async def test_the_correlation_id_reaches_the_service(
    catalog: Catalog, service: CatalogService
) -> None:
    correlation_id.set("checkout-7")
    await catalog.get_item(ItemRef(sku="A-1"))
    with pytest.raises(UnknownItem) as caught:
        await catalog.get_item(ItemRef(sku="NOPE"))
    assert service.seen_correlation == ["checkout-7", "checkout-7"]
    assert caught.value.problem["correlation_id"] == "checkout-7"  # type: ignore[attr-defined]


async def test_a_created_correlation_id_is_shared_by_the_whole_chain(
    catalog: Catalog, service: CatalogService
) -> None:
    await catalog.get_item(ItemRef(sku="A-1"))
    await catalog.place(PlaceOrder(lines=[Line(sku="A-1", qty=1)]))
    first, second = service.seen_correlation
    assert first is not None
    assert first == second == correlation_id.get()


async def test_the_server_span_is_a_child_of_the_client_span(
    catalog: Catalog,
    server_telemetry: tuple[Telemetry, InMemorySpanExporter],
    client_telemetry: tuple[Telemetry, InMemorySpanExporter],
) -> None:
    await catalog.get_item(ItemRef(sku="A-1"))
    (client_span,) = client_telemetry[1].get_finished_spans()
    (server_span,) = server_telemetry[1].get_finished_spans()
    assert client_span.kind is SpanKind.CLIENT
    assert server_span.kind is SpanKind.SERVER
    assert client_span.name == server_span.name == "GET /v1/items/{sku}"
    assert server_span.parent is not None
    assert server_span.parent.span_id == client_span.context.span_id
    assert server_span.context.trace_id == client_span.context.trace_id


async def test_a_slow_operation_times_out(catalog: Catalog) -> None:
    with pytest.raises(Timeout, match=r"catalog\.nap .*within 0\.2s"):
        await catalog.nap(Nap(seconds=2))
    assert (await catalog.nap(Nap(seconds=0.3), timeout=2)).seconds == 0.3


async def test_an_unknown_route_is_not_found() -> None:
    """A client of a contract the server does not serve gets the standard 404 class."""
    import httpx

    from accord.runtime import App
    from shop.inventory.contract import Inventory, SkuRef

    app = App(Catalog, CatalogService())
    async with Inventory.client("http://x", transport=httpx.ASGITransport(app=app)) as inv:
        with pytest.raises(NotFound):
            await inv.get_stock(SkuRef(sku="A-1"))
