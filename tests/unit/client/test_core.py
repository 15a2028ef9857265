"""The client's lifecycle and public surface."""

from __future__ import annotations

import httpx
import pytest

import accord.client
from accord.client import ClientCore
from tests.unit.client.catalog import ITEM, Catalog, ItemRef
from tests.unit.client.conftest import Recorder

pytestmark = pytest.mark.anyio


class CountingTransport(httpx.AsyncBaseTransport):
    """Answers ``ITEM`` and counts how often it is closed."""

    def __init__(self) -> None:
        self.closed = 0
        self.sent = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        return httpx.Response(200, json=ITEM)

    async def aclose(self) -> None:
        self.closed += 1


def test_the_public_api() -> None:
    assert sorted(accord.client.__all__) == [
        "BearerAuth",
        "ClientAuth",
        "ClientCore",
        "DEFAULT_BREAKER",
        "DEFAULT_BULKHEAD",
        "DEFAULT_RETRY",
        "DownstreamStats",
        "TokenSource",
        "TokenUnavailable",
        "reconfigure",
        "stats",
    ]


def test_contract_client_wraps_a_core() -> None:
    c = Catalog.client("http://catalog.test/")
    assert isinstance(c, Catalog)
    assert isinstance(c._core, ClientCore)
    assert repr(c._core) == "<ClientCore catalog http://catalog.test/>"


@pytest.mark.parametrize("url", ["catalog.test", "ftp://catalog.test", "http://"])
def test_a_base_url_must_be_http(url: str) -> None:
    with pytest.raises(ValueError, match="base URL of a catalog client"):
        Catalog.client(url)


async def test_one_http_client_is_created_lazily_and_closed_once() -> None:
    transport = CountingTransport()
    c = Catalog.client("http://catalog.test", transport=transport)
    assert c._core._http is None
    await c.get_item(ItemRef(sku="A-1"))
    http = c._core._http
    await c.get_item(ItemRef(sku="A-1"))
    assert c._core._http is http
    assert transport.sent == 2
    await c.aclose()
    await c.aclose()
    assert transport.closed == 1
    with pytest.raises(RuntimeError, match="catalog client is closed"):
        await c.get_item(ItemRef(sku="A-1"))


async def test_closing_an_unused_client_opens_nothing() -> None:
    transport = CountingTransport()
    async with Catalog.client("http://catalog.test", transport=transport):
        pass
    assert transport.closed == 0


async def test_the_base_url_path_is_kept(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: httpx.Response(200, json=ITEM)
    async with Catalog.client("https://gw.test/catalog/", transport=transport) as c:
        await c.get_item(ItemRef(sku="A-1"))
    assert str(recorder.last.url) == "https://gw.test/catalog/v1/items/A-1"
