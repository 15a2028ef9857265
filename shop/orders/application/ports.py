"""The ports orders' use cases need: storage, a unit of work, and the stock and payments.

The gateways speak the orders domain's vocabulary: they raise its exceptions
(``UnknownSku``, ``OutOfStock``, ``PaymentDeclined``, ``DependencyUnavailable``,
``DependencyFailed``), never another service's errors or a transport's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from accord.ports import ConcurrencyConflict
from accord.ports import UnitOfWork as Transaction
from accord.ports import UnitOfWorkFactory as Factory
from shop.orders.application.placements import KeyedOrder, PlacementKey
from shop.orders.domain.holds import FoundPayment, FoundStock, PaymentHold, StockHold
from shop.orders.domain.model import Order, RequestedItem

__all__ = [
    "Clock",
    "ConcurrencyConflict",
    "IdFactory",
    "OrderRepository",
    "PaymentGateway",
    "StockGateway",
    "UnitOfWork",
    "UnitOfWorkFactory",
]


class OrderRepository(Protocol):
    """Orders, read and written inside a unit of work."""

    async def add(
        self,
        order: Order,
        *,
        driven_until: datetime | None = None,
        key: PlacementKey | None = None,
    ) -> None:
        """Store a new order with its lines, driven by its placement until ``driven_until``
        (``None``: by nobody).

        With ``key``, the order is stored as the one the key placed for its customer;
        a key that already placed one is a :class:`ConcurrencyConflict`.
        """
        ...

    async def find_by_key(self, customer_id: str, key: str) -> KeyedOrder | None:
        """The order ``key`` placed for ``customer_id``, or None."""
        ...

    async def drive(self, order: Order, *, until: datetime, now: datetime) -> bool:
        """Take the drive of the pending ``order`` until ``until``; False when it is not
        pending any more, changed since it was read, or driven by someone else past
        ``now``. Bumps the order's ``version`` when taken."""
        ...

    async def get(self, order_id: str) -> Order | None:
        """The order with this id, or None."""
        ...

    async def save(
        self,
        order: Order,
        *,
        failure: Mapping[str, Any] | None = None,
        look_again_at: datetime | None = None,
    ) -> None:
        """Persist a changed order and bump its ``version``; with ``failure``, what
        rejected it; with ``look_again_at``, when the recovery looks at its holds again.

        Raises :class:`ConcurrencyConflict` when the stored version is no longer the
        one this order was read at.
        """
        ...

    async def list_for_customer(self, customer_id: str, limit: int) -> list[Order]:
        """The customer's newest ``limit`` orders, newest first."""
        ...

    async def needing_recovery(
        self, *, owing_before: datetime, abandoned_before: datetime, limit: int
    ) -> list[Order]:
        """Up to ``limit`` orders, oldest first, created before ``owing_before`` that owe
        a compensation, or still pending with a drive that ended before
        ``abandoned_before`` (their placement died)."""
        ...

    async def let_go(self, order: Order) -> None:
        """Give up the drive of ``order`` (still at the version it was read at), so the
        next round or a retry may take it at once."""
        ...

    async def looks_due(self, now: datetime, limit: int) -> list[str]:
        """Up to ``limit`` ids of orders whose second look is due by ``now``."""
        ...

    async def looked(self, order_id: str) -> None:
        """The order's second look is done."""
        ...


class UnitOfWork(Transaction, Protocol):
    """One transaction (``async with uow: ...; await uow.commit()``) and its repositories."""

    @property
    def orders(self) -> OrderRepository:
        """The orders, in this transaction."""
        ...


class StockGateway(Protocol):
    """The stock, as orders sees it."""

    async def reserve(self, order_id: str, items: Sequence[RequestedItem]) -> StockHold:
        """Hold every item for the order, all or nothing, priced."""
        ...

    async def commit(self, reservation_id: str) -> None:
        """Turn the held stock into sold stock (doing it twice is harmless)."""
        ...

    async def release(self, reservation_id: str) -> None:
        """Give the held stock back (doing it twice is harmless)."""
        ...

    async def find_for_order(self, order_id: str) -> FoundStock | None:
        """The reservation made for the order, priced, and its status; None if none."""
        ...

    async def release_for_order(self, order_id: str) -> int:
        """Give back any stock still held for the order, found by order id; how many
        reservations were released (0 when none is held)."""
        ...


class PaymentGateway(Protocol):
    """Card payments, as orders sees them."""

    async def authorize(
        self, order_id: str, amount_cents: int, currency: str, card_token: str
    ) -> PaymentHold:
        """Hold the amount on the card."""
        ...

    async def capture(self, authorization_id: str) -> None:
        """Take the held amount (doing it twice is harmless)."""
        ...

    async def void(self, authorization_id: str) -> None:
        """Let the held amount go (doing it twice is harmless)."""
        ...

    async def find_for_order(self, order_id: str) -> FoundPayment | None:
        """The authorization made for the order and its status; None if none."""
        ...

    async def void_for_order(self, order_id: str) -> int:
        """Let go any amount still held (not captured) for the order, found by order id;
        how many authorizations were voided (0 when none is held)."""
        ...


#: Opens a fresh unit of work; ``read_only=True`` for one that only reads.
UnitOfWorkFactory = Factory[UnitOfWork]
#: The current time, timezone-aware.
Clock = Callable[[], datetime]
#: A new unique id.
IdFactory = Callable[[], str]
