"""The ports payments' use cases need: storage, a unit of work and a card processor.

Adapters implement these protocols (SQL tables, a simulated processor); unit tests
implement them in memory. Every name here is in the domain's vocabulary.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from accord.ports import ConcurrencyConflict
from accord.ports import UnitOfWork as Transaction
from accord.ports import UnitOfWorkFactory as Factory
from shop.common.listing import Listing
from shop.payments.domain.model import Authorization, AuthorizationStatus, Decision, Money

__all__ = [
    "AuthorizationRepository",
    "CardProcessor",
    "Clock",
    "ConcurrencyConflict",
    "IdFactory",
    "UnitOfWork",
    "UnitOfWorkFactory",
]


class AuthorizationRepository(Protocol):
    """Authorizations, read and written inside a unit of work."""

    async def add(self, authorization: Authorization) -> None:
        """Store a new authorization.

        Raises :class:`ConcurrencyConflict` when its order already has one.
        """
        ...

    async def get(self, authorization_id: str) -> Authorization | None:
        """The authorization with this id, or None."""
        ...

    async def find(self, listing: Listing[AuthorizationStatus]) -> list[Authorization]:
        """The authorizations ``listing`` asks for, in id order."""
        ...

    async def get_for_order(self, order_id: str) -> Authorization | None:
        """The authorization held for this order, or None."""
        ...

    async def save(self, authorization: Authorization) -> None:
        """Persist a changed authorization and bump its ``version``.

        Raises :class:`ConcurrencyConflict` when the stored version is no longer the
        one this authorization was read at.
        """
        ...


class UnitOfWork(Transaction, Protocol):
    """One transaction (``async with uow: ...; await uow.commit()``) and its repositories."""

    @property
    def authorizations(self) -> AuthorizationRepository:
        """The authorizations, in this transaction."""
        ...


class CardProcessor(Protocol):
    """The card processor, as the domain sees it.

    Every method raises
    :class:`~shop.payments.domain.exceptions.ProcessorUnavailable` when the processor
    cannot be reached or cannot decide.
    """

    async def authorize(self, *, order_id: str, amount: Money, card_token: str) -> Decision:
        """Ask the processor to hold ``amount`` on the card ``card_token`` stands for."""
        ...

    async def capture(self, reference: str, amount: Money) -> None:
        """Take the money of the hold ``reference`` (doing it twice is harmless)."""
        ...

    async def void(self, reference: str) -> None:
        """Release the hold ``reference`` (doing it twice is harmless)."""
        ...


#: Opens a fresh unit of work; ``read_only=True`` for one that only reads.
UnitOfWorkFactory = Factory[UnitOfWork]
#: The current time, timezone-aware.
Clock = Callable[[], datetime]
#: A new unique id.
IdFactory = Callable[[], str]
