"""The ports inventory's use cases need: storage of SKUs and reservations, and a unit
of work owning the transaction.

Adapters implement these protocols (SQL tables); unit tests implement them in memory.
Every name here is in the domain's vocabulary.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

from accord.ports import ConcurrencyConflict
from accord.ports import UnitOfWork as Transaction
from accord.ports import UnitOfWorkFactory as Factory
from shop.common.listing import Listing
from shop.inventory.domain.model import Reservation, ReservationStatus, Sku

__all__ = [
    "ConcurrencyConflict",
    "IdFactory",
    "Pause",
    "ReservationRepository",
    "SkuRepository",
    "UnitOfWork",
    "UnitOfWorkFactory",
]


class SkuRepository(Protocol):
    """SKUs, read and written inside a unit of work."""

    async def add(self, sku: Sku) -> None:
        """Store a new SKU. Raises :class:`ConcurrencyConflict` when its code is taken."""
        ...

    async def get(self, code: str) -> Sku | None:
        """The SKU with this code, or None."""
        ...

    async def get_many(self, codes: Iterable[str]) -> dict[str, Sku]:
        """The SKUs with these codes that exist, by code."""
        ...

    async def list(self, limit: int) -> list[Sku]:
        """Up to ``limit`` SKUs, ordered by code."""
        ...

    async def count(self) -> int:
        """How many SKUs there are."""
        ...

    async def save(self, sku: Sku) -> None:
        """Persist a changed SKU and bump its ``version``.

        Raises :class:`ConcurrencyConflict` when the stored version is no longer the one
        this SKU was read at.
        """
        ...


class ReservationRepository(Protocol):
    """Reservations, read and written inside a unit of work."""

    async def add(self, reservation: Reservation) -> None:
        """Store a new reservation.

        Raises :class:`ConcurrencyConflict` when its order already has one.
        """
        ...

    async def get(self, reservation_id: str) -> Reservation | None:
        """The reservation with this id, or None."""
        ...

    async def get_for_order(self, order_id: str) -> Reservation | None:
        """The reservation made for this order, or None."""
        ...

    async def find(self, listing: Listing[ReservationStatus]) -> list[Reservation]:
        """The reservations ``listing`` asks for, in id order."""
        ...

    async def save(self, reservation: Reservation) -> None:
        """Persist a changed status and bump ``version`` (:class:`ConcurrencyConflict`
        when the stored version moved)."""
        ...


class UnitOfWork(Transaction, Protocol):
    """One transaction (``async with uow: ...; await uow.commit()``) and its repositories."""

    @property
    def skus(self) -> SkuRepository:
        """The SKUs, in this transaction."""
        ...

    @property
    def reservations(self) -> ReservationRepository:
        """The reservations, in this transaction."""
        ...


#: Opens a fresh unit of work; ``read_only=True`` for one that only reads.
UnitOfWorkFactory = Factory[UnitOfWork]
#: A new unique id.
IdFactory = Callable[[], str]
#: Waits before retry number ``n`` (1-based) after a conflict.
Pause = Callable[[int], Awaitable[None]]
