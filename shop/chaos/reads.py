"""Reading the running shop back through its own APIs, as its operator (chaos audit).

Every read tries again, for a while, when the service does not answer or answers 5xx:
the chaos run reads while services are being restarted.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from accord.chaos import Progress
from shop.chaos.audit import AuthorizationRow, ReservationRow, StockRow

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Row = TypeVar("Row", bound="DataclassInstance")

__all__ = [
    "authorizations",
    "order_info",
    "order_status",
    "orders_info",
    "reservations",
    "settle",
    "stock",
    "warm_up",
]


async def warm_up(ops: httpx.AsyncClient, urls: Mapping[str, str], say: Progress) -> None:
    """Wait until every service accepts the operator's token (their keys are loaded)."""
    probes = {
        "inventory": "/v1/skus",
        "payments": "/v1/authorizations?limit=1",
        "orders": "/v1/orders?customer_id=chaos-warm-up&limit=1",
    }
    deadline = time.monotonic() + 20.0
    for name, path in probes.items():
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if (await ops.get(urls[name] + path)).status_code == 200:
                    break
            await asyncio.sleep(0.2)
        else:
            say(f"{name} does not accept the operator's token yet; going on")


async def settle(
    http: httpx.AsyncClient, urls: Mapping[str, str], timeout: float, say: Progress
) -> None:
    """Wait until nothing is held twice in a row, then until every order whose payment
    was captured is final, or ``timeout`` seconds in all.

    An order whose stock is sold and whose capture was not confirmed to it stays
    ``pending``, holding nothing, until a retry of its key or orders' recovery (after
    its grace) takes it forward: the audit reads it once it is confirmed.
    """
    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline and quiet < 2:
        held = await reservations(http, urls["inventory"], status="held")
        authorized = await authorizations(http, urls["payments"], status="authorized")
        quiet = quiet + 1 if not held and not authorized else 0
        if held or authorized:
            say(f"settling: {len(held)} reservation(s), {len(authorized)} authorization(s) held")
        await asyncio.sleep(1.0)
    final: set[str] = set()
    while time.monotonic() < deadline:
        captured = await authorizations(http, urls["payments"], status="captured")
        unread = {a.order_id for a in captured} - final
        info = await orders_info(http, urls["orders"], unread)
        final |= {oid for oid, (status, _) in info.items() if status != "pending"}
        pending = len(unread) - len(info.keys() & final)
        if not pending:
            return
        say(f"settling: {pending} order(s) charged, still pending")
        await asyncio.sleep(1.0)


#: Items asked for per page of a listing (the most the audit listings allow).
_PAGE = 1000

#: Answers a read tries again after: the service is restarting, shedding load, or has not
#: loaded the identity service's keys yet (401).
_AGAIN = frozenset({401, 429})


async def _get(http: httpx.AsyncClient, url: str, **params: Any) -> Any:
    last = "no answer"
    for attempt in range(20):
        try:
            r = await http.get(url, params={k: v for k, v in params.items() if v is not None})
            last = f"{r.status_code} {r.text[:200]}"
            if r.status_code < 500 and r.status_code not in _AGAIN:
                r.raise_for_status()
                return r.json()
        except httpx.TransportError as exc:
            last = type(exc).__name__
        await asyncio.sleep(0.25 * (attempt + 1))
    raise RuntimeError(f"{url} kept failing (last: {last})")


async def stock(http: httpx.AsyncClient, inventory: str) -> list[StockRow]:
    """Every SKU's stock."""
    data = await _get(http, f"{inventory}/v1/skus", limit=500)
    return [StockRow(s["sku"], s["available"], s["reserved"], s["sold"]) for s in data["items"]]


async def _every(
    http: httpx.AsyncClient, url: str, member: str, row: type[Row], status: str | None
) -> list[Row]:
    """Every item of a listing paged by id (``after``), of ``status`` when given, as a
    ``row``: a dataclass whose fields the items carry, the first being the id."""
    names = [field.name for field in dataclasses.fields(row)]
    rows: list[Row] = []
    after: str | None = None
    while True:
        data = await _get(http, url, status=status, after=after, limit=_PAGE)
        page = data[member]
        rows += [row(*(item[name] for name in names)) for item in page]
        if len(page) < _PAGE:
            return rows
        after = page[-1][names[0]]


async def reservations(
    http: httpx.AsyncClient, inventory: str, *, status: str | None = None
) -> list[ReservationRow]:
    """Every reservation (of ``status`` when given), page after page."""
    url = f"{inventory}/v1/reservations"
    return await _every(http, url, "reservations", ReservationRow, status)


async def authorizations(
    http: httpx.AsyncClient, payments: str, *, status: str | None = None
) -> list[AuthorizationRow]:
    """Every authorization (of ``status`` when given), page after page."""
    url = f"{payments}/v1/authorizations"
    return await _every(http, url, "authorizations", AuthorizationRow, status)


async def order_status(http: httpx.AsyncClient, orders: str, order_id: str) -> str | None:
    """The order's status, or None when orders does not know it."""
    return (await order_info(http, orders, order_id))[0]


async def order_info(
    http: httpx.AsyncClient, orders: str, order_id: str
) -> tuple[str | None, str | None]:
    """The order's status and note; ``(None, None)`` when orders does not know it."""
    for attempt in range(20):
        try:
            r = await http.get(f"{orders}/v1/orders/{order_id}")
            if r.status_code == 404:
                return None, None
            if r.status_code == 200:
                data = r.json()
                note = data.get("note")
                return str(data["status"]), None if note is None else str(note)
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.25 * (attempt + 1))
    raise RuntimeError(f"orders kept failing to answer for {order_id}")


async def orders_info(
    http: httpx.AsyncClient, orders: str, order_ids: Iterable[str], *, at_once: int = 8
) -> dict[str, tuple[str | None, str | None]]:
    """:func:`order_info` of every order, ``at_once`` reads at a time."""
    gate = asyncio.Semaphore(at_once)

    async def one(order_id: str) -> tuple[str | None, str | None]:
        async with gate:
            return await order_info(http, orders, order_id)

    ids = sorted(set(order_ids))
    found = await asyncio.gather(*(one(oid) for oid in ids))
    return dict(zip(ids, found, strict=True))
