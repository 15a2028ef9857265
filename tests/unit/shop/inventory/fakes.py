"""In-memory twins of inventory's ports, with the same optimistic-concurrency rules."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from types import TracebackType
from typing import Self

from accord.sql import ReadOnlyViolation
from shop.inventory.application.ports import ConcurrencyConflict
from shop.inventory.domain.model import Reservation, Sku


class Store:
    """What the fake database holds, shared by every unit of work on it."""

    def __init__(self) -> None:
        #: Units of work opened to only read.
        self.read_only_opened = 0
        self.skus: dict[str, Sku] = {}
        self.reservations: dict[str, Reservation] = {}
        self.commits = 0


class FakeSkus:
    def __init__(self, pending: dict[str, Sku], store: Store) -> None:
        self._pending = pending
        self._store = store

    async def add(self, sku: Sku) -> None:
        if sku.code in self._store.skus or sku.code in self._pending:
            raise ConcurrencyConflict(sku.code)
        self._pending[sku.code] = copy.deepcopy(sku)

    async def get(self, code: str) -> Sku | None:
        found = self._pending.get(code) or self._store.skus.get(code)
        return copy.deepcopy(found)

    async def get_many(self, codes: Iterable[str]) -> dict[str, Sku]:
        return {c: s for c in codes if (s := await self.get(c)) is not None}

    async def list(self, limit: int) -> list[Sku]:
        merged = {**self._store.skus, **self._pending}
        return [copy.deepcopy(merged[c]) for c in sorted(merged)[:limit]]

    async def count(self) -> int:
        return len({*self._store.skus, *self._pending})

    async def save(self, sku: Sku) -> None:
        stored = self._pending.get(sku.code) or self._store.skus.get(sku.code)
        if stored is None or stored.version != sku.version:
            raise ConcurrencyConflict(sku.code)
        sku.version += 1
        self._pending[sku.code] = copy.deepcopy(sku)


class FakeReservations:
    def __init__(self, pending: dict[str, Reservation], store: Store) -> None:
        self._pending = pending
        self._store = store

    def _all(self) -> dict[str, Reservation]:
        return {**self._store.reservations, **self._pending}

    async def add(self, reservation: Reservation) -> None:
        if any(r.order_id == reservation.order_id for r in self._all().values()):
            raise ConcurrencyConflict(reservation.order_id)
        self._pending[reservation.reservation_id] = copy.deepcopy(reservation)

    async def get(self, reservation_id: str) -> Reservation | None:
        return copy.deepcopy(self._all().get(reservation_id))

    async def get_for_order(self, order_id: str) -> Reservation | None:
        for r in self._all().values():
            if r.order_id == order_id:
                return copy.deepcopy(r)
        return None

    async def save(self, reservation: Reservation) -> None:
        stored = self._all().get(reservation.reservation_id)
        if stored is None or stored.version != reservation.version:
            raise ConcurrencyConflict(reservation.reservation_id)
        reservation.version += 1
        self._pending[reservation.reservation_id] = copy.deepcopy(reservation)


class FakeUnitOfWork:
    """A transaction on a :class:`Store`: changes are kept only on commit."""

    def __init__(self, store: Store, *, read_only: bool = False) -> None:
        self.read_only = read_only
        if read_only:
            store.read_only_opened += 1
        self._store = store
        self._skus: dict[str, Sku] = {}
        self._reservations: dict[str, Reservation] = {}
        self.skus = FakeSkus(self._skus, store)
        self.reservations = FakeReservations(self._reservations, store)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._skus.clear()
        self._reservations.clear()

    async def commit(self) -> None:
        if self.read_only:
            raise ReadOnlyViolation("a unit of work that only reads has nothing to commit")
        self._store.skus.update(self._skus)
        self._store.reservations.update(self._reservations)
        self._skus.clear()
        self._reservations.clear()
        self._store.commits += 1
