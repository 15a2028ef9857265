"""In-memory twins of orders' ports, for unit tests of the real use cases."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Self

import anyio.lowlevel

from shop.orders.application.ports import ConcurrencyConflict
from shop.orders.domain.exceptions import (
    DependencyUnavailable,
    OutOfStock,
    PaymentDeclined,
    UnknownSku,
)
from shop.orders.domain.holds import (
    FoundPayment,
    FoundStock,
    PaymentHold,
    PricedLine,
    StockHold,
)
from shop.orders.domain.model import Order, OrderStatus, RequestedItem


class FakeStore:
    def __init__(self) -> None:
        self.rows: dict[str, Order] = {}


class FakeRepository:
    def __init__(self, store: FakeStore, pending: dict[str, Order]) -> None:
        self._store = store
        self._pending = pending

    async def add(self, order: Order) -> None:
        if order.order_id in self._store.rows:
            raise ConcurrencyConflict("taken")
        self._pending[order.order_id] = copy.deepcopy(order)

    async def get(self, order_id: str) -> Order | None:
        found = self._store.rows.get(order_id)
        return copy.deepcopy(found) if found else None

    async def save(self, order: Order) -> None:
        if self._store.rows[order.order_id].version != order.version:
            raise ConcurrencyConflict("changed")
        order.version += 1
        self._pending[order.order_id] = copy.deepcopy(order)

    async def list_for_customer(self, customer_id: str, limit: int) -> list[Order]:
        mine = [o for o in self._store.rows.values() if o.customer_id == customer_id]
        mine.sort(key=lambda o: (o.created_at, o.order_id), reverse=True)
        return copy.deepcopy(mine[:limit])

    async def needing_recovery(
        self, *, owing_before: datetime, started_before: datetime, limit: int
    ) -> list[Order]:
        found = [
            o
            for o in self._store.rows.values()
            if (o.compensation_due and o.created_at < owing_before)
            or (o.status is OrderStatus.PENDING and o.created_at < started_before)
        ]
        found.sort(key=lambda o: (o.created_at, o.order_id))
        return copy.deepcopy(found[:limit])


class FakeUnitOfWork:
    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self._pending: dict[str, Order] = {}
        self.orders = FakeRepository(store, self._pending)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._pending.clear()

    async def commit(self) -> None:
        self._store.rows.update(self._pending)
        self._pending.clear()


class FakeStock:
    """SKUs with available stock and prices; reservations by id with their status."""

    def __init__(self, skus: dict[str, tuple[int, int]]) -> None:
        self.available = {sku: qty for sku, (qty, _) in skus.items()}
        self.prices = {sku: price for sku, (_, price) in skus.items()}
        self.reservations: dict[str, tuple[str, dict[str, int]]] = {}
        self.orders: dict[str, str] = {}
        self.down: set[str] = set()
        self.calls: list[str] = []
        self._ids = itertools.count(1)

    def held(self) -> int:
        return sum(
            sum(items.values()) for status, items in self.reservations.values() if status == "held"
        )

    async def reserve(self, order_id: str, items: Sequence[RequestedItem]) -> StockHold:
        self._call("reserve")
        for item in items:
            if item.sku not in self.available:
                raise UnknownSku(item.sku)
            if self.available[item.sku] < item.quantity:
                raise OutOfStock(item.sku, item.quantity, self.available[item.sku])
        for item in items:
            self.available[item.sku] -= item.quantity
        rid = f"res-{next(self._ids)}"
        self.reservations[rid] = ("held", {i.sku: i.quantity for i in items})
        self.orders[rid] = order_id
        return StockHold(
            rid, tuple(PricedLine(i.sku, i.quantity, self.prices[i.sku]) for i in items)
        )

    async def commit(self, reservation_id: str) -> None:
        self._call("commit")
        _, items = self.reservations[reservation_id]
        self.reservations[reservation_id] = ("committed", items)

    async def release(self, reservation_id: str) -> None:
        self._call("release")
        status, items = self.reservations[reservation_id]
        if status == "held":
            for sku, qty in items.items():
                self.available[sku] += qty
        self.reservations[reservation_id] = ("released", items)

    async def find_for_order(self, order_id: str) -> FoundStock | None:
        self._call("find_for_order")
        for rid, oid in self.orders.items():
            if oid == order_id:
                status, items = self.reservations[rid]
                lines = tuple(PricedLine(sku, qty, self.prices[sku]) for sku, qty in items.items())
                return FoundStock(StockHold(rid, lines), status)
        return None

    async def release_for_order(self, order_id: str) -> int:
        self._call("release_for_order")
        held = [rid for rid, oid in self.orders.items() if oid == order_id]
        held = [rid for rid in held if self.reservations[rid][0] == "held"]
        for rid in held:
            await self.release(rid)
        return len(held)

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if name in self.down:
            raise DependencyUnavailable("inventory", f"{name}: connection refused")


class FakePayments:
    """Approves every token but ``tok_declined``; authorizations by id with status."""

    def __init__(self) -> None:
        self.authorizations: dict[str, tuple[str, int]] = {}
        self.orders: dict[str, str] = {}
        self.down: set[str] = set()
        self.flaky: dict[str, int] = {}
        self.calls: list[str] = []
        self._ids = itertools.count(1)

    async def authorize(
        self, order_id: str, amount_cents: int, currency: str, card_token: str
    ) -> PaymentHold:
        await anyio.lowlevel.checkpoint()
        self._call("authorize")
        if card_token == "tok_declined":
            raise PaymentDeclined("do_not_honor")
        aid = f"auth-{next(self._ids)}"
        self.authorizations[aid] = ("authorized", amount_cents)
        self.orders[aid] = order_id
        return PaymentHold(aid)

    async def capture(self, authorization_id: str) -> None:
        self._call("capture")
        _, amount = self.authorizations[authorization_id]
        self.authorizations[authorization_id] = ("captured", amount)

    async def void(self, authorization_id: str) -> None:
        self._call("void")
        _, amount = self.authorizations[authorization_id]
        self.authorizations[authorization_id] = ("voided", amount)

    async def find_for_order(self, order_id: str) -> FoundPayment | None:
        self._call("find_for_order")
        for aid, oid in self.orders.items():
            if oid == order_id:
                return FoundPayment(PaymentHold(aid), self.authorizations[aid][0])
        return None

    async def void_for_order(self, order_id: str) -> int:
        self._call("void_for_order")
        held = [aid for aid, oid in self.orders.items() if oid == order_id]
        held = [aid for aid in held if self.authorizations[aid][0] == "authorized"]
        for aid in held:
            await self.void(aid)
        return len(held)

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if self.flaky.get(name, 0) > 0:
            self.flaky[name] -= 1
            raise DependencyUnavailable("payments", f"{name}: 503")
        if name in self.down:
            raise DependencyUnavailable("payments", f"{name}: connection refused")


__all__ = ["FakePayments", "FakeStock", "FakeStore", "FakeUnitOfWork"]
