"""The same client over real HTTP: uvicorn on a loopback port, in this process."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import pytest
import uvicorn

from accord import runtime
from accord.errors import Timeout
from tests.integration.client.conftest import CatalogService
from tests.support.processes import free_port
from tests.unit.client.catalog import Catalog, ItemRef, Line, Nap, OutOfStock, PlaceOrder

pytestmark = pytest.mark.anyio


@pytest.fixture
async def base_url() -> AsyncIterator[str]:
    port = free_port()
    config = uvicorn.Config(
        runtime.App(Catalog, CatalogService()),
        host="127.0.0.1",
        port=port,
        lifespan="on",
        log_config=None,
        access_log=False,
    )
    server = uvicorn.Server(config)
    async with anyio.create_task_group() as tg:
        tg.start_soon(server.serve)
        with anyio.fail_after(10):
            while not server.started:  # noqa: ASYNC110 - uvicorn offers only a flag
                await anyio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
        server.should_exit = True


async def test_calls_over_loopback(base_url: str) -> None:
    async with Catalog.client(base_url) as catalog:
        assert (await catalog.get_item(ItemRef(sku="A-1"))).name == "Anvil"
        with pytest.raises(OutOfStock) as caught:
            await catalog.place(PlaceOrder(lines=[Line(sku="A-1", qty=5)]))
        assert caught.value.info is not None
        assert caught.value.info.available == 2
        with pytest.raises(Timeout, match=r"within 0\.2s"):
            await catalog.nap(Nap(seconds=0.5))
        # The pool survives a timed-out exchange: the next call still works.
        assert (await catalog.get_item(ItemRef(sku="A-1"))).sku == "A-1"
