"""The shop's demo: scripted orders through the typed orders client, and one trace.

Run by ``accord demo``. The demo registers two customers with the identity service and
orders as the first one, with the token it logged in with. Every scenario names the
outcome it expects; the demo fails (returns False) when any outcome differs.
"""

from __future__ import annotations

import asyncio
import io
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import NamedTuple

import httpx
from opentelemetry.sdk.trace.sampling import ALWAYS_ON
from opentelemetry.trace import SpanKind
from rich.console import Console
from rich.table import Table

from accord import ServiceError
from accord.observability import waterfall
from accord.observability.otlp_json import FileSpanExporter, SpanRecord
from accord.observability.telemetry import Telemetry
from accord.security.tls import SUPERVISOR, MutualTLSTransport, TLSConfig
from shop.demo_flags import KillSwitch, until
from shop.identity.contract import Identity, Login, Register
from shop.orders.contract import (
    GetOrder,
    ListOrders,
    OrderItem,
    Orders,
    PlaceOrder,
)

GOOD_CARD = "tok_visa_4242"


class Placement(NamedTuple):
    """A scripted order: what it shows, the answer it expects, its items and its card."""

    scenario: str
    expected: str
    items: dict[str, int]  # SKU → quantity
    card: str = GOOD_CARD


#: The orders the demo places, in turn; the first one placed is read back later.
PLACEMENTS = (
    Placement("two apples and coffee", "201 confirmed", {"SKU-APPLE": 2, "SKU-COFFEE": 1}),
    Placement("more rare vinyl than there is", "409 orders.out_of_stock", {"SKU-RARE-VINYL": 1000}),
    Placement("a declined card", "402 orders.payment_declined", {"SKU-TEA": 1}, "tok_declined"),
    Placement("an invalid request (quantity 0)", "422 validation_failed", {"SKU-PEAR": 0}),
    Placement("an unknown SKU", "422 orders.unknown_sku", {"SKU-NOPE": 1}),
    Placement("tea, paid", "201 confirmed", {"SKU-TEA": 3}),
)


@dataclass
class Outcome:
    scenario: str
    expected: str
    got: str
    trace_id: str

    @property
    def ok(self) -> bool:
        return self.expected == self.got


def transport(url: str, home: Path, peer: str) -> httpx.AsyncBaseTransport | None:
    """For an ``https://`` URL (``accord up``), mutual TLS as ``accord-supervisor``
    with the certificates in ``<home>/certs``; None (plain HTTP) otherwise."""
    if not url.startswith("https://"):
        return None
    return MutualTLSTransport(TLSConfig(home / "certs", SUPERVISOR), peer)


async def customer_token(
    identity_url: str, name: str, tls: httpx.AsyncBaseTransport | None = None
) -> str:
    """Register a new customer (a fresh address each run) and log in: their token."""
    email = f"{name}-{secrets.token_hex(4)}@demo.shop"
    password = secrets.token_urlsafe(12)
    async with Identity.client(identity_url, transport=tls) as identity:
        await identity.register(Register(email=email, password=password))
        token = await identity.login(Login(email=email, password=password))
    return token.access_token


def bearer(token: str | None) -> dict[str, str]:
    """The headers that carry ``token`` (none without one: a shop run without identity)."""
    return {"authorization": f"Bearer {token}"} if token else {}


