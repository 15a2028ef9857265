"""Inventory's use cases: stock, restock, and reservations held, committed or released.

Every state change is read-decide-write under optimistic concurrency: when a concurrent
request wins the race (:class:`ConcurrencyConflict`), the use case waits a little, reads
again and decides again, a bounded number of times. So however many requests race for
the last units, each sees stock that is really there, and none takes more.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass
from typing import TypeVar

from accord.ports import ConflictRetry
from shop.common.errors import found
from shop.common.fresh import new_id
from shop.common.listing import Listing
from shop.inventory.application.catalogue import CatalogueItem
from shop.inventory.application.ports import (
    IdFactory,
    Pause,
    UnitOfWork,
    UnitOfWorkFactory,
)
from shop.inventory.domain.exceptions import (
    ReservationNotFound,
    UnknownSku,
)
from shop.inventory.domain.model import Reservation, ReservationStatus, Sku, reserve

__all__ = [
    "DEFAULT_ATTEMPTS",
    "InventoryService",
    "jittered_pause",
    "new_reservation_id",
]

#: How many times a use case tries when concurrent requests keep winning the race.
DEFAULT_ATTEMPTS = 30

T = TypeVar("T")


def new_reservation_id() -> str:
    """A fresh, unguessable reservation id."""
    return new_id("res_")


async def jittered_pause(attempt: int) -> None:
    """Sleep a random time that grows with ``attempt`` (at most 50 ms), to spread retries."""
    await asyncio.sleep(random.uniform(0, min(0.05, 0.002 * 2**attempt)))


@dataclass(eq=False)
class InventoryService:
    """The inventory use cases, run on the ports they are given."""

    uow: UnitOfWorkFactory
    _: KW_ONLY
    new_id: IdFactory = new_reservation_id
    attempts: int = DEFAULT_ATTEMPTS
    pause: Pause = jittered_pause

    def __post_init__(self) -> None:
        self._retry = ConflictRetry(self.attempts, self.pause)

    # -- stock ---------------------------------------------------------------------------

    async def list_stock(self, limit: int = 100) -> list[Sku]:
        """Up to ``limit`` SKUs, ordered by code."""
        async with self.uow(read_only=True) as uow:
            return await uow.skus.list(limit)

    async def get_stock(self, code: str) -> Sku:
        """The SKU with this code; :class:`UnknownSku` otherwise."""
        async with self.uow(read_only=True) as uow:
            sku = await uow.skus.get(code)
        return found(sku, UnknownSku, code)

    async def restock(
        self,
        code: str,
        quantity: int,
        *,
        name: str | None = None,
        unit_price_cents: int | None = None,
    ) -> Sku:
        """Add ``quantity`` units to the SKU, creating it when it is new.

        A new SKU needs ``name`` and ``unit_price_cents`` (:class:`UnknownSku` without
        them); for an existing SKU they are ignored: a restock changes only stock.
        """

        async def attempt(uow: UnitOfWork) -> Sku:
            sku = await uow.skus.get(code)
            if sku is not None:
                sku.restock(quantity)
                await uow.skus.save(sku)
                return sku
            if name is None or unit_price_cents is None:
                raise UnknownSku(code)
            sku = Sku(code, name, unit_price_cents)
            sku.restock(quantity)
            await uow.skus.add(sku)
            return sku

        return await self._retrying(attempt, f"SKU {code}")

    # -- reservations --------------------------------------------------------------------

    async def reserve(self, order_id: str, items: Sequence[tuple[str, int]]) -> Reservation:
        """Hold stock of every ``(sku, quantity)`` item for ``order_id``, all or nothing.

        A SKU listed twice is held once for the sum. Raises :class:`UnknownSku` or
        :class:`OutOfStock` (then nothing is held). An order has one reservation:
        reserving again for it answers the reservation already made (a safe retry).
        """
        codes = sorted({code for code, _ in items})

        async def attempt(uow: UnitOfWork) -> Reservation:
            existing = await uow.reservations.get_for_order(order_id)
            if existing is not None:
                return existing
            skus = await uow.skus.get_many(codes)
            reservation = reserve(self.new_id(), order_id, items, skus)
            # Written in code order, so two reservations never wait on each other's rows.
            for code in codes:
                await uow.skus.save(skus[code])
            await uow.reservations.add(reservation)
            return reservation

        return await self._retrying(attempt, f"stock for order {order_id}")

    async def get_reservation(self, reservation_id: str) -> Reservation:
        """The reservation with this id; :class:`ReservationNotFound` otherwise."""
        async with self.uow(read_only=True) as uow:
            reservation = await uow.reservations.get(reservation_id)
        return found(reservation, ReservationNotFound, reservation_id)

    async def reservation_for_order(self, order_id: str) -> Reservation:
        """The reservation made for ``order_id``; :class:`ReservationNotFound` otherwise."""
        async with self.uow(read_only=True) as uow:
            reservation = await uow.reservations.get_for_order(order_id)
        return found(reservation, ReservationNotFound, f"for order {order_id}")

    async def list_reservations(self, listing: Listing[ReservationStatus]) -> list[Reservation]:
        """The reservations ``listing`` asks for, in id order: what an audit reads to find
        stock still held."""
        async with self.uow(read_only=True) as uow:
            return await uow.reservations.find(listing)

    async def commit(self, reservation_id: str) -> Reservation:
        """Sell the held stock. Idempotent; a released reservation is ReservationClosed."""
        return await self._close(reservation_id, Reservation.commit)

    async def release(self, reservation_id: str) -> Reservation:
        """Give the held stock back. Idempotent; a committed one is ReservationClosed."""
        return await self._close(reservation_id, Reservation.release)

    async def _close(
        self, reservation_id: str, close: Callable[[Reservation, Mapping[str, Sku]], bool]
    ) -> Reservation:
        """Close the reservation with ``close`` (a domain move: commit or release), its
        SKUs written with it when that changed anything."""

        async def attempt(uow: UnitOfWork) -> Reservation:
            reservation = found(
                await uow.reservations.get(reservation_id), ReservationNotFound, reservation_id
            )
            skus = await uow.skus.get_many(reservation.skus)
            changed = close(reservation, skus)
            if changed:
                # The reservation first: of two racing closes, the loser stops here.
                await uow.reservations.save(reservation)
                for code in sorted(reservation.skus):
                    await uow.skus.save(skus[code])
            return reservation

        return await self._retrying(attempt, f"reservation {reservation_id}")

    # -- the catalogue -------------------------------------------------------------------

    async def seed(self, catalogue: Iterable[CatalogueItem]) -> bool:
        """Create ``catalogue`` when there are no SKUs at all; True when it did."""
        items = tuple(catalogue)

        async def attempt(uow: UnitOfWork) -> bool:
            if await uow.skus.count() > 0:
                return False
            for item in items:
                sku = Sku(item.code, item.name, item.unit_price_cents)
                sku.restock(item.quantity)
                await uow.skus.add(sku)
            return True

        return await self._retrying(attempt, "the catalogue")

    # -- optimistic concurrency ----------------------------------------------------------

    async def _retrying(self, attempt: Callable[[UnitOfWork], Awaitable[T]], what: str) -> T:
        """Run ``attempt`` in a fresh unit of work, commit, and retry on conflicts."""

        async def once() -> T:
            async with self.uow() as uow:
                result = await attempt(uow)
                await uow.commit()
                return result

        return await self._retry.run(once, what)
