"""What an application layer may share with every service: storage ports without storage.

A service's use cases depend on protocols their adapters implement. Two of them are the
same in every service, and live here, in plain Python (the standard library and
:mod:`accord.errors`: no runtime, no transport, no database), so an application layer
may import them as it imports the standard library::

    from accord.ports import ConcurrencyConflict, UnitOfWork

    class OrdersUnitOfWork(UnitOfWork, Protocol):
        @property
        def orders(self) -> OrderRepository: ...

:class:`accord.sql.UnitOfWork` implements :class:`UnitOfWork` and raises
:class:`ConcurrencyConflict` for a write a concurrent transaction won.
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from accord.errors import AccordError

__all__ = ["ConcurrencyConflict", "UnitOfWork"]


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
