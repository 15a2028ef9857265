"""In-memory twins of orders' ports, for unit tests of the real use cases."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self

import anyio.lowlevel
import pytest

from accord.sql import ReadOnlyViolation
from shop.orders.application.placements import KeyedOrder, PlacementKey
from shop.orders.application.ports import ConcurrencyConflict
from shop.orders.application.recovery import Recovery
from shop.orders.application.services import OrderService
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


@dataclass
class Meta:
    """What the SQL row keeps beside the order."""

    driven_until: datetime | None = None
    key: str | None = None
    fingerprint: str = ""
    failure: Mapping[str, Any] | None = None
    look_again_at: datetime | None = None


class FakeStore:
    def __init__(self) -> None:
        #: Units of work opened to only read.
        self.read_only_opened = 0
        #: Orders looked up by their placement key.
        self.key_lookups = 0
        self.rows: dict[str, Order] = {}
        self.meta: dict[str, Meta] = {}


class FakeRepository:
    def __init__(self, store: FakeStore, pending: dict[str, Order], meta: dict[str, Meta]) -> None:
        self._store = store
        self._pending = pending
        self._meta = meta

    def _meta_of(self, order_id: str) -> Meta:
        if order_id not in self._meta:
            self._meta[order_id] = copy.deepcopy(self._store.meta.get(order_id, Meta()))
        return self._meta[order_id]

    async def add(
        self,
        order: Order,
        *,
        driven_until: datetime | None = None,
        key: PlacementKey | None = None,
    ) -> None:
        if order.order_id in self._store.rows:
            raise ConcurrencyConflict("taken")
        if key is not None and self._by_key(order.customer_id, key.key):
            raise ConcurrencyConflict("key taken")
        self._pending[order.order_id] = copy.deepcopy(order)
        self._meta[order.order_id] = Meta(
            driven_until, key.key if key else None, key.fingerprint if key else ""
        )

    async def find_by_key(self, customer_id: str, key: str) -> KeyedOrder | None:
        self._store.key_lookups += 1
        return self._by_key(customer_id, key)

    def _by_key(self, customer_id: str, key: str) -> KeyedOrder | None:
        for oid, meta in self._store.meta.items():
            order = self._store.rows[oid]
            if meta.key == key and order.customer_id == customer_id:
                return KeyedOrder(copy.deepcopy(order), meta.fingerprint, meta.failure)
        return None

    async def drive(self, order: Order, *, until: datetime, now: datetime) -> bool:
        stored = self._store.rows.get(order.order_id)
        meta = self._meta_of(order.order_id)
        if (
            stored is None
            or stored.version != order.version
            or stored.status is not OrderStatus.PENDING
            or (meta.driven_until is not None and meta.driven_until > now)
        ):
            return False
        order.version += 1
        meta.driven_until = until
        self._pending[order.order_id] = copy.deepcopy(order)
        return True

    async def let_go(self, order: Order) -> None:
        stored = self._store.rows.get(order.order_id)
        if stored is not None and stored.version == order.version:
            self._meta_of(order.order_id).driven_until = None

    async def looks_due(self, now: datetime, limit: int) -> list[str]:
        due = [
            (m.look_again_at, oid)
            for oid, m in self._store.meta.items()
            if m.look_again_at is not None and m.look_again_at <= now
        ]
        return [oid for _, oid in sorted(due)[:limit]]

    async def looked(self, order_id: str) -> None:
        self._meta_of(order_id).look_again_at = None

    async def get(self, order_id: str) -> Order | None:
        found = self._store.rows.get(order_id)
        return copy.deepcopy(found) if found else None

    async def save(
        self,
        order: Order,
        *,
        failure: Mapping[str, Any] | None = None,
        look_again_at: datetime | None = None,
    ) -> None:
        if self._store.rows[order.order_id].version != order.version:
            raise ConcurrencyConflict("changed")
        order.version += 1
        self._pending[order.order_id] = copy.deepcopy(order)
        meta = self._meta_of(order.order_id)
        if failure is not None:
            meta.failure = dict(failure)
        if look_again_at is not None:
            meta.look_again_at = look_again_at

    async def list_for_customer(self, customer_id: str, limit: int) -> list[Order]:
        mine = [o for o in self._store.rows.values() if o.customer_id == customer_id]
        mine.sort(key=lambda o: (o.created_at, o.order_id), reverse=True)
        return copy.deepcopy(mine[:limit])

    async def needing_recovery(
        self, *, owing_before: datetime, abandoned_before: datetime, limit: int
    ) -> list[Order]:
        def lapsed(o: Order) -> bool:
            meta = self._store.meta.get(o.order_id, Meta())
            return (meta.driven_until or o.created_at) < abandoned_before

        found = [
            o
            for o in self._store.rows.values()
            if (o.compensation_due and o.created_at < owing_before)
            or (o.status is OrderStatus.PENDING and lapsed(o))
        ]
        found.sort(key=lambda o: (o.created_at, o.order_id))
        return copy.deepcopy(found[:limit])


class FakeUnitOfWork:
    def __init__(self, store: FakeStore, *, read_only: bool = False) -> None:
        self.read_only = read_only
        if read_only:
            store.read_only_opened += 1
        self._store = store
        self._pending: dict[str, Order] = {}
        self._meta: dict[str, Meta] = {}
        self.orders = FakeRepository(store, self._pending, self._meta)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._pending.clear()
        self._meta.clear()

    async def commit(self) -> None:
        if self.read_only:
            raise ReadOnlyViolation("a unit of work that only reads has nothing to commit")
        self._store.rows.update(self._pending)
        self._store.meta.update(self._meta)
        self._pending.clear()
        self._meta.clear()


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
        for rid, oid in self.orders.items():  # one reservation per order, as inventory
            if oid == order_id:
                _, held = self.reservations[rid]
                lines = tuple(PricedLine(s, q, self.prices[s]) for s, q in held.items())
                return StockHold(rid, lines)
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
        for aid, oid in self.orders.items():  # one authorization per order, as payments
            if oid == order_id:
                return PaymentHold(aid)
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


#: The time the tests' clock starts at, what they order, and the key's lease.
START = datetime(2025, 1, 1, tzinfo=UTC)
ITEMS = [RequestedItem("MUG", 2)]
LEASE = timedelta(seconds=16)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def order_service(
    store: FakeStore, stock: FakeStock, payments: FakePayments, clock: Clock
) -> OrderService:
    """Orders' use cases on the fakes, naming orders ``ord-1``, ``ord-2``… in turn."""
    ids = (f"ord-{n}" for n in itertools.count(1))
    return OrderService(
        lambda read_only=False: FakeUnitOfWork(store, read_only=read_only),
        stock,
        payments,
        clock=clock,
        new_id=lambda: next(ids),
    )


