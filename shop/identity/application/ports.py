"""The ports identity's use cases need: storage, password hashing, client keys, tokens.

Adapters implement these protocols (SQL tables, scrypt, the clients' public keys, signed JWTs);
unit tests implement them in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from accord.ports import ConcurrencyConflict
from accord.ports import UnitOfWork as Transaction
from accord.ports import UnitOfWorkFactory as Factory
from shop.identity.domain.model import Customer, Grant

__all__ = [
    "AccessToken",
    "ClientAssertions",
    "Clock",
    "ConcurrencyConflict",
    "CustomerRepository",
    "IdFactory",
    "PasswordHashing",
    "TokenIssuer",
    "UnitOfWork",
    "UnitOfWorkFactory",
]

Clock = Callable[[], datetime]
IdFactory = Callable[[], str]


class CustomerRepository(Protocol):
    """Customers, read and written inside a unit of work."""

    async def add(self, customer: Customer) -> None:
        """Store a new customer; a taken email raises :class:`ConcurrencyConflict`."""
        ...

    async def get_by_email(self, email: str) -> Customer | None:
        """The customer with this (normalized) address, or None."""
        ...


class UnitOfWork(Transaction, Protocol):
    """One transaction (``async with uow: ...; await uow.commit()``) and its repositories."""

    @property
    def customers(self) -> CustomerRepository:
        """The customers, in this transaction."""
        ...


#: Opens a fresh unit of work; ``read_only=True`` for one that only reads.
UnitOfWorkFactory = Factory[UnitOfWork]


class PasswordHashing(Protocol):
    """A slow, salted password hash (run off the event loop by the adapter)."""

    async def hash(self, password: str) -> str:
        """The string to store for ``password``."""
        ...

    async def verify(self, password: str, stored: str | None) -> bool:
        """Whether ``password`` matches; ``None`` costs the same and is False."""
        ...


@dataclass(frozen=True, slots=True)
class ClientCertificate:
    """The certificate a caller presented over mutual TLS: the client it names (the last
    segment of its SPIFFE id) and its ``x5t#S256`` thumbprint."""

    client_id: str
    thumbprint: str


class ClientAssertions(Protocol):
    """Client assertions (RFC 7523), checked against the public keys of the workloads
    that may speak for a client."""

    async def check(self, client_id: str, holders: frozenset[str], assertion: str) -> str | None:
        """``None`` when ``assertion`` authenticates ``client_id`` (signed by a key of one
        of ``holders``, addressed to this endpoint, valid, never seen); else why not."""
        ...


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A signed token, how long it lives (seconds) and the scopes it carries."""

    token: str
    expires_in: int
    scopes: frozenset[str]


class TokenIssuer(Protocol):
    """Turns a grant into a signed access token."""

    def issue(self, grant: Grant) -> AccessToken:
        """Sign ``grant`` with the current key."""
        ...
