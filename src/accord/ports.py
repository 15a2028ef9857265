"""What an application layer may share with every service: storage ports without storage.

A service's use cases depend on protocols their adapters implement. Two of them are the
same in every service, and live here, in plain Python (the standard library and
:mod:`accord.errors`: no runtime, no transport, no database), so an application layer
may import them as it imports the standard library::

    from accord.ports import ConcurrencyConflict, UnitOfWork

    class OrdersUnitOfWork(UnitOfWork, Protocol):
        @property
        def orders(self) -> OrderRepository: ...

    OrdersUnitOfWorkFactory = UnitOfWorkFactory[OrdersUnitOfWork]

A use case that only reads says so when it opens its unit of work,
``async with self._uow(read_only=True) as uow:``; the adapter then reads without a
transaction where the database allows it (one round trip on PostgreSQL), and refuses a
write or a commit.

:class:`accord.sql.UnitOfWork` implements :class:`UnitOfWork` and raises
:class:`ConcurrencyConflict` for a write a concurrent transaction won;
:class:`ConflictRetry` is how a use case reads, decides and writes again when one did.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self, TypeVar

from accord.errors import AccordError

__all__ = ["ConcurrencyConflict", "ConflictRetry", "UnitOfWork", "UnitOfWorkFactory"]

T = TypeVar("T")


class ConcurrencyConflict(AccordError):
    """Another transaction changed or created the same record first; the work may be retried."""


class UnitOfWork(Protocol):
    """One transaction: ``async with uow: ...; await uow.commit()``.

    Leaving the block without committing rolls everything back. A service's own unit of
    work extends this protocol with its repositories, as properties.
    """

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None:
        """Make this transaction's changes durable.

        Raises :class:`ConcurrencyConflict` when the database refuses it for a
        concurrent change.
        """
        ...


U_co = TypeVar("U_co", bound=UnitOfWork, covariant=True)


class UnitOfWorkFactory(Protocol[U_co]):
    """Opens a fresh unit of work: ``uow()`` to read and write, ``uow(read_only=True)``
    to only read.

    A unit of work opened with ``read_only=True`` is never committed: its use case reads
    and decides, and writes nothing. The adapter may then read without a transaction
    (each statement on its own, seeing what was committed before it) and must refuse a
    write or a commit (``accord.sql.ReadOnlyViolation``), never commit it on its own.
    """

    def __call__(self, *, read_only: bool = False) -> U_co: ...


@dataclass(frozen=True)
class ConflictRetry:
    """Run a piece of work again while concurrent transactions win its race.

    ``attempts`` is how many times in all (at least one); ``pause(n)``, when given, is
    awaited after the ``n``-th lost race, before the next try (a jittered sleep spreads
    racing requests apart)::

        retry = ConflictRetry(8)
        return await retry.run(lambda: self._transition(authorization_id), "authorization")
    """

    attempts: int
    pause: Callable[[int], Awaitable[None]] | None = None

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")

    async def run(self, work: Callable[[], Awaitable[T]], what: str) -> T:
        """Await ``work()`` until it ends without :class:`ConcurrencyConflict`, and
        return what it returns; after ``attempts`` lost races, raise
        :class:`ConcurrencyConflict` saying that ``what`` kept changing. Each try must
        read afresh (open its own unit of work): what it read before is stale."""
        for n in range(1, self.attempts + 1):
            try:
                return await work()
            except ConcurrencyConflict:
                if n < self.attempts and self.pause is not None:
                    await self.pause(n)
        raise ConcurrencyConflict(f"{what} kept changing; gave up after {self.attempts} attempts")