async def run(urls: Mapping[str, str], home: Path, console: Console) -> bool:
    """Place the scripted orders against ``urls['orders']``; print outcomes and a trace."""
    telemetry = Telemetry.configure(
        "demo",
        "1.0.0",
        home=home,
        log_stream=io.StringIO(),
        span_exporter=FileSpanExporter(home / "telemetry" / "demo.jsonl"),
        sampler=ALWAYS_ON,
        simple_processor=True,
    )
    outcomes: list[Outcome] = []
    ada = bob = None
    if "identity" in urls:
        to_identity = transport(urls["identity"], home, "identity")
        ada = await customer_token(urls["identity"], "ada", to_identity)
        bob = await customer_token(urls["identity"], "bob", to_identity)
    url = urls["orders"]
    async with (
        Orders.client(
            url, telemetry=telemetry, headers=bearer(ada), transport=transport(url, home, "orders")
        ) as orders,
        Orders.client(
            url, telemetry=telemetry, headers=bearer(bob), transport=transport(url, home, "orders")
        ) as as_bob,
        Orders.client(
            url, telemetry=telemetry, transport=transport(url, home, "orders")
        ) as anonymous,
    ):

        async def attempt(scenario: str, expected: str, call: Callable[[], Awaitable[str]]) -> None:
            with telemetry.tracer.start_as_current_span(
                f"demo: {scenario}", kind=SpanKind.INTERNAL
            ) as span:
                trace_id = format(span.get_span_context().trace_id, "032x")
                try:
                    got = await call()
                except ServiceError as exc:
                    got = f"{exc.status} {exc.code}"
            outcomes.append(Outcome(scenario, expected, got, trace_id))

        async def place(items: list[OrderItem], card: str = GOOD_CARD) -> str:
            customer = None if ada else "c-ada"  # the token says who, when there is one
            order = await orders.place_order(
                PlaceOrder(customer_id=customer, items=items, card_token=card)
            )
            placed.append(order.order_id)
            return f"201 {order.status}"

        placed: list[str] = []
        for scenario, expected, items, card in PLACEMENTS:
            order_items = [OrderItem(sku=sku, quantity=n) for sku, n in items.items()]
            await attempt(scenario, expected, partial(place, order_items, card))

        async def read_back() -> str:
            order = await orders.get_order(GetOrder(order_id=placed[0]))
            return f"200 {order.status}"

        async def list_mine() -> str:
            customer = None if ada else "c-ada"
            listed = await orders.list_orders(ListOrders(customer_id=customer, limit=5))
            return "200 listed" if listed.orders else "200 empty"

        async def read_as_bob() -> str:
            order = await as_bob.get_order(GetOrder(order_id=placed[0]))
            return f"200 {order.status}"

        async def list_anonymously() -> str:
            listed = await anonymous.list_orders(ListOrders(customer_id="c-ada"))
            return f"200 {len(listed.orders)} orders"

        if placed:
            await attempt("read the first order back", "200 confirmed", read_back)
        await attempt("list the customer's orders", "200 listed", list_mine)
        if ada:
            if placed:
                await attempt(
                    "another customer reads it", "404 orders.order_not_found", read_as_bob
                )
            await attempt("list orders without a token", "401 unauthenticated", list_anonymously)
        switch = KillSwitch.from_env()
        if switch is not None and placed:
            await _kill_switch(switch, attempt, place, read_back)
    telemetry.shutdown()

    table = Table(title="shop demo", title_justify="left")
    for col in ("", "scenario", "expected", "outcome", "trace"):
        table.add_column(col)
    for o in outcomes:
        mark = "[green]✓[/green]" if o.ok else "[red]✗[/red]"
        table.add_row(mark, o.scenario, o.expected, o.got, o.trace_id[:16])
    console.print(table)

    first = outcomes[0]
    spans = await _wait_for_trace(
        home / "telemetry", first.trace_id, {"orders", "inventory", "payments"}
    )
    if spans:
        console.print(f"trace {first.trace_id} — {first.scenario}:")
        console.print(waterfall.render_waterfall(spans))
        console.print(f"see it again with: accord traces {first.trace_id[:12]}")
    else:
        console.print(
            f"[yellow]no complete trace {first.trace_id} in the telemetry files yet[/yellow]"
        )
    return all(o.ok for o in outcomes) and bool(spans)


async def _kill_switch(
    switch: KillSwitch,
    attempt: Callable[[str, str, Callable[[], Awaitable[str]]], Awaitable[None]],
    place: Callable[[list[OrderItem]], Awaitable[str]],
    read_back: Callable[[], Awaitable[str]],
) -> None:
    """``pause-orders`` on: placing answers 503, reading still works; off: 201 again."""
    tea = [OrderItem(sku="SKU-TEA", quantity=1)]

    async def placing() -> str:
        try:
            return await place(tea)
        except ServiceError as exc:
            return f"{exc.status} {exc.code}"

    async with switch.on():
        await attempt(
            f"pause-orders on ({switch.path.name})",
            "503 orders.paused",
            lambda: until(placing, "503 orders.paused"),
        )
        await attempt("read an order while paused", "200 confirmed", read_back)
    await attempt(
        "pause-orders off again", "201 confirmed", lambda: until(placing, "201 confirmed")
    )


async def _wait_for_trace(
    folder: Path, trace_id: str, services: set[str], timeout: float = 15.0
) -> list[SpanRecord]:
    """The spans of one trace once every service has written its part (services batch)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        spans = [s for s in waterfall.load(folder) if s.trace_id == trace_id]
        if services <= {s.service for s in spans}:
            return spans
        await asyncio.sleep(0.25)
    return []
