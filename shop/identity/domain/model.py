"""Customers, service clients, and the grant each may receive.

A grant is what a token will say: who (``subject``), what it may do (``scopes``) and to
whom it may be shown (``audience``). The audience follows from the scopes: a scope is
``<service>:<action>``, and a token is for exactly the services its scopes name, so a
customer's token (``orders:*``) is refused by inventory before its scopes are even read.
The one scope that names no service, ``metadata:read`` (``/metrics`` and the OpenAPI
documents where they are not public), is for every service of :data:`SERVICES`.

Least privilege is this module's two tables: :data:`CUSTOMER_SCOPES` and
:data:`CLIENT_SCOPES`. A service client gets only what its row says, and may ask for less.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Final

from shop.identity.domain.exceptions import InvalidEmail, ScopeNotAllowed, WeakPassword

__all__ = [
    "CLIENT_CREDENTIALS",
    "CLIENT_SCOPES",
    "CUSTOMER_SCOPES",
    "MAX_PASSWORD",
    "METADATA_SCOPE",
    "MIN_PASSWORD",
    "SERVICES",
    "Customer",
    "Grant",
    "audience_of",
    "check_password",
    "client_grant",
    "customer_grant",
    "normalize_email",
]

#: The services a token can be for.
SERVICES: Final = ("identity", "inventory", "orders", "payments")
#: The scope that reads a service's metrics and OpenAPI documents, on every service.
METADATA_SCOPE: Final = "metadata:read"

#: What a customer's token may do: place orders and read their own.
CUSTOMER_SCOPES: Final = frozenset({"orders:read", "orders:write"})

#: What each service client may do, and nothing else, in the scope names the contracts
#: declare. ``orders`` reserves, commits and releases stock (all three are
#: ``inventory:reserve`` in the inventory contract) and authorizes, captures and voids
#: payments; ``operator`` is the shop's
#: staff (restocking, reading any stock, payment or order, and every service's metadata).
CLIENT_SCOPES: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "orders": frozenset(
            {
                "inventory:reserve",
                "payments:authorize",
                "payments:capture",
                "payments:void",
            }
        ),
        "operator": frozenset(
            {"inventory:read", "inventory:admin", "payments:read", "orders:read", METADATA_SCOPE}
        ),
    }
)

#: Who may authenticate as each client: the workload names whose certificate (over mutual
#: TLS, RFC 8705 ``tls_client_auth``: the last segment of its SPIFFE id) or whose own key
#: (over plain HTTP, RFC 7523 ``private_key_jwt``) speaks for it. The operator's tools
#: (``accord up``'s supervisor, the console, the demo, the chaos run) use the supervisor's.
CLIENT_CREDENTIALS: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {"orders": frozenset({"orders"}), "operator": frozenset({"operator", "accord-supervisor"})}
)

MIN_PASSWORD: Final = 8
MAX_PASSWORD: Final = 256
_EMAIL: Final = re.compile(r"^[a-z0-9._%+-]{1,64}@[a-z0-9.-]{1,190}\.[a-z]{2,24}$")


def normalize_email(email: str) -> str:
    """The address in the one form it is stored and looked up in (trimmed, lower case)."""
    normal = email.strip().lower()
    if not _EMAIL.match(normal):
        raise InvalidEmail(f"{email!r} is not an email address")
    return normal


def check_password(password: str) -> None:
    """Raise :class:`WeakPassword` unless ``MIN_PASSWORD <= len <= MAX_PASSWORD``."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise WeakPassword(
            f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters, not {len(password)}"
        )


@dataclass(slots=True)
class Customer:
    """A customer who can log in; ``password_hash`` is None for development accounts."""

    customer_id: str
    email: str
    password_hash: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Grant:
    """What a token will say: its subject, scopes and audience, and whose it is."""

    subject: str
    scopes: frozenset[str]
    audience: tuple[str, ...]
    customer_id: str | None = None
    client_id: str | None = None
    #: The thumbprint of the certificate the token is bound to (RFC 8705), if any.
    certificate: str | None = None


def audience_of(scopes: Iterable[str]) -> tuple[str, ...]:
    """The services the scopes name, sorted: ``inventory:reserve`` → ``inventory``
    (``metadata:read``: every service)."""
    named: set[str] = set()
    for scope in scopes:
        named.update(SERVICES if scope == METADATA_SCOPE else (scope.split(":", 1)[0],))
    return tuple(sorted(named))


def customer_grant(customer: Customer) -> Grant:
    """The grant of a logged-in customer."""
    return Grant(
        subject=customer.customer_id,
        scopes=CUSTOMER_SCOPES,
        audience=audience_of(CUSTOMER_SCOPES),
        customer_id=customer.customer_id,
    )


def client_grant(client_id: str, requested: Iterable[str] = ()) -> Grant:
    """The grant of service client ``client_id``: what it asks for, or all it may have.

    Raises :class:`ScopeNotAllowed` for a scope outside its row of :data:`CLIENT_SCOPES`.
    """
    allowed = CLIENT_SCOPES.get(client_id, frozenset())
    wanted = frozenset(requested) or allowed
    if not wanted <= allowed:
        raise ScopeNotAllowed(client_id, wanted - allowed)
    return Grant(
        subject=f"client:{client_id}",
        scopes=wanted,
        audience=audience_of(wanted),
        client_id=client_id,
    )
