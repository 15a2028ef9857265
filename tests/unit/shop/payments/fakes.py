"""In-memory twins of payments' ports, for unit tests of the real use cases."""

from __future__ import annotations

import copy
from types import TracebackType
from typing import Self

import anyio
import anyio.lowlevel

from accord.sql import ReadOnlyViolation
from shop.payments.application.ports import ConcurrencyConflict
from shop.payments.domain.exceptions import ProcessorUnavailable
from shop.payments.domain.model import Approved, Authorization, Decision, Declined, Money


class FakeStore:
    """What a database would hold: committed authorizations by id."""

    def __init__(self) -> None:
        #: Units of work opened to only read.
        self.read_only_opened = 0
        self.rows: dict[str, Authorization] = {}
        self.commits = 0


class FakeRepository:
    def __init__(self, store: FakeStore, pending: dict[str, Authorization]) -> None:
        self._store = store
        self._pending = pending

    async def add(self, authorization: Authorization) -> None:
        if any(a.order_id == authorization.order_id for a in self._store.rows.values()):
            raise ConcurrencyConflict("order already authorized")
        self._pending[authorization.authorization_id] = copy.deepcopy(authorization)

    async def get(self, authorization_id: str) -> Authorization | None:
        found = self._store.rows.get(authorization_id)
        return copy.deepcopy(found) if found else None

    async def get_for_order(self, order_id: str) -> Authorization | None:
        for a in self._store.rows.values():
            if a.order_id == order_id:
                return copy.deepcopy(a)
        return None

    async def save(self, authorization: Authorization) -> None:
        stored = self._store.rows[authorization.authorization_id]
        if stored.version != authorization.version:
            raise ConcurrencyConflict("changed")
        authorization.version += 1
        self._pending[authorization.authorization_id] = copy.deepcopy(authorization)


class FakeUnitOfWork:
    def __init__(self, store: FakeStore, *, read_only: bool = False) -> None:
        self.read_only = read_only
        if read_only:
            store.read_only_opened += 1
        self._store = store
        self._pending: dict[str, Authorization] = {}
        self.authorizations = FakeRepository(store, self._pending)

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
        if self.read_only:
            raise ReadOnlyViolation("a unit of work that only reads has nothing to commit")
        for key, value in self._pending.items():
            stored = self._store.rows.get(key)
            if stored is not None and stored.version != value.version - 1:
                raise ConcurrencyConflict("lost the race at commit")
            self._store.rows[key] = value
        self._pending.clear()
        self._store.commits += 1


class FakeProcessor:
    """Approves everything unless told otherwise; remembers every call."""

    def __init__(self) -> None:
        self.decision: Decision | None = None
        self.unavailable = False
        self.calls: list[tuple[str, str]] = []
        self._n = 0

    async def authorize(self, *, order_id: str, amount: Money, card_token: str) -> Decision:
        self._check()
        await anyio.lowlevel.checkpoint()  # let concurrent requests interleave here
        self._n += 1
        self.calls.append(("authorize", order_id))
        return self.decision or Approved(reference=f"ref-{self._n}")

    async def capture(self, reference: str, amount: Money) -> None:
        self._check()
        self.calls.append(("capture", reference))

    async def void(self, reference: str) -> None:
        self._check()
        self.calls.append(("void", reference))

    def _check(self) -> None:
        if self.unavailable:
            raise ProcessorUnavailable("down")


__all__ = ["Declined", "FakeProcessor", "FakeStore", "FakeUnitOfWork"]