def recovery_on(
    store: FakeStore,
    stock: FakeStock,
    payments: FakePayments,
    clock: Clock,
    *,
    grace: float = 10,
    **options: Any,
) -> Recovery:
    """The recovery of orders on the fakes (``options``: ``second_look``…)."""
    return Recovery(
        lambda read_only=False: FakeUnitOfWork(store, read_only=read_only),
        stock,
        payments,
        clock=clock,
        grace=grace,
        **options,
    )


class FrozenStock(FakeStock):
    """Inventory frozen: a reservation gets no answer (and may land much later, through
    ``FakeStock.reserve(frozen, …)``)."""

    async def reserve(self, order_id: str, items: object) -> StockHold:
        raise DependencyUnavailable("inventory", "read timed out")


async def placed_while_frozen(
    store: FakeStore, payments: FakePayments, clock: Clock
) -> tuple[FrozenStock, Order]:
    """An order placed while inventory is frozen (the placement fails unavailable), and
    the frozen stock."""
    frozen = FrozenStock({"MUG": (10, 1250)})
    with pytest.raises(DependencyUnavailable):
        await order_service(store, frozen, payments, clock).place_order(
            customer_id="c", items=ITEMS, card_token="tok_ok"
        )
    (order,) = store.rows.values()
    return frozen, order
